//! The confidence step, after the checks' repair: each English sentence is scored by the
//! model's own confidence ([`models::tasks::confidence`]). A sentence it is unsure of is written
//! again alone, a few ways at once, and the most confident one is kept when it beats the first
//! and the checks find no more in the paragraph than before; what stays unsure is marked for
//! the reader (`"kind": "unsure"`), apart from the checks' marks.

use super::consensus;
use super::repair::Checked;
use checks::{glossary, Flag, FlagKind};
use models::tasks::{self, confidence, TaskOutput};
use models::{Backend, CancelToken, ModelError, TokenLogprob};
use std::cell::RefCell;
use std::ops::Range;

/// Unsure sentences written again per paragraph, the most unsure first: each costs a few short
/// translations.
const MAX_REWRITES: usize = 2;
/// Ways each is written again: the greedy one and sampled ones.
const REWRITES: usize = 3;

/// What the reader is told of an unsure sentence.
const MESSAGE: &str = "The model is unsure of this sentence: it may not say what the French says. \
Compare it with the French.";

/// One English sentence and how unsure the model is of it.
#[derive(Debug, Clone)]
pub struct Assessed {
    /// Bytes of the English.
    pub range: Range<usize>,
    /// The French sentences it translates, joined.
    pub french: String,
    pub signals: confidence::Signals,
}

impl Assessed {
    fn unsure(&self) -> bool {
        self.signals.is_unsure()
    }

    fn score(&self) -> f64 {
        self.signals.unsure_score().unwrap_or(f64::NEG_INFINITY)
    }
}

/// An English and what it translates: the French sentences, how it was asked for, and the
/// tokens as the engine wrote them (empty where unknown).
#[derive(Clone, Copy)]
pub struct Translated<'a> {
    pub sentences: &'a [String],
    pub english: &'a str,
    pub ask: &'a tasks::Ask<'a>,
    pub written: &'a [TokenLogprob],
}

/// Which sentences the prompt passes read (the round trip and the French alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Every sentence: scores compared across texts (candidates, rewrites), or fitted.
    Every,
    /// Only those not written surely ([`confidence::Signals::sure_as_written`]): enough to
    /// mark, since a sentence that sure is not marked.
    NotSureAsWritten,
}

/// Scores each sentence of `english`, the translation of the French `sentences` asked with
/// `ask`. `written`: the tokens as the engine wrote them, used where it cannot read a given
/// text's probabilities (remote servers); the built-in engine reads them again from the chat
/// they were written from, since repairs may have changed the English since: through
/// `written_in`, the conversation it was written in, where that chat is already read.
pub fn assess(
    model: &Backend,
    written_in: &Backend,
    translated: &Translated<'_>,
    reading: Reading,
    cancel: &CancelToken,
) -> Result<Vec<Assessed>, ModelError> {
    let Translated {
        sentences,
        english,
        ask,
        written,
    } = *translated;
    let alignment = app::pairing::align(sentences, english);
    let texts: Vec<&str> = alignment
        .english
        .iter()
        .map(|r| &english[r.clone()])
        .collect();
    let french = sentences.join(" ");
    let tokens = if needs_reread(written, english) {
        confidence::reread(written_in, &french, english, ask, cancel)?
    } else {
        None
    };
    let written = confidence::written(tokens.as_deref().unwrap_or(written), &texts);
    // The French each English sentence translates, joined.
    let frenches: Vec<String> = alignment
        .french_of
        .iter()
        .map(|of| {
            of.iter()
                .filter_map(|&k| sentences.get(k).map(String::as_str))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    // English sentences that translate the same French (a sentence the model split in two)
    // are read together: each half alone would leave half the French unexplained.
    let mut groups: Vec<(Vec<usize>, String)> = Vec::new();
    for (j, of) in alignment.french_of.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|(members, _)| alignment.french_of[members[0]] == *of)
        {
            Some((members, joined)) => {
                members.push(j);
                joined.push(' ');
                joined.push_str(texts[j].trim());
            }
            None => groups.push((vec![j], texts[j].trim().to_string())),
        }
    }
    let sure = |j: usize| written[j].is_some_and(|w| confidence::written_surely(w.mean));
    // One thread a group, so that the engine reads the round trips together.
    let by_group: Vec<Read> = std::thread::scope(|scope| {
        let threads: Vec<_> = groups
            .iter()
            .map(|(members, joined)| {
                let its_french = &frenches[members[0]];
                let skip = reading == Reading::NotSureAsWritten && members.iter().all(|&j| sure(j));
                scope.spawn(move || {
                    if skip {
                        Ok(Read::default())
                    } else {
                        read(model, joined, its_french, cancel)
                    }
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| super::joined(t, "confidence"))
            .collect::<Result<Vec<_>, _>>()
    })?;
    let mut read = vec![Read::default(); texts.len()];
    for ((members, _), got) in groups.iter().zip(by_group) {
        for &j in members {
            read[j] = got;
        }
    }
    Ok(alignment
        .english
        .into_iter()
        .zip(frenches)
        .zip(written.into_iter().zip(read))
        .map(|((range, french), (w, read))| {
            let signals = if confidence::scorable(&english[range.clone()]) {
                confidence::Signals {
                    written_mean: w.map(|w| w.mean),
                    written_min: w.map(|w| w.min),
                    back_mean: read.back.map(|b| b.mean),
                    french_alone: read.french_alone,
                    written_boosted: w.and_then(|w| w.boosted),
                    written_entropy: w.and_then(|w| w.entropy),
                    back_boosted: read.back.and_then(|b| b.boosted),
                }
            } else {
                confidence::Signals::default()
            };
            Assessed {
                range,
                french,
                signals,
            }
        })
        .collect())
}

/// Whether the English must be read again for its written signals: not when the written
/// tokens spell it (or spell it and go on: a summary cut after its last sentence), since then
/// one generation wrote it from the very chat a reread would read (no repair, retry or chunk
/// since) and would give the same probabilities.
fn needs_reread(written: &[TokenLogprob], english: &str) -> bool {
    let spelled: String = written.iter().map(|t| t.token.as_str()).collect();
    let reread = written.is_empty() || !spelled.trim_start().starts_with(english.trim());
    if reread && !written.is_empty() {
        tracing::debug!(
            spelled,
            english,
            "read again: the text is not what was written"
        );
    }
    reread
}

/// How unsure the model is of a whole English (a candidate): the mean of its sentences'
/// unsure scores, `None` when none could be scored.
fn paragraph_unsure(assessed: &[Assessed]) -> Option<f64> {
    let scores: Vec<f64> = assessed
        .iter()
        .filter_map(|a| a.signals.unsure_score())
        .collect();
    (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64)
}

/// How unsure the model is of each candidate English of a paragraph ([`paragraph_unsure`]),
/// each read from the chat `ask` makes, the candidates read at once.
pub fn candidates(
    model: &Backend,
    sentences: &[String],
    ask: &tasks::Ask<'_>,
    candidates: &[TaskOutput],
    cancel: &CancelToken,
) -> Result<Vec<Option<f64>>, ModelError> {
    std::thread::scope(|scope| {
        let threads: Vec<_> = candidates
            .iter()
            .map(|out| {
                scope.spawn(move || {
                    let written = out.logprobs();
                    let assessed = assess(
                        model,
                        model,
                        &Translated {
                            sentences,
                            english: &out.text,
                            ask,
                            written: &written,
                        },
                        Reading::Every,
                        cancel,
                    )?;
                    Ok(paragraph_unsure(&assessed))
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| super::joined(t, "confidence"))
            .collect()
    })
}

/// What one English sentence's prompt passes read: the round trip, and its French alone.
#[derive(Debug, Clone, Copy, Default)]
struct Read {
    back: Option<confidence::TokenStats>,
    french_alone: Option<f32>,
}

/// The round trip of `english` to the French it translates, and that French alone; nothing for
/// an English sentence that translates no French.
fn read(
    model: &Backend,
    english: &str,
    french: &str,
    cancel: &CancelToken,
) -> Result<Read, ModelError> {
    if french.trim().is_empty() || !confidence::scorable(english) {
        return Ok(Read::default());
    }
    Ok(Read {
        back: confidence::back(model, english, french, cancel)?,
        french_alone: confidence::french_alone(model, french, cancel)?,
    })
}

/// What the confidence step knows of a paragraph.
pub struct Paragraph<'a> {
    /// Where its English was written (its run's conversation, or the article's group).
    pub written_in: &'a Backend,
    /// The French sentences.
    pub sentences: &'a [String],
    /// The English's tokens as the engine wrote them (for engines that cannot score a text).
    pub written: &'a [TokenLogprob],
    /// How its English was asked for (instructions, terms, the previous paragraph).
    pub ask: &'a tasks::Ask<'a>,
    /// The paragraph's own check (its French and the reader's terms).
    pub check: &'a dyn Fn(&str) -> Vec<Flag>,
    /// Write unsure sentences again, or only mark them.
    pub rewrite: bool,
}

/// The confidence step's reading of one paragraph's Englishes, each read once: the repair asks
/// how many sentences of its candidates are unsure ([`Reader::unsure_sentences`]), and the
/// step then marks the English kept from what was read of it.
pub struct Reader<'a> {
    model: &'a Backend,
    paragraph: &'a Paragraph<'a>,
    cancel: &'a CancelToken,
    read: RefCell<Vec<(String, Vec<Assessed>)>>,
}

impl<'a> Reader<'a> {
    pub fn new(model: &'a Backend, paragraph: &'a Paragraph<'a>, cancel: &'a CancelToken) -> Self {
        Self {
            model,
            paragraph,
            cancel,
            read: RefCell::new(Vec::new()),
        }
    }

    /// The sentences of `english` the model is unsure of.
    pub fn unsure_sentences(&self, english: &str) -> Result<usize, ModelError> {
        Ok(self
            .assessed(english)?
            .iter()
            .filter(|a| a.unsure())
            .count())
    }

    /// Each sentence of `english` scored as the marks score it, read from the paragraph's chat
    /// (a repair's candidate is read there too, so that all are on one scale).
    fn assessed(&self, english: &str) -> Result<Vec<Assessed>, ModelError> {
        if let Some((_, found)) = self.read.borrow().iter().find(|(text, _)| text == english) {
            return Ok(found.clone());
        }
        let p = self.paragraph;
        let assessed = assess(
            self.model,
            p.written_in,
            &Translated {
                sentences: p.sentences,
                english,
                ask: p.ask,
                written: p.written,
            },
            Reading::NotSureAsWritten,
            self.cancel,
        )?;
        self.read
            .borrow_mut()
            .push((english.to_string(), assessed.clone()));
        Ok(assessed)
    }
}

/// The confidence step on a checked paragraph: unsure sentences written again (when asked),
/// and unsure flags for what stays unsure.
pub fn paragraph(reader: &Reader<'_>, mut best: Checked) -> Result<Checked, ModelError> {
    let (model, cancel) = (reader.model, reader.cancel);
    let Paragraph {
        ask,
        check,
        rewrite: rewrite_unsure,
        ..
    } = *reader.paragraph;
    let mut assessed = reader.assessed(&best.text)?;
    for a in &assessed {
        tracing::debug!(
            score = a.signals.unsure_score(),
            signals = ?a.signals,
            sentence = &best.text[a.range.clone()],
            "confidence"
        );
    }
    let mut order: Vec<usize> = (0..assessed.len())
        .filter(|_| rewrite_unsure)
        .filter(|&j| assessed[j].unsure() && !assessed[j].french.is_empty())
        .collect();
    order.sort_by(|&a, &b| assessed[b].score().total_cmp(&assessed[a].score()));
    // From the last sentence in the text to the first, so that splicing one leaves the
    // others' ranges valid.
    let mut chosen: Vec<usize> = order.into_iter().take(MAX_REWRITES).collect();
    chosen.sort_by_key(|&j| std::cmp::Reverse(assessed[j].range.start));
    for j in chosen {
        if cancel.is_cancelled() {
            break;
        }
        let (again, used) = rewrite(model, &assessed[j], ask.terms, cancel)?;
        best.used.extend(used);
        let Some(again) = again else { continue };
        let range = assessed[j].range.clone();
        let text = format!(
            "{}{}{}",
            &best.text[..range.start],
            again.0.trim(),
            &best.text[range.end..]
        );
        let flags = check(&text);
        if flags.len() <= best.flags.len() {
            tracing::debug!(sentence = j, "an unsure sentence was written again");
            let grown = again.0.trim().len() as isize - range.len() as isize;
            for later in assessed.iter_mut().filter(|a| a.range.start > range.start) {
                later.range = shift(&later.range, grown);
            }
            assessed[j].range = range.start..range.start + again.0.trim().len();
            assessed[j].signals = again.1;
            best.text = text;
            best.flags = flags;
        }
    }
    for a in assessed.iter().filter(|a| a.unsure()) {
        let start = best.text[..a.range.start].chars().count();
        let end = start + best.text[a.range.clone()].trim_end().chars().count();
        best.flags.push(Flag {
            kind: FlagKind::Unsure,
            source: a.french.clone(),
            english: Some((start, end)),
            message: MESSAGE.to_string(),
        });
    }
    Ok(best)
}

/// What the reader is told of a summary sentence the article does not support.
const UNSUPPORTED: &str = "The article may not say this: reading it made this sentence no \
likelier to the model. Check it against the article.";

/// The confidence step on a checked summary: each sentence that reading `article` (what the
/// summary was written from) made no likelier is marked (`"kind": "unsure"`). `written`: the
/// tokens of the first summary and of its rewrite as the engine wrote them (the summary's
/// probabilities from the article are not read again where its sentences are all among them).
pub fn summary(
    model: &Backend,
    article: &str,
    mut best: Checked,
    written: &[TokenLogprob],
    cancel: &CancelToken,
) -> Result<Checked, ModelError> {
    let ranges = app::pairing::english_sentences(&best.text);
    let texts: Vec<&str> = ranges.iter().map(|r| &best.text[r.clone()]).collect();
    let written = (!written.is_empty()).then_some(written);
    let gains = confidence::support(model, article, &best.text, &texts, written, cancel)?;
    let mut flags = Vec::new();
    for (range, gain) in ranges.iter().zip(gains) {
        let sentence = best.text[range.clone()].trim_end();
        tracing::debug!(gain, sentence, "summary support");
        if gain.is_some_and(|g| f64::from(g) < confidence::SUMMARY_SUPPORT) {
            let start = best.text[..range.start].chars().count();
            flags.push(Flag {
                kind: FlagKind::Unsure,
                source: sentence.to_string(),
                english: Some((start, start + sentence.chars().count())),
                message: UNSUPPORTED.to_string(),
            });
        }
    }
    best.flags.extend(flags);
    Ok(best)
}

fn shift(range: &Range<usize>, by: isize) -> Range<usize> {
    let move_by = |at: usize| at.saturating_add_signed(by);
    move_by(range.start)..move_by(range.end)
}

/// The sentence's French written again [`REWRITES`] ways at once, each scored alone; the most
/// confident, when more confident than the sentence was, with its signals.
type Rewrite = (Option<(String, confidence::Signals)>, Vec<TaskOutput>);

fn rewrite(
    model: &Backend,
    sentence: &Assessed,
    terms: &[glossary::Term],
    cancel: &CancelToken,
) -> Result<Rewrite, ModelError> {
    let french = sentence.french.as_str();
    let terms: Vec<glossary::Term> = glossary::applicable(terms, french)
        .into_iter()
        .cloned()
        .collect();
    let outputs = consensus::written(
        model,
        french,
        &tasks::Ask {
            terms: &terms,
            ..Default::default()
        },
        0..REWRITES,
        |k| 7919 * k as u64 + french.len() as u64,
        "rewrite",
        cancel,
    )?;
    let mut best: Option<(String, confidence::Signals, f64)> = None;
    for out in &outputs {
        let text = out.text.trim();
        if text.is_empty() || cancel.is_cancelled() {
            continue;
        }
        let written = out.logprobs();
        let one = [french.to_string()];
        // Read as the greedy one was asked: alone, with the terms.
        let asked = tasks::Ask {
            terms: &terms,
            ..Default::default()
        };
        let scored = assess(
            model,
            model,
            &Translated {
                sentences: &one,
                english: text,
                ask: &asked,
                written: &written,
            },
            Reading::Every,
            cancel,
        )?;
        // Alone, the French is one sentence; the English may be two: the least sure counts.
        let Some(worst) = scored.iter().max_by(|a, b| a.score().total_cmp(&b.score())) else {
            continue;
        };
        let score = worst.score();
        if score < sentence.score() && best.as_ref().is_none_or(|b| score < b.2) {
            best = Some((text.to_string(), worst.signals, score));
        }
    }
    Ok((best.map(|(t, s, _)| (t, s)), outputs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_written_in_one_generation_is_not_read_again() {
        let tokens = |parts: &[&str]| -> Vec<TokenLogprob> {
            parts
                .iter()
                .map(|t| TokenLogprob {
                    token: t.to_string(),
                    logprob: -0.5,
                    spread: None,
                })
                .collect()
        };
        let written = tokens(&["The", " mayor", " spoke", ".", "\n"]);
        assert!(!needs_reread(&written, "The mayor spoke."));
        // Cut after a sentence (a summary's last): what is kept was written so.
        let went_on = tokens(&["The", " mayor", " spoke", ".", " He", " left", "."]);
        assert!(!needs_reread(&went_on, "The mayor spoke."));
        // Repaired since, written by a remote server that gave no tokens, or spelled by two
        // generations (a retry, chunks): read again.
        assert!(needs_reread(&written, "The mayor spoke on Tuesday."));
        assert!(needs_reread(&[], "The mayor spoke."));
        let retried = tokens(&["Here", " it", " is", ":", "The", " mayor", " spoke", "."]);
        assert!(needs_reread(&retried, "The mayor spoke."));
    }

    #[test]
    fn ranges_after_a_rewrite_move_with_it() {
        assert_eq!(shift(&(10..20), 5), 15..25);
        assert_eq!(shift(&(10..20), -4), 6..16);
    }
}
