//! English article → one English paragraph, longer for longer articles, in the model's own
//! words: a sentence on the whole story, then one on each later run of its paragraphs, in
//! their order.
//!
//! Asked for a whole summary at once, a small model retells the lead whatever it is told (of
//! the sentences of the dev documents' summaries, 45 of 159 told again of a paragraph an
//! earlier sentence had told of), and asked for a sentence on a part of the whole article it
//! is shown, it retells the whole story again. So the first sentence is asked of the whole
//! article, and each later one of the article's opening (its title, or its lead where it has
//! none) and its run alone, all at once: the engine reads the opening once for all the runs,
//! each run once, and the sentences are written side by side.

use super::meta::MetaFilter;
use super::translate;
use super::TaskOutput;
use crate::{Backend, CancelToken, Chat, FinishReason, Generation, GenerationParams, ModelError};
use checks::glossary::Term;
use std::sync::mpsc;
use unicode_segmentation::UnicodeSegmentation;

/// Sentences asked of a summary: one for every two paragraphs of the article, within these
/// bounds. Four sentences cannot tell a long article's end as well as its beginning.
const FEWEST_SENTENCES: usize = 4;
const MOST_SENTENCES: usize = 7;

/// Sentences kept of what one part's request wrote: a model asked for one sentence may need a
/// second short one to finish its thought, never more.
const SENTENCES_PER_PART: usize = 2;

/// A summary has at most this many sentences.
pub const SUMMARY_MAX_SENTENCES: usize = MOST_SENTENCES * SENTENCES_PER_PART;

/// What the story's sentence is written under, and the whole summary read again for its
/// probabilities ([`written_chat`]).
pub(crate) const SYSTEM: &str =
    "You are a news editor. The user sends a news article. Write a summary of \
the whole article in English, in your own words, as one paragraph. The first sentence says \
what happened, who, where and when; the others say why it matters and give the key facts, \
figures and reactions from the whole article, its end as well as its beginning. Do not copy \
the article's sentences. Use only facts from the article, with names as the article gives \
them. Reply with the summary only: no title, no introduction, no notes.";

/// What each part of a summary is written under ([`Part`]).
pub(crate) const PART_SYSTEM: &str =
    "You are a news editor who writes the summary of a news article one sentence \
at a time. The user sends the article's beginning, sometimes a later part of it, and asks for \
one sentence. Write it in English, in your own words, with the facts themselves, not what the \
article does. Do not copy the article's sentences. Use only facts from what the user sends, \
with names as it gives them. Reply with the sentence only: no title, no introduction, no \
notes.";

/// Long articles are summarized from their beginning: news puts the essentials first, and
/// reading more costs the reader minutes on a laptop CPU.
const MAX_INPUT_TOKENS: usize = 3000;
/// What one part's request may write (two sentences of news are about 80 tokens).
const MAX_PART_TOKENS: usize = 96;
/// What the whole summary may come to, for the room it needs in a chat read again for its
/// probabilities ([`written_chat`]).
const MAX_SUMMARY_TOKENS: usize = MOST_SENTENCES * MAX_PART_TOKENS;

/// The sentences asked of the summary of an article of `paragraphs` paragraphs.
fn sentences_for(paragraphs: usize) -> usize {
    paragraphs
        .div_ceil(2)
        .clamp(FEWEST_SENTENCES, MOST_SENTENCES)
}

/// What the user's message ends with when the summary is read as a whole ([`written_chat`]):
/// the instruction read last is the one a small model keeps.
fn closing(paragraphs: usize) -> String {
    format!(
        "Now write the summary of the whole article above, from its beginning to its end: one \
paragraph of {} sentences, in your own words.",
        sentences_for(paragraphs)
    )
}

/// One sentence of the summary, as asked: the story of the whole article, or what a later run
/// of its paragraphs (or, in a short article, sentences) adds to it.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Story,
    Run(String),
}

/// Said between the opening and a run, so that the model tells the run, not the opening.
const LATER: &str = "Later in the article:";

impl Part {
    /// The chat this part is written from, its request last, where a small model keeps it,
    /// then a repair's `note`. The story's: the whole article (a lead may be a dateline or a
    /// line about a video), the chat the summary's conversation reads ahead. A run's: the
    /// article's `opening` ([`parts`]) and the run alone, for shown the whole article a small
    /// model tells the whole story again; the opening first, which every run's chat begins with
    /// ([`beginning`]), so that the engine reads it once for all of them.
    fn chat(&self, article: &str, opening: &str, note: &str) -> Chat {
        match self {
            Part::Story => Chat::new(
                SYSTEM,
                &format!(
                    "{article}\n\nNow write the first sentence of the summary of the whole \
article above, in your own words: what happened, who, where and when. One sentence only.{note}"
                ),
            ),
            Part::Run(run) => Chat::new(
                PART_SYSTEM,
                &format!(
                    "{}{LATER}\n\n{run}\n\nNow write one sentence of the article's summary, in \
your own words, that tells what the article says after \"{LATER}\".{note}",
                    beginning(opening)
                ),
            ),
        }
    }
}

/// How every part's message begins.
fn beginning(opening: &str) -> String {
    format!("The article begins:\n\n{opening}\n\n")
}

/// Lines before the lead that end no sentence (a title, a dateline, a line about a video), at
/// most this many with the lead.
const LEAD_LINES_AT_MOST: usize = 3;

/// The article's opening, which every run is shown, and the parts the summary gives a
/// sentence each: the story, then the article after its lead cut into runs in their order, as
/// many as leave [`sentences_for`] sentences in all. An article of fewer paragraphs than that
/// is cut by its sentences. The lead is the first paragraph that ends a sentence
/// ([`LEAD_LINES_AT_MOST`]): the story's sentence tells it, and a run that began with it would
/// tell it again. The runs are shown the lines before it (the articles' titles are their first
/// lines), or the lead itself where there are none: shown a title and a lead, the model told
/// the lead again in every run.
fn parts(article: &str) -> (String, Vec<Part>) {
    let paragraphs: Vec<&str> = article
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let wanted = sentences_for(paragraphs.len());
    let units: Vec<&str> = if paragraphs.len() >= wanted {
        paragraphs
    } else {
        article
            .unicode_sentences()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    };
    if units.is_empty() {
        return (String::new(), vec![Part::Story]);
    }
    let lead_at = units
        .iter()
        .take(LEAD_LINES_AT_MOST)
        .position(|u| ends_sentence(u))
        .unwrap_or(0);
    let opening = units[..lead_at.max(1)].join("\n\n");
    let rest = &units[lead_at + 1..];
    let runs = (wanted - 1).min(rest.len());
    let mut out = vec![Part::Story];
    let mut start = 0;
    for run in 0..runs {
        // Runs as even as whole units allow, the longer ones first.
        let end = start + (rest.len() - start).div_ceil(runs - run);
        out.push(Part::Run(rest[start..end].join("\n\n")));
        start = end;
    }
    (opening, out)
}

/// A summary as written, with the sentences each of its parts kept, in their order (their
/// text, joined, is the summary's): a repair writes again only the parts at fault.
#[derive(Debug, Clone)]
pub struct Summary {
    pub output: TaskOutput,
    pub parts: Vec<String>,
}

/// Summarizes English text (paragraphs separated by blank lines), streaming the summary.
pub fn summarize(
    model: &Backend,
    english: &str,
    cancel: &CancelToken,
    on_delta: &mut dyn FnMut(&str),
) -> Result<Summary, ModelError> {
    summarize_with(model, english, "", &[], &[], cancel, on_delta)
}

/// What a summary's rewrite is asked ([`summarize_avoiding`]), from what the checks found in
/// the first summary.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rewrite<'a> {
    /// The first summary's parts ([`Summary::parts`]).
    pub first_parts: &'a [String],
    /// What the checks found wrong, as the summary writes it: the parts holding one are
    /// written again.
    pub faults: &'a [String],
    /// What the first summary said that the article does not ("6 million", "OSCE").
    pub avoid: &'a [String],
    /// Of `avoid`, the names the summary added ("Morocco"): each is told the article's own
    /// names in its place ([`named_in_its_place`]).
    pub added_names: &'a [String],
    /// The names it kept in French, with their English ("Bakou" as "Baku").
    pub names: &'a [Term],
}

/// Summarizes again, without streaming, for a repair: the parts of the first summary that hold
/// one of the `rewrite`'s faults are written again, the others kept as they are; every part
/// when none holds one. The request names what the first summary said that the article does
/// not, and the names it kept in French with their English. It is said after each part's
/// request, as the request is, so that the chats begin as the first summary's did and a
/// conversation that read the article reads only the new requests. Those words and the French
/// names are also refused to the writing itself (the built-in engine): asked in words only, a
/// small model writes them again. A name it added is told the article's own names in its
/// place.
pub fn summarize_avoiding(
    model: &Backend,
    english: &str,
    rewrite: &Rewrite<'_>,
    cancel: &CancelToken,
) -> Result<Summary, ModelError> {
    let refused: Vec<String> = rewrite
        .avoid
        .iter()
        .cloned()
        .chain(rewrite.names.iter().map(|n| n.french.clone()))
        .collect();
    let mut note = avoiding_note(rewrite.avoid, rewrite.names);
    for added in rewrite.added_names {
        note.push_str(&named_in_its_place(
            english,
            rewrite.first_parts,
            added,
            &refused,
        ));
    }
    summarize_with(
        model,
        english,
        &note,
        &refused,
        &kept_parts(rewrite.first_parts, rewrite.faults),
        cancel,
        &mut |_| {},
    )
}

/// Of a summary's parts, those to keep as written (`Some`): the ones without any of `faults`.
/// Empty (every part written again) when there is no fault to place, or one that no part
/// holds, for it is still to be put right.
fn kept_parts(parts: &[String], faults: &[String]) -> Vec<Option<String>> {
    let holds = |part: &String, fault: &String| !fault.is_empty() && part.contains(fault.as_str());
    let placed = faults.iter().all(|f| parts.iter().any(|p| holds(p, f)));
    if faults.is_empty() || !placed {
        return Vec::new();
    }
    parts
        .iter()
        .map(|part| (!faults.iter().any(|f| holds(part, f))).then(|| part.clone()))
        .collect()
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

/// Names told in place of one a summary added, at most.
const MOST_IN_PLACE: usize = 3;

/// " In place of "Morocco" the article names Maghreb.": the names of the article's sentence
/// that best matches the summary's sentence holding `added` (most words of four letters or
/// more in common) that the summary's sentence lacks, at most [`MOST_IN_PLACE`], none of them
/// `refused`; empty where there are none. Told only to leave "Morocco" out, a small model
/// wrote "Africa" for the Maghreb; told every name of the part's text, it listed a team sheet.
fn named_in_its_place(
    article: &str,
    summary_parts: &[String],
    added: &str,
    refused: &[String],
) -> String {
    let Some(mut place) = in_its_place(article, summary_parts, added, refused) else {
        return String::new();
    };
    place.names.truncate(MOST_IN_PLACE);
    if place.names.is_empty() {
        return String::new();
    }
    format!(
        " In place of \"{added}\" the article names {}.",
        place.names.join(", ")
    )
}

/// Where a name a summary added stands, and what the article says there ([`in_its_place`]).
struct InItsPlace<'a> {
    /// The summary's sentence that holds the name.
    said: &'a str,
    /// The article's sentence that best matches it.
    sentence: &'a str,
    /// That sentence's names the summary's sentence lacks, in order.
    names: Vec<&'a str>,
}

/// The summary's sentence holding `added`, the article's sentence that best matches it (most
/// words of four letters or more in common, `added` aside), and that sentence's names the
/// summary's sentence lacks, none of them `refused`. `None` where no part holds `added` or no
/// sentence shares a word.
fn in_its_place<'a>(
    article: &'a str,
    summary_parts: &'a [String],
    added: &str,
    refused: &[String],
) -> Option<InItsPlace<'a>> {
    use checks::words::content_words;
    let said = summary_parts
        .iter()
        .flat_map(|p| p.unicode_sentences())
        .find(|s| s.contains(added))?;
    let said_words = content_words(&said.replace(added, ""));
    let (_, sentence) = article
        .unicode_sentences()
        .map(|s| (content_words(s).intersection(&said_words).count(), s))
        .filter(|(shared, _)| *shared > 0)
        .fold(None, |best: Option<(usize, &str)>, c| match best {
            Some(b) if b.0 >= c.0 => Some(b),
            _ => Some(c),
        })?;
    let mut names: Vec<&str> = Vec::new();
    for name in checks::names::names(sentence) {
        let text = name.text;
        let known = said.contains(text)
            || refused.iter().any(|r| r == text)
            || checks::names::names_no_one(&checks::names::fold(text));
        if !known && !names.contains(&text) {
            names.push(text);
        }
    }
    Some(InItsPlace {
        said,
        sentence,
        names,
    })
}

/// `text` with the name a summary added written as the article's own name in its place, where
/// there is one and it stands in the same slot: the article's sentence that best matches the
/// summary's ([`in_its_place`]) holds exactly one name the summary's sentence lacks, and the
/// words just before and just after the two names are the same ("Corsica and Morocco by 2028"
/// where the article says "Corsica and the Maghreb by 2028" gives "Corsica and Maghreb by
/// 2028"; a sentence's start or end counts as the same). A small model renders a name it knows less well by one it knows nearby; where the
/// two do not stand alike, a name put in would say something else, and the summary is written
/// again instead. `summary_parts`: the summary's parts ([`Summary::parts`]); `text` is the
/// summary or one of its parts. `None` where nothing is changed.
pub fn added_name_in_its_place(
    article: &str,
    summary_parts: &[String],
    added: &str,
    text: &str,
) -> Option<String> {
    let place = in_its_place(article, summary_parts, added, &[])?;
    let [name] = place.names.as_slice() else {
        return None;
    };
    let said = neighbours(place.said, added)?;
    if said != neighbours(place.sentence, name)? || said == (None, None) {
        return None;
    }
    let replaced = replace_word(text, added, name);
    (replaced != text).then_some(replaced)
}

/// The words just before and just after the first whole-word `name` in `sentence`, lower case,
/// an article before it passed over ("and the Maghreb": "and"); `None` where it is not there.
fn neighbours(sentence: &str, name: &str) -> Option<(Option<String>, Option<String>)> {
    use checks::words::{word_starts, words};
    let at = word_starts(sentence, name).next()?;
    let before = words(&sentence[..at])
        .into_iter()
        .rev()
        .find(|w| !["the", "a", "an"].contains(&w.as_str()));
    let after = words(&sentence[at + name.len()..]).into_iter().next();
    Some((before, after))
}

/// `text` with every whole-word `from` written `to`.
fn replace_word(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for at in checks::words::word_starts(text, from) {
        out.push_str(&text[copied..at]);
        out.push_str(to);
        copied = at + from.len();
    }
    out + &text[copied..]
}

/// What one part's generation sends the thread that puts the summary together.
enum Piece {
    Shown(String),
    Done(Result<(Generation, String), ModelError>),
    /// A part not written again, once shown: the sentences an earlier summary kept of it.
    Kept(String),
}

/// A part once it is done: written now, or kept from an earlier summary.
enum Finished {
    Written(Generation, String),
    Kept(String),
}

/// Writes the summary's parts, all at once, but those `kept` (by their place; all are written
/// when it does not hold one for every part).
fn summarize_with(
    model: &Backend,
    english: &str,
    note: &str,
    refused: &[String],
    kept: &[Option<String>],
    cancel: &CancelToken,
    on_delta: &mut dyn FnMut(&str),
) -> Result<Summary, ModelError> {
    let article = article(model, english, note)?;
    let (opening, parts) = parts(&article);
    let kept = if kept.len() == parts.len() {
        kept.to_vec()
    } else {
        vec![None; parts.len()]
    };
    let first_run = (1..parts.len()).find(|&k| kept[k].is_none());
    // A small model copies the article's sentences whatever it is told; it is made to find its
    // own words ([`crate::CopyBan`]).
    let params = GenerationParams {
        max_tokens: MAX_PART_TOKENS,
        avoid_copying: Some(article.clone()),
        refuse_words: refused.to_vec(),
        ..Default::default()
    };
    // The story is written in `model`'s conversation, which may have read the article already
    // ([`read_ahead`]); the runs in one of their own, which reads the opening once for them all
    // (the built-in engine; a remote server has its prefix cache).
    let story = &model.in_a_conversation();
    let runs = &model.in_conversation();
    let (to, from) = mpsc::channel::<(usize, Piece)>();
    std::thread::scope(|scope| {
        for (k, part) in parts.iter().enumerate() {
            if let Some(text) = &kept[k] {
                let _ = to.send((k, Piece::Shown(text.clone())));
                let _ = to.send((k, Piece::Kept(text.clone())));
                continue;
            }
            if Some(k) == first_run {
                // Failing, the runs read the opening each; the summary is still written.
                if let Err(err) = read_opening(runs, &opening, cancel) {
                    tracing::debug!(error = %err, "each run of the summary reads the opening");
                }
            }
            let model: &Backend = if *part == Part::Story { story } else { runs };
            let chat = part.chat(&article, &opening, note);
            let (to, params) = (to.clone(), &params);
            scope.spawn(move || {
                let mut filter = MetaFilter::new();
                let show = |shown: String| {
                    if !shown.is_empty() {
                        let _ = to.send((k, Piece::Shown(shown)));
                    }
                };
                let written = model.generate(&chat, params, cancel, &mut |delta| {
                    show(filter.push(delta));
                });
                show(filter.finish());
                let _ = to.send((
                    k,
                    Piece::Done(written.map(|g| (g, filter.text().to_string()))),
                ));
            });
        }
        drop(to);
        in_order(parts.len(), from, on_delta)
    })
}

/// The parts' sentences put together in their order as they come: the part being read is shown
/// as it is written, the later ones once every earlier part is done.
fn in_order(
    parts: usize,
    from: mpsc::Receiver<(usize, Piece)>,
    on_delta: &mut dyn FnMut(&str),
) -> Result<Summary, ModelError> {
    let mut shown: Vec<String> = vec![String::new(); parts];
    let mut done: Vec<Option<Finished>> = (0..parts).map(|_| None).collect();
    let mut failed = None;
    // The part the reader is shown now, and whether anything of the summary has been shown.
    let (mut current, mut started) = (0, false);
    let mut emit = |text: &str, started: &mut bool| {
        // One paragraph: line breaks the model writes are shown as spaces.
        let text = text.replace('\n', " ");
        let text = if *started {
            text
        } else {
            text.trim_start().to_string()
        };
        if !text.is_empty() {
            on_delta(&text);
            *started = true;
        }
    };
    for (k, piece) in from {
        match piece {
            Piece::Shown(text) if k == current => emit(&text, &mut started),
            Piece::Shown(text) => shown[k].push_str(&text),
            Piece::Done(Ok((generation, written))) => {
                done[k] = Some(Finished::Written(generation, written))
            }
            Piece::Kept(text) => done[k] = Some(Finished::Kept(text)),
            Piece::Done(Err(err)) => {
                failed.get_or_insert(err);
            }
        }
        while current < parts && done[current].is_some() && failed.is_none() {
            current += 1;
            if current < parts && started {
                emit(" ", &mut started);
            }
            if let Some(waiting) = shown.get_mut(current) {
                emit(&std::mem::take(waiting), &mut started);
            }
        }
    }
    if let Some(err) = failed {
        return Err(err);
    }
    let mut attempts = Vec::new();
    let mut kept = Vec::new();
    for finished in done.into_iter().flatten() {
        kept.push(match finished {
            Finished::Written(generation, written) => {
                let cut = matches!(
                    generation.finish,
                    FinishReason::Budget | FinishReason::Repetition
                );
                attempts.push(generation);
                sentences(&written, SENTENCES_PER_PART, cut)
            }
            Finished::Kept(text) => text,
        });
    }
    Ok(Summary {
        output: TaskOutput {
            text: one_paragraph(&kept.join(" ")),
            attempts,
        },
        parts: kept,
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
/// instruction of the whole summary, a repair's `note` after it, and the summary: the most a
/// chat of the summary holds ([`written_chat`]; a part's holds less).
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
/// into `model`'s conversation as the summary's story chat begins, writing nothing: the
/// summary, asked in the same conversation once the article is whole, reads only what came
/// since.
pub fn read_ahead(
    model: &Backend,
    english_so_far: &str,
    cancel: &CancelToken,
) -> Result<(), ModelError> {
    let article = article(model, english_so_far, "")?;
    model.read_ahead(&Chat::new(SYSTEM, &article), cancel)
}

/// Reads the runs' shared opening into their conversation. The runs wait for it, so it is read
/// in turn with the prompts that will be written from (not unseen, as [`read_ahead`]'s is).
fn read_opening(model: &Backend, opening: &str, cancel: &CancelToken) -> Result<(), ModelError> {
    model.read_ahead(&Chat::new(PART_SYSTEM, &beginning(opening)), cancel)
}

/// The chat a summary of `article` is read again from for its probabilities: the article, then
/// the request for the whole summary (its parts were written each from its own request).
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

/// Joins lines into one paragraph and keeps at most `most` sentences, each once (a small model
/// kept from copying may say one thing twice). A text `cut` short (its budget ran out, or its
/// repeats were cut) loses the sentence it was in the middle of: "The study also found that
/// even though," tells the reader nothing.
fn sentences(text: &str, most: usize, cut: bool) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut seen = std::collections::HashSet::new();
    let mut sentences: Vec<&str> = joined
        .unicode_sentences()
        .filter(|s| seen.insert(s.trim().to_string()))
        .take(most)
        .collect();
    if cut && sentences.len() > 1 && sentences.last().is_some_and(|s| !ends_sentence(s)) {
        sentences.pop();
    }
    sentences.concat().trim().to_string()
}

/// Whether `text` ends as a sentence does, after any closing quote or bracket.
fn ends_sentence(text: &str) -> bool {
    checks::quotes::before_closers(text).ends_with(['.', '!', '?', '…'])
}

/// The parts' sentences as one paragraph.
fn one_paragraph(text: &str) -> String {
    sentences(text, SUMMARY_MAX_SENTENCES, false)
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
    fn a_name_the_summary_added_is_written_as_the_articles_where_it_stands_alike() {
        let article = "The Grand Port of Marseille opened three stations. Ferries will sail to \
Corsica and the Maghreb from 2028, for 30 million euros. The mayor, Benoît Payan, welcomed it.";
        let parts = [
            "The port opened three stations.".to_string(),
            "Ferries will sail to Corsica and Morocco from 2028. Moroccans cheered.".to_string(),
        ];
        let mended =
            |added: &str, text: &str| added_name_in_its_place(article, &parts, added, text);
        let summary = parts.join(" ");
        assert_eq!(
            mended("Morocco", &summary).as_deref(),
            Some(
                "The port opened three stations. Ferries will sail to Corsica and Maghreb from \
2028. Moroccans cheered."
            )
        );
        // Each part alike; one without the name is left as it is.
        assert_eq!(mended("Morocco", &parts[0]), None);
        // Not in the same slot: the article's name is the mayor's, the summary's a president's.
        let article = "The mayor Payan welcomed the ferries.";
        let parts = ["President Macron welcomed the ferries.".to_string()];
        assert_eq!(
            added_name_in_its_place(article, &parts, "Macron", &parts[0]),
            None
        );
        let parts = ["The mayor Macron welcomed the ferries.".to_string()];
        assert_eq!(
            added_name_in_its_place(article, &parts, "Macron", &parts[0]).as_deref(),
            Some("The mayor Payan welcomed the ferries.")
        );
        // Two names the summary lacks: which one was meant is not known.
        let article = "Ferries will sail to Corsica, Sardinia and the Maghreb from 2028.";
        let parts = ["Ferries will sail to Morocco from 2028.".to_string()];
        assert_eq!(
            added_name_in_its_place(article, &parts, "Morocco", &parts[0]),
            None
        );
    }

    #[test]
    fn a_name_the_summary_added_is_told_the_names_the_article_gives_in_its_place() {
        let article = "The Grand Port of Marseille opened three stations. Ferries will sail to \
Corsica and the Maghreb from 2028, for 30 million euros. Sale beat Castres with Beziat, Tichit \
and Martinez.";
        let parts = [
            "The port opened three stations.".to_string(),
            "Ferries will sail to Corsica and Morocco from 2028.".to_string(),
        ];
        let refused = ["Morocco".to_string()];
        assert_eq!(
            named_in_its_place(article, &parts, "Morocco", &refused),
            " In place of \"Morocco\" the article names Maghreb."
        );
        // A name the summary holds nowhere, or a sentence sharing nothing: nothing to tell.
        assert_eq!(named_in_its_place(article, &parts, "Africa", &refused), "");
        let parts = ["Nothing alike here at all.".to_string()];
        assert_eq!(named_in_its_place(article, &parts, "Nothing", &refused), "");
        // Of a long list, a few.
        let parts = ["Sale beat Castres with Dupont, Tichit and Roux.".to_string()];
        assert_eq!(
            named_in_its_place(article, &parts, "Dupont", &refused),
            " In place of \"Dupont\" the article names Beziat, Martinez."
        );
    }

    #[test]
    fn a_part_keeps_its_first_sentences_and_the_summary_is_one_paragraph() {
        let text = "One.\nTwo. Three.\n\nFour.";
        assert_eq!(sentences(text, 2, false), "One. Two.");
        assert_eq!(one_paragraph(text), "One. Two. Three. Four.");
        let many: String = (1..=SUMMARY_MAX_SENTENCES + 2)
            .map(|i| format!("Sentence {i}. "))
            .collect();
        assert_eq!(
            one_paragraph(&many).unicode_sentences().count(),
            SUMMARY_MAX_SENTENCES
        );
    }

    #[test]
    fn a_summary_cut_short_loses_its_unfinished_sentence_only() {
        let text = "It rained. The study also found that even though,";
        assert_eq!(sentences(text, 2, true), "It rained.");
        // The model ended it so: kept as written.
        assert_eq!(sentences(text, 2, false), text);
        // A finished last sentence, or the only one, is kept.
        assert_eq!(
            sentences("It rained. \"It was cold.\"", 2, true),
            "It rained. \"It was cold.\""
        );
        assert_eq!(sentences("It rained and", 2, true), "It rained and");
    }

    #[test]
    fn a_sentence_said_twice_is_kept_once() {
        assert_eq!(
            one_paragraph("It rained. It was cold. It rained. It rained."),
            "It rained. It was cold."
        );
    }

    #[test]
    fn the_summary_asks_the_leads_story_then_each_later_run_of_the_article_in_order() {
        let run = |t: &str| Part::Run(t.to_string());
        // Eight paragraphs, four sentences: the lead's story, then the seven others in three
        // runs, the longer first.
        let article: Vec<String> = (0..8).map(|i| format!("P{i}.")).collect();
        assert_eq!(
            parts(&article.join("\n\n")),
            (
                "P0.".to_string(),
                vec![
                    Part::Story,
                    run("P1.\n\nP2.\n\nP3."),
                    run("P4.\n\nP5."),
                    run("P6.\n\nP7.")
                ]
            )
        );
        // Fewer paragraphs than sentences: the runs are of sentences.
        assert_eq!(
            parts("A. B.\n\nC. D. E."),
            (
                "A.".to_string(),
                vec![Part::Story, run("B.\n\nC."), run("D."), run("E.")]
            )
        );
        assert_eq!(
            parts("Only this."),
            ("Only this.".to_string(), vec![Part::Story])
        );
        // A title (or a dateline) ends no sentence: the runs are shown it, and begin after
        // the lead, which the story tells.
        let titled = [
            "Title",
            "Updated at 06:36",
            "P0.",
            "P1.",
            "P2.",
            "P3.",
            "P4.",
            "P5.",
        ];
        assert_eq!(
            parts(&titled.join("\n\n")),
            (
                "Title\n\nUpdated at 06:36".to_string(),
                vec![
                    Part::Story,
                    run("P1.\n\nP2."),
                    run("P3.\n\nP4."),
                    run("P5.")
                ]
            )
        );
        // Lines that never end a sentence: the first alone is the lead, and shown.
        let (shown, later) = parts("A\n\nB\n\nC\n\nD.\n\nE.");
        assert_eq!((shown.as_str(), &later[1]), ("A", &run("B\n\nC")));
        assert!(ends_sentence("He said « yes. »") && ends_sentence("(See above.)"));
        assert!(!ends_sentence("Rivers under close surveillance"));
        // The story is told from the whole article; every run's chat begins with the opening.
        // Each asks what it asks last, then a repair's note.
        let story = Part::Story.chat("P0.\n\nP1.", "P0.", "");
        let later = run("P6.").chat("P0.\n\nP1.", "P0.", " Write \"Baku\".");
        assert!(story
            .user
            .starts_with("P0.\n\nP1.\n\nNow write the first sentence"));
        assert!(story.user.ends_with("One sentence only."));
        assert!(later.user.starts_with(&beginning("P0.")) && !later.user.contains("P1."));
        assert!(
            later.user.contains("P6.")
                && later
                    .user
                    .ends_with("after \"Later in the article:\". Write \"Baku\".")
        );
    }

    fn written(text: &str, finish: FinishReason) -> Piece {
        Piece::Done(Ok((
            Generation {
                text: text.to_string(),
                finish,
                prompt_tokens: 0,
                prompt_reused: 0,
                generated_tokens: 0,
                prompt_time: Default::default(),
                generation_time: Default::default(),
                logprobs: Vec::new(),
            },
            text.to_string(),
        )))
    }

    #[test]
    fn the_parts_are_shown_in_their_order_whatever_order_they_are_written_in() {
        let (to, from) = mpsc::channel();
        let shown = |t: &str| Piece::Shown(t.to_string());
        let pieces = [
            (1, shown("Then it")),
            (0, shown("It ")),
            (1, shown(" snowed.")),
            (0, shown("rained.")),
            (2, shown("Later the study found that")),
            (
                2,
                written("Later the study found that", FinishReason::Budget),
            ),
            (
                1,
                written("Then it snowed. Then it snowed.", FinishReason::Stop),
            ),
            (0, written("It rained.", FinishReason::Stop)),
        ];
        for piece in pieces {
            to.send(piece).expect("send");
        }
        drop(to);
        let mut deltas = Vec::new();
        let out = in_order(3, from, &mut |d| deltas.push(d.to_string())).expect("summary");
        // Part 0 as it came, then the parts held back, in order, each after a space.
        assert_eq!(
            deltas.concat(),
            "It rained. Then it snowed. Later the study found that"
        );
        assert_eq!(deltas[..2], ["It ".to_string(), "rained.".to_string()]);
        // The final text: each sentence once, and a part cut short keeps its only sentence.
        assert_eq!(
            out.output.text,
            "It rained. Then it snowed. Later the study found that"
        );
        assert_eq!(out.output.attempts.len(), 3);
        assert_eq!(
            out.parts,
            [
                "It rained.",
                "Then it snowed.",
                "Later the study found that"
            ]
        );

        let (to, from) = mpsc::channel();
        to.send((0, written("It rained.", FinishReason::Stop)))
            .expect("send");
        to.send((1, Piece::Done(Err(ModelError::EngineStopped))))
            .expect("send");
        drop(to);
        assert!(matches!(
            in_order(2, from, &mut |_| {}),
            Err(ModelError::EngineStopped)
        ));
    }

    #[test]
    fn a_rewrite_writes_again_only_the_parts_that_hold_a_fault() {
        let parts = [
            "Marseille opened three berths.".to_string(),
            "Ferries to Morocco will follow by 2028.".to_string(),
            "Every European port must do so by 2030.".to_string(),
        ];
        assert_eq!(
            kept_parts(&parts, &["Morocco".to_string()]),
            [Some(parts[0].clone()), None, Some(parts[2].clone())]
        );
        // A fault no part holds (or none at all): every part is written again.
        assert!(kept_parts(&parts, &["Tunisia".to_string()]).is_empty());
        assert!(kept_parts(&parts, &["Morocco".to_string(), "Tunisia".to_string()]).is_empty());
        assert!(kept_parts(&parts, &[String::new()]).is_empty());
        assert!(kept_parts(&parts, &[]).is_empty());

        // Kept parts come back as they were, in their place, with no generation of their own.
        let (to, from) = mpsc::channel();
        to.send((1, Piece::Shown("Ferries will follow.".to_string())))
            .expect("send");
        to.send((1, written("Ferries will follow.", FinishReason::Stop)))
            .expect("send");
        for k in [0, 2] {
            to.send((k, Piece::Shown(parts[k].clone()))).expect("send");
            to.send((k, Piece::Kept(parts[k].clone()))).expect("send");
        }
        drop(to);
        let mut deltas = Vec::new();
        let out = in_order(3, from, &mut |d| deltas.push(d.to_string())).expect("summary");
        let whole = "Marseille opened three berths. Ferries will follow. Every European port must \
do so by 2030.";
        assert_eq!(out.output.text, whole);
        assert_eq!(deltas.concat(), whole);
        assert_eq!(out.output.attempts.len(), 1);
        assert_eq!(out.parts[1], "Ferries will follow.");
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
