//! `passerelle eval --summary-support HYP`: how well the summary's support score
//! ([`models::tasks::confidence::support`]) tells a sentence the article supports from one it
//! does not. Each chosen document's English (stored paragraph output of `eval --unit
//! paragraph`) is summarized as the pipeline summarizes it; then its last sentence is replaced
//! by a sentence of the next document's summary, which this article does not support. Every
//! sentence of both summaries is scored against the article: the model's own sentences are
//! the supported ones, the one from elsewhere the unsupported one.
//!
//! The threshold is chosen on the even documents (the highest that marks at most one in twenty
//! of the model's own sentences) and judged on the odd ones.

use super::parallel;
use super::testset::{paragraph_units, stored_english, Document, TestSet};
use crate::cli::EvalArgs;
use crate::measure::fit::auc;
use crate::measure::report::write_json;
use anyhow::Context;
use models::tasks::{self, confidence};
use models::Backend;
use serde::Serialize;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// Summaries written or scored at once.
const AT_ONCE: usize = 4;

/// Of the model's own summary sentences, the share the chosen threshold may mark.
const OWN_MARKED: f64 = 0.05;

/// One summary sentence scored against an article.
#[derive(Debug, Clone, Serialize)]
struct Scored {
    document: usize,
    sentence: String,
    /// Written from another article.
    foreign: bool,
    gain: Option<f32>,
}

pub(super) fn run(
    model: &Backend,
    args: &EvalArgs,
    set: &TestSet,
    chosen: &[&Document],
    hyps: &Path,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        chosen.len() >= 2,
        "--summary-support needs at least two documents (--docs): a sentence of one summary is set in another"
    );
    let units = paragraph_units(set, chosen)?;
    let english = stored_english(hyps, &units, chosen.len())?;
    let articles: Vec<String> = (0..chosen.len())
        .map(|d| {
            units
                .iter()
                .zip(&english)
                .filter(|(u, _)| u.document == d)
                .map(|(_, e)| e.as_str())
                .collect::<Vec<_>>()
                .join("\n\n")
        })
        .collect();
    eprintln!(
        "Summarizing {} articles of {} and scoring their summaries' support",
        articles.len(),
        hyps.display()
    );
    let started = Instant::now();
    let summaries = parallel::each(articles.len(), AT_ONCE, 0, "summaries", |d, cancel| {
        Ok(tasks::summarize(model, &articles[d], cancel, &mut |_| {})?
            .output
            .text)
    })?;
    let sentences: Vec<Vec<String>> = summaries
        .iter()
        .map(|s| {
            app::pairing::english_sentences(s)
                .into_iter()
                .map(|r| s[r].trim().to_string())
                .collect()
        })
        .collect();
    // Each article with its own summary, and with that summary's last sentence replaced by
    // the next article's second (its first, when it has one).
    let cases: Vec<(usize, Vec<String>, Option<usize>)> = (0..articles.len())
        .flat_map(|d| {
            let own = sentences[d].clone();
            let other = &sentences[(d + 1) % articles.len()];
            let mixed = other
                .get(1)
                .or(other.first())
                .filter(|_| !own.is_empty())
                .map(|s| {
                    let mut mixed = own.clone();
                    let last = mixed.len() - 1;
                    mixed[last] = s.clone();
                    (d, mixed, Some(last))
                });
            std::iter::once((d, own, None)).chain(mixed)
        })
        .collect();
    let gains = parallel::each(cases.len(), AT_ONCE, 0, "summaries", |c, cancel| {
        let (d, summary, _) = &cases[c];
        let texts: Vec<&str> = summary.iter().map(String::as_str).collect();
        Ok(confidence::support(
            model,
            &articles[*d],
            &summary.join(" "),
            &texts,
            None,
            cancel,
        )?)
    })?;
    let mut scored = Vec::new();
    for ((d, summary, foreign_at), gains) in cases.iter().zip(gains) {
        for (k, (sentence, gain)) in summary.iter().zip(gains).enumerate() {
            let foreign = *foreign_at == Some(k);
            // The own sentences are counted once, from the summary as written.
            if foreign_at.is_some() && !foreign {
                continue;
            }
            scored.push(Scored {
                document: *d,
                sentence: sentence.clone(),
                foreign,
                gain,
            });
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let report = analyse(&scored, seconds);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    write_json(
        &args.out.join("support.json"),
        &serde_json::json!({ "report": report, "summaries": summaries, "sentences": scored }),
    )?;
    eprintln!("Output in {}", args.out.join("support.json").display());
    Ok(ExitCode::SUCCESS)
}

fn analyse(scored: &[Scored], seconds: f64) -> serde_json::Value {
    let with_gain: Vec<(&Scored, f64)> = scored
        .iter()
        .filter_map(|s| s.gain.map(|g| (s, f64::from(g))))
        .collect();
    let half = |even: bool| -> Vec<(&Scored, f64)> {
        with_gain
            .iter()
            .filter(|(s, _)| (s.document % 2 == 0) == even)
            .copied()
            .collect()
    };
    let (fit, check) = (half(true), half(false));
    // The highest threshold that marks at most OWN_MARKED of the fit half's own sentences.
    let mut own: Vec<f64> = fit
        .iter()
        .filter(|(s, _)| !s.foreign)
        .map(|(_, g)| *g)
        .collect();
    own.sort_by(f64::total_cmp);
    let allowed = (OWN_MARKED * own.len() as f64).floor() as usize;
    let threshold = own.get(allowed).copied().unwrap_or(0.0);
    let judge = |rows: &[(&Scored, f64)]| {
        // Less gain is less support: the score of "unsupported" is the gain's negative.
        let scores: Vec<f64> = rows.iter().map(|(_, g)| -g).collect();
        let labels: Vec<bool> = rows.iter().map(|(s, _)| s.foreign).collect();
        let count = |foreign: bool| rows.iter().filter(|(s, _)| s.foreign == foreign).count();
        let marked = |foreign: bool| {
            rows.iter()
                .filter(|(s, g)| s.foreign == foreign && *g < threshold)
                .count()
        };
        serde_json::json!({
            "auc": auc(&scores, &labels),
            "own": count(false),
            "own_marked": marked(false),
            "foreign": count(true),
            "foreign_marked": marked(true),
        })
    };
    let (fit_row, check_row) = (judge(&fit), judge(&check));
    let shipped = confidence::SUMMARY_SUPPORT;
    let shipped_own = check
        .iter()
        .filter(|(s, g)| !s.foreign && *g < shipped)
        .count();
    let shipped_foreign = check
        .iter()
        .filter(|(s, g)| s.foreign && *g < shipped)
        .count();
    println!(
        "{} summary sentences scored in {seconds:.0} s ({} with a gain); threshold chosen on the even documents: gain below {threshold:.3}",
        scored.len(),
        with_gain.len()
    );
    for (name, row) in [("fit half", &fit_row), ("held-out half", &check_row)] {
        println!(
            "{name:<14} AUC {:>6}  own marked {}/{}  foreign marked {}/{}",
            row["auc"]
                .as_f64()
                .map_or("-".to_string(), |a| format!("{a:.3}")),
            row["own_marked"],
            row["own"],
            row["foreign_marked"],
            row["foreign"]
        );
    }
    println!(
        "shipped threshold {shipped:.3} on the held-out half: own marked {shipped_own}, foreign marked {shipped_foreign}"
    );
    let mut lowest: Vec<&(&Scored, f64)> = with_gain.iter().filter(|(s, _)| !s.foreign).collect();
    lowest.sort_by(|a, b| a.1.total_cmp(&b.1));
    println!("the model's own sentences with the least gain:");
    for (s, g) in lowest.iter().take(5) {
        println!("  {g:>7.3}  doc {}: {}", s.document, s.sentence);
    }
    serde_json::json!({
        "seconds": seconds,
        "threshold": threshold,
        "fit": fit_row,
        "held_out": check_row,
        "shipped": { "threshold": shipped, "own_marked": shipped_own, "foreign_marked": shipped_foreign },
    })
}
