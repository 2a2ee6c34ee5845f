//! One generation as its caller sees it: prompt in, streamed text out, with stop tokens, a token
//! budget, cancellation between tokens and a guard against degenerate repetition. The tokens
//! come from the engine thread, which runs this sequence in the same steps as every other.

use crate::engine::{Command, EngineHandle, Request, SeqEvent};
use crate::error::ModelError;
use crate::sampling::{CancelToken, FinishReason, Sampling};
use crate::tokenizer::{TextTokenizer, TokenDecoder};
use std::sync::mpsc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct GenerationParams {
    /// Most tokens to generate (the stop token not counted).
    pub max_tokens: usize,
    pub sampling: Sampling,
    /// Stop when the output degenerates into one span repeated over and over.
    pub repetition_guard: bool,
    /// Write through stop tokens up to the budget (fixed-length benchmark runs only).
    pub ignore_stop: bool,
}

impl Default for GenerationParams {
    fn default() -> Self {
        Self {
            max_tokens: 512,
            sampling: Sampling::Greedy,
            repetition_guard: true,
            ignore_stop: false,
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
#[derive(Debug, Clone, PartialEq)]
pub struct TokenLogprob {
    pub token: String,
    pub logprob: f32,
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

/// What a generation needs of a loaded model: its engine, its tokenizer, its context length
/// and the group its sequences take turns in.
pub(crate) struct Target<'a> {
    pub(crate) engine: &'a EngineHandle,
    pub(crate) tokenizer: &'a TextTokenizer,
    pub(crate) context_limit: usize,
    pub(crate) group: u64,
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
        group,
    } = target;
    let prompt_ids = tokenizer.encode_checked(prompt)?;
    if prompt_ids.is_empty() {
        return Err(ModelError::EmptyPrompt);
    }
    if prompt_ids.len() >= context_limit {
        return Err(ModelError::PromptTooLong {
            tokens: prompt_ids.len(),
            limit: context_limit,
        });
    }
    let budget = params.max_tokens.min(context_limit - prompt_ids.len());
    let mut outcome = Generation {
        text: String::new(),
        finish: FinishReason::Cancelled,
        prompt_tokens: prompt_ids.len(),
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
    engine.send(Command::Generate(Request {
        ids: prompt_ids,
        max_tokens: budget,
        sampling: params.sampling.clone(),
        repetition_guard: params.repetition_guard,
        ignore_stop: params.ignore_stop,
        cancel: cancel.clone(),
        group,
        events,
    }))?;
    let mut generated: Vec<u32> = Vec::new();
    let mut decoder = TokenDecoder::new(tokenizer);
    let finish = loop {
        match tokens.recv() {
            Ok(SeqEvent::Token(next)) => {
                generated.push(next);
                if let Some(delta) = decoder.push(next)? {
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
                outcome.generation_time = end.generation_time;
                outcome.generated_tokens = end.generated.max(generated.len());
                generated.truncate(end.keep);
                break end.reason;
            }
            Ok(SeqEvent::Failed(err)) => return Err(err),
            Err(_) => return Err(ModelError::EngineStopped),
        }
    };
    if let Some(delta) = decoder.finish()? {
        on_delta(&delta);
    }
    outcome.text = tokenizer.decode(&generated, true)?;
    outcome.finish = finish;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::TinyModel;
    use crate::Model;

    fn tiny(model: TinyModel) -> (tempfile::TempDir, Model) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("tiny.gguf");
        model.write(&path).expect("write fixture");
        let model = Model::load(&path).expect("load fixture");
        (dir, model)
    }

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
        let (_dir, model) = tiny(TinyModel::qwen2());
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
        let (_dir, model) = tiny(TinyModel::qwen2());
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
        let (_dir, model) = tiny(TinyModel::qwen2().favouring("<|im_end|>"));
        let out = run_default(&model);
        assert_eq!(out.finish, FinishReason::Stop);
        assert_eq!(out.generated_tokens, 0);
        assert_eq!(out.text, "");
    }

    #[test]
    fn degenerate_output_is_stopped_and_cut() {
        let (_dir, model) = tiny(TinyModel::qwen2().favouring("a"));
        let out = run_default(&model);
        assert_eq!(out.finish, FinishReason::Repetition);
        assert_eq!(out.text, "a");
        assert!(
            out.generated_tokens >= 24,
            "the guard should wait for a real loop"
        );
    }

    #[test]
    fn cancellation_is_seen_between_tokens() {
        let (_dir, model) = tiny(TinyModel::qwen2().favouring("a"));
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

    #[test]
    fn a_prompt_longer_than_the_context_is_refused() {
        let (_dir, model) = tiny(TinyModel::qwen2());
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
