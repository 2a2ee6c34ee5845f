//! The article pipeline: translate every paragraph, streaming its English, check it against the
//! French and repair what fails ([`super::repair`]), and summarize. All of an article's
//! paragraphs enter the model's engine at once, each from its own thread, and the engine runs
//! them in the same steps; their events come back here, to the one `emit`, in the order they
//! happen. The server's worker and the command line both run articles through here.

use super::consensus;
use super::{glossary, repair, unsure};
use app::api::{Figures, Flag, JobEvent, Paragraph};
use models::tasks::{self, TaskOutput};
use models::{Backend, CancelToken, ModelError, TokenLogprob};
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

/// What the model is shown before a paragraph, as its own earlier answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Context {
    None,
    /// A fixed French paragraph and its English ([`tasks::EXAMPLE`]).
    Example,
    /// The previous paragraph and its English. Paragraphs then wait for each other instead of
    /// running side by side.
    Previous,
    /// The article's first paragraph and its English: every other paragraph waits for the
    /// first one only.
    Lead,
}

impl Context {
    /// The paragraph whose French and English paragraph `i` is shown.
    fn source(self, i: usize) -> Option<usize> {
        match self {
            Self::None | Self::Example => None,
            Self::Previous => i.checked_sub(1),
            Self::Lead => (i > 0).then_some(0),
        }
    }
}

impl Steps {
    pub const ALL: Self = Self {
        translate: true,
        summarize: true,
        repair: true,
    };
}

/// How an article is written: the choices that trade time for quality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Method {
    pub summary_from: SummaryFrom,
    /// What the model is shown before each paragraph.
    pub context: Context,
    /// English candidates written for each paragraph (the greedy one, streamed, and sampled
    /// others); above 1, the one the others agree with most is kept ([`super::consensus`]).
    pub candidates: usize,
    /// What the model's own confidence does to a paragraph after the checks' repair
    /// ([`super::unsure`]).
    pub unsure: Unsure,
}

/// What is done with the sentences the model is unsure of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Unsure {
    /// Nothing: no confidence is read (the fastest).
    Off,
    /// Marked for the reader.
    #[default]
    Mark,
    /// Written again alone a few ways, the most confident kept; what stays unsure is marked.
    Rewrite,
}

impl Method {
    /// Which prompts and method wrote a translation: the translation memory reuses English only
    /// under the same ones. Raise the number whenever a prompt changes.
    pub fn prompt_version(&self) -> String {
        const PROMPTS: u32 = 1;
        format!(
            "prompts {PROMPTS}; context {:?}; candidates {}; unsure {:?}",
            self.context, self.candidates, self.unsure
        )
        .to_lowercase()
    }
}

impl Default for Method {
    fn default() -> Self {
        Self {
            summary_from: SummaryFrom::default(),
            context: Context::Previous,
            candidates: 1,
            unsure: Unsure::default(),
        }
    }
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

/// A paragraph's English that is already there: written before a restart, or found in the
/// translation memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Known {
    pub text: String,
    pub flags: Vec<Flag>,
    /// From the memory: the reader has not been sent it yet, so it goes out as a
    /// `translation.done` marked `from_memory`. Otherwise the reader already has it.
    pub from_memory: bool,
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
    model: &Backend,
    paragraphs: &[Paragraph],
    steps: Steps,
    method: Method,
    cancel: &CancelToken,
    emit: &mut dyn FnMut(JobEvent),
) -> Result<Outcome, ModelError> {
    run_knowing(model, paragraphs, &[], steps, method, cancel, emit)
}

/// [`run`], where `known[i]`, when there, is paragraph `i`'s English already: that paragraph is
/// not written again, and the ones shown it as context get it at once.
pub fn run_knowing(
    model: &Backend,
    paragraphs: &[Paragraph],
    known: &[Option<Known>],
    steps: Steps,
    method: Method,
    cancel: &CancelToken,
    emit: &mut dyn FnMut(JobEvent),
) -> Result<Outcome, ModelError> {
    // One group per article: the engine lets other readers' articles take turns with it.
    let model = model.in_new_group();
    let mut relay = Relay::new(paragraphs.len());
    let summary_alongside =
        steps.summarize && (!steps.translate || method.summary_from == SummaryFrom::French);
    // The article as given: French when translating, English otherwise.
    let source = paragraphs
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    let source = source.as_str();
    let summarize_from = |text: String, english: String| {
        move |model: &Backend, tx: &mpsc::Sender<Message>| {
            let against = Against {
                french: if steps.translate { source } else { "" },
                english: &english,
            };
            again_while_retryable(cancel, tx, JobEvent::SummaryRestart {}, || {
                summarize(
                    model,
                    &text,
                    against,
                    steps.repair,
                    method.unsure,
                    cancel,
                    tx,
                )
            })
        }
    };
    relay.run(cancel, emit, |scope, tx| {
        if steps.translate {
            let (waits, hands) = context_channels(paragraphs.len(), method.context);
            for ((paragraph, french), (wait, hands)) in paragraphs
                .iter()
                .enumerate()
                .zip(waits.into_iter().zip(hands))
            {
                if let Some(Some(known)) = known.get(paragraph) {
                    hand_on_known(paragraph, known, &hands, tx);
                    continue;
                }
                let before = method
                    .context
                    .source(paragraph)
                    .map(|i| paragraphs[i].text.as_str());
                spawn(scope, &model, tx, move |model, tx| {
                    // A paragraph that failed or was cancelled leaves no context.
                    let context = before.zip(wait.and_then(|rx| rx.recv().ok()));
                    let how = How {
                        repair: steps.repair,
                        method,
                        context: context.as_ref().map(|(fr, en)| (*fr, en.as_str())),
                    };
                    let restart = JobEvent::TranslationRestart { paragraph };
                    again_while_retryable(cancel, tx, restart, || {
                        translate_paragraph(
                            model,
                            paragraph,
                            french,
                            how,
                            cancel,
                            tx,
                            &mut |english| {
                                for hand in &hands {
                                    let _ = hand.send(english.to_string());
                                }
                            },
                        )
                    })
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
    if let Some(stopped) = relay.stopped(cancel) {
        return stopped;
    }
    if steps.summarize && !summary_alongside {
        let text: Vec<String> = std::mem::take(&mut relay.english)
            .into_iter()
            .flatten()
            .collect();
        let english = text.join("\n\n");
        let work = summarize_from(english.clone(), english);
        relay.run(cancel, emit, |scope, tx| spawn(scope, &model, tx, work));
        if let Some(stopped) = relay.stopped(cancel) {
            return stopped;
        }
    }
    Ok(Outcome::Finished(
        relay
            .tally
            .figures(relay.started.elapsed(), relay.first_token),
    ))
}

/// The channels that hand a paragraph's English to the paragraphs shown it as context: for each
/// paragraph, where it waits for its context's English (if it has one), and the paragraphs it
/// hands its own to. The English is handed on as soon as it is chosen (before any repair).
#[allow(clippy::type_complexity)]
fn context_channels(
    n: usize,
    context: Context,
) -> (
    Vec<Option<mpsc::Receiver<String>>>,
    Vec<Vec<mpsc::Sender<String>>>,
) {
    let mut waits: Vec<Option<mpsc::Receiver<String>>> = (0..n).map(|_| None).collect();
    let mut hands: Vec<Vec<mpsc::Sender<String>>> = (0..n).map(|_| Vec::new()).collect();
    for (i, wait) in waits.iter_mut().enumerate() {
        if let Some(from) = context.source(i) {
            let (hand, rx) = mpsc::channel();
            hands[from].push(hand);
            *wait = Some(rx);
        }
    }
    (waits, hands)
}

/// A paragraph whose English is already known: handed on at once to the paragraphs shown it,
/// and sent to the reader when it comes from the memory (the reader has it otherwise).
fn hand_on_known(
    paragraph: usize,
    known: &Known,
    hands: &[mpsc::Sender<String>],
    tx: &mpsc::Sender<Message>,
) {
    for hand in hands {
        let _ = hand.send(known.text.clone());
    }
    if known.from_memory {
        let _ = tx.send(Message::Event(JobEvent::TranslationDone {
            paragraph,
            text: known.text.clone(),
            flags: known.flags.clone(),
            from_memory: true,
        }));
    }
    let _ = tx.send(Message::Translated(paragraph, known.text.clone()));
}

/// Runs `work` on a thread of `scope`; its error, if any, goes to the relay.
fn spawn<'scope, 'env, F>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    model: &'env Backend,
    tx: &mpsc::Sender<Message>,
    work: F,
) where
    F: FnOnce(&Backend, &mpsc::Sender<Message>) -> Result<(), ModelError> + Send + 'scope,
{
    let tx = tx.clone();
    scope.spawn(move || {
        if let Err(err) = work(model, &tx) {
            let _ = tx.send(Message::Failed(err));
        }
    });
}

/// What the reader is told while no inference server answers.
const WAITING: &str =
    "No inference server answers: the article waits, and goes on by itself when one is back.";

/// Runs `work` again, from the start, while it fails in a way that may pass: an inference
/// server dropped the answer, or none answers (the reader told that the article waits), each
/// time after a pause that grows from half a second to a few. What the reader had of
/// the text is dropped first (`restart`). Only remote engines fail so; the built-in one never
/// does.
fn again_while_retryable(
    cancel: &CancelToken,
    tx: &mpsc::Sender<Message>,
    restart: JobEvent,
    mut work: impl FnMut() -> Result<(), ModelError>,
) -> Result<(), ModelError> {
    const FIRST_PAUSE: Duration = Duration::from_millis(500);
    const LONGEST_PAUSE: Duration = Duration::from_secs(4);
    let mut pause = FIRST_PAUSE;
    loop {
        let err = match work() {
            Err(err) if err.is_retryable() && !cancel.is_cancelled() => err,
            other => return other,
        };
        tracing::warn!(error = %err, "writing the text again");
        let _ = tx.send(Message::Event(restart.clone()));
        // A server that dropped the answer is passed over at once for another; the pause only
        // keeps one that fails on every try from being asked in a tight loop.
        if matches!(err, ModelError::Unavailable { .. }) {
            let _ = tx.send(Message::Event(JobEvent::Waiting {
                message: WAITING.to_string(),
            }));
        }
        let until = Instant::now() + pause;
        while Instant::now() < until && !cancel.is_cancelled() {
            std::thread::sleep(Duration::from_millis(50));
        }
        if cancel.is_cancelled() {
            return Ok(());
        }
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
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
    /// The reader was told the article waits for a server, and no text came since: the
    /// other parts' waits are not told again.
    waiting: bool,
}

impl Relay {
    fn new(paragraphs: usize) -> Self {
        Self {
            started: Instant::now(),
            first_token: None,
            tally: Tally::default(),
            english: vec![None; paragraphs],
            failure: None,
            waiting: false,
        }
    }

    /// How the run ends, if a thread failed or the reader cancelled.
    fn stopped(&mut self, cancel: &CancelToken) -> Option<Result<Outcome, ModelError>> {
        if let Some(err) = self.failure.take() {
            return Some(Err(err));
        }
        cancel.is_cancelled().then_some(Ok(Outcome::Cancelled))
    }

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
                match event {
                    JobEvent::Waiting { .. } if self.waiting => return,
                    JobEvent::Waiting { .. } => self.waiting = true,
                    JobEvent::TranslationRestart { .. } | JobEvent::SummaryRestart {} => {}
                    _ => self.waiting = false,
                }
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

/// How one paragraph is translated.
#[derive(Clone, Copy)]
struct How<'a> {
    repair: bool,
    method: Method,
    /// The previous paragraph and its English.
    context: Option<(&'a str, &'a str)>,
}

/// One paragraph, its events sent as they come; `on_chosen` gets its English as soon as it is
/// chosen, before any repair.
fn translate_paragraph(
    model: &Backend,
    paragraph: usize,
    french: &Paragraph,
    how: How<'_>,
    cancel: &CancelToken,
    tx: &mpsc::Sender<Message>,
    on_chosen: &mut dyn FnMut(&str),
) -> Result<(), ModelError> {
    let send = |event| {
        let _ = tx.send(Message::Event(event));
    };
    let chunks = chunks(model, french)?;
    let terms = glossary::for_checks(&french.terms);
    let greedy = tasks::Ask {
        context: how.context,
        example: how.method.context == Context::Example,
        terms: &terms,
        ..Default::default()
    };
    let mut stream = |delta: &str| {
        send(JobEvent::TranslationDelta {
            paragraph,
            text: delta.to_string(),
        });
    };
    let (first, others) = std::thread::scope(|scope| {
        let others: Vec<_> = (1..how.method.candidates.max(1))
            .map(|k| {
                let ask = tasks::Ask {
                    sampling: consensus::candidate_sampling(k, (paragraph * 64 + k) as u64),
                    ..greedy.clone()
                };
                let chunks = &chunks;
                scope.spawn(move || translate_chunks(model, chunks, &ask, cancel, &mut |_| {}))
            })
            .collect();
        let first = translate_chunks(model, &chunks, &greedy, cancel, &mut stream);
        let others: Vec<_> = others
            .into_iter()
            .map(|thread| super::joined(thread, "translation"))
            .collect();
        (first, others)
    });
    let mut candidates = vec![first?];
    for other in others {
        candidates.push(other?);
    }
    if cancel.is_cancelled() {
        return Ok(());
    }
    let texts: Vec<String> = candidates.iter().map(|c| c.text.clone()).collect();
    let at = if texts.len() > 1 && how.method.unsure != Unsure::Off {
        let unsure = unsure::candidates(model, &french.sentences, &greedy, &candidates, cancel)?;
        consensus::choose_by_confidence(&french.text, &texts, &unsure)
    } else {
        consensus::choose(&french.text, &texts)
    };
    let chosen = texts[at].clone();
    let written: Vec<TokenLogprob> = candidates[at]
        .attempts
        .iter()
        .flat_map(|g| g.logprobs.iter().cloned())
        .collect();
    on_chosen(&chosen);
    for out in candidates {
        let _ = tx.send(Message::Used(out));
    }
    let checked = if how.repair {
        let checked = repair::paragraph(model, french, &terms, chosen, cancel)?;
        let check = |text: &str| repair::check_paragraph(&french.text, &terms, text);
        match how.method.unsure {
            Unsure::Off => checked,
            Unsure::Mark | Unsure::Rewrite => {
                let step = unsure::Paragraph {
                    sentences: &french.sentences,
                    written: &written,
                    ask: &greedy,
                    check: &check,
                    rewrite: how.method.unsure == Unsure::Rewrite,
                };
                unsure::paragraph(model, &step, checked, cancel)?
            }
        }
    } else {
        repair::Checked::as_written(chosen, Vec::new())
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
        from_memory: false,
    });
    let _ = tx.send(Message::Translated(paragraph, checked.text));
    Ok(())
}

/// One English of the paragraph, chunk after chunk, the chunks' attempts gathered.
fn translate_chunks(
    model: &Backend,
    chunks: &[String],
    ask: &tasks::Ask<'_>,
    cancel: &CancelToken,
    on_delta: &mut dyn FnMut(&str),
) -> Result<TaskOutput, ModelError> {
    let mut texts = Vec::new();
    let mut attempts = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 {
            on_delta(" ");
        }
        let out = tasks::translate(model, chunk, ask, cancel, on_delta)?;
        texts.push(out.text);
        attempts.extend(out.attempts);
        if cancel.is_cancelled() {
            break;
        }
    }
    Ok(TaskOutput {
        text: texts.join(" "),
        attempts,
    })
}

/// What a summary is checked against: the French source (empty for English input) and the
/// checked English.
#[derive(Clone, Copy)]
struct Against<'a> {
    french: &'a str,
    english: &'a str,
}

fn summarize(
    model: &Backend,
    text: &str,
    against: Against<'_>,
    repair: bool,
    unsure: Unsure,
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
        let checked = repair::summary(model, text, against.french, against.english, first, cancel)?;
        match unsure {
            Unsure::Off => checked,
            Unsure::Mark | Unsure::Rewrite => unsure::summary(model, text, checked, cancel)?,
        }
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
fn chunks(model: &Backend, paragraph: &Paragraph) -> Result<Vec<String>, ModelError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_version_names_the_method() {
        let method = Method::default();
        assert_eq!(
            method.prompt_version(),
            "prompts 1; context previous; candidates 1; unsure mark"
        );
    }
}
