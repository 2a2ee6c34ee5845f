//! Which language a text is in (`whatlang`): French input told from English, and English output
//! checked for French left in it.

use whatlang::Lang;

/// Whether the text reads as French. Very short texts, where detection is a guess, count as
/// French: that is what Passerelle is given.
pub fn is_french(text: &str) -> bool {
    match whatlang::detect(text) {
        Some(info) if info.is_reliable() => info.lang() == Lang::Fra,
        Some(info) => info.lang() == Lang::Fra || text.split_whitespace().count() < 8,
        None => true,
    }
}

/// A text's language as the translation protocols name it.
#[derive(Debug, Clone, PartialEq)]
pub struct Identified {
    /// ISO 639-1 (`fr`, `en`, `de`…), or ISO 639-3 for a language without a two-letter code.
    pub code: String,
    /// From 0 to 1.
    pub confidence: f64,
}

/// The text's language. What [`is_french`] takes for French is French here too, so that a
/// short French text is not refused for a guess.
pub fn identify(text: &str) -> Identified {
    let detected = whatlang::detect(text);
    let confidence = detected.as_ref().map_or(0.0, |info| info.confidence());
    if is_french(text) {
        return Identified {
            code: "fr".into(),
            confidence: if detected.is_some_and(|info| info.lang() == Lang::Fra) {
                confidence
            } else {
                0.0
            },
        };
    }
    let lang = detected.map_or(Lang::Fra, |info| info.lang());
    let code = isolang::Language::from_639_3(lang.code())
        .and_then(|l| l.to_639_1())
        .unwrap_or(lang.code());
    Identified {
        code: code.to_string(),
        confidence,
    }
}

/// Whether the text reads as English.
pub fn is_english(text: &str) -> bool {
    whatlang::detect(text).is_some_and(|info| info.lang() == Lang::Eng)
}

/// Whether the text is French beyond doubt (for judging output, where a guess is not enough).
pub fn is_surely_french(text: &str) -> bool {
    whatlang::detect(text)
        .is_some_and(|info| info.lang() == whatlang::Lang::Fra && info.is_reliable())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_and_english_are_told_apart() {
        assert!(is_french(
            "Le gouvernement a présenté mardi un plan pour rénover les écoles du pays."
        ));
        assert!(!is_french(
            "The government presented a plan on Tuesday to renovate the country's schools."
        ));
        assert!(is_english(
            "The government presented a plan on Tuesday to renovate the country's schools."
        ));
    }

    #[test]
    fn languages_are_named_by_their_two_letter_codes() {
        let english = identify(
            "The government presented a plan on Tuesday to renovate the country's schools.",
        );
        assert_eq!(english.code, "en");
        assert!(english.confidence > 0.5, "{english:?}");
        assert_eq!(
            identify("Die Regierung hat am Dienstag einen Plan zur Renovierung der Schulen des Landes vorgestellt.").code,
            "de"
        );
        assert_eq!(
            identify("Le gouvernement a présenté mardi un plan.").code,
            "fr"
        );
        assert_eq!(identify("Merci !").code, "fr", "too short to tell: French");
    }
}
