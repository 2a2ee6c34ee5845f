//! The check-and-repair step between the model and the reader: each paragraph's English is
//! checked against its French (`models::checks`); when something does not match, it is
//! translated again two ways at once (sentence by sentence, and whole with what was lost named
//! in the instructions), and the candidate with the fewest flags is kept. What still fails goes
//! to the reader as flags on the final text. The summary gets one more try the same way.

use app::api::{self, FlagKind};
use checks::{check_summary, glossary};
use models::tasks::{self, TaskOutput};
use models::{Backend, CancelToken, ModelError};

/// A text with what the checker still finds in it, and the generations spent on it.
pub struct Checked {
    pub text: String,
    pub flags: Vec<checks::Flag>,
    pub used: Vec<TaskOutput>,
}

impl Checked {
    /// The text as the model wrote it, with `flags` found in it (none when not checked).
    pub fn as_written(text: String, flags: Vec<checks::Flag>) -> Self {
        Self {
            text,
            flags,
            used: Vec::new(),
        }
    }
}

/// Checks a paragraph's first English (against its French, the French the model was shown
/// before it, and the reader's glossary terms it holds) and, when it fails, repairs it.
pub fn paragraph(
    model: &Backend,
    paragraph: &api::Paragraph,
    shown: &str,
    terms: &[glossary::Term],
    first: String,
    cancel: &CancelToken,
) -> Result<Checked, ModelError> {
    let (french, sentences) = (paragraph.text.as_str(), &paragraph.sentences);
    let check = |text: &str| check_paragraph(shown, french, terms, text);
    let flags = check(&first);
    let mut best = Checked::as_written(first, flags);
    if best.flags.is_empty() || cancel.is_cancelled() {
        return Ok(best);
    }
    let keep = lost_items(&best.flags);
    let (whole, by_sentence) = std::thread::scope(|scope| {
        let whole = scope.spawn(|| retranslate(model, french, &keep, terms, cancel));
        let by_sentence = (sentences.len() > 1).then(|| {
            let parts: Vec<_> = sentences
                .iter()
                .map(|s| {
                    let keep = checks::facts(s);
                    let terms: Vec<glossary::Term> = glossary::applicable(terms, s)
                        .into_iter()
                        .cloned()
                        .collect();
                    scope.spawn(move || retranslate(model, s, &keep, &terms, cancel))
                })
                .collect();
            parts
                .into_iter()
                .map(|thread| super::joined(thread, "repair"))
                .collect::<Result<Vec<_>, _>>()
        });
        (super::joined(whole, "repair"), by_sentence.transpose())
    });
    let mut candidates = vec![whole?];
    if let Some(parts) = by_sentence? {
        let text = parts
            .iter()
            .map(|p| p.text.trim())
            .collect::<Vec<_>>()
            .join(" ");
        candidates.push(TaskOutput {
            text,
            attempts: parts.into_iter().flat_map(|p| p.attempts).collect(),
        });
    }
    keep_best(&mut best, candidates, check);
    tracing::debug!(flags = best.flags.len(), "paragraph repaired");
    Ok(best)
}

/// What the checks find in a paragraph's English: against its French (written after `shown`,
/// [`checks::check_translation_after`]) and the reader's terms.
pub fn check_paragraph(
    shown: &str,
    french: &str,
    terms: &[glossary::Term],
    english: &str,
) -> Vec<checks::Flag> {
    let mut flags = checks::check_translation_after(shown, french, english);
    flags.extend(glossary::check(terms, english));
    flags
}

/// A translation that names what to keep, unstreamed.
fn retranslate(
    model: &Backend,
    french: &str,
    keep: &[String],
    terms: &[glossary::Term],
    cancel: &CancelToken,
) -> Result<TaskOutput, ModelError> {
    let ask = tasks::Ask {
        keep,
        terms,
        ..Default::default()
    };
    tasks::translate(model, french, &ask, cancel, &mut |_| {})
}

/// Replaces `best` by the first candidate with fewer flags than it, if any: on a tie the text
/// the reader already saw stays.
fn keep_best(
    best: &mut Checked,
    candidates: Vec<TaskOutput>,
    check: impl Fn(&str) -> Vec<checks::Flag>,
) {
    for candidate in candidates {
        let flags = check(&candidate.text);
        if !candidate.text.is_empty() && flags.len() < best.flags.len() {
            best.text = candidate.text.clone();
            best.flags = flags;
        }
        best.used.push(candidate);
    }
}

/// Checks a summary against the French and the checked translation and, when it names
/// something neither has, writes it once more with those named as things to leave out.
pub fn summary(
    model: &Backend,
    source: &str,
    french: &str,
    english: &str,
    first: String,
    cancel: &CancelToken,
) -> Result<Checked, ModelError> {
    let flags = check_summary(&first, french, &[english]);
    let mut best = Checked::as_written(first, flags);
    if best.flags.is_empty() || cancel.is_cancelled() {
        return Ok(best);
    }
    tracing::debug!(flags = ?best.flags, summary = %best.text, "the summary is written again");
    let avoid: Vec<String> = best
        .flags
        .iter()
        .filter_map(|f| f.english.map(|span| char_slice(&best.text, span)))
        .collect();
    let again = tasks::summarize_avoiding(model, source, &avoid, cancel)?;
    keep_best(&mut best, vec![again], |text| {
        check_summary(text, french, &[english])
    });
    Ok(best)
}

/// The French of each flag, for the repair's instructions (not the whole paragraph a
/// "missing" flag carries).
fn lost_items(flags: &[checks::Flag]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in flags {
        // A glossary term is asked for with its English, not "as the French says it".
        let asked_otherwise = matches!(
            f.kind,
            checks::FlagKind::Missing | checks::FlagKind::Glossary
        );
        if !asked_otherwise && !f.source.is_empty() && !out.contains(&f.source) {
            out.push(f.source.clone());
        }
    }
    out
}

fn char_slice(text: &str, (start, end): (usize, usize)) -> String {
    text.chars().skip(start).take(end - start).collect()
}

/// The checker's flags as the API writes them.
pub fn wire(flags: &[checks::Flag]) -> Vec<api::Flag> {
    flags
        .iter()
        .map(|f| api::Flag {
            kind: wire_kind(f.kind),
            source: f.source.clone(),
            english: f.english.map(|(s, e)| [s, e]),
            message: f.message.clone(),
        })
        .collect()
}

/// A checker's kind of flag as the API names it.
pub fn wire_kind(kind: checks::FlagKind) -> FlagKind {
    match kind {
        checks::FlagKind::Number => FlagKind::Number,
        checks::FlagKind::Date => FlagKind::Date,
        checks::FlagKind::Name => FlagKind::Name,
        checks::FlagKind::Missing => FlagKind::Missing,
        checks::FlagKind::Untranslated => FlagKind::Untranslated,
        checks::FlagKind::Glossary => FlagKind::Glossary,
        checks::FlagKind::Unsure => FlagKind::Unsure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(text: &str) -> TaskOutput {
        TaskOutput {
            text: text.to_string(),
            attempts: Vec::new(),
        }
    }

    #[test]
    fn the_candidate_with_fewest_flags_is_kept_and_ties_keep_the_first() {
        let french = "Il coûte 600 000 euros depuis le 4 novembre.";
        let check = |text: &str| checks::check_translation(french, text);
        let first = "It has cost 6 million euros since November.";
        let mut best = Checked::as_written(first.to_string(), check(first));
        assert_eq!(best.flags.len(), 3);
        keep_best(
            &mut best,
            vec![
                output("It has cost 600,000 euros since November."),
                output("It has cost 600,000 euros since 4 November."),
                output(""),
            ],
            check,
        );
        assert_eq!(best.text, "It has cost 600,000 euros since 4 November.");
        assert!(best.flags.is_empty());
        assert_eq!(best.used.len(), 3);

        let mut tie = Checked::as_written(first.to_string(), check(first));
        keep_best(
            &mut tie,
            vec![output("It cost 7 million euros since November.")],
            check,
        );
        assert_eq!(tie.text, first);
    }

    #[test]
    fn flags_reach_the_api_with_character_offsets() {
        let flags = wire(&checks::check_translation(
            "Il coûte 600 000 €.",
            "Ça coûte 6 million €.",
        ));
        assert_eq!(flags[1].kind, FlagKind::Number);
        assert_eq!(flags[1].english, Some([9, 18]));
        let json = serde_json::to_value(&flags[1]).expect("json");
        assert_eq!(json["kind"], "number");
    }
}
