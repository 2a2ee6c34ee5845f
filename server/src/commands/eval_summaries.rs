//! `passerelle eval --summaries`: the two ways of making the summary, side by side. Each
//! document of the test set (its paragraphs as the original article had them) and a messy paste
//! go through the whole pipeline once with the summary made from the English after the
//! translation, once with it made from the French alongside. English articles (XSum) are
//! summarized as they are ("english article"). For each summary: when it was ready,
//! and which of its numbers and names the source does not contain (checked as the pipeline checks
//! a summary, against the French and the article's translation, and for the test set the
//! professional English reference too).

use super::bench::write_json;
use super::eval::{group_by_block, paragraphs, read_blocks, Document};
use crate::clean;
use crate::cli::{EvalArgs, GlobalArgs};
use crate::measure::stats::summarize;
use crate::pipeline::{self, Method, Outcome, Steps, SummaryFrom};
use anyhow::Context;
use app::api::{JobEvent, Paragraph};
use models::checks::check_summary;
use models::CancelToken;
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// One article to summarize, with what its summary is checked against.
struct Case {
    name: String,
    paragraphs: Vec<Paragraph>,
    /// Empty for an English article.
    french: String,
    reference: Option<String>,
    /// The article is English: summarized as it is, and it vouches for its summary.
    english_input: bool,
}

#[derive(Serialize)]
struct SummaryRun {
    case: String,
    variant: &'static str,
    summary_seconds: f64,
    total_seconds: f64,
    summary: String,
    unfound: Vec<String>,
}

pub(super) fn run(
    global: &GlobalArgs,
    args: &EvalArgs,
    data: &Path,
    docs: &[&Document],
    sources: &[String],
    references: &[String],
) -> anyhow::Result<ExitCode> {
    let blocks = read_blocks(&data.join("segments.tsv"))?;
    let mut cases = Vec::new();
    for doc in docs {
        let range = doc.first_line - 1..doc.first_line - 1 + doc.lines;
        let lines = sources
            .get(range.clone())
            .context("docs.tsv points past the end of src.fr")?;
        let texts = group_by_block(range.clone(), lines, &blocks);
        cases.push(Case {
            name: doc.id.clone(),
            paragraphs: paragraphs(&texts),
            french: lines.join("\n"),
            reference: Some(references[range].join("\n")),
            english_input: false,
        });
    }
    let paste = args
        .paste
        .clone()
        .unwrap_or_else(|| PathBuf::from("../shared/eval/pastes/kremlin-armenie.txt"));
    let raw = std::fs::read_to_string(&paste).with_context(|| {
        format!(
            "cannot read the paste {} (it comes with the shared folder beside the repository, or pass --paste FILE)",
            paste.display()
        )
    })?;
    let article = clean::clean(&raw);
    cases.push(Case {
        name: paste
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        french: article.texts().join("\n"),
        paragraphs: article.paragraphs,
        reference: None,
        english_input: false,
    });
    let summ = args
        .summ
        .clone()
        .unwrap_or_else(|| PathBuf::from("../shared/eval/summ/xsum_en.jsonl"));
    let lines = std::fs::read_to_string(&summ).with_context(|| {
        format!(
            "cannot read the English articles {} (they come with the shared folder beside the repository, or pass --summ FILE)",
            summ.display()
        )
    })?;
    for (i, line) in lines.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let item: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{} line {}: not JSON", summ.display(), i + 1))?;
        let article = item["article"].as_str().unwrap_or_default();
        let texts: Vec<String> = article
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        cases.push(Case {
            name: item["id"].as_str().unwrap_or("summ").to_string(),
            paragraphs: paragraphs(&texts),
            french: String::new(),
            reference: Some(texts.join("\n")),
            english_input: true,
        });
    }

    let model = super::load_model(global)?;
    eprintln!(
        "Summarizing {} articles two ways with {}",
        cases.len(),
        model.info().name
    );
    let mut outcomes = Vec::new();
    for case in &cases {
        let variants: &[(&'static str, SummaryFrom)] = if case.english_input {
            &[("english article", SummaryFrom::English)]
        } else {
            &[
                ("english", SummaryFrom::English),
                ("french", SummaryFrom::French),
            ]
        };
        for &(variant, from) in variants {
            let started = Instant::now();
            let (mut summary, mut summary_seconds) = (String::new(), 0.0);
            let mut translation = String::new();
            let outcome = pipeline::run(
                &model,
                &case.paragraphs,
                Steps {
                    translate: !case.english_input,
                    ..Steps::ALL
                },
                Method {
                    summary_from: from,
                    ..global.method()
                },
                &CancelToken::new(),
                &mut |event| match event {
                    JobEvent::SummaryDone { text, .. } => {
                        summary = text;
                        summary_seconds = started.elapsed().as_secs_f64();
                    }
                    JobEvent::TranslationDone { text, .. } => {
                        translation.push_str(&text);
                        translation.push('\n');
                    }
                    _ => {}
                },
            )?;
            if let Outcome::Cancelled = outcome {
                anyhow::bail!("the evaluation was cancelled");
            }
            let mut english: Vec<&str> = case.reference.iter().map(String::as_str).collect();
            english.push(&translation);
            let unfound: Vec<String> = check_summary(&summary, &case.french, &english)
                .into_iter()
                .map(|f| f.message)
                .collect();
            eprintln!(
                "  {} from the {variant}: {summary_seconds:.1} s, unfound {unfound:?}",
                case.name
            );
            outcomes.push(SummaryRun {
                case: case.name.clone(),
                variant,
                summary_seconds,
                total_seconds: started.elapsed().as_secs_f64(),
                summary,
                unfound,
            });
        }
    }

    println!("summary made from   faithful   unfound items   ready after (median)   whole article (median)");
    let mut table = Vec::new();
    for variant in ["english", "french", "english article"] {
        let mine: Vec<&SummaryRun> = outcomes.iter().filter(|o| o.variant == variant).collect();
        let faithful = mine.iter().filter(|o| o.unfound.is_empty()).count();
        let unfound: usize = mine.iter().map(|o| o.unfound.len()).sum();
        let ready = summarize(&mine.iter().map(|o| o.summary_seconds).collect::<Vec<_>>());
        let total = summarize(&mine.iter().map(|o| o.total_seconds).collect::<Vec<_>>());
        let median =
            |s: &Option<crate::measure::stats::Summary>| s.as_ref().map_or(0.0, |s| s.median);
        println!(
            "{variant:<19} {faithful:>3} of {:<3}  {unfound:>8}        {:>8.1} s             {:>8.1} s",
            mine.len(),
            median(&ready),
            median(&total)
        );
        table.push(json!({
            "variant": variant,
            "articles": mine.len(),
            "faithful": faithful,
            "unfound_items": unfound,
            "summary_seconds": ready,
            "total_seconds": total,
        }));
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let path = args.out.join("summaries.json");
    write_json(
        &path,
        &json!({ "data": data.display().to_string(), "variants": table, "each": outcomes }),
    )?;
    eprintln!("Every summary and what was not found in {}", path.display());
    Ok(ExitCode::SUCCESS)
}
