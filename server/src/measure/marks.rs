//! Whether a mark points at a real difference, judged against the professional reference: the
//! evaluation's precision of each kind of mark.
//!
//! How a mark is judged right:
//! - something of the French said to be lost (a number, a date, a name): the same check, run on
//!   the French and the *reference*, finds it there. The reference kept what the English lost;
//!   where the check cannot find it in the reference either, it is the check that fails (a
//!   name with another English form, a number written another way), and the mark is a false
//!   alarm. A reference that keeps a name in French ("the BCE") has it: the check flags its
//!   form there, not its absence.
//! - something the English added (a number, a date, an acronym): the reference does not have
//!   it (as a word, or for numbers as a value).
//! - content missing: the English is shorter than three quarters of the reference.
//! - a sentence left in French: the reference does not hold it.

use app::api::{Flag, FlagKind};
use checks::{check_translation, numbers};
use std::collections::BTreeMap;

/// Marks of one kind and how many were right.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct KindTally {
    pub marked: usize,
    pub right: usize,
}

impl KindTally {
    pub fn precision(&self) -> Option<f64> {
        (self.marked > 0).then(|| 100.0 * self.right as f64 / self.marked as f64)
    }
}

/// Marks by kind (the wire name), over many paragraphs.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct MarkScore {
    pub kinds: BTreeMap<String, KindTally>,
    /// Every mark judged, for reading.
    pub judged: Vec<Judged>,
}

/// One mark and the judgment on it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Judged {
    pub kind: String,
    /// The French concerned, or the English where the English added it.
    pub text: String,
    /// The paragraph (1-based).
    pub unit: usize,
    pub right: bool,
}

impl MarkScore {
    pub fn add(
        &mut self,
        unit: usize,
        flags: &[Flag],
        french: &str,
        english: &str,
        reference: &str,
    ) {
        // References write "50 000 $" as often as "$50,000".
        let reference = &join_spaced_thousands(reference);
        let on_reference = check_translation(french, reference);
        for flag in flags {
            let Some(right) = judge(flag, english, reference, &on_reference) else {
                continue;
            };
            let kind = flag.kind.as_str();
            let tally = self.kinds.entry(kind.to_string()).or_default();
            tally.marked += 1;
            tally.right += usize::from(right);
            let text = if flag.source.is_empty() {
                flagged_text(flag, english)
            } else {
                flag.source.clone()
            };
            self.judged.push(Judged {
                kind: kind.to_string(),
                text,
                unit,
                right,
            });
        }
    }

    pub fn false_alarms(&self) -> impl Iterator<Item = &Judged> {
        self.judged.iter().filter(|j| !j.right)
    }

    pub fn tally(&self, kind: FlagKind) -> KindTally {
        self.kinds.get(kind.as_str()).copied().unwrap_or_default()
    }
}

/// Whether `flag` on `english` points at a real difference from `reference` (`on_reference`:
/// the check's own flags on the reference); `None` for marks the reference cannot judge (the
/// reader's glossary).
fn judge(
    flag: &Flag,
    english: &str,
    reference: &str,
    on_reference: &[checks::Flag],
) -> Option<bool> {
    let lost = !flag.source.is_empty() && flag.english.is_none();
    Some(match flag.kind {
        // The reader's glossary has no reference; unsure sentences are judged by their chrF
        // (`eval`'s sentence table).
        FlagKind::Glossary | FlagKind::Unsure => return None,
        FlagKind::Missing => {
            (english.chars().count() as f64) < 0.75 * reference.chars().count() as f64
        }
        FlagKind::Untranslated => !reference.contains(flag.source.trim()),
        FlagKind::Number | FlagKind::Date | FlagKind::Name if lost => {
            !on_reference.iter().any(|r| {
                r.english.is_none()
                    && r.source == flag.source
                    && crate::article::repair::wire_kind(r.kind) == flag.kind
            })
        }
        FlagKind::Number | FlagKind::Date | FlagKind::Name => {
            !reference_has(reference, &flagged_text(flag, english))
        }
    })
}

fn flagged_text(flag: &Flag, english: &str) -> String {
    flag.english
        .map(|[s, e]| english.chars().skip(s).take(e - s).collect())
        .unwrap_or_default()
}

/// Whether the reference has `text`: as a word (any case), or, for a number, its value.
fn reference_has(reference: &str, text: &str) -> bool {
    let values: Vec<f64> = numbers::english(text).iter().map(|q| q.value).collect();
    if !values.is_empty() {
        let theirs: Vec<f64> = numbers::english(reference)
            .iter()
            .map(|q| q.value)
            .collect();
        return values
            .iter()
            .all(|v| theirs.iter().any(|t| numbers::same(*t, *v)));
    }
    let (haystack, needle) = (reference.to_lowercase(), text.to_lowercase());
    !needle.is_empty()
        && haystack.match_indices(&needle).any(|(i, _)| {
            !haystack[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
                && !haystack[i + needle.len()..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric)
        })
}

/// "700 000" → "700000": digit groups a space apart, as some English references write them.
pub fn join_spaced_thousands(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let spaced = matches!(c, ' ' | '\u{a0}' | '\u{202f}')
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.len() >= i + 4
            && chars[i + 1..i + 4].iter().all(char::is_ascii_digit)
            && !chars.get(i + 4).is_some_and(char::is_ascii_digit);
        if !spaced {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn spaced_thousands_are_joined_and_other_spaces_kept() {
        assert_eq!(
            join_spaced_thousands("700 000 people, 12\u{a0}500 cars in 2010 1998 and 3 1000"),
            "700000 people, 12500 cars in 2010 1998 and 3 1000"
        );
    }

    use super::*;

    fn flags(french: &str, english: &str) -> Vec<Flag> {
        crate::article::repair::wire(&check_translation(french, english))
    }

    #[test]
    fn a_mark_is_right_where_the_reference_differs_and_wrong_where_it_agrees() {
        let french = "Le FMI prête 600 000 euros à l'Arménie.";
        let reference = "The IMF is lending 600,000 euros to Armenia.";
        // A number lost and a name lost: the reference has both.
        let english = "The IMF is lending 6 million euros to Azerbaijan.";
        let mut score = MarkScore::default();
        score.add(0, &flags(french, english), french, english, reference);
        assert_eq!(
            score.tally(FlagKind::Number),
            KindTally {
                marked: 2,
                right: 2
            }
        );
        assert_eq!(
            score.tally(FlagKind::Name),
            KindTally {
                marked: 1,
                right: 1
            }
        );
        // A name the check cannot find in the reference either is a false alarm.
        let french = "Il a été élu par les Xyzzyens.";
        let reference = "He was elected by the Plughians.";
        let english = "He was elected by the Plughians.";
        let mut score = MarkScore::default();
        score.add(3, &flags(french, english), french, english, reference);
        assert_eq!(
            score.tally(FlagKind::Name),
            KindTally {
                marked: 1,
                right: 0
            }
        );
        let wrong: Vec<&Judged> = score.false_alarms().collect();
        assert_eq!(
            wrong,
            vec![&Judged {
                kind: "name".to_string(),
                text: "Xyzzyens".to_string(),
                unit: 3,
                right: false
            }]
        );
    }

    #[test]
    fn a_name_lost_is_right_where_the_reference_keeps_it_in_french() {
        let french = "La détente a apporté de l'eau au moulin de la BCE.";
        let english = "The easing brought water to the mill of the Bank of Europe.";
        let reference = "The easing brought water to the mills of the BCE.";
        let on_english = flags(french, english);
        assert!(
            on_english
                .iter()
                .any(|f| f.source == "BCE" && f.english.is_none()),
            "{on_english:?}"
        );
        let mut score = MarkScore::default();
        score.add(0, &on_english, french, english, reference);
        assert_eq!(
            score.tally(FlagKind::Name),
            KindTally {
                marked: 1,
                right: 1
            }
        );
    }

    #[test]
    fn an_added_acronym_is_judged_by_the_reference() {
        let french = "Le sommet de l'OTSC s'ouvre.";
        let english = "The OSCE summit opens.";
        let mut score = MarkScore::default();
        score.add(
            0,
            &flags(french, english),
            french,
            english,
            "The CSTO summit opens.",
        );
        let name = score.tally(FlagKind::Name);
        // OTSC lost (the reference has CSTO) and OSCE added (the reference lacks it).
        assert_eq!(
            name,
            KindTally {
                marked: 2,
                right: 2
            }
        );
    }
}
