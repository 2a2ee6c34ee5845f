//! `passerelle eval --confidence-from HYP`: how well the model's own confidence finds its bad
//! sentences. Each English sentence of stored translations (an `eval --unit paragraph`
//! output) gets the model's signals ([`models::tasks::confidence`]): its tokens'
//! log-probabilities as the translation prompt would have written them, and the scored round
//! trip (the French given the English). Its label is its chrF against the reference lines of
//! the French sentences it translates; the worst tenth of all sentences are the bad ones.
//!
//! A logistic model over the signals is fitted on the even documents and judged on the odd
//! ones (choosing by the metric one then reports inflates it): the area under the ROC curve of
//! each signal and of the fit, and at the chosen threshold how many sentences are marked and
//! how many of those are in the worst tenth. The fitted numbers are what
//! `models::tasks::confidence::UNSURE` holds.

use super::testset::{lines_by_block, read_lines, Document, TestSet};
use crate::cli::EvalArgs;
use crate::intake::segment;
use crate::measure::fit::{auc, Logistic};
use crate::measure::pairing::lines_of_sentences;
use crate::measure::report::write_json;
use anyhow::Context;
use checks::metrics::chrf;
use models::tasks::confidence;
use models::{Backend, CancelToken};
use serde_json::json;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Paragraphs scored at once: the engine reads their prompts in the same steps.
const AT_ONCE: usize = 4;

/// One English sentence, its signals and its chrF.
#[derive(Debug, Clone, serde::Serialize)]
struct Sentence {
    document: usize,
    unit: usize,
    english: String,
    reference: String,
    chrf: f64,
    written_mean: Option<f32>,
    written_min: Option<f32>,
    back_mean: Option<f32>,
}

impl Sentence {
    fn signals(&self) -> Option<Vec<f64>> {
        Some(vec![
            f64::from(self.written_mean?),
            f64::from(self.written_min?),
            f64::from(self.back_mean?),
        ])
    }
}

const SIGNALS: [&str; 3] = ["written mean", "written min", "round trip"];

pub(super) fn run(
    model: &Backend,
    args: &EvalArgs,
    set: &TestSet,
    chosen: &[&Document],
    hyps: &Path,
) -> anyhow::Result<ExitCode> {
    let blocks = set.blocks()?;
    // (document, French lines, reference lines) of each paragraph.
    let mut units: Vec<(usize, Vec<String>, Vec<String>)> = Vec::new();
    for (d, doc) in chosen.iter().enumerate() {
        let (french, references) = set.lines(doc)?;
        for (fr, en) in lines_by_block(doc.range(), french, &blocks)
            .into_iter()
            .zip(lines_by_block(doc.range(), references, &blocks))
        {
            units.push((d, fr, en));
        }
    }
    let english = read_lines(hyps)?;
    anyhow::ensure!(
        english.len() == units.len(),
        "the translations have {} lines where the {} documents chosen have {} paragraphs; pass the --docs they were made with, with --unit paragraph",
        english.len(),
        chosen.len(),
        units.len()
    );
    eprintln!(
        "Reading the model's confidence in {} paragraphs of {} ({AT_ONCE} at once)",
        units.len(),
        hyps.display()
    );
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let found: Mutex<Vec<(usize, Vec<Sentence>)>> = Mutex::new(Vec::new());
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let cancel = CancelToken::new();
    std::thread::scope(|scope| {
        for _ in 0..AT_ONCE {
            scope.spawn(|| loop {
                let u = next.fetch_add(1, Ordering::Relaxed);
                if u >= units.len() || cancel.is_cancelled() {
                    break;
                }
                let (d, fr, en) = &units[u];
                match sentences_of(model, *d, u, fr, en, &english[u], &cancel) {
                    Ok(s) => {
                        let mut found = found.lock().unwrap_or_else(|e| e.into_inner());
                        found.push((u, s));
                        if found.len() % 25 == 0 {
                            eprintln!("  {}/{} paragraphs", found.len(), units.len());
                        }
                    }
                    Err(e) => {
                        cancel.cancel();
                        *failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    found.sort_by_key(|(u, _)| *u);
    let sentences: Vec<Sentence> = found.into_iter().flat_map(|(_, s)| s).collect();
    let seconds = started.elapsed().as_secs_f64();
    let report = analyse(&sentences, seconds);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    write_tsv(&args.out.join("confidence.tsv"), &sentences)?;
    write_json(&args.out.join("confidence.json"), &report)?;
    eprintln!(
        "Output in {} (confidence.tsv: every sentence with its signals and chrF; confidence.json)",
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The English sentences of one paragraph, each with its signals and its chrF against the
/// reference lines of the French it translates.
fn sentences_of(
    model: &Backend,
    document: usize,
    unit: usize,
    french_lines: &[String],
    reference_lines: &[String],
    english: &str,
    cancel: &CancelToken,
) -> anyhow::Result<Vec<Sentence>> {
    let french = french_lines.join(" ");
    let french_sentences = segment::sentences(&french);
    let alignment = app::pairing::align(&french_sentences, english);
    let lines_of = lines_of_sentences(french_lines, &french_sentences);
    let texts: Vec<&str> = alignment
        .english
        .iter()
        .map(|r| &english[r.clone()])
        .collect();
    let written = match confidence::reread(model, &french, english, cancel)? {
        Some(tokens) => confidence::written(&tokens, &texts),
        None => vec![None; texts.len()],
    };
    // English sentences that translate the same reference lines are scored together: a
    // French sentence the model split in two has one reference for both halves.
    let line_set = |j: usize| -> BTreeSet<usize> {
        alignment.french_of[j]
            .iter()
            .flat_map(|&k| lines_of.get(k).cloned().unwrap_or_default())
            .collect()
    };
    let mut out = Vec::new();
    for j in 0..texts.len() {
        let lines = line_set(j);
        if lines.is_empty() {
            continue;
        }
        let together: Vec<&str> = (0..texts.len())
            .filter(|&k| line_set(k) == lines)
            .map(|k| texts[k].trim())
            .collect();
        let reference: Vec<&str> = lines
            .iter()
            .filter_map(|&l| reference_lines.get(l).map(String::as_str))
            .collect();
        let reference = reference.join(" ");
        let its_french: Vec<&str> = alignment.french_of[j]
            .iter()
            .filter_map(|&k| french_sentences.get(k).map(String::as_str))
            .collect();
        let back = confidence::back(model, texts[j], &its_french.join(" "), cancel)?;
        out.push(Sentence {
            document,
            unit,
            english: texts[j].trim().to_string(),
            chrf: chrf(&[together.join(" ")], std::slice::from_ref(&reference)),
            reference,
            written_mean: written[j].map(|w| w.0),
            written_min: written[j].map(|w| w.1),
            back_mean: back,
        });
    }
    Ok(out)
}

/// Fits on the even documents, judges on the odd ones, and prints the table.
fn analyse(sentences: &[Sentence], seconds: f64) -> serde_json::Value {
    let scored: Vec<&Sentence> = sentences.iter().filter(|s| s.signals().is_some()).collect();
    let mut chrfs: Vec<f64> = scored.iter().map(|s| s.chrf).collect();
    chrfs.sort_by(f64::total_cmp);
    let cut = chrfs
        .get(chrfs.len() / 10)
        .copied()
        .unwrap_or(f64::NEG_INFINITY);
    let bad = |s: &Sentence| s.chrf < cut;
    let (fit_half, check_half): (Vec<&Sentence>, Vec<&Sentence>) =
        scored.iter().partition(|s| s.document % 2 == 0);
    let rows =
        |half: &[&Sentence]| -> Vec<Vec<f64>> { half.iter().filter_map(|s| s.signals()).collect() };
    let labels = |half: &[&Sentence]| -> Vec<bool> { half.iter().map(|s| bad(s)).collect() };
    println!(
        "{} English sentences ({} with every signal) in {:.0} s; worst tenth: chrF below {cut:.1}",
        sentences.len(),
        scored.len(),
        seconds
    );
    println!(
        "fitted on the {} sentences of the even documents, judged on the {} of the odd ones",
        fit_half.len(),
        check_half.len()
    );
    println!(
        "{:<28}{:>12}{:>12}",
        "AUC against the worst tenth", "fit half", "held out"
    );
    let mut per_signal = serde_json::Map::new();
    for (k, name) in SIGNALS.iter().enumerate() {
        // Low probability means unsure: the score is the signal's negative.
        let score = |half: &[&Sentence]| -> Vec<f64> { rows(half).iter().map(|r| -r[k]).collect() };
        let a = auc(&score(&fit_half), &labels(&fit_half));
        let b = auc(&score(&check_half), &labels(&check_half));
        println!("{name:<28}{:>12}{:>12}", show(a), show(b));
        per_signal.insert(name.to_string(), json!({ "fit": a, "held_out": b }));
    }
    let Some(model) = Logistic::fit(&rows(&fit_half), &labels(&fit_half)) else {
        println!("too few sentences to fit a combined score");
        return json!({ "sentences": sentences.len(), "signals": per_signal });
    };
    let score =
        |half: &[&Sentence]| -> Vec<f64> { rows(half).iter().map(|r| model.score(r)).collect() };
    let (fit_scores, check_scores) = (score(&fit_half), score(&check_half));
    let a = auc(&fit_scores, &labels(&fit_half));
    let b = auc(&check_scores, &labels(&check_half));
    println!(
        "{:<28}{:>12}{:>12}",
        "combined (logistic)",
        show(a),
        show(b)
    );
    let threshold = choose_threshold(&fit_scores, &labels(&fit_half));
    let at = |scores: &[f64], labels: &[bool]| {
        let marked = scores.iter().filter(|&&s| s >= threshold).count();
        let right = scores
            .iter()
            .zip(labels)
            .filter(|(&s, &l)| s >= threshold && l)
            .count();
        let bad = labels.iter().filter(|&&l| l).count();
        (marked, right, bad)
    };
    let (fm, fr, fb) = at(&fit_scores, &labels(&fit_half));
    let (cm, cr, cb) = at(&check_scores, &labels(&check_half));
    println!("threshold {threshold:.3} (chosen on the fit half: the most found with at least half right)");
    println!(
        "{:<28}{:>12}{:>12}",
        "marked unsure",
        format!("{fm}"),
        format!("{cm}")
    );
    println!(
        "{:<28}{:>12}{:>12}",
        "  of which in worst tenth",
        format!("{fr} ({})", pct(fr, fm)),
        format!("{cr} ({})", pct(cr, cm))
    );
    println!(
        "{:<28}{:>12}{:>12}",
        "worst tenth found",
        format!("{fr}/{fb}"),
        format!("{cr}/{cb}")
    );
    println!(
        "weights (standardized): {:?}, bias {:.3}; means {:?}, spreads {:?}",
        model.weights, model.bias, model.means, model.spreads
    );
    json!({
        "sentences": sentences.len(),
        "seconds": seconds,
        "worst_tenth_below_chrf": cut,
        "signals": per_signal,
        "combined": { "fit": a, "held_out": b, "model": model, "threshold": threshold,
            "fit_half": { "marked": fm, "in_worst_tenth": fr, "worst_tenth": fb },
            "held_out_half": { "marked": cm, "in_worst_tenth": cr, "worst_tenth": cb } },
    })
}

/// The lowest threshold at which at least half of what is marked is bad (marking the most bad
/// sentences that keeps the marks trustworthy); the highest score when none is.
fn choose_threshold(scores: &[f64], labels: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut marked, mut right) = (0usize, 0usize);
    let mut best = order.first().map_or(f64::INFINITY, |&i| scores[i]);
    for &i in &order {
        marked += 1;
        right += usize::from(labels[i]);
        // At least five marked, so that one lucky sentence does not set it.
        if marked >= 5 && 2 * right >= marked {
            best = scores[i];
        }
    }
    best
}

fn show(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |v| format!("{v:.3}"))
}

fn pct(part: usize, whole: usize) -> String {
    if whole == 0 {
        "-".to_string()
    } else {
        format!("{:.0}%", 100.0 * part as f64 / whole as f64)
    }
}

fn write_tsv(path: &Path, sentences: &[Sentence]) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    writeln!(
        out,
        "document\tunit\tchrf\twritten_mean\twritten_min\tback_mean\tenglish\treference"
    )?;
    let opt = |v: Option<f32>| v.map_or(String::new(), |v| format!("{v:.4}"));
    for s in sentences {
        writeln!(
            out,
            "{}\t{}\t{:.2}\t{}\t{}\t{}\t{}\t{}",
            s.document,
            s.unit + 1,
            s.chrf,
            opt(s.written_mean),
            opt(s.written_min),
            opt(s.back_mean),
            s.english.replace('\t', " "),
            s.reference.replace('\t', " ")
        )?;
    }
    out.flush()?;
    Ok(())
}
