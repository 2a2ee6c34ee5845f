//! Numbers as French and English write them, with their scale ("2,5 millions" is 2 500 000,
//! "$50 million" is 50 000 000), so that "600 000 euros" and "6 million euros" differ.

use regex::Regex;
use std::sync::LazyLock;

/// A number found in a text: its value after any scale word, and where it is (bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub value: f64,
    pub start: usize,
    pub end: usize,
}

// Literal patterns, compiled by this module's tests: a bad one fails loudly.
#[allow(clippy::expect_used)]
static FRENCH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(\d{1,3}(?:[ \u{a0}\u{202f}]\d{3})+|\d+)(?:,(\d+))?(?:er|re|ème|eme|e)?\b(?:[ \u{a0}\u{202f}]*(milliards?|millions?|mille|mds?)\b)?",
    )
    .expect("a valid literal pattern")
});
#[allow(clippy::expect_used)]
static ENGLISH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:st|nd|rd|th|s)?\b(?:[ \u{a0}-]*(billions?|millions?|thousands?|bn)\b)?",
    )
    .expect("a valid literal pattern")
});

/// The numbers of a French text ("3 000", "2,5", "1,5 milliard", "12 %").
pub fn french(text: &str) -> Vec<Quantity> {
    collect(&FRENCH, text, &[' ', '\u{a0}', '\u{202f}'], |scale| {
        let s = scale.to_lowercase();
        if s.starts_with("milliard") || s.starts_with("md") {
            1e9
        } else if s.starts_with("million") {
            1e6
        } else if s == "mille" {
            1e3
        } else {
            1.0
        }
    })
}

/// The numbers of an English text ("3,000", "2.5", "$1.5 billion", "1st", "the 1970s").
pub fn english(text: &str) -> Vec<Quantity> {
    collect(&ENGLISH, text, &[','], |scale| {
        // The plural ("8 millions euros") is a French turn a translation keeps: the same scale.
        match scale.to_lowercase().trim_end_matches('s') {
            "billion" | "bn" => 1e9,
            "million" => 1e6,
            "thousand" => 1e3,
            _ => 1.0,
        }
    })
}

fn collect(
    re: &Regex,
    text: &str,
    separators: &[char],
    scale_of: impl Fn(&str) -> f64,
) -> Vec<Quantity> {
    re.captures_iter(text)
        .filter_map(|c| {
            let whole = c.get(0)?;
            let digits: String = c.get(1)?.as_str().replace(separators, "");
            let number = match c.get(2) {
                Some(fraction) => format!("{digits}.{}", fraction.as_str()),
                None => digits,
            };
            let value: f64 = number.parse().ok()?;
            let scale = c.get(3).map_or(1.0, |s| scale_of(s.as_str()));
            Some(Quantity {
                value: value * scale,
                start: whole.start(),
                end: whole.end(),
            })
        })
        .collect()
}

/// Whether two values are the same number.
pub fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// French number words a translation may write in digits ("onze" → 11), and the English words
/// it may write them as. "Un" and "une" are left out: they are mostly articles.
pub const WORDS: &[(&str, &str, f64)] = &[
    ("deux", "two", 2.0),
    ("trois", "three", 3.0),
    ("quatre", "four", 4.0),
    ("cinq", "five", 5.0),
    ("six", "six", 6.0),
    ("sept", "seven", 7.0),
    ("huit", "eight", 8.0),
    ("neuf", "nine", 9.0),
    ("dix", "ten", 10.0),
    ("onze", "eleven", 11.0),
    ("douze", "twelve", 12.0),
    ("treize", "thirteen", 13.0),
    ("quatorze", "fourteen", 14.0),
    ("quinze", "fifteen", 15.0),
    ("seize", "sixteen", 16.0),
    ("vingt", "twenty", 20.0),
    ("trente", "thirty", 30.0),
    ("quarante", "forty", 40.0),
    ("cinquante", "fifty", 50.0),
    ("soixante", "sixty", 60.0),
    ("cent", "hundred", 100.0),
    ("mille", "thousand", 1000.0),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn values(q: Vec<Quantity>) -> Vec<f64> {
        q.into_iter().map(|q| q.value).collect()
    }

    #[test]
    fn french_forms_are_read() {
        assert_eq!(
            values(french("3 000 et 2,5 et 12\u{202f}500, 600 000 euros, 1,5 milliard, 3 millions d'euros, 12 %")),
            vec![3000.0, 2.5, 12500.0, 600_000.0, 1.5e9, 3e6, 12.0]
        );
        assert_eq!(
            values(french("le 1er mars, les années 70, en 2013")),
            vec![1.0, 70.0, 2013.0]
        );
        // Years side by side are not one grouped number.
        assert_eq!(
            values(french("En 2010, 2011 et 1998")),
            vec![2010.0, 2011.0, 1998.0]
        );
    }

    #[test]
    fn english_forms_are_read() {
        assert_eq!(
            values(english(
                "3,000 and 2.5 and 12,500, $50 million, 6 million euros, 1.5 bn"
            )),
            vec![3000.0, 2.5, 12500.0, 5e7, 6e6, 1.5e9]
        );
        assert_eq!(
            values(english("on 1st March, the 1970s, in 2013")),
            vec![1.0, 1970.0, 2013.0]
        );
        // The French plural kept in the English is the same scale, not a bare 8.
        assert_eq!(
            values(english(
                "more than 8 millions euros, 2 billions, 3 thousands"
            )),
            vec![8e6, 2e9, 3e3]
        );
    }
}
