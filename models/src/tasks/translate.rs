//! French paragraph → English paragraph.

use super::meta::MetaFilter;
use super::TaskOutput;
use crate::{CancelToken, FinishReason, GenerationParams, Model, ModelError};
use regex::Regex;
use std::sync::LazyLock;

pub(crate) const SYSTEM: &str =
    "You are a professional translator of news articles from French into English. \
Translate the French text the user sends into natural, fluent English. Keep every piece of \
information, every name, number and quotation. Reply with the English translation only: no \
introduction, no explanation, no notes.";

/// Asked when the first answer held no translation at all.
const SYSTEM_STRICT: &str = "Translate the user's French text into English. Output the English \
text and nothing else.";

/// English takes about as many tokens as French; the margin covers the odd long word.
fn budget(source_tokens: usize) -> usize {
    (source_tokens * 2 + 32).max(64)
}

// Literal patterns: a bad one fails every test that translates, never silently.
#[allow(clippy::expect_used)]
static DECIMAL_COMMA: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d),(\d)").expect("a valid literal pattern"));
#[allow(clippy::expect_used)]
static GROUPED_THOUSANDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b\d{1,3}(?:[ \u{a0}\u{202f}]\d{3})+\b").expect("a valid literal pattern")
});

/// French writes "600 000" and "2,5" where English writes "600,000" and "2.5". Small models
/// misread the French forms ("600 000" became "6 million"), so the model is given the English
/// ones; the French the reader sees is unchanged.
fn english_digits(french: &str) -> String {
    let text = DECIMAL_COMMA.replace_all(french, "$1.$2");
    GROUPED_THOUSANDS
        .replace_all(&text, |c: &regex::Captures<'_>| {
            c[0].replace([' ', '\u{a0}', '\u{202f}'], ",")
        })
        .into_owned()
}

/// Translates one French paragraph, streaming the English through `on_delta` as it is written.
/// A second attempt, with a blunter instruction, is made only when the first showed nothing (the
/// model wrote only a preface or note), so what was streamed never needs taking back.
pub fn translate(
    model: &Model,
    french: &str,
    cancel: &CancelToken,
    on_delta: &mut dyn FnMut(&str),
) -> Result<TaskOutput, ModelError> {
    let mut attempts = Vec::new();
    for system in [SYSTEM, SYSTEM_STRICT] {
        let (text, generation) = attempt(model, system, french, cancel, on_delta)?;
        let finish = generation.finish;
        attempts.push(generation);
        if !text.is_empty() || finish == FinishReason::Cancelled {
            return Ok(TaskOutput { text, attempts });
        }
    }
    Ok(TaskOutput {
        text: String::new(),
        attempts,
    })
}

/// Translates again, without streaming, for a repair: the instructions name what the first
/// English lost or changed (`keep`: "600 000 euros", "le 4 novembre", "OTSC"), so that this
/// attempt renders them as the French gives them.
pub fn translate_keeping(
    model: &Model,
    french: &str,
    keep: &[String],
    cancel: &CancelToken,
) -> Result<TaskOutput, ModelError> {
    let system = if keep.is_empty() {
        SYSTEM.to_string()
    } else {
        let listed: Vec<String> = keep.iter().map(|k| format!("\"{k}\"")).collect();
        format!(
            "{SYSTEM} Be careful to render each of these exactly as the French says it, with the \
same numbers, dates and names: {}.",
            listed.join(", ")
        )
    };
    let (text, generation) = attempt(model, &system, french, cancel, &mut |_| {})?;
    Ok(TaskOutput {
        text,
        attempts: vec![generation],
    })
}

/// One generation: the English, cleaned of prefaces and wrapping quotes, and its figures.
fn attempt(
    model: &Model,
    system: &str,
    french: &str,
    cancel: &CancelToken,
    on_delta: &mut dyn FnMut(&str),
) -> Result<(String, crate::Generation), ModelError> {
    let source = english_digits(french);
    let params = GenerationParams {
        max_tokens: budget(model.count_tokens(&source)?),
        ..Default::default()
    };
    let prompt = model.family().chat_prompt(system, &source);
    let mut filter = MetaFilter::new();
    let generation = model.generate(&prompt, &params, cancel, &mut |delta| {
        let shown = filter.push(delta);
        if !shown.is_empty() {
            on_delta(&shown);
        }
    })?;
    let tail = filter.finish();
    if !tail.is_empty() {
        on_delta(&tail);
    }
    Ok((unwrap_quotes(filter.text().trim(), french), generation))
}

/// Models sometimes put the whole answer in quotes; keep them only where the French had them.
fn unwrap_quotes(english: &str, french: &str) -> String {
    let source = french.trim();
    let source_quoted = source.starts_with(['«', '"', '“']) && source.ends_with(['»', '"', '”']);
    let quoted = (english.starts_with('"') && english.ends_with('"'))
        || (english.starts_with('“') && english.ends_with('”'));
    if quoted && !source_quoted && english.chars().count() > 2 {
        let inner: String = english.chars().skip(1).collect();
        let inner: String = inner.chars().take(inner.chars().count() - 1).collect();
        // Only one pair: a quote inside ("… "yes" …") means the quotes belong to the text.
        if !inner.contains(['"', '“', '”']) {
            return inner.trim().to_string();
        }
    }
    english.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_quotes_go_unless_the_french_had_them() {
        assert_eq!(unwrap_quotes("\"He left.\"", "Il est parti."), "He left.");
        assert_eq!(
            unwrap_quotes("\"He left.\"", "« Il est parti. »"),
            "\"He left.\""
        );
        assert_eq!(
            unwrap_quotes(
                "\"Yes\", he said, \"now\"",
                "« Oui », dit-il, « maintenant »"
            ),
            "\"Yes\", he said, \"now\""
        );
    }

    #[test]
    fn numbers_reach_the_model_in_english_form() {
        assert_eq!(
            english_digits(
                "Il coûte 600 000 euros, soit 2,5 % de plus, pour 12\u{202f}500 habitants."
            ),
            "Il coûte 600,000 euros, soit 2.5 % de plus, pour 12,500 habitants."
        );
        assert_eq!(
            english_digits("En 2010, 2011 et 1998 300 élèves"),
            "En 2010, 2011 et 1998 300 élèves"
        );
        assert_eq!(
            english_digits("Le ticket passe de 1,70 euro à 2 euros."),
            "Le ticket passe de 1.70 euro à 2 euros."
        );
    }

    #[test]
    fn budget_grows_with_the_source() {
        assert_eq!(budget(0), 64);
        assert!(budget(200) >= 400);
    }
}
