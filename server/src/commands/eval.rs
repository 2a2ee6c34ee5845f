//! `passerelle eval`: translates documents of a French news test set with professional English
//! references, through the pipeline the server runs, and scores the output with chrF and BLEU
//! (as sacreBLEU computes them) plus per-line checks.
//!
//! Each source line is given to the pipeline as one paragraph, so that output and reference stay
//! line-aligned; the cleaning step is left out for the same reason (it may drop a line).

use super::bench::write_json;
use crate::cli::{EvalArgs, GlobalArgs};
use crate::measure::checks::{faults, Fault};
use crate::measure::metrics::{bleu, chrf};
use crate::memory;
use crate::pipeline::{self, Outcome, Steps, SummaryFrom};
use crate::segment;
use anyhow::Context;
use app::api::{JobEvent, Paragraph};
use models::{CancelToken, Model};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// A document of the test set: its id and its lines (1-based, inclusive range in the files).
pub(super) struct Document {
    pub(super) id: String,
    pub(super) first_line: usize,
    pub(super) lines: usize,
}

pub fn run(global: &GlobalArgs, args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let data = args.data.clone().unwrap_or_else(default_data_dir);
    if !data.join("docs.tsv").is_file() {
        anyhow::bail!(
            "the evaluation data is not at {} (it needs docs.tsv, src.fr and ref.en); it comes with the shared folder beside the repository, or pass --data DIR",
            data.display()
        );
    }
    let docs = read_docs(&data.join("docs.tsv"))?;
    let sources = read_lines(&data.join("src.fr"))?;
    let references = read_lines(&data.join("ref.en"))?;
    anyhow::ensure!(
        sources.len() == references.len(),
        "src.fr and ref.en differ in length"
    );
    let chosen: Vec<&Document> = docs.iter().take(args.docs).collect();
    if args.summaries {
        return super::eval_summaries::run(global, args, &data, &chosen, &sources, &references);
    }
    let path = global.existing_model_path()?;
    let model = Model::load(&path)?;
    eprintln!(
        "Evaluating {} documents from {} with {}",
        chosen.len(),
        data.display(),
        model.info().name
    );

    let started = Instant::now();
    let (mut src, mut refs, mut hyps, mut generated) = (Vec::new(), Vec::new(), Vec::new(), 0usize);
    for (k, doc) in chosen.iter().enumerate() {
        let range = doc.first_line - 1..doc.first_line - 1 + doc.lines;
        let lines = sources
            .get(range.clone())
            .context("docs.tsv points past the end of src.fr")?;
        let out = translate_lines(&model, lines)?;
        generated += out.1;
        src.extend(lines.iter().cloned());
        refs.extend(references[range].iter().cloned());
        hyps.extend(out.0);
        eprintln!(
            "  {}/{} {} ({} lines), chrF so far {:.1}",
            k + 1,
            chosen.len(),
            doc.id,
            doc.lines,
            chrf(&hyps, &refs)
        );
    }
    let seconds = started.elapsed().as_secs_f64();

    let per_line: Vec<Vec<Fault>> = src.iter().zip(&hyps).map(|(s, h)| faults(s, h)).collect();
    let count = |f: Fault| per_line.iter().filter(|fs| fs.contains(&f)).count();
    let flagged: Vec<serde_json::Value> = per_line
        .iter()
        .enumerate()
        .filter(|(_, fs)| !fs.is_empty())
        .map(|(i, fs)| json!({ "line": i + 1, "faults": fs, "source": src[i], "output": hyps[i], "reference": refs[i] }))
        .collect();
    let report = json!({
        "data": data.display().to_string(),
        "model": { "file": path.file_name().map(|f| f.to_string_lossy().into_owned()), "name": model.info().name },
        "documents": chosen.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
        "lines": hyps.len(),
        "chrf": chrf(&hyps, &refs),
        "bleu": bleu(&hyps, &refs),
        "not_only_translation": count(Fault::NotOnlyTranslation),
        "question_back": count(Fault::QuestionBack),
        "untranslated": count(Fault::Untranslated),
        "numbers_differ": count(Fault::NumbersDiffer),
        "seconds": seconds,
        "generated_tokens": generated,
        "peak_rss_bytes": memory::peak_rss_bytes(),
        "flagged": flagged,
    });
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    std::fs::write(args.out.join("hyp.en"), hyps.join("\n") + "\n")
        .context("cannot write hyp.en")?;
    write_json(&args.out.join("eval.json"), &report)?;

    println!("documents        {} ({} lines)", chosen.len(), hyps.len());
    println!(
        "chrF             {:.2}",
        report["chrf"].as_f64().unwrap_or(0.0)
    );
    println!(
        "BLEU             {:.2}",
        report["bleu"].as_f64().unwrap_or(0.0)
    );
    println!(
        "not only a translation (preface, label, note)  {}",
        count(Fault::NotOnlyTranslation)
    );
    println!(
        "question back to the reader                    {}",
        count(Fault::QuestionBack)
    );
    println!(
        "untranslated (empty, French, copied)           {}",
        count(Fault::Untranslated)
    );
    println!(
        "numbers differ from the source                 {}",
        count(Fault::NumbersDiffer)
    );
    println!("time             {seconds:.0} s, {generated} tokens generated");
    eprintln!(
        "Output in {} (hyp.en, eval.json with every flagged line)",
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `../shared/eval/fr-en/newstest2011_origfr` from the repository root (where commands run).
fn default_data_dir() -> PathBuf {
    PathBuf::from("../shared/eval/fr-en/newstest2011_origfr")
}

fn translate_lines(model: &Model, lines: &[String]) -> anyhow::Result<(Vec<String>, usize)> {
    let paragraphs: Vec<Paragraph> = lines
        .iter()
        .enumerate()
        .map(|(id, text)| Paragraph {
            id,
            text: text.clone(),
            sentences: segment::sentences(text),
        })
        .collect();
    let mut out = vec![String::new(); lines.len()];
    let outcome = pipeline::run(
        model,
        &paragraphs,
        Steps {
            translate: true,
            summarize: false,
            repair: true,
        },
        SummaryFrom::English,
        &CancelToken::new(),
        &mut |event| {
            if let JobEvent::TranslationDone {
                paragraph, text, ..
            } = event
            {
                if let Some(slot) = out.get_mut(paragraph) {
                    // One line per segment, as the reference has it.
                    *slot = text.split_whitespace().collect::<Vec<_>>().join(" ");
                }
            }
        },
    )?;
    match outcome {
        Outcome::Finished(f) => Ok((out, f.generated_tokens)),
        Outcome::Cancelled => anyhow::bail!("the evaluation was cancelled"),
    }
}

pub(super) fn read_lines(path: &Path) -> anyhow::Result<Vec<String>> {
    Ok(std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .lines()
        .map(str::to_string)
        .collect())
}

fn read_docs(path: &Path) -> anyhow::Result<Vec<Document>> {
    let mut docs = Vec::new();
    for (i, line) in read_lines(path)?.iter().enumerate().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let parse = |k: usize| -> anyhow::Result<usize> {
            fields.get(k).and_then(|v| v.parse().ok()).with_context(|| {
                format!(
                    "{} line {}: expected a number in column {}",
                    path.display(),
                    i + 1,
                    k + 1
                )
            })
        };
        docs.push(Document {
            id: fields.first().unwrap_or(&"").to_string(),
            first_line: parse(1)?,
            lines: parse(2)?,
        });
    }
    Ok(docs)
}
