//! How a summary draws on its article: which of the article's paragraphs its sentences tell
//! of, and how much of it is the article's own wording.
//!
//! A summary sentence tells of the paragraph it shares the most with, by its distinct words of
//! four letters or more, each weighted by how few paragraphs have it (a word every paragraph
//! has tells nothing of where a sentence comes from). Copying is counted in runs of words
//! that the summary and the article share word for word, and repetition in runs of words the
//! summary says twice.

use app::pairing::english_sentences;
use checks::words::{content_words, words};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Words in a row, shared with the article, that count as copied wording.
pub const COPY_RUN: usize = 8;

/// Words in a row that, said twice in a summary, count as a phrase told again.
pub const REPEAT_RUN: usize = 5;

/// An article sentence shorter than this is not counted when found whole in the summary: a
/// short quote or a dateline is not a copied sentence.
const WHOLE_SENTENCE_WORDS: usize = 6;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// The article's paragraphs (non-empty ones).
    pub paragraphs: usize,
    /// Paragraphs that a summary sentence tells of, by index.
    pub drawn_on: BTreeSet<usize>,
    /// The paragraph each summary sentence tells of, in order (`None`: it shares no word).
    pub sources: Vec<Option<usize>>,
    /// Article sentences (of [`WHOLE_SENTENCE_WORDS`] words or more) found whole in the summary.
    pub whole_sentences: Vec<String>,
    /// Of the summary's words, the share inside a run of [`COPY_RUN`] or more words the
    /// article has too.
    pub copied_share: f64,
    /// Phrases of [`REPEAT_RUN`] words or more the summary says a second time (lower case, as
    /// said the second time): a summary whose parts are written side by side may tell twice
    /// what two parts were both shown.
    pub repeated: Vec<String>,
}

impl Coverage {
    /// The share of the article's paragraphs the summary draws on.
    pub fn share_drawn_on(&self) -> f64 {
        if self.paragraphs == 0 {
            0.0
        } else {
            self.drawn_on.len() as f64 / self.paragraphs as f64
        }
    }
}

/// The summary against its article's paragraphs (the English the reader sees).
pub fn coverage(summary: &str, paragraphs: &[&str]) -> Coverage {
    let paragraphs: Vec<&str> = paragraphs
        .iter()
        .copied()
        .filter(|p| !p.trim().is_empty())
        .collect();
    let vocabularies: Vec<HashSet<String>> = paragraphs.iter().map(|p| content_words(p)).collect();
    let n = paragraphs.len() as f64;
    let weight = |word: &str| {
        let having = vocabularies.iter().filter(|v| v.contains(word)).count() as f64;
        (n / having.max(1.0)).ln()
    };
    let sources: Vec<Option<usize>> = english_sentences(summary)
        .into_iter()
        .map(|range| {
            let words = content_words(&summary[range]);
            vocabularies
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    (
                        i,
                        words
                            .iter()
                            .filter(|w| v.contains(*w))
                            .map(|w| weight(w))
                            .sum::<f64>(),
                    )
                })
                .filter(|(_, score)| *score > 0.0)
                // The first of equals: news puts what matters first.
                .fold(None, |best: Option<(usize, f64)>, (i, score)| match best {
                    Some((_, top)) if top >= score => best,
                    _ => Some((i, score)),
                })
                .map(|(i, _)| i)
        })
        .collect();
    let summary_words = words(summary);
    let article_words: Vec<Vec<String>> = paragraphs.iter().map(|p| words(p)).collect();
    let whole_sentences = paragraphs
        .iter()
        .flat_map(|p| english_sentences(p).into_iter().map(move |r| &p[r]))
        .filter(|s| {
            let w = words(s);
            w.len() >= WHOLE_SENTENCE_WORDS && contains_run(&summary_words, &w)
        })
        .map(str::to_string)
        .collect();
    Coverage {
        paragraphs: paragraphs.len(),
        drawn_on: sources.iter().flatten().copied().collect(),
        sources,
        whole_sentences,
        copied_share: copied_share(&summary_words, &article_words),
        repeated: repeated(&summary_words),
    }
}

/// The stretches of `summary`'s words inside a run of [`REPEAT_RUN`] words that it has earlier
/// too, not overlapping that earlier saying.
fn repeated(summary: &[String]) -> Vec<String> {
    let mut first: HashMap<&[String], usize> = HashMap::new();
    let mut again = vec![false; summary.len()];
    for (start, run) in summary.windows(REPEAT_RUN).enumerate() {
        match first.get(run) {
            Some(&at) if start >= at + REPEAT_RUN => again[start..start + REPEAT_RUN].fill(true),
            Some(_) => {}
            None => {
                first.insert(run, start);
            }
        }
    }
    let mut phrases = Vec::new();
    let mut at = 0;
    while at < summary.len() {
        if again[at] {
            let end = (at..summary.len())
                .find(|&k| !again[k])
                .unwrap_or(summary.len());
            phrases.push(summary[at..end].join(" "));
            at = end;
        } else {
            at += 1;
        }
    }
    phrases
}

fn contains_run(haystack: &[String], run: &[String]) -> bool {
    !run.is_empty() && haystack.windows(run.len()).any(|w| w == run)
}

/// The share of `summary`'s words covered by a run of [`COPY_RUN`] words that one of the
/// article's paragraphs has too.
fn copied_share(summary: &[String], paragraphs: &[Vec<String>]) -> f64 {
    if summary.is_empty() {
        return 0.0;
    }
    let runs: HashSet<&[String]> = paragraphs
        .iter()
        .flat_map(|p| p.windows(COPY_RUN))
        .collect();
    let mut copied = vec![false; summary.len()];
    for (start, run) in summary.windows(COPY_RUN).enumerate() {
        if runs.contains(run) {
            copied[start..start + COPY_RUN]
                .iter_mut()
                .for_each(|c| *c = true);
        }
    }
    copied.iter().filter(|&&c| c).count() as f64 / summary.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phrase_the_summary_says_twice_is_found_as_said_again() {
        let told_twice = coverage(
            "Police made the arrest of 14 suspected drug traffickers in Estrie on Wednesday. The \
             raids seized 750 cannabis plants and led to the arrest of 14 suspected drug \
             traffickers.",
            &ARTICLE,
        );
        assert_eq!(
            told_twice.repeated,
            vec!["the arrest of 14 suspected drug traffickers".to_string()]
        );
        // Four words said again are not a phrase told again.
        let short = coverage(
            "The summit opens in Minsk. Then the summit opens again.",
            &ARTICLE,
        );
        assert!(short.repeated.is_empty());
        let once = coverage(ARTICLE[0], &ARTICLE);
        assert!(once.repeated.is_empty());
    }

    const ARTICLE: [&str; 4] = [
        "Armenia's prime minister will not attend the CSTO summit in Minsk, the Kremlin said on Thursday.",
        "Relations between Moscow and Yerevan have soured since Azerbaijan retook Nagorno-Karabakh in September.",
        "France has agreed to sell air defence radars to Armenia, a deal that angered Baku.",
        "The summit opens on Thursday in Minsk with the leaders of the other member states.",
    ];

    #[test]
    fn each_summary_sentence_tells_of_the_paragraph_it_shares_most_with() {
        let summary = "Armenia's leader is skipping a CSTO summit. Ties with Moscow soured after \
Azerbaijan retook Nagorno-Karabakh. France is selling radars to Armenia.";
        let c = coverage(summary, &ARTICLE);
        assert_eq!(c.sources, vec![Some(0), Some(1), Some(2)]);
        assert_eq!(c.paragraphs, 4);
        assert!((c.share_drawn_on() - 0.75).abs() < 1e-9);
        assert!(c.whole_sentences.is_empty());
        assert!(c.copied_share < 0.01, "{}", c.copied_share);
    }

    #[test]
    fn a_sentence_copied_whole_is_found_and_its_words_counted() {
        let summary = format!("{} Talks are expected.", ARTICLE[1]);
        let c = coverage(&summary, &ARTICLE);
        assert_eq!(c.whole_sentences, vec![ARTICLE[1].to_string()]);
        // 14 of the 17 words are the copied sentence.
        assert!(
            (c.copied_share - 14.0 / 17.0).abs() < 1e-9,
            "{}",
            c.copied_share
        );
        assert_eq!(c.drawn_on, BTreeSet::from([1]));
    }

    #[test]
    fn an_empty_summary_draws_on_nothing() {
        let c = coverage("", &ARTICLE);
        assert!(c.sources.is_empty() && c.drawn_on.is_empty());
        assert_eq!(c.copied_share, 0.0);
    }
}
