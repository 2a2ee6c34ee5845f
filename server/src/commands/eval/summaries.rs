//! `passerelle eval --summaries`: the two ways of making the summary, side by side. Each
//! document of the test set (its paragraphs as the original article had them) and a messy paste
//! go through the whole pipeline once with the summary made from the English after the
//! translation, once with it made from the French alongside. English articles (XSum) are
//! summarized as they are ("english article"). For each summary: when it was ready,
//! and which of its numbers and names the source does not contain (checked as the pipeline checks
//! a summary, against the French and the article's translation, and for the test set the
//! professional English reference too); which of the article's paragraphs it draws on, and how
//! much of it is the translation's own wording ([`coverage`]).

use super::testset::{
    group_by_block, paragraph_units, paragraphs, stored_english, Document, TestSet,
};
use crate::article::pipeline::{self, Known, Method, Outcome, Steps, SummaryFrom};
use crate::cli::{EvalArgs, GlobalArgs};
use crate::commands::load_backend;
use crate::intake::clean;
use crate::measure::coverage::{coverage, Coverage};
use crate::measure::report::write_json;
use crate::measure::stats::{summarize, Summary};
use anyhow::Context;
use app::api::{JobEvent, Paragraph};
use checks::check_summary;
use models::{Backend, CancelToken};
use serde::Serialize;
use serde_json::json;
use std::path::PathBuf;
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
    /// Each paragraph's English written earlier (`--english-from`): the pipeline takes it as
    /// from its memory and writes only the summary.
    known: Vec<Option<Known>>,
}

#[derive(Serialize)]
struct SummaryRun {
    case: String,
    variant: &'static str,
    summary_seconds: f64,
    total_seconds: f64,
    summary: String,
    unfound: Vec<String>,
    coverage: Coverage,
}

pub(super) fn run(
    global: &GlobalArgs,
    args: &EvalArgs,
    set: &TestSet,
    docs: &[&Document],
) -> anyhow::Result<ExitCode> {
    let mut cases = test_set_cases(set, docs, args.english_from.as_deref())?;
    cases.push(paste_case(args)?);
    cases.extend(english_cases(args)?);
    let model = load_backend(global)?;
    eprintln!(
        "Summarizing {} articles two ways with {}",
        cases.len(),
        model.info().name
    );
    let mut outcomes = Vec::new();
    for case in &cases {
        let variants: &[(&'static str, SummaryFrom)] = if case.english_input {
            &[("english article", SummaryFrom::English)]
        } else if !case.known.is_empty() {
            // The French summary is made while translating, and nothing is translated here.
            &[("english", SummaryFrom::English)]
        } else {
            &[
                ("english", SummaryFrom::English),
                ("french", SummaryFrom::French),
            ]
        };
        for &(variant, from) in variants {
            outcomes.push(summarize_case(&model, global, case, variant, from)?);
        }
    }
    let table = print_table(&outcomes);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let path = args.out.join("summaries.json");
    write_json(
        &path,
        &json!({ "data": set.data.display().to_string(), "variants": table, "each": outcomes }),
    )?;
    eprintln!("Every summary and what was not found in {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// Each document of the test set as the original article's paragraphs, with their English
/// from `english_from` (a hyp-*.en of `eval --unit paragraph`) where given.
fn test_set_cases(
    set: &TestSet,
    docs: &[&Document],
    english_from: Option<&std::path::Path>,
) -> anyhow::Result<Vec<Case>> {
    let blocks = set.blocks()?;
    let mut stored = match english_from {
        Some(hyps) => {
            let units = paragraph_units(set, docs)?;
            let english = stored_english(hyps, &units, docs.len())?;
            eprintln!("The documents' English is taken from {}", hyps.display());
            Some(units.into_iter().map(|u| u.document).zip(english))
        }
        None => None,
    };
    let mut cases = Vec::new();
    for (d, doc) in docs.iter().enumerate() {
        let (lines, references) = set.lines(doc)?;
        let texts = group_by_block(doc.range(), lines, &blocks);
        let known: Vec<Option<Known>> = match stored.as_mut() {
            Some(stored) => stored
                .by_ref()
                .take(texts.len())
                .map(|(document, text)| {
                    anyhow::ensure!(document == d, "the stored English is out of step");
                    Ok(Some(Known {
                        text,
                        flags: Vec::new(),
                        from_memory: true,
                    }))
                })
                .collect::<anyhow::Result<_>>()?,
            None => Vec::new(),
        };
        cases.push(Case {
            name: doc.id.clone(),
            paragraphs: paragraphs(&texts),
            french: lines.join("\n"),
            reference: Some(references.join("\n")),
            english_input: false,
            known,
        });
    }
    Ok(cases)
}

/// The messy paste, cleaned as the server cleans it.
fn paste_case(args: &EvalArgs) -> anyhow::Result<Case> {
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
    Ok(Case {
        name: paste
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        french: article.texts().join("\n"),
        paragraphs: article.paragraphs,
        reference: None,
        english_input: false,
        known: Vec::new(),
    })
}

/// The English articles (XSum), summarized as they are.
fn english_cases(args: &EvalArgs) -> anyhow::Result<Vec<Case>> {
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
    let mut cases = Vec::new();
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
            known: Vec::new(),
        });
    }
    Ok(cases)
}

/// One article through the whole pipeline with its summary made from `from`, timed and checked.
fn summarize_case(
    model: &Backend,
    global: &GlobalArgs,
    case: &Case,
    variant: &'static str,
    from: SummaryFrom,
) -> anyhow::Result<SummaryRun> {
    let started = Instant::now();
    let (mut summary, mut summary_seconds) = (String::new(), 0.0);
    let mut translation: Vec<String> = Vec::new();
    let outcome = pipeline::run_knowing(
        model,
        &case.paragraphs,
        &case.known,
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
            JobEvent::TranslationDone {
                paragraph, text, ..
            } => {
                if translation.len() <= paragraph {
                    translation.resize(paragraph + 1, String::new());
                }
                translation[paragraph] = text;
            }
            _ => {}
        },
    )?;
    if let Outcome::Cancelled = outcome {
        anyhow::bail!("the evaluation was cancelled");
    }
    // What the reader has beside the summary: the translation, or the English article itself.
    let article: Vec<&str> = if case.english_input {
        case.paragraphs.iter().map(|p| p.text.as_str()).collect()
    } else {
        translation.iter().map(String::as_str).collect()
    };
    let joined = translation.join("\n");
    let mut english: Vec<&str> = case.reference.iter().map(String::as_str).collect();
    english.push(&joined);
    let unfound: Vec<String> = check_summary(&summary, &case.french, &english)
        .into_iter()
        .map(|f| f.message)
        .collect();
    let coverage = coverage(&summary, &article);
    eprintln!(
        "  {} from the {variant}: {summary_seconds:.1} s, unfound {unfound:?}, draws on {} of {} paragraphs, {:.0}% copied, {} sentences whole, said again {:?}",
        case.name,
        coverage.drawn_on.len(),
        coverage.paragraphs,
        100.0 * coverage.copied_share,
        coverage.whole_sentences.len(),
        coverage.repeated
    );
    Ok(SummaryRun {
        case: case.name.clone(),
        variant,
        summary_seconds,
        total_seconds: started.elapsed().as_secs_f64(),
        summary,
        unfound,
        coverage,
    })
}

/// A row per way of making the summary, printed and returned for the report.
fn print_table(outcomes: &[SummaryRun]) -> Vec<serde_json::Value> {
    println!("summary made from   faithful   unfound items   ready after (median)   whole article (median)   draws on (mean)   copied words (mean)   sentences copied whole   saying a phrase again");
    let mut table = Vec::new();
    for variant in ["english", "french", "english article"] {
        let mine: Vec<&SummaryRun> = outcomes.iter().filter(|o| o.variant == variant).collect();
        let faithful = mine.iter().filter(|o| o.unfound.is_empty()).count();
        let unfound: usize = mine.iter().map(|o| o.unfound.len()).sum();
        let ready = summarize(&mine.iter().map(|o| o.summary_seconds).collect::<Vec<_>>());
        let total = summarize(&mine.iter().map(|o| o.total_seconds).collect::<Vec<_>>());
        let median = |s: &Option<Summary>| s.as_ref().map_or(0.0, |s| s.median);
        let mean = |f: &dyn Fn(&Coverage) -> f64| {
            mine.iter().map(|o| f(&o.coverage)).sum::<f64>() / mine.len().max(1) as f64
        };
        let drawn_on = mean(&Coverage::share_drawn_on);
        let copied = mean(&|c: &Coverage| c.copied_share);
        let whole: usize = mine.iter().map(|o| o.coverage.whole_sentences.len()).sum();
        let repeating = mine
            .iter()
            .filter(|o| !o.coverage.repeated.is_empty())
            .count();
        println!(
            "{variant:<19} {faithful:>3} of {:<3}  {unfound:>8}        {:>8.1} s             {:>8.1} s              {:>5.1}%            {:>5.1}%               {whole:>4}                {repeating:>4}",
            mine.len(),
            median(&ready),
            median(&total),
            100.0 * drawn_on,
            100.0 * copied
        );
        table.push(json!({
            "variant": variant,
            "articles": mine.len(),
            "faithful": faithful,
            "unfound_items": unfound,
            "summary_seconds": ready,
            "total_seconds": total,
            "drawn_on_share": drawn_on,
            "copied_share": copied,
            "sentences_copied_whole": whole,
            "summaries_saying_a_phrase_again": repeating,
        }));
    }
    table
}
