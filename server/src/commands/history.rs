//! `passerelle history list|show|export|delete|clear`: the kept articles, from the command line.

use crate::cli::{GlobalArgs, HistoryCommand};
use crate::history::{self, Store};
use crate::service::jobs::Job;
use anyhow::Context;
use app::api::JobSnapshot;
use std::process::ExitCode;
use std::sync::Arc;

pub fn run(global: &GlobalArgs, command: HistoryCommand) -> anyhow::Result<ExitCode> {
    let store = Arc::new(Store::open(&global.data_dir())?);
    match command {
        HistoryCommand::List { words } => {
            let entries = store.list(&words.join(" "), None)?;
            if entries.is_empty() {
                eprintln!(
                    "No kept articles{}.",
                    if words.is_empty() { "" } else { " match" }
                );
            }
            for e in entries {
                println!(
                    "{}  {}  {:>3} paragraphs  {:<9}  {}",
                    e.id,
                    date(e.created_at),
                    e.paragraphs,
                    format!("{:?}", e.status).to_lowercase(),
                    e.title
                );
            }
        }
        HistoryCommand::Show { id } => {
            let (job, title) = open(&store, &id)?;
            print!("{}", show(&job, &title));
        }
        HistoryCommand::Export { id, format } => {
            let (job, title) = open(&store, &id)?;
            print!("{}", history::export(&job, &title, format));
        }
        HistoryCommand::Delete { id } => {
            if !store.delete(&id)? {
                anyhow::bail!(
                    "there is no article {id}; `passerelle history list` shows their ids"
                );
            }
            eprintln!("Deleted {id}.");
        }
        HistoryCommand::Clear { yes } => {
            if !yes {
                anyhow::bail!(
                    "this deletes every kept article in {}; run `passerelle history clear --yes` to confirm",
                    store.path().display()
                );
            }
            let n = store.clear(None)?;
            eprintln!("Deleted {n} articles.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn open(store: &Arc<Store>, id: &str) -> anyhow::Result<(JobSnapshot, String)> {
    let stored = store.load(id)?.with_context(|| {
        format!("there is no article {id}; `passerelle history list` shows their ids")
    })?;
    let job = Job::restore(stored, Arc::clone(store));
    Ok((job.snapshot(), history::title(&job.article)))
}

/// The reading view for a terminal: the summary, then each paragraph's English.
fn show(job: &JobSnapshot, title: &str) -> String {
    let mut out = format!(
        "{title}\n{}\n\n",
        format!("{:?}", job.status).to_lowercase()
    );
    if !job.summary.is_empty() {
        out.push_str(&format!("Summary: {}\n\n", job.summary.trim()));
    }
    for p in &job.paragraphs {
        out.push_str(p.translation.trim());
        out.push('\n');
        for flag in &p.flags {
            out.push_str(&format!("  [not verified] {}\n", flag.message));
        }
        out.push('\n');
    }
    out
}

/// `2026-11-24 19:40 UTC`.
fn date(unix: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => format!(
            "{}-{:02}-{:02} {:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
        Err(_) => "(unknown date)".into(),
    }
}
