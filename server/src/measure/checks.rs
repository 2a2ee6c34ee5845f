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

/// English month and weekday names with their French ones: a summary may name a date the
/// source gives in French.
const CALENDAR: &[(&str, &str)] = &[
    ("january", "janvier"),
    ("february", "février"),
    ("march", "mars"),
    ("april", "avril"),
    ("may", "mai"),
    ("june", "juin"),
    ("july", "juillet"),
    ("august", "août"),
    ("september", "septembre"),
    ("october", "octobre"),
    ("november", "novembre"),
    ("december", "décembre"),
    ("monday", "lundi"),
    ("tuesday", "mardi"),
    ("wednesday", "mercredi"),
    ("thursday", "jeudi"),
    ("friday", "vendredi"),
    ("saturday", "samedi"),
    ("sunday", "dimanche"),
];

/// English words written with a capital that name nothing in the source.
const NOT_NAMES: &[&str] = &["i", "mr", "mrs", "ms", "dr"];

/// The numbers and names of a summary that the source does not contain: each number in digits
/// must be among the French's (or spelled there as a word), each name or acronym must be in the
/// French or in one of `english` (renderings known to be faithful, such as a professional
/// reference). A name matches a source word sharing its first five letters, accents aside
/// (Russia / Russie, Moscow / Moscou), or all of it when shorter. A capitalized word that
/// `ordinary` (any English text, such as the article's translation) writes in lower case is an
/// ordinary word in a title ("the Prime Minister"), not a name.
pub fn summary_unfound(
    summary: &str,
    french: &str,
    english: &[&str],
    ordinary: &str,
) -> Vec<String> {
    let ordinary: Vec<&str> = words(ordinary)
        .filter(|w| w.chars().next().is_some_and(char::is_lowercase))
        .collect();
    let mut unfound = Vec::new();
    let mut source_numbers = french_numbers(french);
    for e in english {
        source_numbers.extend(english_numbers(e));
    }
    let lower = french.to_lowercase();
    let french_words: Vec<&str> = lower.split(|c: char| !c.is_alphabetic()).collect();
    for n in english_numbers(summary) {
        let spelled = NUMBER_WORDS
            .iter()
            .any(|(w, v)| *v == n && french_words.contains(w));
        if !source_numbers.contains(&n) && !spelled && !unfound.contains(&n) {
            unfound.push(n);
        }
    }
    let mut evidence: Vec<String> = words(french).map(fold).collect();
    for e in english {
        evidence.extend(words(e).map(fold));
    }
    // "Ki-moon" and "Aix-en-Provence" are found part by part.
    let parts = names(summary)
        .into_iter()
        .flat_map(|n| n.split('-'))
        .filter(|p| p.chars().count() >= 2 && p.chars().next().is_some_and(char::is_uppercase))
        .collect::<Vec<_>>();
    for name in parts {
        let folded = fold(name);
        let acronym = name.chars().all(|c| !c.is_lowercase());
        if NOT_NAMES.contains(&folded.as_str()) || (!acronym && ordinary.contains(&folded.as_str()))
        {
            continue;
        }
        let calendar = CALENDAR
            .iter()
            .find(|(en, _)| *en == folded)
            .map(|(_, fr)| fold(fr));
        let wanted: Vec<char> = calendar.unwrap_or(folded).chars().collect();
        let n = wanted.len().min(5);
        let found = evidence.iter().any(|w| {
            let w: Vec<char> = w.chars().collect();
            w.len() >= n && w[..n] == wanted[..n] && (n == 5 || w.len() == wanted.len())
        });
        if !found && !unfound.iter().any(|u| u == name) {
            unfound.push(name.to_string());
        }
    }
    unfound
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Lowercase, without accents.
fn fold(word: &str) -> String {
    use unicode_normalization::char::is_combining_mark;
    use unicode_normalization::UnicodeNormalization;
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Words with a capital that do not open a sentence, and acronyms wherever they are.
fn names(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut sentence_start = true;
    for token in text.split_whitespace() {
        let word = token.trim_matches(|c: char| !c.is_alphanumeric());
        let capital = word.chars().next().is_some_and(char::is_uppercase);
        let acronym = word.chars().count() >= 2 && word.chars().all(|c| c.is_uppercase());
        if capital && (acronym || !sentence_start) {
            // "Paris's" names Paris.
            out.push(word.trim_end_matches("'s").trim_end_matches("’s"));
        }
        // A quotation opens a sentence of its own: `he said, "We regret it."`
        let quoted = token.starts_with(['"', '“', '«']);
        if capital && quoted && !acronym {
            out.pop_if(|w| *w == word);
        }
        if !word.is_empty() {
            sentence_start = token
                .trim_end_matches(['"', '”', '»', ')', '\''])
                .ends_with(['.', '!', '?', ':']);
        }
    }
    out
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

// Literal patterns, compiled by `numbers_are_read_in_both_conventions`: a bad one fails loudly.
#[allow(clippy::expect_used)]
static FRENCH_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d+(?:[ \u{a0}\u{202f}]\d{3})*(?:,\d+)?").expect("a valid literal pattern")
});
#[allow(clippy::expect_used)]
static ENGLISH_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d+(?:,\d{3})*(?:\.\d+)?").expect("a valid literal pattern"));

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

fn collect(re: &Regex, text: &str, plain: impl Fn(&str) -> String) -> Vec<String> {
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
    fn a_summary_is_checked_against_its_source() {
        let french = "Le 4 novembre, la Russie et l'Arménie ont signé à Moscou un accord de 600 000 euros avec l'OTSC. Onze pays étaient présents, mardi.";
        assert!(summary_unfound(
            "Russia and Armenia signed a 600,000-euro deal in Moscow on 4 November, with 11 countries present on Tuesday.",
            french,
            &[],
            ""
        )
        .is_empty());
        assert_eq!(
            summary_unfound(
                "Russia and Armenia signed a 6 million euro deal with the OSCE on March 31 in Berlin.",
                french,
                &[],
                "a deal signed in the capital"
            ),
            vec!["31", "6", "OSCE", "March", "Berlin"]
        );
        // A faithful English rendering counts as the source: the CSTO is the OTSC.
        assert!(
            summary_unfound("The CSTO met.", french, &["The CSTO met in Moscow."], "").is_empty()
        );
        // Names in parts, and a capital opening a quotation.
        assert!(summary_unfound(
            "Jean-Noël Guérini met Ban Ki-moon in Aix-en-Provence and said: \"We agree.\" He added, \"Nothing changes.\"",
            "Jean-Noël Guérini a reçu Ban Ki-moon à Aix-en-Provence.",
            &[],
            ""
        )
        .is_empty());
        // Title words the translation writes in lower case elsewhere are not names.
        assert!(summary_unfound(
            "The Armenian Prime Minister stayed away from the Summit.",
            french,
            &[],
            "the prime minister did not come to the summit"
        )
        .is_empty());
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
