//! How well the page's sentence pairs ([`app::pairing`]) match the test set's own: each French
//! line of the test set is a sentence with its professional English line. A paragraph is
//! translated as a whole; each English sentence of the output is then given the reference line
//! it belongs to (the one most like it, by character trigrams), and the pairing is right when
//! the French sentences it chose for that English sentence include that line's French.

use crate::intake::segment;
use std::collections::HashSet;

/// Counts over English sentences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PairingScore {
    pub sentences: usize,
    pub correct: usize,
    /// The same, in paragraphs of two lines or more, where a pairing can go wrong.
    pub sentences_in_longer: usize,
    pub correct_in_longer: usize,
    /// The same, in paragraphs whose English has more or fewer sentences than the French:
    /// where pairing by position fails and the aligner must find the one-to-two or two-to-one.
    pub sentences_counts_differ: usize,
    pub correct_counts_differ: usize,
    /// English sentences paired with exactly one French sentence.
    pub one_french: usize,
}

impl PairingScore {
    pub fn add(&mut self, other: Self) {
        self.sentences += other.sentences;
        self.correct += other.correct;
        self.sentences_in_longer += other.sentences_in_longer;
        self.correct_in_longer += other.correct_in_longer;
        self.sentences_counts_differ += other.sentences_counts_differ;
        self.correct_counts_differ += other.correct_counts_differ;
        self.one_french += other.one_french;
    }

    pub fn accuracy(&self) -> f64 {
        percent(self.correct, self.sentences)
    }

    pub fn accuracy_in_longer(&self) -> f64 {
        percent(self.correct_in_longer, self.sentences_in_longer)
    }

    pub fn accuracy_counts_differ(&self) -> f64 {
        percent(self.correct_counts_differ, self.sentences_counts_differ)
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// Scores the pairing of `english` (one paragraph's output) with the paragraph made of the
/// French `lines`, whose reference lines are `references`.
pub fn score(lines: &[String], references: &[String], english: &str) -> PairingScore {
    let paragraph = lines.join(" ");
    let french = segment::sentences(&paragraph);
    let lines_of = lines_of_sentences(lines, &french);
    let alignment = app::pairing::align(&french, english);
    let mut score = PairingScore::default();
    for (range, chosen) in alignment.english.iter().zip(&alignment.french_of) {
        let gold = belongs_to(&english[range.clone()], references);
        let right = chosen
            .iter()
            .any(|&k| lines_of.get(k).is_some_and(|l| l.contains(&gold)));
        if !right && std::env::var("DUMP").is_ok() {
            eprintln!("WRONG en={:?}\n  chosen={chosen:?} gold_line={gold} lines_of={lines_of:?}\n  FR={french:#?}\n  REF={references:#?}\n  EN={english}\n", &english[range.clone()]);
        }
        score.sentences += 1;
        score.correct += usize::from(right);
        if lines.len() > 1 {
            score.sentences_in_longer += 1;
            score.correct_in_longer += usize::from(right);
        }
        if alignment.english.len() != french.len() {
            score.sentences_counts_differ += 1;
            score.correct_counts_differ += usize::from(right);
        }
        score.one_french += usize::from(chosen.len() == 1);
    }
    score
}

/// For each French sentence, the test set's lines it overlaps, found by counting words: the
/// sentences hold the paragraph's words in order, as the lines do.
pub fn lines_of_sentences(lines: &[String], sentences: &[String]) -> Vec<Vec<usize>> {
    let mut line_of_word = Vec::new();
    for (k, line) in lines.iter().enumerate() {
        line_of_word.extend(std::iter::repeat_n(k, line.split_whitespace().count()));
    }
    let mut at = 0;
    sentences
        .iter()
        .map(|s| {
            let words = s.split_whitespace().count();
            let mut covered: Vec<usize> = line_of_word
                .get(at..(at + words).min(line_of_word.len()))
                .unwrap_or_default()
                .to_vec();
            covered.dedup();
            at += words;
            covered
        })
        .collect()
}

/// The reference line most like the sentence: the highest Dice coefficient of their character
/// trigrams, so that a long line does not win by size alone.
fn belongs_to(sentence: &str, references: &[String]) -> usize {
    let mine = trigrams(sentence);
    let likeness = |r: &String| {
        let theirs = trigrams(r);
        let shared = mine.iter().filter(|t| theirs.contains(*t)).count();
        2.0 * shared as f64 / (mine.len() + theirs.len()).max(1) as f64
    };
    (0..references.len())
        .max_by(|&a, &b| likeness(&references[a]).total_cmp(&likeness(&references[b])))
        .unwrap_or(0)
}

fn trigrams(text: &str) -> HashSet<[char; 3]> {
    let chars: Vec<char> = text
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    chars.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_right_pairing_scores_every_sentence_and_a_swapped_output_does_not() {
        let lines = strings(&[
            "Le maire de Lyon a inauguré lundi le nouveau pont sur le Rhône.",
            "Les travaux ont coûté 45 millions d'euros et duré trois ans.",
        ]);
        let references = strings(&[
            "On Monday, the mayor of Lyon opened the new bridge over the Rhone.",
            "The work cost 45 million euros and took three years.",
        ]);
        let good = score(
            &lines,
            &references,
            "The mayor of Lyon inaugurated the new bridge over the Rhône on Monday. The works cost 45 million euros and lasted three years.",
        );
        assert_eq!((good.sentences, good.correct), (2, 2));
        assert_eq!(good.sentences_in_longer, 2);
        // The same sentences, in the wrong order: each is paired with the wrong French.
        let swapped = score(
            &lines,
            &references,
            "The works cost 45 million euros and lasted three years. The mayor of Lyon inaugurated the new bridge over the Rhône on Monday.",
        );
        assert_eq!(swapped.sentences, 2);
        assert!(swapped.correct < 2, "{swapped:?}");
    }

    #[test]
    fn sentences_find_their_lines_by_words() {
        let lines = strings(&["Une phrase. Et une autre", "qui continue ici.", "Fin."]);
        let sentences = segment::sentences(&lines.join(" "));
        assert_eq!(
            lines_of_sentences(&lines, &sentences),
            [vec![0], vec![0, 1], vec![2]]
        );
    }
}
