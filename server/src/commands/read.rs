//! `passerelle translate` and `passerelle summarize`: an article from a file or standard input,
//! through the same pipeline the server runs, printed as it is produced.

use super::load_backend;
use crate::article::pipeline::{self, Outcome, Steps};
use crate::cli::{GlobalArgs, InputArgs};
use crate::intake::clean::Article;
use crate::intake::links::{self, LinkRules};
use crate::intake::{self, documents};
use crate::measure::resident;
use anyhow::Context;
use app::api::{Figures, JobEvent, Removed};
use checks::language;
use models::{Backend, CancelToken};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

pub fn translate(global: &GlobalArgs, args: &InputArgs) -> anyhow::Result<ExitCode> {
    let article = read_article(args)?;
    let model = load_backend(global)?;
    let live = std::io::stdout().is_terminal();
    let mut out = InOrder::new(Output::new(), live);
    let outcome = pipeline::run(
        &model,
        &article.paragraphs,
        Steps {
            translate: true,
            summarize: false,
            ..Steps::ALL
        },
        global.method(),
        &CancelToken::new(),
        &mut |event| match event {
            JobEvent::TranslationDelta { paragraph, text } => out.delta(paragraph, &text),
            JobEvent::TranslationDone {
                paragraph,
                text,
                flags,
                ..
            } => {
                for flag in &flags {
                    eprintln!("paragraph {}: {}", paragraph + 1, describe(flag, &text));
                }
                out.done(paragraph, &text)
            }
            _ => {}
        },
    )?;
    out.into_inner().finish()?;
    report(&model, &outcome);
    Ok(ExitCode::SUCCESS)
}

pub fn summarize(global: &GlobalArgs, args: &InputArgs) -> anyhow::Result<ExitCode> {
    let article = read_article(args)?;
    let french = language::is_french(&article.texts().join("\n"));
    let model = load_backend(global)?;
    let total = article.paragraphs.len();
    if french {
        eprintln!("The article is in French: translating its {total} paragraphs first.");
    }
    let mut out = Output::new();
    let live = std::io::stdout().is_terminal();
    let mut summary_streamed = String::new();
    let outcome = pipeline::run(
        &model,
        &article.paragraphs,
        Steps {
            translate: french,
            ..Steps::ALL
        },
        global.method(),
        &CancelToken::new(),
        &mut |event| match event {
            JobEvent::TranslationDone { paragraph, .. } => {
                eprintln!("translated paragraph {}/{total}", paragraph + 1)
            }
            JobEvent::SummaryDelta { text } => {
                summary_streamed.push_str(&text);
                if live {
                    out.write(&text)
                }
            }
            JobEvent::SummaryDone { text, flags } => {
                out.final_text(live, &summary_streamed, &text);
                out.write("\n");
                for flag in &flags {
                    eprintln!("summary: {}", flag.message);
                }
            }
            _ => {}
        },
    )?;
    out.finish()?;
    report(&model, &outcome);
    Ok(ExitCode::SUCCESS)
}

/// Paragraphs are translated together but printed in order. On a terminal the first unfinished
/// paragraph is printed as it is written and the others are held until their turn; a paragraph
/// the check replaced is printed again as corrected. Elsewhere (a file, a pipe) only each
/// paragraph's final text is printed.
struct InOrder {
    out: Output,
    live: bool,
    /// The paragraph being printed.
    current: usize,
    /// Paragraphs after the current one: what they wrote so far, and their final text.
    held: BTreeMap<usize, (String, Option<String>)>,
    /// What the current paragraph showed live.
    shown: String,
}

impl InOrder {
    fn new(out: Output, live: bool) -> Self {
        Self {
            out,
            live,
            current: 0,
            held: BTreeMap::new(),
            shown: String::new(),
        }
    }

    fn delta(&mut self, paragraph: usize, text: &str) {
        if paragraph == self.current && self.live {
            self.out.write(text);
            self.shown.push_str(text);
        } else {
            self.held.entry(paragraph).or_default().0.push_str(text);
        }
    }

    fn done(&mut self, paragraph: usize, text: &str) {
        if paragraph != self.current {
            self.held.entry(paragraph).or_default().1 = Some(text.to_string());
            return;
        }
        self.finish_current(text);
        // Print what the next paragraphs wrote meanwhile; the first unfinished one goes live.
        while let Some((written, finished)) = self.held.remove(&self.current) {
            match finished {
                Some(text) => {
                    if self.live {
                        self.out.write(&text);
                        self.shown = text.clone();
                    }
                    self.finish_current(&text);
                }
                None => {
                    if self.live {
                        self.out.write(&written);
                        self.shown = written;
                    } else {
                        self.held.insert(self.current, (written, None));
                    }
                    break;
                }
            }
        }
    }

    /// Ends the current paragraph with its final text.
    fn finish_current(&mut self, text: &str) {
        self.out.final_text(self.live, &self.shown, text);
        self.out.write("\n\n");
        self.shown.clear();
        self.current += 1;
    }

    fn into_inner(self) -> Output {
        self.out
    }
}

/// Standard output, written as text arrives; the first failure (a closed pipe) is kept and
/// reported at the end instead of being lost.
struct Output {
    out: std::io::StdoutLock<'static>,
    error: Option<std::io::Error>,
}

impl Output {
    fn new() -> Self {
        Self {
            out: std::io::stdout().lock(),
            error: None,
        }
    }

    fn write(&mut self, text: &str) {
        if self.error.is_none() {
            if let Err(e) = self
                .out
                .write_all(text.as_bytes())
                .and_then(|_| self.out.flush())
            {
                self.error = Some(e);
            }
        }
    }

    /// A text's final form: all of it when nothing was shown live, else only when the check
    /// changed what was `shown`.
    fn final_text(&mut self, live: bool, shown: &str, text: &str) {
        if !live {
            self.write(text);
        } else if shown.trim() != text.trim() {
            self.write(&format!("\n\nChecked and corrected:\n{text}"));
        }
    }

    fn finish(self) -> anyhow::Result<()> {
        match self.error {
            Some(e) => Err(e).context("cannot write to standard output"),
            None => Ok(()),
        }
    }
}

fn read_article(args: &InputArgs) -> anyhow::Result<Article> {
    let (bytes, name) = if args.file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        (bytes, "standard input".to_string())
    } else if let Some(url) = args.link() {
        // The reader's own command on the reader's own machine: unlike the server, it may open
        // a page on the local network.
        let rules = LinkRules {
            allow_private: true,
            ..LinkRules::default()
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the network client")?;
        let bytes = runtime.block_on(links::fetch(url, &rules))?;
        (bytes, url.to_string())
    } else {
        let bytes = std::fs::read(&args.file)
            .with_context(|| format!("cannot read {}", args.file.display()))?;
        (bytes, args.file.display().to_string())
    };
    // Any document the server takes: text in any common encoding, a web page, Word, PDF.
    let raw = documents::read(&bytes).with_context(|| format!("cannot read {name}"))?;
    let left_out = |removed: &[Removed]| {
        for line in removed {
            eprintln!("left out ({}): {}", line.reason.describe(), line.text);
        }
    };
    match intake::article(&raw, &[]) {
        Ok(article) => {
            left_out(&article.removed);
            Ok(article)
        }
        Err(nothing) => {
            left_out(&nothing.removed);
            anyhow::bail!("the input has no article text to work on; give a file with French paragraphs, or `-` to read standard input")
        }
    }
}

/// Timing and memory figures, on standard error so that standard output is only the text.
fn report(model: &Backend, outcome: &Outcome) {
    eprintln!(
        "model: {}, {} threads here",
        model.info().describe(),
        models::cpu_threads()
    );
    if let Outcome::Finished(f) = outcome {
        eprintln!("{}", figures_line(f));
    }
    if let Some(peak) = resident::peak_rss_bytes() {
        eprintln!("peak memory: {:.2} GB", peak as f64 / 1e9);
    }
}

pub fn figures_line(f: &Figures) -> String {
    format!(
        "prompt: {} tokens at {:.1} tokens/s; generated: {} tokens at {:.1} tokens/s; total: {:.1} s (first text after {:.1} s)",
        f.prompt_tokens,
        f.prompt_tokens_per_second,
        f.generated_tokens,
        f.tokens_per_second,
        f.seconds,
        f.first_token_seconds.unwrap_or(f.seconds),
    )
}

/// A mark as the command line prints it: its note, and for a sentence the model is unsure of,
/// the sentence itself (a terminal has no underline to point at it).
fn describe(flag: &app::api::Flag, english: &str) -> String {
    match (flag.kind, flag.english) {
        (app::api::FlagKind::Unsure, Some([start, end])) => {
            let sentence: String = english.chars().skip(start).take(end - start).collect();
            format!("{} “{}”", flag.message, sentence.trim())
        }
        _ => flag.message.clone(),
    }
}
