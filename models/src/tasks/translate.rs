//! French paragraph → English paragraph.

use super::meta::MetaFilter;
use super::TaskOutput;
use crate::{
    Backend, CancelToken, Chat, FinishReason, GenerationParams, ModelError, Quotation, Sampling,
};
use checks::glossary::Term;
use checks::quotes;
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

/// What a translation is asked with, beyond the French itself. The default is the plain,
/// greedy translation that the reader sees first.
#[derive(Debug, Clone, Default)]
pub struct Ask<'a> {
    /// Items a first English lost or changed ("600 000 euros", "le 4 novembre",
    /// "Pachinian"): the instructions ask for them as the French gives them (a repair).
    pub keep: &'a [String],
    /// Earlier text of the article (the French as given, and its English: the previous
    /// paragraph's chunks, or this paragraph's earlier chunks), oldest first: the model reads
    /// them as its own earlier turns, so that names and terms stay the same. Those that do not
    /// fit [`EARLIER_TOKENS`] are left out ([`window`]).
    pub earlier: &'a [(String, String)],
    /// Greedy unless set: sampled candidates for a choice by agreement.
    pub sampling: Sampling,
    /// The reader's glossary terms found in the French: the instructions give their English.
    pub terms: &'a [Term],
    /// Names a first English left in French or lost, with the English a reader knows them by
    /// ("Bakou" as "Baku"): a repair asks for that English, where `keep` would ask for the
    /// French as it is.
    pub names: &'a [Term],
}

impl Ask<'_> {
    fn system(&self) -> String {
        let mut system = SYSTEM.to_string();
        if !self.terms.is_empty() {
            system.push_str(&format!(
                " Use the reader's own terms: translate {}.",
                as_pairs(self.terms)
            ));
        }
        system.push_str(&names_in_english(self.names));
        if !self.keep.is_empty() {
            let listed: Vec<String> = self.keep.iter().map(|k| format!("\"{k}\"")).collect();
            system.push_str(&format!(
                " Be careful to render each of these exactly as the French says it, with the \
same numbers, dates and names: {}.",
                listed.join(", ")
            ));
        }
        system
    }
}

/// The instruction that asks for names a text kept in French in their English form (empty for
/// none): a translation's repair and a summary's rewrite say it alike.
pub(crate) fn names_in_english(names: &[Term]) -> String {
    if names.is_empty() {
        return String::new();
    }
    format!(
        " Write these names as English writes them: {}.",
        as_pairs(names)
    )
}

/// `"OTSC" as "CSTO", "Bakou" as "Baku"`: terms for the instructions.
fn as_pairs(terms: &[Term]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\" as \"{}\"", t.french, t.english))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Translates one French paragraph, streaming the English through `on_delta` as it is written.
/// A second attempt, with a blunter instruction, is made only when the first showed nothing (the
/// model wrote only a preface or note), so what was streamed never needs taking back.
pub fn translate(
    model: &Backend,
    french: &str,
    ask: &Ask<'_>,
    cancel: &CancelToken,
    on_delta: &mut dyn FnMut(&str),
) -> Result<TaskOutput, ModelError> {
    let mut attempts = Vec::new();
    for system in [ask.system(), SYSTEM_STRICT.to_string()] {
        let (text, generation) = attempt(model, &system, french, ask, cancel, on_delta)?;
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

/// Tokens of earlier turns a translation is shown at most: a long previous paragraph (written in
/// several chunks, each a turn) is cut down to this, so that every prompt stays quick to read
/// and many fit the engine's KV budget together.
pub const EARLIER_TOKENS: usize = 1536;

/// Earlier turns are dropped this many at a time, so that the turns kept stay the same for
/// several chunks and a conversation's kept beginning is read again only at each hop.
const WINDOW_HOP: usize = 4;

/// The earlier turns shown, given each one's size in tokens: all of them when they fit
/// `limit`, else the first (the run's opening, with its names) and the latest ones that fit,
/// starting at a multiple of [`WINDOW_HOP`]. A function of the turns alone, so that a
/// paragraph's prompt never depends on what else runs.
pub fn window(sizes: &[usize], limit: usize) -> Vec<usize> {
    if sizes.iter().sum::<usize>() <= limit {
        return (0..sizes.len()).collect();
    }
    let Some(&first) = sizes.first().filter(|&&first| first <= limit) else {
        return Vec::new();
    };
    let mut from = WINDOW_HOP;
    while from < sizes.len() && first + sizes[from..].iter().sum::<usize>() > limit {
        from += WINDOW_HOP;
    }
    let mut kept = vec![0];
    kept.extend(from..sizes.len());
    kept
}

/// The chat a translation of `french` is written from: `system`, and the earlier turns where
/// the prompt and `room` tokens of answer still fit the window.
fn chat(model: &Backend, system: &str, french: &str, ask: &Ask<'_>, room: usize) -> Chat {
    let mut chat = Chat::new(system, &english_digits(french));
    let earlier = ask.earlier;
    // A turn the tokenizer cannot read counts as too big to show.
    let sizes: Vec<usize> = earlier
        .iter()
        .map(|(fr, en)| {
            model
                .count_tokens(fr)
                .and_then(|f| Ok(f + model.count_tokens(en)?))
                .unwrap_or(usize::MAX / 2)
        })
        .collect();
    chat.earlier = window(&sizes, EARLIER_TOKENS)
        .into_iter()
        .map(|i| (english_digits(&earlier[i].0), earlier[i].1.clone()))
        .collect();
    // Context is a help, never a reason to fail: a paragraph it would push past the model's
    // window, or an earlier English the tokenizer cannot read back, goes without it.
    if !chat.earlier.is_empty() {
        let fits = model
            .chat_tokens(&chat)
            .is_ok_and(|n| n + room <= model.info().context_limit);
        if !fits {
            chat = chat.alone();
        }
    }
    chat
}

/// The chat the first, greedy translation of `french` was written from with `ask` (its
/// instructions, terms and context): where its English is read again for its probabilities.
pub(crate) fn written_chat(
    model: &Backend,
    french: &str,
    ask: &Ask<'_>,
    english: &str,
) -> Result<Chat, ModelError> {
    let room = model.count_tokens(english)?;
    Ok(chat(model, &ask.system(), french, ask, room))
}

/// One generation: the English, cleaned of prefaces and wrapping quotes, and its figures.
fn attempt(
    model: &Backend,
    system: &str,
    french: &str,
    ask: &Ask<'_>,
    cancel: &CancelToken,
    on_delta: &mut dyn FnMut(&str),
) -> Result<(String, crate::Generation), ModelError> {
    let params = GenerationParams {
        max_tokens: budget(model.count_tokens(&english_digits(french))?),
        sampling: ask.sampling.clone(),
        quotation: quotation(french),
        ..Default::default()
    };
    let chat = chat(model, system, french, ask, params.max_tokens);
    let mut filter = MetaFilter::new();
    let generation = model.generate(&chat, &params, cancel, &mut |delta| {
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

/// Whether `french` opens with a quotation, as news paragraphs of quoted speech do, and if so
/// whether words follow it: its English opens with one too ([`GenerationParams::quotation`]).
fn quotation(french: &str) -> Option<Quotation> {
    let french = french.trim();
    if !french.starts_with(quotes::OPENING) {
        return None;
    }
    let ends_quoted = french
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
        .ends_with(quotes::CLOSING);
    Some(match ends_quoted {
        true => Quotation::Whole,
        false => Quotation::Attributed,
    })
}

/// Models sometimes put the whole answer in quotes; keep them only where the French opens with
/// one (the built-in engine opens the English with one by force; a remote server's English may
/// still close it before the speaker the French names after).
fn unwrap_quotes(english: &str, french: &str) -> String {
    if quotes::wrapped_in_english_quotes(english) && quotation(french).is_none() {
        let inner: String = english.chars().skip(1).collect();
        let inner: String = inner.chars().take(inner.chars().count() - 1).collect();
        // Only one pair: a quote inside ("… "yes" …") means the quotes belong to the text.
        if !inner.contains(quotes::ENGLISH_OPENING) && !inner.contains(quotes::ENGLISH_CLOSING) {
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
        // Opened in the French, closed there before the speaker: the English that lost the
        // speaker keeps its quotation.
        assert_eq!(
            unwrap_quotes(
                "\"It worries us.\"",
                "« Cela nous inquiète », note l'association."
            ),
            "\"It worries us.\""
        );
        assert_eq!(
            quotation("  \u{201c}Non\u{201d}, dit-il."),
            Some(Quotation::Attributed)
        );
        assert_eq!(quotation("« Non. »"), Some(Quotation::Whole));
        assert_eq!(
            quotation("\"Oui\", dit-il. \"Non\"."),
            Some(Quotation::Whole)
        );
        assert_eq!(quotation("Non, dit-il."), None);
    }

    #[test]
    fn a_repair_asks_for_names_in_english_and_the_rest_as_the_french_says_it() {
        let names = [Term {
            french: "Bakou".into(),
            english: "Baku".into(),
        }];
        let keep = ["jeudi".to_string()];
        let system = Ask {
            keep: &keep,
            names: &names,
            ..Default::default()
        }
        .system();
        assert!(
            system.contains("Write these names as English writes them: \"Bakou\" as \"Baku\".")
                && system.contains("exactly as the French says it, with the same numbers, dates and names: \"jeudi\"."),
            "{system}"
        );
        assert_eq!(Ask::default().system(), SYSTEM);
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
    fn the_window_keeps_the_first_turn_and_the_latest_in_hops() {
        assert_eq!(window(&[10, 10, 10], 30), vec![0, 1, 2]);
        assert_eq!(window(&[], 30), Vec::<usize>::new());
        // Too many: the first and the latest from a multiple of the hop.
        let sizes = [100; 10];
        assert_eq!(window(&sizes, 500), vec![0, 8, 9]);
        assert_eq!(window(&sizes, 700), vec![0, 4, 5, 6, 7, 8, 9]);
        // One more turn leaves the window's start where it was until the next hop.
        assert_eq!(window(&sizes[..9], 700), vec![0, 4, 5, 6, 7, 8]);
        // A first turn bigger than the limit: nothing is shown.
        assert_eq!(window(&[900, 10], 500), Vec::<usize>::new());
    }

    #[test]
    fn budget_grows_with_the_source() {
        assert_eq!(budget(0), 64);
        assert!(budget(200) >= 400);
    }
}
