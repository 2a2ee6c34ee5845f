//! One generation as its caller sees it: prompt in, streamed text out, with stop tokens, a token
//! budget, cancellation between tokens and a guard against degenerate repetition. The tokens
//! come from the engine thread, which runs this sequence in the same steps as every other.

use crate::engine::{Command, EngineHandle, Request, SeqEvent};
use crate::error::ModelError;
use crate::likelihood::Likelihood;
use crate::sampling::{CancelToken, CopyBan, FinishReason, Quotation, Sampling, WordBan};
use crate::tokenizer::{TextTokenizer, TokenDecoder};
use std::collections::{HashMap, HashSet};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;
use unicode_segmentation::UnicodeSegmentation;

#[derive(Debug, Clone)]
pub struct GenerationParams {
    /// Most tokens to generate (the stop token not counted).
    pub max_tokens: usize,
    pub sampling: Sampling,
    /// Stop when the output degenerates into one span repeated over and over.
    pub repetition_guard: bool,
    /// Write through stop tokens up to the budget (fixed-length benchmark runs only).
    pub ignore_stop: bool,
    /// A text whose wording the output must not copy: no run of [`COPY_RUN_TOKENS`] tokens of
    /// it followed by its next word ([`CopyBan`]). The built-in engine only: a remote server
    /// is not asked.
    pub avoid_copying: Option<String>,
    /// Words the output may not write, as a check found them in an earlier answer ([`WordBan`]):
    /// each as given and capitalized, after a space or not. The built-in engine only.
    pub refuse_words: Vec<String>,
    /// The output opens a quotation, as its French source does ([`Quotation`]). The built-in
    /// engine only.
    pub quotation: Option<Quotation>,
}

/// Tokens in a row of a text given in [`GenerationParams::avoid_copying`] that an output may
/// write before it must leave the text's wording (about six words).
pub const COPY_RUN_TOKENS: usize = 8;

impl Default for GenerationParams {
    fn default() -> Self {
        Self {
            max_tokens: 512,
            sampling: Sampling::Greedy,
            repetition_guard: true,
            ignore_stop: false,
            avoid_copying: None,
            refuse_words: Vec::new(),
            quotation: None,
        }
    }
}

/// What one generation produced, with the figures the benchmark and the CLI report.
#[derive(Debug, Clone)]
pub struct Generation {
    /// The whole text, special tokens left out, repeats cut.
    pub text: String,
    pub finish: FinishReason,
    pub prompt_tokens: usize,
    /// Of those, the tokens not read again: their keys and values came from the conversation's
    /// earlier turns or from a shared beginning (0 where the engine does not say).
    pub prompt_reused: usize,
    /// Tokens the model produced, the stop token not counted.
    pub generated_tokens: usize,
    /// Reading the prompt (time to the first token).
    pub prompt_time: Duration,
    /// Producing every token after the first.
    pub generation_time: Duration,
    /// Each written token's log-probability, where the engine gives them (remote servers asked
    /// for `logprobs`); empty otherwise. For confidence estimates on any engine.
    pub logprobs: Vec<TokenLogprob>,
}

/// One written token and how likely the model found it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenLogprob {
    pub token: String,
    pub logprob: f32,
    /// What the whole distribution it was chosen from says ([`Likelihood`]): the built-in
    /// engine's; remote servers give only the token's log-probability.
    pub spread: Option<Spread>,
}

/// A token's boosted log-probability and its distribution's entropy ([`Likelihood`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub boosted: f32,
    pub entropy: f32,
}

impl TokenLogprob {
    fn read(token: String, likelihood: Likelihood) -> Self {
        Self {
            token,
            logprob: likelihood.logprob,
            spread: Some(Spread {
                boosted: likelihood.boosted,
                entropy: likelihood.entropy,
            }),
        }
    }
}

impl Generation {
    pub fn prompt_tokens_per_second(&self) -> f64 {
        per_second(self.prompt_tokens, self.prompt_time)
    }

    pub fn generated_tokens_per_second(&self) -> f64 {
        per_second(self.generated_tokens, self.generation_time)
    }
}

pub(crate) fn per_second(count: usize, time: Duration) -> f64 {
    let secs = time.as_secs_f64();
    if secs > 0.0 {
        count as f64 / secs
    } else {
        0.0
    }
}

/// The runs and sentences of `source` an output may not copy, a line at a time. Each line is
/// read after a space, as its first word is written inside a sentence.
fn copy_ban(tokenizer: &TextTokenizer, source: &str) -> Result<CopyBan, ModelError> {
    let lines: Vec<&str> = source
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let runs = lines
        .iter()
        .map(|l| tokenizer.encode(&format!(" {l}")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut sentences = Vec::new();
    for sentence in lines.iter().flat_map(|l| l.unicode_sentences()) {
        for begun in sentence_beginnings(sentence) {
            let ids = tokenizer.encode(&begun)?;
            if !sentences.contains(&ids) {
                sentences.push(ids);
            }
        }
    }
    // Each source token that starts a common word, with the tokens that write or begin the
    // same word in any case; and the tokens that end in a digit.
    let mut forms: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut digits: HashSet<u32> = HashSet::new();
    for &id in runs.iter().chain(&sentences).flatten() {
        if forms.contains_key(&id) {
            continue;
        }
        let text = tokenizer.decode(&[id], false)?;
        if text.ends_with(|c: char| c.is_ascii_digit()) {
            digits.insert(id);
        }
        let Some(word) = common_word(&text) else {
            forms.insert(id, Vec::new());
            continue;
        };
        let mut same = vec![id];
        for other in [
            word.to_string(),
            word.to_lowercase(),
            capitalized(word),
            word.to_uppercase(),
        ] {
            let chars: Vec<char> = other.chars().collect();
            for end in SHORTEST_FORM.min(chars.len())..=chars.len() {
                let begun: String = chars[..end].iter().collect();
                if let [one] = tokenizer.encode(&format!(" {begun}"))?[..] {
                    if !same.contains(&one) {
                        same.push(one);
                    }
                }
            }
        }
        forms.insert(id, same);
    }
    let alphabet: HashSet<char> = source.chars().flat_map(char::to_lowercase).collect();
    let foreign = tokenizer
        .unusual_letters()?
        .iter()
        .filter(|(_, letters)| letters.iter().any(|c| !alphabet.contains(c)))
        .map(|&(id, _)| id)
        .collect();
    Ok(CopyBan::new(
        &runs,
        &sentences,
        COPY_RUN_TOKENS,
        // The word after a number is its unit or scale ("8 million", "12 tonnes"): part of
        // the fact, which is written as the source has it. Pushed off it, a small model
        // writes another number ("8. 5 million").
        |before, id| {
            if digits.contains(&before) {
                Vec::new()
            } else {
                forms.get(&id).cloned().unwrap_or_default()
            }
        },
        tokenizer.joins()?,
    )
    .with_foreign_letters(foreign))
}

/// The spellings of `words` an output may not write ([`GenerationParams::refuse_words`]);
/// `None` when there are none.
fn word_ban(
    tokenizer: &TextTokenizer,
    words: &[String],
) -> Result<Option<Arc<WordBan>>, ModelError> {
    let mut spellings: Vec<Vec<u32>> = Vec::new();
    for word in words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
        // A number only after a space: digits are tokens of their own, and "7" refused wherever
        // it comes would refuse "2017" too.
        let numeral = word.starts_with(|c: char| c.is_ascii_digit());
        for form in [word.to_string(), capitalized(word)] {
            let spelt_as = [Some(format!(" {form}")), (!numeral).then_some(form)];
            for spelt in spelt_as.into_iter().flatten() {
                let ids = tokenizer.encode(&spelt)?;
                if !ids.is_empty() && !spellings.contains(&ids) {
                    spellings.push(ids);
                }
            }
        }
    }
    let ban = WordBan::new(&spellings);
    Ok((!ban.is_empty()).then(|| Arc::new(ban)))
}

/// Sentences of fewer words may be written whole: "He resigned." is no copied wording.
const WHOLE_SENTENCE_WORDS: usize = 3;

/// How an output could begin writing `sentence` whole, its closing marks left out: first in
/// the output or after a space, capitalized or not. None for a sentence of few words.
fn sentence_beginnings(sentence: &str) -> Vec<String> {
    let body = sentence
        .trim()
        .trim_end_matches(|c: char| !c.is_alphanumeric());
    let words = body
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .count();
    if words < WHOLE_SENTENCE_WORDS {
        return Vec::new();
    }
    let mut chars = body.chars();
    let lowered: String = chars
        .next()
        .map(|first| first.to_lowercase().chain(chars).collect())
        .unwrap_or_default();
    let mut out = vec![body.to_string(), format!(" {body}"), format!(" {lowered}")];
    out.dedup();
    out
}

/// The word a token starts, where a copy may be refused there: a common word after a space.
/// Names and numbers are written as the source has them, so a copy is left at a common word,
/// where saying it another way keeps the facts; a bare space says nothing of what follows.
fn common_word(token: &str) -> Option<&str> {
    token
        .strip_prefix(char::is_whitespace)
        .filter(|w| w.starts_with(|c: char| c.is_alphabetic() && !c.is_uppercase()))
}

/// The fewest letters of a refused word that a token beginning it must have to be refused too
/// (" OR" of "Orford"); a single letter is too often a word of its own.
const SHORTEST_FORM: usize = 2;

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

impl Route {
    /// The group, the conversation and whether it is unseen, as the engine's requests carry
    /// them.
    pub(crate) fn parts(self) -> (u64, Option<u64>, bool) {
        (self.group, self.conversation, self.unseen)
    }
}

/// Which chats belong together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Route {
    /// One reader's article: the built-in engine lets groups take turns, a remote pool keeps a
    /// group on one server (its prompt cache).
    pub group: u64,
    /// A chain of turns, each chat the one before plus its answer and a new message: the
    /// built-in engine keeps the chain's keys and values between chats, so that each turn reads
    /// only what is new ([`crate::Backend::in_conversation`]).
    pub conversation: Option<u64>,
    /// Nobody reads the output as it is written (a paragraph's predecessor written only to be
    /// shown to it): the built-in engine reads its prompt after the prompts whose first words a
    /// reader waits for ([`crate::Backend::unseen`]).
    pub unseen: bool,
}

/// What a generation needs of a loaded model: its engine, its tokenizer, its context length
/// and the group its sequences take turns in.
pub(crate) struct Target<'a> {
    pub(crate) engine: &'a EngineHandle,
    pub(crate) tokenizer: &'a TextTokenizer,
    pub(crate) context_limit: usize,
    pub(crate) route: Route,
}

/// A prompt's tokens, refused when empty or too long for the model's window.
fn prompt_ids(
    tokenizer: &TextTokenizer,
    prompt: &str,
    context_limit: usize,
) -> Result<Vec<u32>, ModelError> {
    let ids = tokenizer.encode_checked(prompt)?;
    if ids.is_empty() {
        return Err(ModelError::EmptyPrompt);
    }
    if ids.len() >= context_limit {
        return Err(ModelError::PromptTooLong {
            tokens: ids.len(),
            limit: context_limit,
        });
    }
    Ok(ids)
}

pub(crate) fn run(
    target: Target<'_>,
    prompt: &str,
    params: &GenerationParams,
    cancel: &CancelToken,
    on_delta: &mut dyn FnMut(&str),
) -> Result<Generation, ModelError> {
    let Target {
        engine,
        tokenizer,
        context_limit,
        route,
    } = target;
    let prompt_ids = prompt_ids(tokenizer, prompt, context_limit)?;
    let budget = params.max_tokens.min(context_limit - prompt_ids.len());
    let mut outcome = Generation {
        text: String::new(),
        finish: FinishReason::Cancelled,
        prompt_tokens: prompt_ids.len(),
        prompt_reused: 0,
        generated_tokens: 0,
        prompt_time: Duration::ZERO,
        generation_time: Duration::ZERO,
        logprobs: Vec::new(),
    };
    if cancel.is_cancelled() || budget == 0 {
        outcome.finish = if cancel.is_cancelled() {
            FinishReason::Cancelled
        } else {
            FinishReason::Budget
        };
        return Ok(outcome);
    }

    let (events, tokens) = mpsc::channel();
    let copy_ban = match &params.avoid_copying {
        Some(source) => Some(Arc::new(copy_ban(tokenizer, source)?)),
        None => None,
    };
    let word_ban = word_ban(tokenizer, &params.refuse_words)?;
    let quotation = match params.quotation {
        Some(how) => Some((how, tokenizer.quotation_tokens()?)),
        None => None,
    };
    engine.send(Command::Generate(Request {
        max_tokens: budget,
        sampling: params.sampling.clone(),
        repetition_guard: params.repetition_guard,
        ignore_stop: params.ignore_stop,
        copy_ban,
        word_ban,
        quotation,
        ..Request::reading(prompt_ids, route.parts(), cancel, events)
    }))?;
    let mut generated: Vec<u32> = Vec::new();
    let mut decoder = TokenDecoder::new(tokenizer);
    let finish = loop {
        match tokens.recv() {
            Ok(SeqEvent::Token(next, likelihood)) => {
                generated.push(next);
                let delta = decoder.push(next)?;
                outcome.logprobs.push(TokenLogprob::read(
                    delta.clone().unwrap_or_default(),
                    likelihood,
                ));
                if let Some(delta) = delta {
                    on_delta(&delta);
                }
                // The engine may already be a step further; what it wrote after the cancel is
                // dropped here, and it lets the sequence go at its next step.
                if cancel.is_cancelled() {
                    outcome.generated_tokens = generated.len();
                    break FinishReason::Cancelled;
                }
            }
            Ok(SeqEvent::Finished(end)) => {
                outcome.prompt_time = end.prompt_time;
                outcome.prompt_reused = end.reused;
                outcome.generation_time = end.generation_time;
                outcome.generated_tokens = end.generated.max(generated.len());
                generated.truncate(end.keep);
                outcome.logprobs.truncate(end.keep);
                break end.reason;
            }
            Ok(SeqEvent::Scored(_)) => {}
            Ok(SeqEvent::Failed(err)) => return Err(err),
            Err(_) => return Err(ModelError::EngineStopped),
        }
    };
    if let Some(delta) = decoder.finish()? {
        if let Some(last) = outcome.logprobs.last_mut() {
            last.token.push_str(&delta);
        }
        on_delta(&delta);
    }
    outcome.text = tokenizer.decode(&generated, true)?;
    outcome.finish = finish;
    Ok(outcome)
}

/// Reads `prompt` into the target's conversation and writes nothing: a beginning that a later
/// request continues reads only what comes after it.
pub(crate) fn read(
    target: Target<'_>,
    prompt: &str,
    cancel: &CancelToken,
) -> Result<(), ModelError> {
    let Target {
        engine,
        tokenizer,
        context_limit,
        route,
    } = target;
    if route.conversation.is_none() {
        return Ok(());
    }
    let ids = prompt_ids(tokenizer, prompt, context_limit)?;
    let (events, replies) = mpsc::channel();
    engine.send(Command::Generate(Request::reading(
        ids,
        route.parts(),
        cancel,
        events,
    )))?;
    loop {
        match replies.recv() {
            Ok(SeqEvent::Finished(_)) => return Ok(()),
            Ok(SeqEvent::Failed(err)) => return Err(err),
            Ok(_) => {}
            Err(_) => return Err(ModelError::EngineStopped),
        }
    }
}

/// Each token of `answer` read after `prompt`, with its log-probability, in one prompt pass (no
/// token is written): how likely the model finds that answer.
pub(crate) fn score(
    target: Target<'_>,
    prompt: &str,
    answer: &str,
    cancel: &CancelToken,
) -> Result<Vec<TokenLogprob>, ModelError> {
    let Target {
        engine,
        tokenizer,
        context_limit,
        route,
    } = target;
    let mut ids = tokenizer.encode_checked(prompt)?;
    let from = ids.len();
    let answer_ids = tokenizer.encode_checked(answer)?;
    ids.extend(&answer_ids);
    if from == 0 || ids.len() == from {
        return Err(ModelError::EmptyPrompt);
    }
    if ids.len() >= context_limit {
        return Err(ModelError::PromptTooLong {
            tokens: ids.len(),
            limit: context_limit,
        });
    }
    let (events, replies) = mpsc::channel();
    engine.send(Command::Generate(Request {
        score_from: Some(from),
        ..Request::reading(ids, route.parts(), cancel, events)
    }))?;
    let mut scores = Vec::new();
    loop {
        match replies.recv() {
            Ok(SeqEvent::Scored(s)) => scores = s,
            // Cancelled: nothing was scored, which the caller's own cancel check tells.
            Ok(SeqEvent::Finished(end)) if end.reason == FinishReason::Cancelled => {
                return Ok(Vec::new())
            }
            Ok(SeqEvent::Finished(_)) => {
                let mut decoder = TokenDecoder::new(tokenizer);
                let mut out = Vec::with_capacity(scores.len());
                for (&id, likelihood) in answer_ids.iter().zip(scores) {
                    let token = decoder.push(id)?.unwrap_or_default();
                    out.push(TokenLogprob::read(token, likelihood));
                }
                if let (Some(rest), Some(last)) = (decoder.finish()?, out.last_mut()) {
                    last.token.push_str(&rest);
                }
                return Ok(out);
            }
            Ok(SeqEvent::Token(..)) => {}
            Ok(SeqEvent::Failed(err)) => return Err(err),
            Err(_) => return Err(ModelError::EngineStopped),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::TinyModel;
    use crate::sampling::Joins;
    use crate::Model;

    /// Generates from the test prompt with default parameters and no cancellation.
    fn run_default(model: &Model) -> Generation {
        let p = prompt(model);
        model
            .generate(
                &p,
                &GenerationParams::default(),
                &CancelToken::new(),
                &mut |_| {},
            )
            .expect("generate")
    }

    fn prompt(model: &Model) -> String {
        model
            .family()
            .chat_prompt("Translate into English.", "Bonjour à tous.")
    }

    #[test]
    fn budget_bounds_the_output_and_deltas_add_up_to_the_text() {
        let (_dir, model) = TinyModel::qwen2().loaded();
        let params = GenerationParams {
            max_tokens: 12,
            repetition_guard: false,
            ..Default::default()
        };
        let p = prompt(&model);
        let mut streamed = String::new();
        let out = model
            .generate(&p, &params, &CancelToken::new(), &mut |d| {
                streamed.push_str(d)
            })
            .expect("generate");
        assert!(matches!(
            out.finish,
            FinishReason::Budget | FinishReason::Stop
        ));
        assert!(out.generated_tokens <= 12);
        assert_eq!(streamed, out.text);
        assert!(out.prompt_tokens > 10);
    }

    #[test]
    fn greedy_decoding_is_reproducible() {
        let (_dir, model) = TinyModel::qwen2().loaded();
        let params = GenerationParams {
            max_tokens: 16,
            ..Default::default()
        };
        let p = prompt(&model);
        let a = model
            .generate(&p, &params, &CancelToken::new(), &mut |_| {})
            .expect("first");
        let b = model
            .generate(&p, &params, &CancelToken::new(), &mut |_| {})
            .expect("second");
        assert_eq!(a.text, b.text);
        assert_eq!(a.generated_tokens, b.generated_tokens);
    }

    #[test]
    fn stop_token_ends_the_turn() {
        let (_dir, model) = TinyModel::qwen2().favouring("<|im_end|>").loaded();
        let out = run_default(&model);
        assert_eq!(out.finish, FinishReason::Stop);
        assert_eq!(out.generated_tokens, 0);
        assert_eq!(out.text, "");
    }

    #[test]
    fn degenerate_output_is_stopped_and_cut() {
        let (_dir, model) = TinyModel::qwen2().favouring("a").loaded();
        let out = run_default(&model);
        assert_eq!(out.finish, FinishReason::Repetition);
        assert_eq!(out.text, "a");
        assert!(
            out.generated_tokens >= 24,
            "the guard should wait for a real loop"
        );
    }

    /// The text a tiny model that favours `token` writes (at most four tokens) as asked.
    fn written_as(token: &str, quotation: Option<Quotation>) -> (String, FinishReason) {
        let (_dir, model) = TinyModel::qwen2().favouring(token).loaded();
        let params = GenerationParams {
            max_tokens: 4,
            quotation,
            ..Default::default()
        };
        let out = model
            .generate(&prompt(&model), &params, &CancelToken::new(), &mut |_| {})
            .expect("generate");
        (out.text, out.finish)
    }

    #[test]
    fn an_output_asked_to_open_a_quotation_opens_with_a_quotation_mark_and_goes_on_freely() {
        assert_eq!(written_as("a", None).0, "aaaa");
        assert_eq!(written_as("a", Some(Quotation::Whole)).0, "\"aaa");
        assert_eq!(written_as("a", Some(Quotation::Attributed)).0, "\"aaa");
        let (_dir, model) = TinyModel::qwen2().loaded();
        let tokenizer = model.tokenizer();
        let quote = tokenizer.encode("\"").expect("encode");
        let tokens = tokenizer.quotation_tokens().expect("quotation tokens");
        assert_eq!(tokens.openers, quote, "the tiny vocabulary's one opener");
        assert_eq!(tokens.closers, quote, "and closer");
    }

    #[test]
    fn an_output_whose_quotation_has_its_speaker_after_it_does_not_stop_after_the_quotation() {
        // A model that would stop at once: opened by force, a whole quotation may end there,
        // one with its speaker after it must go on past its closing mark.
        assert_eq!(
            written_as("<|im_end|>", None),
            (String::new(), FinishReason::Stop)
        );
        assert_eq!(
            written_as("<|im_end|>", Some(Quotation::Whole)),
            ("\"".to_string(), FinishReason::Stop)
        );
        let (text, finish) = written_as("<|im_end|>", Some(Quotation::Attributed));
        assert!(text.starts_with('"') && text.len() > 1, "{text:?}");
        assert_eq!(finish, FinishReason::Stop, "{text:?}");
    }

    #[test]
    fn cancellation_is_seen_between_tokens() {
        let (_dir, model) = TinyModel::qwen2().favouring("a").loaded();
        let p = prompt(&model);
        let cancel = CancelToken::new();
        let mut deltas = 0;
        let out = model
            .generate(&p, &GenerationParams::default(), &cancel, &mut |_| {
                deltas += 1;
                cancel.cancel();
            })
            .expect("generate");
        assert_eq!(out.finish, FinishReason::Cancelled);
        assert_eq!(out.generated_tokens, 1);
        assert_eq!(deltas, 1);

        let out = model
            .generate(&p, &GenerationParams::default(), &cancel, &mut |_| {})
            .expect("generate");
        assert_eq!(
            (out.finish, out.generated_tokens),
            (FinishReason::Cancelled, 0)
        );
    }

    /// Runs `ids` through the engine directly: greedy tokens with their log-probabilities,
    /// or (with `score_from`) the prompt's own tokens scored.
    fn engine_run(
        model: &Model,
        ids: Vec<u32>,
        max_tokens: usize,
        score_from: Option<usize>,
    ) -> (Vec<(u32, Likelihood)>, Vec<Likelihood>) {
        let (events, replies) = mpsc::channel();
        model
            .engine()
            .send(Command::Generate(Request {
                max_tokens,
                ignore_stop: true,
                score_from,
                ..Request::reading(ids, Route::default().parts(), &CancelToken::new(), events)
            }))
            .expect("send");
        let (mut written, mut scored) = (Vec::new(), Vec::new());
        loop {
            match replies.recv().expect("engine answers") {
                SeqEvent::Token(t, lp) => written.push((t, lp)),
                SeqEvent::Scored(s) => scored = s,
                SeqEvent::Finished(_) => return (written, scored),
                SeqEvent::Failed(e) => panic!("{e}"),
            }
        }
    }

    /// The tiny model, the test prompt's tokens and the `max_tokens` tokens it writes with
    /// nothing refused.
    fn written_freely(max_tokens: usize) -> (tempfile::TempDir, Model, Vec<u32>, Vec<u32>) {
        let (dir, model) = TinyModel::qwen2().loaded();
        let prompt_ids = model.tokenizer().encode(&prompt(&model)).expect("encode");
        let (free, _) = engine_run(&model, prompt_ids.clone(), max_tokens, None);
        let free = free.into_iter().map(|(t, _)| t).collect();
        (dir, model, prompt_ids, free)
    }

    /// The tokens the engine writes for `ids` under a copy ban and a word ban.
    fn banned_run(
        model: &Model,
        ids: Vec<u32>,
        max_tokens: usize,
        (copy_ban, word_ban): (Option<Arc<CopyBan>>, Option<Arc<WordBan>>),
    ) -> Vec<u32> {
        let (events, replies) = mpsc::channel();
        model
            .engine()
            .send(Command::Generate(Request {
                max_tokens,
                ignore_stop: true,
                copy_ban,
                word_ban,
                ..Request::reading(ids, Route::default().parts(), &CancelToken::new(), events)
            }))
            .expect("send");
        let mut told = Vec::new();
        while let SeqEvent::Token(t, _) = replies.recv().expect("engine answers") {
            told.push(t);
        }
        told
    }

    #[test]
    fn the_engine_leaves_a_text_it_may_not_copy() {
        let (_dir, model, prompt_ids, free) = written_freely(24);
        // Every token taken for a word of its own, none glued: the greedy text itself may not
        // be copied for more than three tokens.
        let apart: Arc<[Joins]> = vec![Joins::Apart; model.tokenizer().vocab_size()].into();
        let ban = CopyBan::new(std::slice::from_ref(&free), &[], 4, |_, t| vec![t], apart);
        let told = banned_run(&model, prompt_ids, 24, (Some(Arc::new(ban)), None));
        assert_eq!(told.len(), 24);
        assert_eq!(told[..3], free[..3], "the first tokens are free");
        assert_ne!(told[3], free[3], "the fourth would copy");
        let copied: Vec<&[u32]> = free.windows(4).collect();
        assert!(told.windows(4).all(|w| !copied.contains(&w)));
    }

    #[test]
    fn the_engine_does_not_write_a_refused_word() {
        let (_dir, model, prompt_ids, free) = written_freely(8);
        // The free text's third and fourth tokens as one word: the fourth is refused there.
        let ban = WordBan::new(&[free[2..4].to_vec()]);
        let told = banned_run(&model, prompt_ids, 8, (None, Some(Arc::new(ban))));
        assert_eq!(told[..3], free[..3], "what comes before the word is free");
        assert_ne!(told[3], free[3], "the word is not finished");
    }

    #[test]
    fn a_refused_word_is_refused_in_each_spelling() {
        let (_dir, model) = TinyModel::qwen2().loaded();
        let tokenizer = model.tokenizer();
        let ban = word_ban(tokenizer, &["the a".to_string(), " ".to_string()])
            .expect("ban")
            .expect("words to refuse");
        let ids = |t: &str| tokenizer.encode(t).expect("encode");
        // " the a", " The a", "the a", "The a": the last token refused after the others.
        for spelt in [" the a", " The a", "the a", "The a"] {
            let spelt = ids(spelt);
            let (last, before) = spelt.split_last().expect("tokens");
            assert!(ban.refused(before).contains(last), "{spelt:?}");
        }
        // Not before the word begins, and a blank word refuses nothing.
        assert!(ban.refused(&ids(" a")).is_empty());
        assert!(word_ban(tokenizer, &[" ".to_string()])
            .expect("ban")
            .is_none());
        // A number is refused after a space only, not inside another ("2017" for "7").
        let seven = word_ban(tokenizer, &["7".to_string()])
            .expect("ban")
            .expect("a number to refuse");
        let digit = ids("7");
        assert_eq!(digit.len(), 1, "a digit is a token of its own");
        assert!(seven.refused(&ids(" ")).contains(&digit[0]));
        assert!(!seven.refused(&ids(" 201")).contains(&digit[0]));
        // A word of one token is refused wherever it would come.
        let one = WordBan::new(&[ids(" the")]);
        assert_eq!(one.refused(&ids(" a a")), ids(" the"));
        let logits = vec![0.0; tokenizer.vocab_size()];
        let limits = crate::sampling::Limits {
            word_ban: Some(&one),
            ..Default::default()
        };
        let allowed = crate::sampling::allowed(limits, &[], &logits).expect("refused");
        assert_eq!(allowed[ids(" the")[0] as usize], f32::NEG_INFINITY);
        assert!(crate::sampling::allowed(Default::default(), &[], &logits).is_none());
    }

    #[test]
    fn a_source_is_banned_by_its_words() {
        let (_dir, model) = TinyModel::qwen2().loaded();
        let tokenizer = model.tokenizer();
        // " the" and " a" are single tokens of the tiny vocabulary.
        let source = "the a the a the a the a the a the a";
        let ban = copy_ban(tokenizer, source).expect("ban");
        let ids = tokenizer.encode(&format!(" {source}")).expect("encode");
        assert_eq!(ids.len(), 12);
        // After a run, the source's next word is refused.
        let at = COPY_RUN_TOKENS - 1;
        assert!(ban.refused(&ids[..at]).contains(&ids[at]));
        // Nothing is refused after text the source does not have.
        let space = tokenizer.encode(" ").expect("space")[0];
        assert!(ban.refused(&[space; COPY_RUN_TOKENS]).is_empty());
        let joins = tokenizer.joins().expect("joins");
        let letter = tokenizer.encode("q").expect("q")[0] as usize;
        assert_eq!(joins[letter], Joins::Glued);
        assert_eq!(joins[space as usize], Joins::Apart);
    }

    #[test]
    fn a_short_sentence_of_the_source_is_never_written_whole() {
        let (_dir, model) = TinyModel::qwen2().loaded();
        let tokenizer = model.tokenizer();
        let ban = copy_ban(tokenizer, "The a the. A the.").expect("ban");
        for begun in [" The a", "The a", " the a"] {
            let ids = tokenizer.encode(begun).expect("encode");
            let last = tokenizer.encode(" the").expect("encode")[0];
            assert!(ban.refused(&ids).contains(&last), "{begun:?}");
        }
        // A sentence of two words may be written whole.
        let a = tokenizer.encode(" a").expect("encode");
        assert!(ban.refused(&a).is_empty());
        assert_eq!(sentence_beginnings("Two words."), Vec::<String>::new());
        assert_eq!(
            sentence_beginnings("The unit is new.\""),
            vec!["The unit is new", " The unit is new", " the unit is new"]
        );
    }

    #[test]
    fn the_word_after_a_number_may_be_copied() {
        let (_dir, model) = TinyModel::qwen2().loaded();
        let tokenizer = model.tokenizer();
        let source = "the a the a the a the a 8 the a the a the a the a the a";
        let ban = copy_ban(tokenizer, source).expect("ban");
        let ids = tokenizer.encode(&format!(" {source}")).expect("encode");
        let ends_in_8 = |t: u32| {
            tokenizer
                .decode(&[t], false)
                .expect("decode")
                .ends_with('8')
        };
        let at = ids.iter().position(|&t| ends_in_8(t)).expect("the number") + 1;
        assert!(at >= COPY_RUN_TOKENS - 1 && at < ids.len());
        assert!(
            !ban.refused(&ids[..at]).contains(&ids[at]),
            "the number's word is free"
        );
        // The same word after the words before it in the source is refused.
        let last = ids.len() - 1;
        assert_eq!(ids[last - 1], ids[at]);
        assert!(ban.refused(&ids[..last - 1]).contains(&ids[last - 1]));
    }

    #[test]
    fn names_and_numbers_are_never_refused() {
        assert_eq!(common_word(" area"), Some("area"));
        assert_eq!(common_word(" été"), Some("été"));
        for kept in [" Orford", " 12", " ", "area", " \"", " É"] {
            assert_eq!(common_word(kept), None, "{kept:?}");
        }
    }

    #[test]
    fn a_scored_text_has_the_log_probabilities_it_had_when_written() {
        let (_dir, model) = TinyModel::qwen2().loaded();
        let prompt_ids = model.tokenizer().encode(&prompt(&model)).expect("encode");
        let (written, none) = engine_run(&model, prompt_ids.clone(), 8, None);
        assert_eq!(written.len(), 8);
        assert!(none.is_empty());
        assert!(written.iter().all(|(_, l)| l.logprob.is_finite()
            && l.logprob <= l.boosted
            && l.boosted <= 0.0
            && l.entropy >= 0.0));
        let mut ids = prompt_ids.clone();
        ids.extend(written.iter().map(|(t, _)| *t));
        let (nothing_written, scored) = engine_run(&model, ids, 0, Some(prompt_ids.len()));
        assert!(nothing_written.is_empty());
        assert_eq!(scored.len(), written.len());
        for ((_, when_written), when_scored) in written.iter().zip(&scored) {
            for (a, b) in [
                (when_written.logprob, when_scored.logprob),
                (when_written.boosted, when_scored.boosted),
                (when_written.entropy, when_scored.entropy),
            ] {
                assert!(
                    (a - b).abs() < 1e-2,
                    "{when_written:?} against {when_scored:?}"
                );
            }
        }
        // Through the model's own API: one score a token of the answer, none above 0.
        let chat = crate::Chat {
            system: "Translate into English.".into(),
            earlier: Vec::new(),
            user: "Bonjour à tous.".into(),
        };
        let scores = crate::ChatEngine::score(
            &model,
            &chat,
            "Hello everyone.",
            crate::Route::default(),
            &CancelToken::new(),
        )
        .expect("score")
        .expect("the built-in engine scores");
        let answer_tokens = model.count_tokens("Hello everyone.").expect("count");
        assert_eq!(scores.len(), answer_tokens);
        assert!(scores.iter().all(|t| t.logprob.is_finite()
            && t.logprob <= 0.0
            && t.spread.is_some_and(|s| s.boosted >= t.logprob)));
        let text: String = scores.iter().map(|t| t.token.as_str()).collect();
        assert_eq!(text, "Hello everyone.");
    }

    #[test]
    fn written_tokens_carry_their_log_probabilities_and_text() {
        let (_dir, model) = TinyModel::qwen2().loaded();
        let params = GenerationParams {
            max_tokens: 10,
            repetition_guard: false,
            ..Default::default()
        };
        let out = model
            .generate(&prompt(&model), &params, &CancelToken::new(), &mut |_| {})
            .expect("generate");
        assert_eq!(out.logprobs.len(), out.generated_tokens);
        let joined: String = out.logprobs.iter().map(|t| t.token.as_str()).collect();
        assert_eq!(joined, out.text);
    }

    #[test]
    fn a_prompt_longer_than_the_context_is_refused() {
        let (_dir, model) = TinyModel::qwen2().loaded();
        let long = "mot ".repeat(model.info().context_limit);
        let err = model
            .generate(
                &long,
                &GenerationParams::default(),
                &CancelToken::new(),
                &mut |_| {},
            )
            .expect_err("too long");
        assert!(matches!(err, ModelError::PromptTooLong { .. }), "{err}");
    }
}
