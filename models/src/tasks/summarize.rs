//! English article → one English paragraph, longer for longer articles, in the model's own
//! words.

use super::meta::MetaFilter;
use super::translate;
use super::TaskOutput;
use crate::{Backend, CancelToken, Chat, FinishReason, GenerationParams, ModelError};
use checks::glossary::Term;
use unicode_segmentation::UnicodeSegmentation;

/// Sentences asked of a summary: one for every two paragraphs of the article, within these
/// bounds. Four sentences cannot tell a long article's end as well as its beginning.
const FEWEST_SENTENCES: usize = 4;
const MOST_SENTENCES: usize = 7;

/// A summary is cut after this many sentences (a model that runs on).
pub const SUMMARY_MAX_SENTENCES: usize = MOST_SENTENCES + 1;

pub(crate) const SYSTEM: &str =
    "You are a news editor. The user sends a news article. Write a summary of \
the whole article in English, in your own words, as one paragraph. The first sentence says \
what happened, who, where and when; the others say why it matters and give the key facts, \
figures and reactions from the whole article, its end as well as its beginning. Do not copy \
the article's sentences. Use only facts from the article, with names as the article gives \
them. Reply with the summary only: no title, no introduction, no notes.";

/// Long articles are summarized from their beginning: news puts the essentials first, and
/// reading more costs the reader minutes on a laptop CPU.
const MAX_INPUT_TOKENS: usize = 3000;
const MAX_SUMMARY_TOKENS: usize = 320;

/// The sentences asked of the summary of an article of `paragraphs` paragraphs.
fn sentences_for(paragraphs: usize) -> usize {
    paragraphs
        .div_ceil(2)
        .clamp(FEWEST_SENTENCES, MOST_SENTENCES)
}

/// What the user's message ends with, after the article: the instruction read last is the one
/// a small model keeps, and the article before it is the same beginning whatever its length,
/// so that a summary's conversation can read it as it is written ([`read_ahead`]).
fn closing(paragraphs: usize) -> String {
    format!(
        "Now write the summary of the whole article above, from its beginning to its end: one \
paragraph of {} sentences, in your own words.",
        sentences_for(paragraphs)
    )
}

/// Summarizes English text (paragraphs separated by blank lines), streaming the summary.
pub fn summarize(
    model: &Backend,
    english: &str,
    cancel: &CancelToken,
    on_delta: &mut dyn FnMut(&str),
) -> Result<TaskOutput, ModelError> {
    summarize_with(model, english, "", cancel, on_delta)
}

/// Summarizes again, without streaming, for a repair: the request names what the first
/// summary said that the article does not (`avoid`: "6 million", "OSCE"), and the names it kept
/// in French with their English (`names`: "Bakou" as "Baku"). It is said after the article, as
/// the closing instruction is, so that the chat begins as the first summary's did and a
/// conversation that read the article reads only the new request.
pub fn summarize_avoiding(
    model: &Backend,
    english: &str,
    avoid: &[String],
    names: &[Term],
    cancel: &CancelToken,
) -> Result<TaskOutput, ModelError> {
    summarize_with(
        model,
        english,
        &avoiding_note(avoid, names),
        cancel,
        &mut |_| {},
    )
}

/// What a summary's rewrite asks besides the first request ([`summarize_avoiding`]).
fn avoiding_note(avoid: &[String], names: &[Term]) -> String {
    let mut note = String::new();
    if !avoid.is_empty() {
        let listed: Vec<String> = avoid.iter().map(|a| format!("\"{a}\"")).collect();
        note = format!(
            " The article does not say {}: do not write it; take every number and name from \
the article as it is written there.",
            listed.join(", ")
        );
    }
    note.push_str(&translate::names_in_english(names));
    note
}

fn summarize_with(
    model: &Backend,
    english: &str,
    note: &str,
    cancel: &CancelToken,
    on_delta: &mut dyn FnMut(&str),
) -> Result<TaskOutput, ModelError> {
    let article = article(model, english, note)?;
    let chat = Chat::new(SYSTEM, &format!("{}{note}", ask(&article)));
    // A small model copies the article's sentences whatever it is told; it is made to find its
    // own words ([`crate::CopyBan`]).
    let params = GenerationParams {
        max_tokens: MAX_SUMMARY_TOKENS,
        avoid_copying: Some(article),
        ..Default::default()
    };
    let mut filter = MetaFilter::new();
    // One paragraph: line breaks the model writes are shown as spaces.
    let emit = |shown: String, on_delta: &mut dyn FnMut(&str)| {
        if !shown.is_empty() {
            on_delta(&shown.replace('\n', " "));
        }
    };
    let generation = model.generate(&chat, &params, cancel, &mut |delta| {
        emit(filter.push(delta), on_delta);
    })?;
    emit(filter.finish(), on_delta);
    let cut = matches!(
        generation.finish,
        FinishReason::Budget | FinishReason::Repetition
    );
    Ok(TaskOutput {
        text: one_paragraph(filter.text(), cut),
        attempts: vec![generation],
    })
}

/// The user's message: the article (paragraphs apart), then what to write of it.
fn ask(article: &str) -> String {
    let paragraphs = article
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .count();
    format!("{article}\n\n{}", closing(paragraphs))
}

/// As much of the article's beginning as leaves room, under the instructions, for the closing
/// instruction, a repair's `note` after it, and the summary.
fn article(model: &Backend, english: &str, note: &str) -> Result<String, ModelError> {
    let overhead = model.chat_tokens(&Chat::new(
        SYSTEM,
        &format!("{}{note}", closing(MOST_SENTENCES * 2)),
    ))?;
    let room = model
        .info()
        .context_limit
        .saturating_sub(overhead + MAX_SUMMARY_TOKENS);
    leading_paragraphs(model, english, MAX_INPUT_TOKENS.min(room))
}

/// Reads the article so far (its English paragraphs while the rest are still being written)
/// into `model`'s conversation as the summary's chat begins, writing nothing: the summary,
/// asked in the same conversation once the article is whole, reads only what came since.
pub fn read_ahead(
    model: &Backend,
    english_so_far: &str,
    cancel: &CancelToken,
) -> Result<(), ModelError> {
    let article = article(model, english_so_far, "")?;
    model.read_ahead(&Chat::new(SYSTEM, &article), cancel)
}

/// The chat the first summary of `article` is written from: where a summary is read again for
/// its probabilities.
pub(crate) fn written_chat(model: &Backend, article: &str) -> Result<Chat, ModelError> {
    let article = self::article(model, article, "")?;
    Ok(Chat::new(SYSTEM, &ask(&article)))
}

/// The paragraphs that fit in `max_tokens`, whole. A first paragraph longer than that alone
/// keeps the sentences that fit (at least its first, cut to its share of the characters): the
/// engine's token counts may be estimates, so the text is never cut at an exact token.
fn leading_paragraphs(
    model: &Backend,
    english: &str,
    max_tokens: usize,
) -> Result<String, ModelError> {
    let mut kept: Vec<String> = Vec::new();
    let mut used = 0;
    for paragraph in english
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let tokens = model.count_tokens(paragraph)?;
        if used + tokens > max_tokens {
            if kept.is_empty() {
                kept.push(leading_sentences(model, paragraph, tokens, max_tokens)?);
            }
            tracing::info!(
                kept = kept.len(),
                "article too long to summarize whole; using its beginning"
            );
            break;
        }
        used += tokens;
        kept.push(paragraph.to_string());
    }
    Ok(kept.join("\n\n"))
}

/// The sentences of `paragraph` (of `tokens` tokens) that fit in `max_tokens`.
fn leading_sentences(
    model: &Backend,
    paragraph: &str,
    tokens: usize,
    max_tokens: usize,
) -> Result<String, ModelError> {
    let mut out = String::new();
    let mut used = 0;
    for sentence in paragraph.unicode_sentences() {
        let n = model.count_tokens(sentence)?;
        if used + n > max_tokens {
            break;
        }
        used += n;
        out.push_str(sentence);
    }
    if out.is_empty() {
        let share = paragraph.chars().count() * max_tokens / tokens.max(1);
        out = paragraph.chars().take(share).collect();
    }
    Ok(out.trim().to_string())
}

/// Joins lines into one paragraph and keeps at most [`SUMMARY_MAX_SENTENCES`] sentences, each
/// once (a small model kept from copying may say one thing twice). A summary `cut` short (its
/// budget ran out, or its repeats were cut) loses the sentence it was in the middle of: "The
/// study also found that even though," tells the reader nothing.
fn one_paragraph(text: &str, cut: bool) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut seen = std::collections::HashSet::new();
    let mut sentences: Vec<&str> = joined
        .unicode_sentences()
        .filter(|s| seen.insert(s.trim().to_string()))
        .take(SUMMARY_MAX_SENTENCES)
        .collect();
    let unfinished = |s: &str| {
        !s.trim_end()
            .trim_end_matches(['"', '\'', '”', '’', '»', ')'])
            .ends_with(['.', '!', '?', '…'])
    };
    if cut && sentences.len() > 1 && sentences.last().is_some_and(|s| unfinished(s)) {
        sentences.pop();
    }
    sentences.concat().trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_names_what_to_leave_out_and_the_names_to_write_in_english() {
        let names = [Term {
            french: "Bakou".to_string(),
            english: "Baku".to_string(),
        }];
        assert_eq!(
            avoiding_note(&["OSCE".to_string()], &names),
            " The article does not say \"OSCE\": do not write it; take every number and name \
from the article as it is written there. Write these names as English writes them: \"Bakou\" \
as \"Baku\"."
        );
        assert_eq!(
            avoiding_note(&[], &names),
            " Write these names as English writes them: \"Bakou\" as \"Baku\"."
        );
        assert_eq!(avoiding_note(&[], &[]), "");
    }

    #[test]
    fn summary_is_one_paragraph_cut_after_the_most_sentences() {
        let text = "One.\nTwo. Three.\n\nFour. Five. Six. Seven. Eight. Nine. Ten.";
        assert_eq!(
            one_paragraph(text, false),
            "One. Two. Three. Four. Five. Six. Seven. Eight."
        );
    }

    #[test]
    fn a_summary_cut_short_loses_its_unfinished_sentence_only() {
        let text = "It rained. The study also found that even though,";
        assert_eq!(one_paragraph(text, true), "It rained.");
        // The model ended it so: kept as written.
        assert_eq!(one_paragraph(text, false), text);
        // A finished last sentence, or the only one, is kept.
        assert_eq!(
            one_paragraph("It rained. \"It was cold.\"", true),
            "It rained. \"It was cold.\""
        );
        assert_eq!(one_paragraph("It rained and", true), "It rained and");
    }

    #[test]
    fn a_sentence_said_twice_is_kept_once() {
        assert_eq!(
            one_paragraph("It rained. It was cold. It rained. It rained.", false),
            "It rained. It was cold."
        );
    }

    #[test]
    fn longer_articles_are_asked_longer_summaries_within_bounds() {
        assert_eq!(sentences_for(1), FEWEST_SENTENCES);
        assert_eq!(sentences_for(8), 4);
        assert_eq!(sentences_for(11), 6);
        assert_eq!(sentences_for(40), MOST_SENTENCES);
        // The count is read from the article the message holds.
        assert!(ask("A.\n\nB.\n\n\n\nC.").ends_with(&closing(3)));
        assert!(ask("A.").starts_with("A.\n\n"));
    }
}
