//! The article pipeline: translate every paragraph, streaming its English, check it against the
//! French and repair what fails ([`crate::repair`]), and summarize. All of an article's
//! paragraphs enter the model's engine at once, each from its own thread, and the engine runs
//! them in the same steps; their events come back here, to the one `emit`, in the order they
//! happen. The server's worker and the command line both run articles through here.

use crate::repair;
use app::api::{Figures, JobEvent, Paragraph};
use models::tasks::{self, TaskOutput};
use models::{CancelToken, Model, ModelError};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Which steps to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Steps {
    pub translate: bool,
    pub summarize: bool,
    /// Check each text against the French and repair what fails; off only to measure what the
    /// repair brings.
    pub repair: bool,
}

impl Steps {
    pub const ALL: Self = Self {
        translate: true,
        summarize: true,
        repair: true,
    };
}

/// What the summary is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SummaryFrom {
    /// The English, once every paragraph is translated.
    #[default]
    English,
    /// The French, read in parallel with the translation: sooner, one model pass less deep.
    French,
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

/// What a paragraph's or the summary's thread sends back.
enum Message {
    Event(JobEvent),
    Used(TaskOutput),
    Translated(usize, String),
    Failed(ModelError),
}

/// Runs the steps on `paragraphs` (French when translating, English otherwise), sending
/// `translation.*` and `summary.*` events to `emit`. The caller sends the final event.
pub fn run(
    model: &Model,
    paragraphs: &[Paragraph],
    steps: Steps,
    summary_from: SummaryFrom,
    cancel: &CancelToken,
    emit: &mut dyn FnMut(JobEvent),
) -> Result<Outcome, ModelError> {
    // One group per article: the engine lets other readers' articles take turns with it.
    let model = model.in_new_group();
    let mut relay = Relay {
        started: Instant::now(),
        first_token: None,
        tally: Tally::default(),
        english: vec![None; paragraphs.len()],
        failure: None,
    };
    let summary_alongside =
        steps.summarize && (!steps.translate || summary_from == SummaryFrom::French);
    // The article as given: French when translating, English otherwise.
    let source = paragraphs
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    let source = source.as_str();
    let summarize_from = |text: String, english: String| {
        move |model: &Model, tx: &mpsc::Sender<Message>| {
            let against = Against {
                french: if steps.translate { source } else { "" },
                english: &english,
            };
            summarize(model, &text, against, steps.repair, cancel, tx)
        }
    };
    relay.run(cancel, emit, |scope, tx| {
        if steps.translate {
            for (paragraph, french) in paragraphs.iter().enumerate() {
                spawn(scope, &model, tx, move |model, tx| {
                    translate_paragraph(model, paragraph, french, steps.repair, cancel, tx)
                });
            }
        }
        if summary_alongside {
            // From the French: the English is not written yet; from English input, the input
            // is what the summary must hold to.
            let english = if steps.translate { "" } else { source };
            spawn(
                scope,
                &model,
                tx,
                summarize_from(source.to_string(), english.to_string()),
            );
        }
    });
    if let Some(err) = relay.failure.take() {
        return Err(err);
    }
    if cancel.is_cancelled() {
        return Ok(Outcome::Cancelled);
    }
    if steps.summarize && !summary_alongside {
        let text: Vec<String> = std::mem::take(&mut relay.english)
            .into_iter()
            .flatten()
            .collect();
        let english = text.join("\n\n");
        let work = summarize_from(english.clone(), english);
        relay.run(cancel, emit, |scope, tx| spawn(scope, &model, tx, work));
        if let Some(err) = relay.failure.take() {
            return Err(err);
        }
        if cancel.is_cancelled() {
            return Ok(Outcome::Cancelled);
        }
    }
    Ok(Outcome::Finished(
        relay
            .tally
            .figures(relay.started.elapsed(), relay.first_token),
    ))
}

/// Runs `work` on a thread of `scope`; its error, if any, goes to the relay.
fn spawn<'scope, 'env, F>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    model: &'env Model,
    tx: &mpsc::Sender<Message>,
    work: F,
) where
    F: FnOnce(&Model, &mpsc::Sender<Message>) -> Result<(), ModelError> + Send + 'scope,
{
    let tx = tx.clone();
    scope.spawn(move || {
        if let Err(err) = work(model, &tx) {
            let _ = tx.send(Message::Failed(err));
        }
    });
}

/// Gathers what the threads of a run send back and passes their events to the one `emit`, as
/// they come.
struct Relay {
    started: Instant,
    first_token: Option<Duration>,
    tally: Tally,
    /// Each paragraph's final English, for the summary made after the translation.
    english: Vec<Option<String>>,
    failure: Option<ModelError>,
}

impl Relay {
    /// Starts the threads that `start` spawns and relays their messages until all have ended.
    fn run<'env>(
        &mut self,
        cancel: &CancelToken,
        emit: &mut dyn FnMut(JobEvent),
        start: impl for<'scope> FnOnce(&'scope std::thread::Scope<'scope, 'env>, &mpsc::Sender<Message>),
    ) {
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel::<Message>();
            start(scope, &tx);
            drop(tx);
            for message in rx {
                self.take(message, cancel, emit);
            }
        });
    }

    fn take(&mut self, message: Message, cancel: &CancelToken, emit: &mut dyn FnMut(JobEvent)) {
        match message {
            Message::Event(event) => {
                if matches!(
                    event,
                    JobEvent::TranslationDelta { .. } | JobEvent::SummaryDelta { .. }
                ) {
                    self.first_token
                        .get_or_insert_with(|| self.started.elapsed());
                }
                emit(event);
            }
            Message::Used(out) => self.tally.add(&out),
            Message::Translated(i, text) => {
                if let Some(slot) = self.english.get_mut(i) {
                    *slot = Some(text);
                }
            }
            Message::Failed(err) => {
                // The article cannot be finished: its other parts stop at their next token.
                cancel.cancel();
                self.failure.get_or_insert(err);
            }
        }
    }
}

/// One paragraph, chunk after chunk, its events sent as they come.
fn translate_paragraph(
    model: &Model,
    paragraph: usize,
    french: &Paragraph,
    repair: bool,
    cancel: &CancelToken,
    tx: &mpsc::Sender<Message>,
) -> Result<(), ModelError> {
    let send = |event| {
        let _ = tx.send(Message::Event(event));
    };
    let mut parts = Vec::new();
    for (i, chunk) in chunks(model, french)?.iter().enumerate() {
        if i > 0 {
            send(JobEvent::TranslationDelta {
                paragraph,
                text: " ".into(),
            });
        }
        let out = tasks::translate(model, chunk, cancel, &mut |delta| {
            send(JobEvent::TranslationDelta {
                paragraph,
                text: delta.to_string(),
            });
        })?;
        parts.push(out.text.clone());
        let _ = tx.send(Message::Used(out));
        if cancel.is_cancelled() {
            return Ok(());
        }
    }
    let first = parts.join(" ");
    let checked = if repair {
        repair::paragraph(model, &french.text, &french.sentences, first, cancel)?
    } else {
        repair::Checked::as_written(first, Vec::new())
    };
    for out in checked.used {
        let _ = tx.send(Message::Used(out));
    }
    if cancel.is_cancelled() {
        return Ok(());
    }
    send(JobEvent::TranslationDone {
        paragraph,
        text: checked.text.clone(),
        flags: repair::wire(&checked.flags),
    });
    let _ = tx.send(Message::Translated(paragraph, checked.text));
    Ok(())
}

/// What a summary is checked against: the French source (empty for English input) and the
/// checked English.
#[derive(Clone, Copy)]
struct Against<'a> {
    french: &'a str,
    english: &'a str,
}

fn summarize(
    model: &Model,
    text: &str,
    against: Against<'_>,
    repair: bool,
    cancel: &CancelToken,
    tx: &mpsc::Sender<Message>,
) -> Result<(), ModelError> {
    let out = tasks::summarize(model, text, cancel, &mut |delta| {
        let _ = tx.send(Message::Event(JobEvent::SummaryDelta {
            text: delta.to_string(),
        }));
    })?;
    let first = out.text.clone();
    let _ = tx.send(Message::Used(out));
    let checked = if repair {
        repair::summary(model, text, against.french, against.english, first, cancel)?
    } else {
        repair::Checked::as_written(first, Vec::new())
    };
    for out in checked.used {
        let _ = tx.send(Message::Used(out));
    }
    if !cancel.is_cancelled() {
        let _ = tx.send(Message::Event(JobEvent::SummaryDone {
            text: checked.text,
            flags: repair::wire(&checked.flags),
        }));
    }
    Ok(())
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

/// Token counts summed over every generation of a run. Generations overlap in the engine, so
/// the rates are over the run's wall-clock time: what the article got, not one sequence's speed.
#[derive(Debug, Default)]
struct Tally {
    prompt_tokens: usize,
    generated_tokens: usize,
}

impl Tally {
    fn add(&mut self, out: &TaskOutput) {
        for g in &out.attempts {
            self.prompt_tokens += g.prompt_tokens;
            self.generated_tokens += g.generated_tokens;
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
            prompt_tokens_per_second: rate(self.prompt_tokens, total),
            generated_tokens: self.generated_tokens,
            tokens_per_second: rate(self.generated_tokens, total),
        }
    }
}
