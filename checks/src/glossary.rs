//! The reader's own terms (French → English, such as "OTSC" → "CSTO"): which of them a
//! paragraph uses, and whether its English uses the reader's English for each. Terms are found
//! as whole words, without regard to case, with hyphens and spaces alike ("Haut-Karabakh" and
//! "Haut Karabakh" are one term).

use crate::{Flag, FlagKind};

/// One entry of the reader's glossary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub french: String,
    pub english: String,
}

/// The terms whose French the paragraph holds, in the glossary's order.
pub fn applicable<'a>(terms: &'a [Term], french: &str) -> Vec<&'a Term> {
    let text = comparable(french);
    terms
        .iter()
        .filter(|t| find_word(&text, &comparable(&t.french)).is_some())
        .collect()
}

/// A flag for each of `terms` (those the French holds) whose English the translation lacks;
/// it marks the French term where the English kept it as it was.
pub fn check(terms: &[Term], english: &str) -> Vec<Flag> {
    let text = comparable(english);
    terms
        .iter()
        .filter(|t| find_word(&text, &comparable(&t.english)).is_none())
        .map(|t| Flag {
            kind: FlagKind::Glossary,
            source: t.french.clone(),
            english: find_word(&text, &comparable(&t.french))
                .map(|start| (start, start + t.french.chars().count())),
            message: format!(
                "Your glossary says “{}” is “{}” in English; this translation does not use it.",
                t.french, t.english
            ),
        })
        .collect()
}

/// Lower case, with hyphens and other dashes as spaces, one character for one, so that
/// character offsets in it are offsets in the original.
fn comparable(text: &str) -> Vec<char> {
    text.chars()
        .map(|c| {
            if matches!(c, '-' | '‐' | '‑' | '–' | '\u{a0}' | '\u{202f}') {
                ' '
            } else {
                // Lowercasing can change the length (İ → i̇): keep one character per character.
                c.to_lowercase().next().unwrap_or(c)
            }
        })
        .collect()
}

/// The character offset of `word` in `text` as a whole word (no letter or digit just before
/// or after), if it is there.
fn find_word(text: &[char], word: &[char]) -> Option<usize> {
    let word: Vec<char> = {
        let start = word.iter().position(|c| !c.is_whitespace())?;
        let end = word.iter().rposition(|c| !c.is_whitespace())? + 1;
        word[start..end].to_vec()
    };
    if word.len() > text.len() {
        return None;
    }
    (0..=text.len() - word.len()).find(|&i| {
        text[i..i + word.len()] == word[..]
            && (i == 0 || !text[i - 1].is_alphanumeric())
            && text
                .get(i + word.len())
                .is_none_or(|c| !c.is_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms() -> Vec<Term> {
        [
            ("OTSC", "CSTO"),
            ("Haut-Karabakh", "Nagorno-Karabakh"),
            ("Élysée", "Elysee Palace"),
        ]
        .into_iter()
        .map(|(f, e)| Term {
            french: f.into(),
            english: e.into(),
        })
        .collect()
    }

    #[test]
    fn a_term_applies_as_a_whole_word_whatever_its_case_and_hyphens() {
        let terms = terms();
        let found: Vec<&str> = applicable(&terms, "Les soldats de l'otsc sont au Haut Karabakh.")
            .into_iter()
            .map(|t| t.french.as_str())
            .collect();
        assert_eq!(found, ["OTSC", "Haut-Karabakh"]);
        assert!(applicable(&terms, "Les OTSCX et l'Élyséen.").is_empty());
    }

    #[test]
    fn an_english_without_the_readers_term_is_flagged_where_the_french_was_kept() {
        let terms = terms();
        let used = applicable(&terms, "L'OTSC se réunit au Haut-Karabakh.");
        let used: Vec<Term> = used.into_iter().cloned().collect();
        assert!(check(&used, "The CSTO meets in Nagorno Karabakh.").is_empty());
        let flags = check(&used, "The OTSC meets in Nagorno-Karabakh.");
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].kind, FlagKind::Glossary);
        assert_eq!(flags[0].source, "OTSC");
        assert_eq!(flags[0].english, Some((4, 8)));
        assert!(flags[0].message.contains("“CSTO”"));
        // Neither term nor French: a note, with no place to mark.
        let flags = check(&used, "The alliance meets in Nagorno-Karabakh.");
        assert_eq!(flags[0].english, None);
    }
}
