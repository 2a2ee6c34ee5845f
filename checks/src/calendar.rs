//! Month and weekday names: a translation must keep the source's and add none of its own
//! ("Mercredi" became "On March 31").

/// English month and weekday names with their French ones.
pub const NAMES: &[(&str, &str)] = &[
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

/// A calendar word found in a text: its English name and where it is (bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarWord {
    pub english: &'static str,
    pub start: usize,
    pub end: usize,
}

/// The month and weekday names of a French text (in any case; "mars" the month only).
pub fn french(text: &str) -> Vec<CalendarWord> {
    find(text, |w| {
        NAMES
            .iter()
            .find(|(_, fr)| w.to_lowercase() == *fr)
            .map(|(en, _)| *en)
    })
}

/// The month and weekday names of an English text. "May" counts only with a capital and not
/// opening a sentence, where it is the month rather than the verb.
pub fn english(text: &str) -> Vec<CalendarWord> {
    let words = find(text, |w| {
        let lower = w.to_lowercase();
        let capital = w.chars().next().is_some_and(char::is_uppercase);
        NAMES
            .iter()
            .find(|(en, _)| lower == *en && capital)
            .map(|(en, _)| *en)
    });
    words
        .into_iter()
        .filter(|w| w.english != "may" || !opens_sentence(text, w.start))
        .collect()
}

/// The English name, capitalised, of `word` when it is a French month or weekday name and
/// nothing else ("mercredi": "Wednesday").
pub fn english_name(word: &str) -> Option<String> {
    match french(word).as_slice() {
        [w] if w.start == 0 && w.end == word.len() => {
            let mut letters = w.english.chars();
            letters
                .next()
                .map(|first| first.to_uppercase().chain(letters).collect())
        }
        _ => None,
    }
}

fn opens_sentence(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end();
    before.is_empty()
        || before.ends_with(['.', '!', '?'])
        || before.ends_with(crate::quotes::ENGLISH_OPENING)
}

fn find(text: &str, name: impl Fn(&str) -> Option<&'static str>) -> Vec<CalendarWord> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_alphabetic(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if let Some(english) = name(&text[s..i]) {
                    out.push(CalendarWord {
                        english,
                        start: s,
                        end: i,
                    });
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_french_month_or_weekday_alone_has_its_english_name() {
        assert_eq!(english_name("mercredi").as_deref(), Some("Wednesday"));
        assert_eq!(english_name("Octobre").as_deref(), Some("October"));
        assert_eq!(english_name("le 31 octobre"), None);
        assert_eq!(english_name("mardi soir"), None);
        assert_eq!(english_name("maison"), None);
    }

    fn names(words: Vec<CalendarWord>) -> Vec<&'static str> {
        words.into_iter().map(|w| w.english).collect()
    }

    #[test]
    fn months_and_days_are_found_in_both_languages() {
        assert_eq!(
            names(french(
                "Mercredi 4 novembre, et en décembre dernier, mardi."
            )),
            vec!["wednesday", "november", "december", "tuesday"]
        );
        assert_eq!(
            names(english(
                "On Wednesday 4 November, and last December. May we go? In May."
            )),
            vec!["wednesday", "november", "december", "may"]
        );
        assert!(names(english("they may come in march")).is_empty());
    }
}
