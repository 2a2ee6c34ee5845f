//! The article pipeline on the model thread: translate each paragraph in order, streaming its
//! English, then summarize the English. The server's worker and the command line both run
//! articles through here.

use app::api::{Figures, JobEvent, Paragraph};
use models::tasks::{self, TaskOutput};
use models::{CancelToken, Model, ModelError};
use std::time::{Duration, Instant};

/// Which steps to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Steps {
    pub translate: bool,
    pub summarize: bool,
}

impl Steps {
    pub const ALL: Self = Self {
        translate: true,
        summarize: true,
    };
}

/// Outcome of a run that was not stopped by an error.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Finished(Figures),
    Cancelled,
}

/// A paragraph longer than this many tokens is translated a few sentences at a time: small models
/// drop clauses from long inputs.
const MAX_CHUNK_TOKENS: usize = 250;

/// Runs the steps on `paragraphs` (French when translating, English otherwise), sending
/// `translation.*` and `summary.*` events to `emit`. The caller sends the final event.
pub fn run(
    model: &Model,
    paragraphs: &[Paragraph],
    steps: Steps,
    cancel: &CancelToken,
    emit: &mut dyn FnMut(JobEvent),
) -> Result<Outcome, ModelError> {
    let started = Instant::now();
    let mut tally = Tally::default();
    let mut first_token: Option<Duration> = None;
    let mut english = Vec::with_capacity(paragraphs.len());
    if steps.translate {
        for (paragraph, french) in paragraphs.iter().enumerate() {
            let mut parts = Vec::new();
            for (i, chunk) in chunks(model, french)?.iter().enumerate() {
                if i > 0 {
                    emit(JobEvent::TranslationDelta {
                        paragraph,
                        text: " ".into(),
                    });
                }
                let out = tasks::translate(model, chunk, cancel, &mut |delta| {
                    first_token.get_or_insert_with(|| started.elapsed());
                    emit(JobEvent::TranslationDelta {
                        paragraph,
                        text: delta.to_string(),
                    });
                })?;
                tally.add(&out);
                if cancel.is_cancelled() {
                    return Ok(Outcome::Cancelled);
                }
                parts.push(out.text);
            }
            let text = parts.join(" ");
            emit(JobEvent::TranslationDone {
                paragraph,
                text: text.clone(),
            });
            english.push(text);
        }
    } else {
        english.extend(paragraphs.iter().map(|p| p.text.clone()));
    }
    if steps.summarize {
        let text = english.join("\n\n");
        let out = tasks::summarize(model, &text, cancel, &mut |delta| {
            first_token.get_or_insert_with(|| started.elapsed());
            emit(JobEvent::SummaryDelta {
                text: delta.to_string(),
            });
        })?;
        tally.add(&out);
        if cancel.is_cancelled() {
            return Ok(Outcome::Cancelled);
        }
        emit(JobEvent::SummaryDone { text: out.text });
    }
    Ok(Outcome::Finished(
        tally.figures(started.elapsed(), first_token),
    ))
}

/// The paragraph whole, or runs of its sentences of at most [`MAX_CHUNK_TOKENS`] (a longer
/// sentence goes alone).
fn chunks(model: &Model, paragraph: &Paragraph) -> Result<Vec<String>, ModelError> {
    if paragraph.sentences.len() < 2 || model.count_tokens(&paragraph.text)? <= MAX_CHUNK_TOKENS {
        return Ok(vec![paragraph.text.clone()]);
    }
    let mut out: Vec<String> = Vec::new();
    let mut used = 0;
    for sentence in &paragraph.sentences {
        let tokens = model.count_tokens(sentence)?;
        match out.last_mut() {
            Some(last) if used + tokens <= MAX_CHUNK_TOKENS => {
                last.push(' ');
                last.push_str(sentence);
                used += tokens;
            }
            _ => {
                out.push(sentence.clone());
                used = tokens;
            }
        }
    }
    Ok(out)
}

/// Token counts and times summed over every generation of a run.
#[derive(Debug, Default)]
struct Tally {
    prompt_tokens: usize,
    prompt_time: Duration,
    generated_tokens: usize,
    generation_time: Duration,
}

impl Tally {
    fn add(&mut self, out: &TaskOutput) {
        for g in &out.attempts {
            self.prompt_tokens += g.prompt_tokens;
            self.prompt_time += g.prompt_time;
            self.generated_tokens += g.generated_tokens;
            self.generation_time += g.generation_time;
        }
    }

    fn figures(&self, total: Duration, first_token: Option<Duration>) -> Figures {
        let rate = |n: usize, t: Duration| {
            if t.is_zero() {
                0.0
            } else {
                n as f64 / t.as_secs_f64()
            }
        };
        Figures {
            seconds: total.as_secs_f64(),
            first_token_seconds: first_token.map(|d| d.as_secs_f64()),
            prompt_tokens: self.prompt_tokens,
            prompt_tokens_per_second: rate(self.prompt_tokens, self.prompt_time),
            generated_tokens: self.generated_tokens,
            tokens_per_second: rate(self.generated_tokens, self.generation_time),
        }
    }
}
