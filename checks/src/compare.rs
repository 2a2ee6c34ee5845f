//! A text against its source: a translated paragraph against its French, a summary against
//! the article. Each check adds [`Flag`]s; the text work of each lives in its own module.

use crate::flag::{Flag, FlagKind};
use crate::language::is_surely_french;
use crate::{calendar, currencies, names, numbers};
use unicode_segmentation::UnicodeSegmentation;

/// Flags for one translated paragraph; empty when everything was verified.
pub fn check_translation(french: &str, english: &str) -> Vec<Flag> {
    check_translation_after("", french, english)
}

/// [`check_translation`] of a paragraph written after `shown`, the French of the article the
/// model was shown before it (its context; empty for none): an acronym the English takes from
/// there ("la Fédération internationale" written "FIFA", named so in the paragraph before) is
/// the article's, not an addition.
pub fn check_translation_after(shown: &str, french: &str, english: &str) -> Vec<Flag> {
    let pair = Pair::read(shown, french, english);
    let mut flags = Vec::new();
    check_numbers(&pair, &mut flags);
    check_currencies(
        &translation_currencies(shown, french),
        english,
        "the French",
        &mut flags,
    );
    check_calendar(&pair, &mut flags);
    check_names(&pair, &mut flags);
    check_missing(french, english, &mut flags);
    check_untranslated(english, &mut flags);
    flags
}

/// The English of a paragraph written after `shown`, mended where what
/// [`check_translation_after`] flags needs no writing: each amount in a currency the French
/// does not name written in the French's own, where that is one currency
/// ([`currencies::in_the_source_currency`]), and a number written with the French's digit
/// groups apart ("1, 500" for "1 500") grouped as English groups it
/// ([`numbers::groups_joined`]). `None` where nothing is changed.
pub fn translation_mended(shown: &str, french: &str, english: &str) -> Option<String> {
    mended_in_turn(
        english,
        &[
            &|text| {
                currencies::in_the_source_currency(&translation_currencies(shown, french), text)
            },
            &|text| numbers::groups_joined(text, &numbers::mentioned_in_french(french)),
        ],
    )
}

/// A summary mended as [`translation_mended`] mends a paragraph, against what
/// [`check_summary`] holds its currencies and numbers to.
pub fn summary_mended(summary: &str, french: &str, english: &[&str]) -> Option<String> {
    mended_in_turn(
        summary,
        &[
            &|text| currencies::in_the_source_currency(&summary_currencies(french, english), text),
            &|text| numbers::groups_joined(text, &summary_values(french, english)),
        ],
    )
}

/// A mend of a text: the text changed, or `None` where it changes nothing.
type Mend<'a> = &'a dyn Fn(&str) -> Option<String>;

/// `text` as each of `mends` in turn leaves it; `None` where none changes it.
fn mended_in_turn(text: &str, mends: &[Mend<'_>]) -> Option<String> {
    mends.iter().fold(None, |done: Option<String>, mend| {
        mend(done.as_deref().unwrap_or(text)).or(done)
    })
}

/// The values a summary's source gives: the French's, and where there is no French (an
/// English article) the English's, as [`check_summary`] reads them.
fn summary_values(french: &str, english: &[&str]) -> Vec<f64> {
    let mut known = numbers::mentioned_in_french(french);
    if french.trim().is_empty() {
        for e in english {
            known.extend(numbers::mentioned_in_english(e));
        }
    }
    known
}

/// The currencies a paragraph's source names: its French and the French shown before it.
fn translation_currencies(shown: &str, french: &str) -> Vec<currencies::Named> {
    let mut named = currencies::named_in_french(french);
    named.extend(currencies::named_in_french(shown));
    named
}

/// The currencies a summary's source names: the French, or the English where there is no
/// French (an English article), as [`check_summary`] reads them.
fn summary_currencies(french: &str, english: &[&str]) -> Vec<currencies::Named> {
    let mut named = currencies::named_in_french(french);
    if french.trim().is_empty() {
        for e in english {
            named.extend(currencies::named_in_english(e));
        }
    }
    named
}

/// What several checks read of a paragraph and its English, found once.
struct Pair<'a> {
    /// The French shown before the paragraph ([`check_translation_after`]).
    shown: &'a str,
    french: &'a str,
    english: &'a str,
    french_calendar: Vec<calendar::CalendarWord>,
    english_calendar: Vec<calendar::CalendarWord>,
    english_words: Vec<String>,
}

impl<'a> Pair<'a> {
    fn read(shown: &'a str, french: &'a str, english: &'a str) -> Self {
        Self {
            shown,
            french,
            english,
            french_calendar: calendar::french(french),
            english_calendar: calendar::english(english),
            english_words: names::folded_words(english),
        }
    }
}

/// The French's numbers, dates and names as written there: what a translation must keep.
pub fn facts(french: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let spans = numbers::french(french)
        .into_iter()
        .map(|q| (q.start, q.end))
        .chain(
            calendar::french(french)
                .into_iter()
                .map(|w| (w.start, w.end)),
        )
        .chain(
            names::french_names(french)
                .into_iter()
                .filter(|n| calendar::french(n.text).len() != 1)
                .map(|n| (n.start, n.end)),
        );
    for (start, end) in spans {
        let text = french[start..end].to_string();
        if !out.contains(&text) {
            out.push(text);
        }
    }
    out
}

/// Flags for a summary: each of its numbers and dates must be found in the French, each of its
/// names in the French or in `english` (renderings of it: the checked translation, a
/// reference). A translation can be wrong in its numbers and dates, so only the French vouches
/// for those; when there is no French (an English article), `english` is the source.
pub fn check_summary(summary: &str, french: &str, english: &[&str]) -> Vec<Flag> {
    let mut flags = Vec::new();
    let english_vouches = french.trim().is_empty();
    // What the summary's additions are said to be missing from.
    let place = if english_vouches {
        "the article"
    } else {
        "the French"
    };
    let known = summary_values(french, english);
    let french_words = names::folded_words(french);
    let summary_calendar = calendar::english(summary);
    for q in numbers::english(summary) {
        if !vouched_for(summary, &q, &known) {
            let kind = if calendar_near(&summary_calendar, q.start, q.end) {
                FlagKind::Date
            } else {
                FlagKind::Number
            };
            flags.push(added(kind, summary, q.start, q.end, place));
        }
    }
    check_currencies(
        &summary_currencies(french, english),
        summary,
        place,
        &mut flags,
    );
    let mut evidence = french_words;
    let mut calendar_known: Vec<&str> =
        calendar::french(french).iter().map(|w| w.english).collect();
    for e in english {
        evidence.extend(names::folded_words(e));
        if english_vouches {
            calendar_known.extend(calendar::english(e).iter().map(|w| w.english));
        }
    }
    for w in &summary_calendar {
        if !calendar_known.contains(&w.english) {
            flags.push(added(FlagKind::Date, summary, w.start, w.end, place));
        }
    }
    // A French name the summary keeps in French ("the Bakou offensive"), though the checked
    // translation wrote it in English or marked it: the summary is read in English too. A name
    // the French repeats gives the same flag, which `dedupe` drops.
    let french_names = names::french_names(french);
    for name in &french_names {
        flags.extend(left_in_french(name.text, summary));
    }
    let ordinary: Vec<String> = english
        .iter()
        .flat_map(|e| e.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().next().is_some_and(char::is_lowercase))
        .map(str::to_string)
        .collect();
    for name in names::names(summary) {
        if calendar::english(name.text).len() == 1 {
            continue;
        }
        let found = if name.is_acronym() {
            names::english_acronym_from(name.text, french)
                || english
                    .iter()
                    .any(|e| names::english_acronym_from(name.text, e))
        } else {
            name.text.split('-').filter(|p| !p.is_empty()).all(|part| {
                let folded = names::fold(part);
                names::among(&folded, &evidence)
                    || ordinary.contains(&part.to_lowercase())
                    || names::names_no_one(&folded)
            }) || french_names
                .iter()
                .any(|f| names::english_form_of(f.text, name.text))
        };
        if !found {
            flags.push(added(FlagKind::Name, summary, name.start, name.end, place));
        }
    }
    dedupe(flags)
}

/// A flag for a French name that English writes otherwise, kept in French in `english` (a
/// translation or a summary: "control of Bakou").
fn left_in_french(name: &str, english: &str) -> Option<Flag> {
    let (at, form) = names::left_in_french(name, english)?;
    Some(Flag {
        kind: FlagKind::Name,
        source: name.to_string(),
        english: Some(char_span(english, at, at + name.len())),
        message: format!("“{name}” is left as the French writes it: in English it is “{form}”."),
    })
}

/// A flag for something the English has and its source (`place`: "the French", "the
/// article") lacks.
fn added(kind: FlagKind, english: &str, start: usize, end: usize, place: &str) -> Flag {
    Flag {
        kind,
        source: String::new(),
        english: Some(char_span(english, start, end)),
        message: format!("“{}” was not found in {place}.", &english[start..end]),
    }
}

/// A flag for something the French has and the English lacks.
fn lost(kind: FlagKind, french: &str, start: usize, end: usize) -> Flag {
    Flag {
        kind,
        source: french[start..end].to_string(),
        english: None,
        message: format!(
            "“{}” in the French is not in the English.",
            &french[start..end]
        ),
    }
}

fn char_span(text: &str, start: usize, end: usize) -> (usize, usize) {
    let s = text[..start].chars().count();
    (s, s + text[start..end].chars().count())
}

/// Whether a month or weekday name lies within a few characters of `[start, end)`.
fn calendar_near(words: &[calendar::CalendarWord], start: usize, end: usize) -> bool {
    words
        .iter()
        .any(|w| w.end + 4 >= start && w.start <= end + 4)
}

/// Whether the number ending at `end` is an hour on the twelve-hour clock ("6 p.m.", "6pm"),
/// which French writes on twenty-four ("18 heures").
fn on_twelve_hours(english: &str, end: usize) -> bool {
    let mut after = english[end..]
        .trim_start()
        .chars()
        .map(|c| c.to_ascii_lowercase());
    matches!(
        (after.next(), after.next()),
        (Some('a' | 'p'), Some('.' | 'm'))
    )
}

/// Whether a number of the English, `q`, is among the values its source gives (`known`),
/// as written or as English writes it otherwise: "the 1970s" for "les années 70", "2 p.m." for
/// "14 h".
fn vouched_for(english: &str, q: &numbers::Quantity, known: &[f64]) -> bool {
    let v = q.value;
    let has = |value: f64| known.iter().any(|&k| numbers::same(k, value));
    has(v)
        || (is_year(v) && english[q.start..q.end].to_lowercase().ends_with('s') && has(v % 100.0))
        || (on_twelve_hours(english, q.end) && has(v + 12.0))
}

fn is_year(value: f64) -> bool {
    value.fract() == 0.0 && (1900.0..=2100.0).contains(&value)
}

fn check_numbers(pair: &Pair<'_>, flags: &mut Vec<Flag>) {
    let (french, english) = (pair.french, pair.english);
    let (fq, eq) = (numbers::french(french), numbers::english(english));
    let (fc, ec) = (&pair.french_calendar, &pair.english_calendar);
    let (in_french, in_english) = (
        numbers::mentioned_in_french(french),
        numbers::mentioned_in_english(english),
    );
    let lower_french = french.to_lowercase();
    for q in &fq {
        let v = q.value;
        let found = in_english.iter().any(|&e| numbers::same(e, v))
            // "les années 70": "the 1970s", "the '70s".
            || (v < 100.0
                && lower_french[..q.start].trim_end().ends_with("années")
                && eq.iter().any(|e| is_year(e.value) && numbers::same(e.value % 100.0, v)))
            // "14 h": "2 p.m.".
            || (lower_french[q.end..].trim_start().starts_with('h')
                && eq.iter().any(|e| numbers::same(e.value + 12.0, v)));
        if !found {
            let kind = if calendar_near(fc, q.start, q.end) || is_year(v) {
                FlagKind::Date
            } else {
                FlagKind::Number
            };
            flags.push(lost(kind, french, q.start, q.end));
        }
    }
    for q in &eq {
        let v = q.value;
        if !vouched_for(english, q, &in_french) {
            let kind = if calendar_near(ec, q.start, q.end) || is_year(v) {
                FlagKind::Date
            } else {
                FlagKind::Number
            };
            flags.push(added(kind, english, q.start, q.end, "the French"));
        }
    }
}

/// An amount of the English in a currency its source (`place`) does not name (`named`), where
/// the source gives an amount in some currency: "8 million dollars" where the French counts in
/// euros. The flag's French is the currency of the source's first amount, for the repair to ask
/// for. Where the source gives no amount with a currency ("8 millions", the euros said
/// earlier; "le sol", a word that names a currency only beside an amount), the English's
/// currency is not checked.
fn check_currencies(
    named: &[currencies::Named],
    english: &str,
    place: &str,
    flags: &mut Vec<Flag>,
) {
    let Some(first) = named.iter().find(|n| n.with_amount) else {
        return;
    };
    let codes: currencies::Codes = named.iter().flat_map(|n| n.codes.iter().cloned()).collect();
    for amount in currencies::english(english) {
        if amount.codes.is_disjoint(&codes) {
            let written = &english[amount.start..amount.end];
            flags.push(Flag {
                kind: FlagKind::Number,
                source: first.written.clone(),
                english: Some(char_span(english, amount.start, amount.end)),
                message: format!(
                    "“{written}”: {place} gives its amounts in another currency (“{}”).",
                    first.written
                ),
            });
        }
    }
}

fn check_calendar(pair: &Pair<'_>, flags: &mut Vec<Flag>) {
    let (fc, ec) = (&pair.french_calendar, &pair.english_calendar);
    for w in fc {
        if !ec.iter().any(|e| e.english == w.english) {
            flags.push(lost(FlagKind::Date, pair.french, w.start, w.end));
        }
    }
    for w in ec {
        // "le Sunday Times": an English word the French itself has is no date added.
        let in_french = pair.french.contains(&pair.english[w.start..w.end]);
        if !fc.iter().any(|f| f.english == w.english) && !in_french {
            flags.push(added(
                FlagKind::Date,
                pair.english,
                w.start,
                w.end,
                "the French",
            ));
        }
    }
}

fn check_names(pair: &Pair<'_>, flags: &mut Vec<Flag>) {
    let (french, english) = (pair.french, pair.english);
    let mut seen = Vec::new();
    for name in names::french_names(french) {
        if seen.contains(&name.text) || calendar::french(name.text).len() == 1 {
            continue;
        }
        seen.push(name.text);
        if let Some(flag) = left_in_french(name.text, english) {
            flags.push(flag);
        } else if !names::french_name_in(name.text, english, &pair.english_words) {
            flags.push(lost(FlagKind::Name, french, name.start, name.end));
        }
    }
    for name in names::names(english) {
        if name.is_acronym()
            && !names::english_acronym_from(name.text, french)
            && !names::english_acronym_from(name.text, pair.shown)
        {
            flags.push(added(
                FlagKind::Name,
                english,
                name.start,
                name.end,
                "the French",
            ));
        }
    }
}

/// The share of the French's length below which English has surely lost content (English runs
/// about 0.9 of French in characters).
const SHORTEST_RATIO: f64 = 0.55;

fn check_missing(french: &str, english: &str, flags: &mut Vec<Flag>) {
    let (f, e) = (french.chars().count(), english.chars().count());
    let sentences = |t: &str| {
        // unicode-segmentation 1.13's sentence iterator subtracts below zero in its size hint
        // on an empty text (a panic where overflow is checked, as in debug builds).
        if t.is_empty() {
            return 0;
        }
        t.unicode_sentences()
            .filter(|s| s.chars().filter(|c| c.is_alphabetic()).count() >= 3)
            .count()
    };
    let (fs, es) = (sentences(french), sentences(english));
    let short = f >= 80 && (e as f64) < SHORTEST_RATIO * f as f64;
    let fewer = fs >= 2 && es * 2 < fs;
    if short || fewer {
        flags.push(Flag {
            kind: FlagKind::Missing,
            source: french.to_string(),
            english: None,
            message: format!(
                "The English is much shorter than the French ({es} sentences for {fs}): part of it may be missing."
            ),
        });
    }
}

fn check_untranslated(english: &str, flags: &mut Vec<Flag>) {
    for (start, sentence) in english.split_sentence_bound_indices() {
        let text = sentence.trim_end();
        if text.split_whitespace().count() >= 5 && is_surely_french(text) {
            flags.push(Flag {
                kind: FlagKind::Untranslated,
                source: text.to_string(),
                english: Some(char_span(english, start, start + text.len())),
                message: "This sentence was left in French.".to_string(),
            });
        }
    }
}

fn dedupe(flags: Vec<Flag>) -> Vec<Flag> {
    let mut out: Vec<Flag> = Vec::new();
    for f in flags {
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

#[cfg(test)]
mod tests;
