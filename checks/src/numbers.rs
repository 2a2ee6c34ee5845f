//! Numbers as French and English write them: in digits with their scale ("2,5 millions" is
//! 2 500 000, "$50 million" is 50 000 000), so that "600 000 euros" and "6 million euros"
//! differ; and in words ("vingt-quatre", "forty"), so that "Vingt-quatre départements" and
//! "Forty departments" differ too. Words are read by the `text2num` crate (Allo-Media's parser
//! of numbers written in words, French and English among them), which tells "neuf" the number
//! from "un bâtiment neuf".

use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;
use text2num::lang::{English, French};
use text2num::{find_numbers, BasicAnnotate, LangInterpreter, Token};

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

/// A number in digits whose groups of three stand apart, as French writes them ("1 500") or
/// with a comma and a space ("1, 500"): English reads such a number as two.
#[allow(clippy::expect_used)]
static GROUPS_APART: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b\d{1,3}(?:,?[ \u{a0}\u{202f}]\d{3})+\b").expect("a valid literal pattern")
});

/// The numbers of a French text: in digits ("3 000", "2,5", "1,5 milliard", "12 %") and in
/// words ("vingt-quatre", "deux millions"; see [`in_words`]).
pub fn french(text: &str) -> Vec<Quantity> {
    let digits = french_digits(text);
    let words = in_words(text, &French::default(), AS_A_NUMBER_AT_LEAST)
        .into_iter()
        // "12 pour cent": the per cent, not a hundred.
        .filter(|q| !text[..q.start].trim_end().to_lowercase().ends_with("pour"))
        .collect();
    with_words(digits, words)
}

/// The numbers of an English text: in digits ("3,000", "2.5", "$1.5 billion", "1st", "the
/// 1970s") and in words ("forty", "two million"; see [`in_words`]).
pub fn english(text: &str) -> Vec<Quantity> {
    let digits = english_digits(text);
    let words = in_words(text, &English::default(), AS_A_NUMBER_AT_LEAST);
    with_words(digits, words)
}

/// Every value a French text gives, for finding there what a translation wrote: its numbers,
/// the small ones in words too ("trois femmes" for "3 women"), and round amounts ("une
/// vingtaine": about 20).
pub fn mentioned_in_french(text: &str) -> Vec<f64> {
    mentioned(
        french_digits(text),
        in_words(text, &French::default(), 0.0),
        text,
        ROUND_FRENCH,
    )
}

/// Every value an English text gives ([`mentioned_in_french`]'s English side: "three", "a
/// dozen").
pub fn mentioned_in_english(text: &str) -> Vec<f64> {
    mentioned(
        english_digits(text),
        in_words(text, &English::default(), 0.0),
        text,
        ROUND_ENGLISH,
    )
}

/// A number in words standing alone is read as a number from this value up; "vingt-quatre",
/// "deux millions" are read whatever their value. The small ones are as often not numbers, or
/// not numbers a translation writes as such ("les deux" is "both", "neuf" may be "new", "un"
/// is mostly an article).
const AS_A_NUMBER_AT_LEAST: f64 = 10.0;

/// French words for a round amount, each with its amount ("une vingtaine de morts" is "about
/// twenty dead"), as singular; the plural is found too.
const ROUND_FRENCH: &[(&str, f64)] = &[
    ("dizaine", 10.0),
    ("douzaine", 12.0),
    ("quinzaine", 15.0),
    ("vingtaine", 20.0),
    ("trentaine", 30.0),
    ("quarantaine", 40.0),
    ("cinquantaine", 50.0),
    ("soixantaine", 60.0),
    ("centaine", 100.0),
    ("millier", 1000.0),
    ("décennie", 10.0),
];

/// English words for a round amount ([`ROUND_FRENCH`]).
const ROUND_ENGLISH: &[(&str, f64)] = &[("dozen", 12.0), ("decade", 10.0)];

fn french_digits(text: &str) -> Vec<Quantity> {
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

fn english_digits(text: &str) -> Vec<Quantity> {
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

/// The numbers in digits and those in words, in the order of the text. A word that is the
/// scale of a number in digits ("3 millions") is read with it, not again.
fn with_words(digits: Vec<Quantity>, words: Vec<Quantity>) -> Vec<Quantity> {
    let words: Vec<Quantity> = words
        .into_iter()
        .filter(|w| !digits.iter().any(|d| d.start < w.end && w.start < d.end))
        .collect();
    let mut all = digits;
    all.extend(words);
    all.sort_by_key(|q| q.start);
    all
}

/// The values of `digits` and of every number in words (`words`, read down to the smallest:
/// they hold those [`french`] and [`english`] read, so the text is read in words once), and the
/// round amounts of `round` the text holds.
fn mentioned(
    digits: Vec<Quantity>,
    words: Vec<Quantity>,
    text: &str,
    round: &[(&str, f64)],
) -> Vec<f64> {
    let folded = crate::names::folded_words(text);
    digits
        .into_iter()
        .chain(words)
        .map(|q| q.value)
        .chain(
            round
                .iter()
                .filter(|(word, _)| {
                    let word = crate::lexicon::fold(word);
                    folded
                        .iter()
                        .any(|w| w.strip_suffix('s').unwrap_or(w) == word)
                })
                .map(|&(_, value)| value),
        )
        .collect()
}

/// A word of a text, for `text2num`: its place (bytes), its lower case, and whether the
/// language's reading of its neighbours says it is no number ("un bâtiment neuf").
struct Word<'a> {
    text: &'a str,
    lower: String,
    start: usize,
    not_a_number: bool,
}

impl Token for &Word<'_> {
    fn text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.text)
    }

    fn text_lowercase(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.lower)
    }

    fn not_a_number_part(&self) -> bool {
        self.not_a_number
    }
}

impl BasicAnnotate for Word<'_> {
    fn text_lowercase(&self) -> &str {
        &self.lower
    }

    fn set_nan(&mut self, val: bool) {
        self.not_a_number = val;
    }
}

/// The text cut into words (letters, digits, hyphens and apostrophes: "quatre-vingt-dix",
/// "d'euros") and what lies between them, which `text2num` reads as it reads punctuation: a
/// comma ends a number, a space does not.
fn words(text: &str) -> Vec<Word<'_>> {
    let is_word = |c: char| c.is_alphanumeric() || c == '-' || c == '\'';
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        let kind = is_word(c);
        let end = chars
            .peek()
            .filter(|&&(_, next)| is_word(next) != kind)
            .map(|&(i, _)| i);
        if let Some(end) = end {
            out.push(Word::new(text, start, end));
            start = end;
        }
    }
    if start < text.len() {
        out.push(Word::new(text, start, text.len()));
    }
    out
}

impl<'a> Word<'a> {
    fn new(text: &'a str, start: usize, end: usize) -> Self {
        let word = &text[start..end];
        Self {
            text: word,
            lower: word.to_lowercase(),
            start,
            not_a_number: false,
        }
    }

    fn end(&self) -> usize {
        self.start + self.text.len()
    }
}

/// The numbers written in words in `text`, read by `lang`; one standing alone below `at_least`
/// is left out ([`AS_A_NUMBER_AT_LEAST`]), as is a scale word in the plural standing alone
/// ("des millions", "hundreds of people"): an amount, not a number.
fn in_words<L: LangInterpreter>(text: &str, lang: &L, at_least: f64) -> Vec<Quantity> {
    let mut words = apart_where_no_number(text, words(text), lang);
    lang.basic_annotate(&mut words);
    find_numbers(words.iter(), lang, at_least)
        .into_iter()
        .filter_map(|found| {
            let first = words.get(found.start)?;
            let last = words.get(found.end.checked_sub(1)?)?;
            let vague =
                found.end - found.start == 1 && found.value >= 100.0 && first.lower.ends_with('s');
            (!vague).then(|| Quantity {
                value: found.value,
                start: first.start,
                end: last.end(),
            })
        })
        .collect()
}

/// `words` with each hyphenated word that is not one number in words cut at its hyphens, the
/// hyphens left between its parts: English joins a number to its noun to qualify another
/// ("a ten-hour stopover", "a five-year plan"), and the number is still said. One that reads
/// as a number whole ("vingt-quatre", "quatre-vingt-dix", "twenty-four") is kept whole.
fn apart_where_no_number<'a, L: LangInterpreter>(
    text: &'a str,
    words: Vec<Word<'a>>,
    lang: &L,
) -> Vec<Word<'a>> {
    let mut out = Vec::with_capacity(words.len());
    for word in words {
        let parts: Vec<&str> = word.text.split('-').collect();
        if parts.len() < 2 || parts.iter().any(|p| p.is_empty()) || one_number(&word, lang) {
            out.push(word);
            continue;
        }
        let mut at = word.start;
        for (k, part) in parts.iter().enumerate() {
            if k > 0 {
                out.push(Word::new(text, at, at + 1));
                at += 1;
            }
            out.push(Word::new(text, at, at + part.len()));
            at += part.len();
        }
    }
    out
}

/// Whether `word` alone reads as one number in words, whole.
fn one_number<L: LangInterpreter>(word: &Word<'_>, lang: &L) -> bool {
    let mut alone = vec![Word::new(word.text, 0, word.text.len())];
    lang.basic_annotate(&mut alone);
    find_numbers(alone.iter(), lang, 0.0)
        .iter()
        .any(|found| found.start == 0 && found.end == 1)
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

/// `english` with each number whose digit groups stand apart ("1, 500", "1 500": the model
/// keeps the French's space between them) grouped as English groups them ("1,500"), where the
/// number so read is one of the `known` values (its source's) that the English gives nowhere
/// as it stands: "1, 500" for "1 500" reads as 1 and 500, one number lost and one added.
/// Groups that make no known value ("in 3, 500 came", for "le 3, 500 sont venus") stay apart.
/// `None` where nothing is changed.
pub fn groups_joined(english: &str, known: &[f64]) -> Option<String> {
    let given = mentioned_in_english(english);
    let mut out = String::with_capacity(english.len());
    let mut copied = 0;
    for found in GROUPS_APART.find_iter(english) {
        let joined: String = found
            .as_str()
            .split(|c: char| !c.is_ascii_digit())
            .filter(|group| !group.is_empty())
            .collect::<Vec<_>>()
            .join(",");
        // Read in place, with the scale word after it ("1,500 million").
        let candidate = format!("{joined}{}", &english[found.end()..]);
        let Some(value) = self::english(&candidate)
            .into_iter()
            .find(|q| q.start == 0)
            .map(|q| q.value)
        else {
            continue;
        };
        let wanted = known.iter().any(|&k| same(k, value));
        let already = given.iter().any(|&g| same(g, value));
        if wanted && !already {
            out.push_str(&english[copied..found.start()]);
            out.push_str(&joined);
            copied = found.end();
        }
    }
    (copied > 0).then(|| {
        out.push_str(&english[copied..]);
        out
    })
}

/// Whether two values are the same number.
pub fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

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
    fn a_number_written_with_its_french_groups_apart_is_grouped_as_english_groups_it() {
        let known =
            mentioned_in_french("Environ 1 500 habitants et 2 300 000 euros, 12 500 millions.");
        let joined = |english: &str| groups_joined(english, &known);
        assert_eq!(
            joined("About 1, 500 residents and 2 300, 000 euros.").as_deref(),
            Some("About 1,500 residents and 2,300,000 euros.")
        );
        // With its scale: the value read is 12.5 billion.
        assert_eq!(
            joined("12 500 million in all").as_deref(),
            Some("12,500 million in all")
        );
        // Already grouped, or no known value once joined: left as written.
        assert_eq!(joined("About 1,500 residents."), None);
        assert_eq!(joined("On 3, 500 came."), None);
        // The English gives the value elsewhere: the groups apart are something else.
        assert_eq!(joined("1,500 residents, of whom 1, 500 left"), None);
        // Four digits before the comma are no group of a grouped number.
        assert_eq!(joined("In 2010, 500 came"), None);
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

    #[test]
    fn numbers_in_words_are_read_in_both_languages() {
        assert_eq!(
            values(french("Vingt-quatre départements, quatre-vingt-dix élus, deux millions d'euros, les Vingt-Sept")),
            vec![24.0, 90.0, 2e6, 27.0]
        );
        assert_eq!(
            values(english(
                "Forty departments, one hundred and fifty euros, two million people"
            )),
            vec![40.0, 150.0, 2e6]
        );
        // Where each is: "Vingt-quatre" is the first twelve bytes.
        let found = french("Vingt-quatre départements");
        assert_eq!((found[0].start, found[0].end), (0, 12));
    }

    #[test]
    fn a_number_joined_to_its_noun_is_read() {
        // "ten-hour" says ten; "dix-huit" and "twenty-four" stay one number each.
        assert_eq!(
            values(english(
                "During the ten-hour stopover, a twenty-four-hour strike"
            )),
            vec![10.0, 24.0]
        );
        let found = english("a ten-hour stopover");
        assert_eq!((found[0].start, found[0].end), (2, 5));
        assert_eq!(
            values(french("dix-huit heures, vingt-et-un élus")),
            vec![18.0, 21.0]
        );
        assert!(mentioned_in_english("a five-year plan").contains(&5.0));
        // Hyphenated words without a number read nothing.
        assert!(english("a well-known, so-called ex-minister").is_empty());
        assert!(french("c'est-à-dire peut-être").is_empty());
    }

    #[test]
    fn words_that_are_not_numbers_there_are_not_read() {
        // A small number alone, "neuf" the adjective, the per cent, an amount in the plural.
        assert!(french("Les deux pays ont un bâtiment neuf.").is_empty());
        assert_eq!(values(french("12 pour cent des voix")), vec![12.0]);
        assert!(french("des millions de personnes").is_empty());
        assert!(english("hundreds of people and two dogs").is_empty());
        // A scale word after digits is read once, with its digits.
        assert_eq!(values(french("3 millions d'euros")), vec![3e6]);
        assert_eq!(values(english("3 million euros")), vec![3e6]);
    }

    #[test]
    fn what_a_text_mentions_includes_small_numbers_and_round_amounts() {
        let mentioned =
            mentioned_in_french("Une vingtaine de morts et trois blessés en une décennie");
        for value in [20.0, 3.0, 10.0] {
            assert!(
                mentioned.iter().any(|&m| same(m, value)),
                "{value} in {mentioned:?}"
            );
        }
        assert!(!mentioned.iter().any(|&m| same(m, 40.0)), "{mentioned:?}");
        let mentioned = mentioned_in_english("a dozen dead and three injured");
        for value in [12.0, 3.0] {
            assert!(
                mentioned.iter().any(|&m| same(m, value)),
                "{value} in {mentioned:?}"
            );
        }
    }
}
