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
}
