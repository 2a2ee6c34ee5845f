//! What a translated line can get wrong besides its wording: words of the model's own around the
//! translation, a question back, no translation at all, numbers that differ from the source.

use checks::language::is_surely_french;
use checks::{check_translation, FlagKind};
use models::tasks::{classify_line, LineKind};
use serde::Serialize;

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
    if english.ends_with('?') && !checks::quotes::before_closers(french).ends_with('?') {
        out.push(Fault::QuestionBack);
    }
    let same = english.split_whitespace().eq(french.split_whitespace());
    if english.is_empty() || same || is_surely_french(english) {
        out.push(Fault::Untranslated);
    }
    if numbers_differ(french, english) {
        out.push(Fault::NumbersDiffer);
    }
    out
}

/// Numbers the checker finds changed (lost, added, or with another scale).
fn numbers_differ(french: &str, english: &str) -> bool {
    check_translation(french, english)
        .iter()
        .any(|f| f.kind == FlagKind::Number)
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
}
