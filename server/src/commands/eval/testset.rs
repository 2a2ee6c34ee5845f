//! The test set `passerelle eval` reads (`docs.tsv`, `src.fr`, `ref.en`, and `segments.tsv` for
//! the articles' own paragraphs): WMT newstest2011's French originals with professional English
//! references, from the shared folder beside the repository.

use crate::intake::segment;
use anyhow::Context;
use app::api::Paragraph;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A document of the test set: its id and its lines (1-based, inclusive range in the files).
pub(super) struct Document {
    pub(super) id: String,
    pub(super) first_line: usize,
    pub(super) lines: usize,
}

impl Document {
    /// Its lines as indices into `src.fr` and `ref.en`.
    pub(super) fn range(&self) -> Range<usize> {
        self.first_line - 1..self.first_line - 1 + self.lines
    }
}

/// The whole test set, read and checked.
pub(super) struct TestSet {
    pub(super) data: PathBuf,
    pub(super) docs: Vec<Document>,
    sources: Vec<String>,
    references: Vec<String>,
}

impl TestSet {
    /// Reads the test set in `data`, or says where it should be.
    pub(super) fn read(data: PathBuf) -> anyhow::Result<Self> {
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
        Ok(Self {
            data,
            docs,
            sources,
            references,
        })
    }

    /// A document's French lines and their references.
    pub(super) fn lines(&self, doc: &Document) -> anyhow::Result<(&[String], &[String])> {
        let range = doc.range();
        let french = self
            .sources
            .get(range.clone())
            .context("docs.tsv points past the end of src.fr")?;
        Ok((french, &self.references[range]))
    }

    /// `segments.tsv`: line number (1-based) → paragraph number in its article.
    pub(super) fn blocks(&self) -> anyhow::Result<BTreeMap<usize, usize>> {
        let mut blocks = BTreeMap::new();
        for line in read_lines(&self.data.join("segments.tsv"))?.iter().skip(1) {
            let fields: Vec<&str> = line.split('\t').collect();
            if let (Some(Ok(n)), Some(Ok(b))) = (
                fields.first().map(|v| v.parse()),
                fields.get(3).map(|v| v.parse()),
            ) {
                blocks.insert(n, b);
            }
        }
        Ok(blocks)
    }
}

/// `../shared/eval/fr-en/newstest2011_origfr` from the repository root (where commands run).
pub(super) fn default_data_dir() -> PathBuf {
    PathBuf::from("../shared/eval/fr-en/newstest2011_origfr")
}

/// Texts as the pipeline's paragraphs, their sentences split as the server splits them.
pub(super) fn paragraphs(texts: &[String]) -> Vec<Paragraph> {
    texts
        .iter()
        .enumerate()
        .map(|(id, text)| Paragraph {
            id,
            text: text.clone(),
            sentences: segment::sentences(text),
            terms: Vec::new(),
        })
        .collect()
}

/// Lines of one document joined by the article's own paragraphs (`segments.tsv` blocks).
pub(super) fn group_by_block(
    range: Range<usize>,
    lines: &[String],
    blocks: &BTreeMap<usize, usize>,
) -> Vec<String> {
    lines_by_block(range, lines, blocks)
        .into_iter()
        .map(|p| p.join(" "))
        .collect()
}

/// Lines of one document gathered by the article's own paragraphs.
pub(super) fn lines_by_block(
    range: Range<usize>,
    lines: &[String],
    blocks: &BTreeMap<usize, usize>,
) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut last = None;
    for (i, line) in range.zip(lines) {
        let block = blocks.get(&(i + 1)).copied();
        match out.last_mut() {
            Some(paragraph) if block.is_some() && block == last => paragraph.push(line.clone()),
            _ => out.push(vec![line.clone()]),
        }
        last = block;
    }
    out
}

/// One paragraph of a chosen document: its French lines and their reference lines.
pub(super) struct Unit {
    /// Index among the chosen documents.
    pub(super) document: usize,
    pub(super) french: Vec<String>,
    pub(super) reference: Vec<String>,
}

/// Every paragraph of the chosen documents, in order: the units of `eval --unit paragraph`.
pub(super) fn paragraph_units(set: &TestSet, chosen: &[&Document]) -> anyhow::Result<Vec<Unit>> {
    let blocks = set.blocks()?;
    let mut units = Vec::new();
    for (document, doc) in chosen.iter().enumerate() {
        let (french, references) = set.lines(doc)?;
        for (french, reference) in lines_by_block(doc.range(), french, &blocks)
            .into_iter()
            .zip(lines_by_block(doc.range(), references, &blocks))
        {
            units.push(Unit {
                document,
                french,
                reference,
            });
        }
    }
    Ok(units)
}

/// The stored English of each unit (a hyp-*.en of `eval --unit paragraph`), one line each.
pub(super) fn stored_english(
    hyps: &Path,
    units: &[Unit],
    documents: usize,
) -> anyhow::Result<Vec<String>> {
    let english = read_lines(hyps)?;
    anyhow::ensure!(
        english.len() == units.len(),
        "{} has {} lines where the {documents} documents chosen have {} paragraphs; pass the --docs it was made with, with --unit paragraph",
        hyps.display(),
        english.len(),
        units.len()
    );
    Ok(english)
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
