//! What a translated line can get wrong besides its wording: words of the model's own around the
//! translation, a question back, no translation at all, numbers that differ from the source.

use crate::language;
use models::tasks::{classify_line, LineKind};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// A preface, label or note around the translation.
    NotOnlyTranslation,
    /// A question to the reader instead of (or after) the translation.
    QuestionBack,
    /// Empty, still French, or the source copied.
    Untranslated,
    /// The numbers written in digits are not the source's.
    NumbersDiffer,
}

pub fn faults(french: &str, english: &str) -> Vec<Fault> {
    let mut out = Vec::new();
    let english = english.trim();
    let wrapped = english
        .lines()
        .any(|l| classify_line(l) != LineKind::Content)
        || (mentions_translation(english) && !french.to_lowercase().contains("tradu"));
    if wrapped {
        out.push(Fault::NotOnlyTranslation);
    }
    if english.ends_with('?')
        && !french
            .trim_end()
            .trim_end_matches(['»', '"', ' ', '\u{a0}'])
            .ends_with('?')
    {
        out.push(Fault::QuestionBack);
    }
    let same = english.split_whitespace().eq(french.split_whitespace());
    if english.is_empty() || same || language::is_surely_french(english) {
        out.push(Fault::Untranslated);
    }
    if numbers_differ(french, english) {
        out.push(Fault::NumbersDiffer);
    }
    out
}

/// French number words a translation may fairly write in digits ("onze" → "11"). "Un" and
/// "une" are left out: they are mostly articles.
const NUMBER_WORDS: &[(&str, &str)] = &[
    ("deux", "2"),
    ("trois", "3"),
    ("quatre", "4"),
    ("cinq", "5"),
    ("six", "6"),
    ("sept", "7"),
    ("huit", "8"),
    ("neuf", "9"),
    ("dix", "10"),
    ("onze", "11"),
    ("douze", "12"),
    ("treize", "13"),
    ("quatorze", "14"),
    ("quinze", "15"),
    ("seize", "16"),
    ("vingt", "20"),
    ("trente", "30"),
    ("quarante", "40"),
    ("cinquante", "50"),
    ("soixante", "60"),
    ("cent", "100"),
    ("mille", "1000"),
];

/// Every number in digits of the source must be in the output, and every number in digits of
/// the output must be in the source, in digits or as a number word.
fn numbers_differ(french: &str, english: &str) -> bool {
    let source = french_numbers(french);
    let output = english_numbers(english);
    let lower = french.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphabetic()).collect();
    let spelled = |n: &String| {
        NUMBER_WORDS
            .iter()
            .any(|(w, v)| v == n && words.contains(w))
    };
    source.iter().any(|n| !output.contains(n))
        || output.iter().any(|n| !source.contains(n) && !spelled(n))
}

fn mentions_translation(text: &str) -> bool {
    let lower = text.to_lowercase();
    [
        "translation",
        "translated",
        "in english",
        "french text",
        "original text",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

static FRENCH_NUMBER: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\d+(?:[ \u{a0}\u{202f}]\d{3})*(?:,\d+)?").ok());
static ENGLISH_NUMBER: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\d+(?:,\d{3})*(?:\.\d+)?").ok());

/// Numbers in digits, as sorted plain decimals ("3 000" → "3000", "2,5" → "2.5").
pub fn french_numbers(text: &str) -> Vec<String> {
    collect(&FRENCH_NUMBER, text, |m| {
        m.chars()
            .filter(|c| c.is_ascii_digit() || *c == ',')
            .collect::<String>()
            .replace(',', ".")
    })
}

/// Numbers in digits, as sorted plain decimals ("3,000" → "3000").
pub fn english_numbers(text: &str) -> Vec<String> {
    collect(&ENGLISH_NUMBER, text, |m| m.replace(',', ""))
}

fn collect(
    re: &LazyLock<Option<Regex>>,
    text: &str,
    plain: impl Fn(&str) -> String,
) -> Vec<String> {
    let Some(re) = re.as_ref() else {
        return Vec::new();
    };
    let mut numbers: Vec<String> = re.find_iter(text).map(|m| plain(m.as_str())).collect();
    numbers.sort();
    numbers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_translation_has_no_fault() {
        assert!(faults(
            "Le projet coûte 3 000 euros, soit 2,5 % du budget.",
            "The project costs 3,000 euros, or 2.5% of the budget."
        )
        .is_empty());
    }

    #[test]
    fn faults_are_found() {
        assert_eq!(
            faults("Il part.", "Here is the translation:\nHe leaves."),
            vec![Fault::NotOnlyTranslation]
        );
        assert_eq!(
            faults("Il part.", "He leaves. Do you want another version?"),
            vec![Fault::QuestionBack]
        );
        assert_eq!(
            faults(
                "Le gouvernement a présenté son plan mardi.",
                "Le gouvernement a présenté son plan mardi."
            ),
            vec![Fault::Untranslated]
        );
        assert_eq!(
            faults("Il coûte 600 000 euros.", "It costs 6 million euros."),
            vec![Fault::NumbersDiffer]
        );
        assert!(faults("Pourquoi partir ?", "Why leave?").is_empty());
        assert!(faults("Onze hommes et trois femmes.", "11 men and 3 women.").is_empty());
        assert_eq!(
            faults("Onze hommes.", "12 men."),
            vec![Fault::NumbersDiffer]
        );
    }

    #[test]
    fn numbers_are_read_in_both_conventions() {
        assert_eq!(
            french_numbers("3 000 et 2,5 et 12\u{202f}500"),
            vec!["12500", "2.5", "3000"]
        );
        assert_eq!(
            english_numbers("3,000 and 2.5 and 12,500"),
            vec!["12500", "2.5", "3000"]
        );
    }
}
