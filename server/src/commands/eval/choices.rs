//! `passerelle eval --choices K`: which rule chooses best among several candidates of the same
//! paragraph. Each paragraph of the chosen documents is translated K ways at once (the greedy
//! English and K−1 sampled ones, as `--candidates` writes them), each candidate is scored by the
//! model's confidence ([`crate::article::unsure::assess`]), and the same candidates are chosen
//! among by each rule: the greedy one, agreement (today's [`consensus::choose`]), confidence
//! (the least unsure among the candidates with the fewest check flags), and the best by the
//! reference (the ceiling no rule can pass). Each rule's choices are scored like any output.

use super::parallel;
use super::testset::{paragraph_units, Document, TestSet};
use crate::article::consensus;
use crate::article::unsure;
use crate::cli::EvalArgs;
use crate::intake::segment;
use crate::measure::report::write_json;
use anyhow::Context;
use checks::metrics::{bleu, chrf};
use models::tasks::{self, TaskOutput};
use models::{Backend, CancelToken};
use std::time::Instant;

/// Paragraphs translated at once, each its K candidates at once.
const AT_ONCE: usize = 2;

/// The rules compared, in the order of [`Paragraph::picks`].
const RULES: [&str; 4] = ["greedy", "agreement", "confidence", "best by the reference"];

/// One paragraph's candidates and what each rule picked.
#[derive(Debug, Clone, serde::Serialize)]
struct Paragraph {
    candidates: Vec<String>,
    /// Each candidate's mean unsure score over its sentences (higher: less sure).
    unsure: Vec<Option<f64>>,
    picks: [usize; 4],
    reference: String,
}

pub(super) fn run(
    model: &Backend,
    args: &EvalArgs,
    set: &TestSet,
    chosen: &[&Document],
    ways: usize,
) -> anyhow::Result<std::process::ExitCode> {
    anyhow::ensure!(
        ways >= 2,
        "--choices needs at least 2 candidates to choose among"
    );
    let units = paragraph_units(set, chosen)?;
    eprintln!(
        "Writing {ways} candidates of each of {} paragraphs and choosing among them {} ways",
        units.len(),
        RULES.len()
    );
    let started = Instant::now();
    let paragraphs = parallel::each(units.len(), AT_ONCE, 10, "paragraphs", |u, cancel| {
        let french = units[u].french.join(" ");
        let reference = units[u].reference.join(" ");
        paragraph(model, u, &french, reference, ways, cancel)
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let references: Vec<String> = paragraphs.iter().map(|p| p.reference.clone()).collect();
    println!(
        "{} paragraphs, {ways} candidates each, in {seconds:.0} s",
        paragraphs.len()
    );
    println!(
        "{:<24}{:>8}{:>8}{:>16}",
        "chosen by", "chrF", "BLEU", "not the greedy"
    );
    let mut rows = serde_json::Map::new();
    for (r, rule) in RULES.iter().enumerate() {
        let hyps: Vec<String> = paragraphs
            .iter()
            .map(|p| p.candidates[p.picks[r]].clone())
            .collect();
        let (c, b) = (chrf(&hyps, &references), bleu(&hyps, &references));
        let moved = paragraphs.iter().filter(|p| p.picks[r] != 0).count();
        println!("{rule:<24}{c:>8.2}{b:>8.2}{moved:>16}");
        rows.insert(
            rule.to_string(),
            serde_json::json!({ "chrf": c, "bleu": b, "not_greedy": moved }),
        );
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    write_json(
        &args.out.join("choices.json"),
        &serde_json::json!({
            "ways": ways,
            "seconds": seconds,
            "rules": rows,
            "paragraphs": paragraphs,
        }),
    )?;
    eprintln!("Output in {}", args.out.join("choices.json").display());
    Ok(std::process::ExitCode::SUCCESS)
}

/// One paragraph: its candidates written, scored, and chosen among by each rule.
fn paragraph(
    model: &Backend,
    unit: usize,
    french: &str,
    reference: String,
    ways: usize,
    cancel: &CancelToken,
) -> anyhow::Result<Paragraph> {
    let outputs: Vec<TaskOutput> = consensus::written(
        model,
        french,
        &tasks::Ask::default(),
        0..ways,
        // The seeds `--candidates` gives the same paragraph.
        |k| (unit * 64 + k) as u64,
        "candidate",
        cancel,
    )?;
    let candidates: Vec<String> = outputs.iter().map(|o| o.text.clone()).collect();
    let sentences = segment::sentences(french);
    let unsure = unsure::candidates(model, &sentences, &tasks::Ask::default(), &outputs, cancel)?;
    let by_reference = (0..candidates.len())
        .max_by(|&a, &b| {
            let score = |i: usize| {
                chrf(
                    std::slice::from_ref(&candidates[i]),
                    std::slice::from_ref(&reference),
                )
            };
            score(a).total_cmp(&score(b))
        })
        .unwrap_or(0);
    let by_confidence = consensus::choose_by_confidence("", french, &candidates, &unsure);
    Ok(Paragraph {
        picks: [
            0,
            consensus::choose("", french, &candidates),
            by_confidence,
            by_reference,
        ],
        candidates,
        unsure,
        reference,
    })
}
