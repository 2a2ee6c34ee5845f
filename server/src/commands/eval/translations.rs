//! `passerelle eval`: translates documents of a French news test set with professional English
//! references, through the pipeline the server runs, and scores the output with chrF and BLEU
//! (as sacreBLEU computes them) plus per-line checks.
//!
//! Each source line is given to the pipeline as one paragraph, so that output and reference stay
//! line-aligned; the cleaning step is left out for the same reason (it may drop a line).

use super::testset::{group_by_block, lines_by_block, paragraphs, read_lines, Document, TestSet};
use crate::article::pipeline::{self, Method, Outcome, Steps};
use crate::cli::{EvalArgs, GlobalArgs, Unit};
use crate::measure::checks::{faults, Fault};
use crate::measure::marks::{join_spaced_thousands, MarkScore};
use crate::measure::pairing::{self, PairingScore};
use crate::measure::report::{model_json, write_json};
use crate::measure::resident;
use anyhow::Context;
use app::api::{Flag, FlagKind, JobEvent};
use checks::metrics::{bleu, chrf};
use checks::numbers;
use models::{Backend, CancelToken};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// Each paragraph's French and reference lines, for the sentence pairs' score.
type UnitLines = Vec<(Vec<String>, Vec<String>)>;

/// A document as the units scored: its id, its French units and their references.
type DocumentUnits = (String, Vec<String>, Vec<String>);

pub(super) fn run(
    global: &GlobalArgs,
    args: &EvalArgs,
    set: &TestSet,
    chosen: &[&Document],
) -> anyhow::Result<ExitCode> {
    let blocks = match args.unit {
        Unit::Line => None,
        Unit::Paragraph => Some(set.blocks()?),
    };
    let unit_lines = match &blocks {
        Some(blocks) => unit_lines(set, chosen, blocks)?,
        None => Vec::new(),
    };
    if let Some(hyps) = &args.pairing_from {
        return pairing_only(hyps, &unit_lines, &args.out);
    }
    let docs_units = documents_units(set, chosen, blocks.as_ref())?;
    if let Some(hyps) = &args.marks_from {
        return marks_only(hyps, &docs_units, &args.out);
    }
    let model = crate::commands::load_backend(global)?;
    let units: usize = docs_units.iter().map(|d| d.1.len()).sum();
    eprintln!(
        "Evaluating {} documents ({units} {}s) from {} with {}",
        chosen.len(),
        args.unit.name(),
        set.data.display(),
        model.info().name
    );
    let mut results = variants(global, args)
        .into_iter()
        .map(|(variant, steps, method)| {
            eprintln!("The pipeline, {variant}:");
            run_variant(&model, &docs_units, variant, steps, method)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if !unit_lines.is_empty() {
        for r in &mut results {
            r.pairing = Some(pairing_score(&r.hyps, &unit_lines));
            r.sentences = Some(score_sentences(r, &unit_lines));
        }
    }
    println!(
        "{} documents, {units} {}s: the plain pipeline (no check, no context) and the server's (named by its context)",
        chosen.len(),
        args.unit.name()
    );
    print_table(&results, !unit_lines.is_empty());

    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    for r in &results {
        std::fs::write(
            args.out.join(format!("hyp-{}.en", r.variant)),
            r.hyps.join("\n") + "\n",
        )
        .context("cannot write the output")?;
    }
    let report = json!({
        "data": set.data.display().to_string(),
        "unit": args.unit.name(),
        "model": model_json(model.info()),
        "documents": chosen.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
        "units": units,
        "variants": results.iter().map(Scored::to_json).collect::<Vec<_>>(),
        "peak_rss_bytes": resident::peak_rss_bytes(),
    });
    write_json(&args.out.join("eval.json"), &report)?;
    eprintln!(
        "Output in {} (hyp-*.en, eval.json with every flagged unit)",
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Each paragraph's French and reference lines, document after document.
fn unit_lines(
    set: &TestSet,
    chosen: &[&Document],
    blocks: &BTreeMap<usize, usize>,
) -> anyhow::Result<UnitLines> {
    let mut out = Vec::new();
    for doc in chosen {
        let (french, references) = set.lines(doc)?;
        out.extend(
            lines_by_block(doc.range(), french, blocks)
                .into_iter()
                .zip(lines_by_block(doc.range(), references, blocks)),
        );
    }
    Ok(out)
}

/// Each document as the units scored: its lines, or its paragraphs (lines joined).
fn documents_units(
    set: &TestSet,
    chosen: &[&Document],
    blocks: Option<&BTreeMap<usize, usize>>,
) -> anyhow::Result<Vec<DocumentUnits>> {
    let mut out = Vec::new();
    for doc in chosen {
        let (lines, refs) = set.lines(doc)?;
        let (fr, en) = match blocks {
            None => (lines.to_vec(), refs.to_vec()),
            Some(blocks) => (
                group_by_block(doc.range(), lines, blocks),
                group_by_block(doc.range(), refs, blocks),
            ),
        };
        out.push((doc.id.clone(), fr, en));
    }
    Ok(out)
}

/// The figures, a column per run.
fn print_table(results: &[Scored], with_pairing: bool) {
    println!(
        "                                     {}",
        results
            .iter()
            .map(|r| format!("{:>15}", r.variant))
            .collect::<String>()
    );
    let row = |label: &str, f: &dyn Fn(&Scored) -> String| {
        println!(
            "{label:<37}{}",
            results
                .iter()
                .map(|r| format!("{:>15}", f(r)))
                .collect::<String>()
        );
    };
    row("chrF", &|r| format!("{:.2}", r.chrf));
    row("BLEU", &|r| format!("{:.2}", r.bleu));
    row("numbers unlike the reference's", &|r| {
        r.numbers_unlike_reference.to_string()
    });
    row("  of which unmarked", &|r| r.unmarked_numbers.to_string());
    for kind in ["number", "date", "name", "missing", "untranslated"] {
        row(&format!("marked: {kind}"), &|r| {
            r.flag_count(kind).to_string()
        });
        row("  right by the reference (%)", &|r| {
            precision(&r.marks, kind)
        });
    }
    if with_pairing {
        row("marked: unsure", &|r| r.flag_count("unsure").to_string());
        row("  in the worst tenth by chrF (%)", &|r| {
            precision(&r.marks, "unsure")
        });
        row("worst tenth of sentences", &|r| {
            r.sentences
                .map(|t| format!("{} (<{:.0})", t.worst_tenth, t.worst_tenth_below_chrf))
                .unwrap_or_default()
        });
        row("  marked unsure", &|r| {
            r.sentences
                .map(|t| t.worst_marked_unsure.to_string())
                .unwrap_or_default()
        });
        row("  with any mark", &|r| {
            r.sentences
                .map(|t| t.worst_marked_any.to_string())
                .unwrap_or_default()
        });
    }
    row("not only a translation", &|r| {
        r.count(Fault::NotOnlyTranslation).to_string()
    });
    row("question back", &|r| {
        r.count(Fault::QuestionBack).to_string()
    });
    row("untranslated (whole line)", &|r| {
        r.count(Fault::Untranslated).to_string()
    });
    if with_pairing {
        row("sentence pairs right (%)", &|r| {
            r.pairing
                .map(|p| format!("{:.1}", p.accuracy()))
                .unwrap_or_default()
        });
        row("  in paragraphs of 2+ lines (%)", &|r| {
            r.pairing
                .map(|p| format!("{:.1}", p.accuracy_in_longer()))
                .unwrap_or_default()
        });
        row("  where the sentence counts differ (%)", &|r| {
            r.pairing
                .map(|p| format!("{:.1}", p.accuracy_counts_differ()))
                .unwrap_or_default()
        });
    }
    row("time (s)", &|r| format!("{:.0}", r.seconds));
    row("generated tokens", &|r| r.generated.to_string());
}

/// The pipelines compared: the plain one (no check, greedy, nothing before each paragraph),
/// and the one the server runs with the method the global flags set.
fn variants(global: &GlobalArgs, args: &EvalArgs) -> Vec<(String, Steps, Method)> {
    let plain = Steps {
        summarize: false,
        repair: false,
        ..Steps::ALL
    };
    let mut out = vec![(
        "plain".to_string(),
        plain,
        Method {
            context: pipeline::Context::None,
            candidates: 1,
            ..Method::default()
        },
    )];
    if args.server_only {
        out.clear();
    }
    if !args.no_repair {
        let method = global.method();
        let mut name = format!("{:?}", method.context).to_lowercase();
        if method.candidates > 1 {
            name.push_str(&format!("+mbr{}", method.candidates));
        }
        if method.unsure != pipeline::Unsure::Off {
            name.push_str(&format!("+{:?}", method.unsure).to_lowercase());
        }
        out.push((
            name,
            Steps {
                repair: true,
                ..plain
            },
            method,
        ));
    }
    out
}

/// One run of the pipeline over every document, scored.
struct Scored {
    variant: String,
    src: Vec<String>,
    refs: Vec<String>,
    hyps: Vec<String>,
    flags: Vec<Vec<Flag>>,
    faults: Vec<Vec<Fault>>,
    chrf: f64,
    bleu: f64,
    /// Units whose numbers (as values) differ from the reference's: a check independent of the
    /// checker's own.
    numbers_unlike_reference: usize,
    /// Of those, the ones with no number or date flag: wrong numbers that reach the reader
    /// looking right.
    unmarked_numbers: usize,
    seconds: f64,
    generated: usize,
    /// How the page's sentence pairs fare (paragraph unit only).
    pairing: Option<PairingScore>,
    /// Whether each mark points at a real difference from the reference.
    marks: MarkScore,
    /// The English sentences against their references (paragraph unit only).
    sentences: Option<SentenceTally>,
}

/// The output's sentences by chrF against the reference lines of their French: the worst tenth
/// are the ones a reader most needs marked.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
struct SentenceTally {
    sentences: usize,
    worst_tenth_below_chrf: f64,
    worst_tenth: usize,
    /// Of the worst tenth, those marked unsure, and those with any mark on them.
    worst_marked_unsure: usize,
    worst_marked_any: usize,
}

impl Scored {
    fn count(&self, fault: Fault) -> usize {
        self.faults.iter().filter(|f| f.contains(&fault)).count()
    }

    fn flag_count(&self, kind: &str) -> usize {
        self.flags
            .iter()
            .flatten()
            .filter(|f| f.kind.as_str() == kind)
            .count()
    }

    fn to_json(&self) -> serde_json::Value {
        let flagged: Vec<serde_json::Value> = (0..self.hyps.len())
            .filter(|&i| !self.flags[i].is_empty() || !self.faults[i].is_empty())
            .map(|i| json!({ "unit": i + 1, "faults": self.faults[i], "flags": self.flags[i], "source": self.src[i], "output": self.hyps[i], "reference": self.refs[i] }))
            .collect();
        json!({
            "variant": self.variant,
            "chrf": self.chrf,
            "bleu": self.bleu,
            "numbers_unlike_reference": self.numbers_unlike_reference,
            "unmarked_numbers": self.unmarked_numbers,
            "not_only_translation": self.count(Fault::NotOnlyTranslation),
            "question_back": self.count(Fault::QuestionBack),
            "untranslated": self.count(Fault::Untranslated),
            "seconds": self.seconds,
            "generated_tokens": self.generated,
            "pairing": self.pairing,
            "marks": self.marks,
            "sentences": self.sentences,
            "flagged": flagged,
        })
    }
}

fn run_variant(
    model: &Backend,
    docs: &[(String, Vec<String>, Vec<String>)],
    variant: String,
    steps: Steps,
    method: Method,
) -> anyhow::Result<Scored> {
    let started = Instant::now();
    let (mut src, mut refs, mut hyps, mut flags, mut generated) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), 0usize);
    for (k, (id, fr, en)) in docs.iter().enumerate() {
        let out = translate_units(model, fr, steps, method)?;
        generated += out.2;
        src.extend(fr.iter().cloned());
        refs.extend(en.iter().cloned());
        hyps.extend(out.0);
        flags.extend(out.1);
        eprintln!(
            "  {}/{} {id} ({} units), chrF so far {:.1}",
            k + 1,
            docs.len(),
            fr.len(),
            chrf(&hyps, &refs)
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    let faults: Vec<Vec<Fault>> = src.iter().zip(&hyps).map(|(s, h)| faults(s, h)).collect();
    // References write "700 000" as often as "700,000".
    let values = |t: &str| {
        let mut v: Vec<String> = numbers::english(&join_spaced_thousands(t))
            .iter()
            .map(|q| format!("{}", q.value))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let mut numbers_unlike_reference = 0;
    let mut unmarked_numbers = 0;
    for i in 0..hyps.len() {
        if values(&hyps[i]) != values(&refs[i]) {
            numbers_unlike_reference += 1;
            let marked = flags[i]
                .iter()
                .any(|f: &Flag| matches!(f.kind, FlagKind::Number | FlagKind::Date));
            if !marked {
                unmarked_numbers += 1;
            }
        }
    }
    let marks = score_marks(&src, &hyps, &refs, &flags);
    Ok(Scored {
        variant,
        marks,
        sentences: None,
        chrf: chrf(&hyps, &refs),
        bleu: bleu(&hyps, &refs),
        src,
        refs,
        hyps,
        flags,
        faults,
        numbers_unlike_reference,
        unmarked_numbers,
        seconds,
        generated,
        pairing: None,
    })
}

/// Each English sentence labelled by its chrF, the worst tenth counted with the marks on them;
/// unsure marks are judged right when their sentence is in the worst tenth (into `marks`).
fn score_sentences(r: &mut Scored, unit_lines: &UnitLines) -> SentenceTally {
    let mut all = Vec::new();
    for (u, (hyp, (fr, en))) in r.hyps.iter().zip(unit_lines).enumerate() {
        for l in super::confidence::labelled(fr, en, hyp) {
            let start = hyp[..l.range.start].chars().count();
            let end = start + hyp[l.range.clone()].chars().count();
            all.push((u, start, end, l.chrf));
        }
    }
    let cut = super::confidence::worst_tenth(&all.iter().map(|a| a.3).collect::<Vec<_>>());
    let mut tally = SentenceTally {
        sentences: all.len(),
        worst_tenth_below_chrf: cut,
        ..SentenceTally::default()
    };
    let mut unsure = crate::measure::marks::KindTally::default();
    for &(u, start, end, chrf) in &all {
        let on = |f: &&Flag| f.english.is_some_and(|[s, e]| s < end && e > start);
        let marks: Vec<&Flag> = r.flags[u].iter().filter(on).collect();
        let is_unsure = marks.iter().any(|f| f.kind == FlagKind::Unsure);
        let bad = chrf < cut;
        if is_unsure {
            unsure.marked += 1;
            unsure.right += usize::from(bad);
        }
        if bad {
            tally.worst_tenth += 1;
            tally.worst_marked_unsure += usize::from(is_unsure);
            tally.worst_marked_any += usize::from(!marks.is_empty());
        }
    }
    if unsure.marked > 0 {
        r.marks.kinds.insert("unsure".to_string(), unsure);
    }
    tally
}

/// Each unit's marks judged against its reference.
fn score_marks(src: &[String], hyps: &[String], refs: &[String], flags: &[Vec<Flag>]) -> MarkScore {
    let mut marks = MarkScore::default();
    for (i, (((fr, en), reference), f)) in src.iter().zip(hyps).zip(refs).zip(flags).enumerate() {
        marks.add(i + 1, f, fr, en, reference);
    }
    marks
}

/// A kind's precision as the table shows it: "83.3 (5/6)", or "-" when nothing was marked.
fn precision(marks: &MarkScore, kind: &str) -> String {
    let tally = marks.kinds.get(kind).copied().unwrap_or_default();
    match tally.precision() {
        Some(p) => format!("{p:.0} ({}/{})", tally.right, tally.marked),
        None => "-".to_string(),
    }
}

/// `--marks-from`: checks translations written earlier (an `eval` output, one unit a line)
/// with today's checks, and judges each mark against the reference, without running the
/// model. Each unit is checked as written after the one before it in its document, the French
/// the default context shows the model.
fn marks_only(hyps: &Path, docs: &[DocumentUnits], out: &Path) -> anyhow::Result<ExitCode> {
    let hyps = read_lines(hyps)?;
    let src: Vec<String> = docs.iter().flat_map(|d| d.1.iter().cloned()).collect();
    let refs: Vec<String> = docs.iter().flat_map(|d| d.2.iter().cloned()).collect();
    anyhow::ensure!(
        hyps.len() == src.len(),
        "the translations have {} lines where the documents chosen have {} units; pass the --docs and --unit they were made with",
        hyps.len(),
        src.len()
    );
    let shown = docs.iter().flat_map(|d| {
        std::iter::once("").chain(
            d.1.iter()
                .map(String::as_str)
                .take(d.1.len().saturating_sub(1)),
        )
    });
    let flags: Vec<Vec<Flag>> = shown
        .zip(&src)
        .zip(&hyps)
        .map(|((shown, fr), en)| {
            crate::article::repair::wire(&checks::check_translation_after(shown, fr, en))
        })
        .collect();
    let marks = score_marks(&src, &hyps, &refs, &flags);
    let (c, b) = (
        checks::metrics::chrf(&hyps, &refs),
        checks::metrics::bleu(&hyps, &refs),
    );
    println!(
        "{} units checked again (chrF {c:.2}, BLEU {b:.2}): marks by kind, and how many the reference bears out",
        src.len()
    );
    for kind in marks.kinds.keys() {
        println!("{kind:<14}{:>15}", precision(&marks, kind));
    }
    for j in &marks.judged {
        let verdict = if j.right { "right" } else { "false alarm" };
        println!("  {verdict}, {}: {:?} (unit {})", j.kind, j.text, j.unit);
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    write_json(
        &out.join("marks.json"),
        &json!({ "chrf": c, "bleu": b, "marks": marks }),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The sentence pairs of each paragraph's output, scored against the test set's lines.
fn pairing_score(hyps: &[String], unit_lines: &[(Vec<String>, Vec<String>)]) -> PairingScore {
    let mut total = PairingScore::default();
    for (hyp, (fr, en)) in hyps.iter().zip(unit_lines) {
        total.add(pairing::score(fr, en, hyp));
    }
    total
}

/// `--pairing-from`: scores the sentence pairs of translations written earlier (an
/// `eval --unit paragraph` output, one paragraph a line) without running the model.
fn pairing_only(
    hyps: &Path,
    unit_lines: &[(Vec<String>, Vec<String>)],
    out: &Path,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        !unit_lines.is_empty(),
        "--pairing-from needs --unit paragraph: pairs are scored within paragraphs"
    );
    let hyps = read_lines(hyps)?;
    anyhow::ensure!(
        hyps.len() == unit_lines.len(),
        "the translations have {} lines where the {} documents chosen have {} paragraphs; pass the --docs the translations were made with",
        hyps.len(),
        unit_lines.len(),
        unit_lines.len()
    );
    let score = pairing_score(&hyps, unit_lines);
    println!(
        "{} paragraphs, {} English sentences: {:.1}% paired with the right French sentence",
        unit_lines.len(),
        score.sentences,
        score.accuracy()
    );
    println!(
        "in the {} paragraphs of two lines or more: {} sentences, {:.1}% right",
        unit_lines.iter().filter(|u| u.0.len() > 1).count(),
        score.sentences_in_longer,
        score.accuracy_in_longer()
    );
    println!(
        "in the paragraphs whose English has more or fewer sentences than the French: {} sentences, {:.1}% right",
        score.sentences_counts_differ,
        score.accuracy_counts_differ()
    );
    println!(
        "paired with exactly one French sentence: {:.1}%",
        100.0 * score.one_french as f64 / score.sentences.max(1) as f64
    );
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    write_json(&out.join("pairing.json"), &json!(score))?;
    Ok(ExitCode::SUCCESS)
}

/// Each unit as one paragraph of the pipeline, so that output and reference stay aligned; the
/// cleaning step is left out for the same reason (it may drop one).
fn translate_units(
    model: &Backend,
    units: &[String],
    steps: Steps,
    method: Method,
) -> anyhow::Result<(Vec<String>, Vec<Vec<Flag>>, usize)> {
    let paragraphs = paragraphs(units);
    let mut out = vec![String::new(); units.len()];
    let mut flags = vec![Vec::new(); units.len()];
    let outcome = pipeline::run(
        model,
        &paragraphs,
        steps,
        method,
        &CancelToken::new(),
        &mut |event| {
            if let JobEvent::TranslationDone {
                paragraph,
                text,
                flags: found,
                ..
            } = event
            {
                if let (Some(slot), Some(f)) = (out.get_mut(paragraph), flags.get_mut(paragraph)) {
                    // One line per unit, as the reference has it.
                    *slot = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    *f = found;
                }
            }
        },
    )?;
    match outcome {
        Outcome::Finished(f) => Ok((out, flags, f.generated_tokens)),
        Outcome::Cancelled => anyhow::bail!("the evaluation was cancelled"),
    }
}
