//! The article pipeline: translate every paragraph, streaming its English, check it against the
//! French and repair what fails ([`super::repair`]), and summarize. Every paragraph has its own
//! thread; with the default context the article is cut into runs ([`runs`]) whose first
//! paragraphs enter the model's engine together (the later runs' as soon as the lead has begun
//! to write: no paragraph holds the lead back, [`LeadWriting`]), and each later paragraph of a
//! run follows as soon as the one before has its English. Each paragraph is a conversation of
//! the engine that follows its predecessor's ([`Backend::in_conversation_after`]): the
//! predecessor's French and English it is shown are taken from what the engine keeps of the
//! predecessor, not read again. The engine runs them all in the same steps; their events come
//! back here, to the one `emit`, in the order they happen. The summary's conversation reads the
//! English as paragraphs settle, and writes the summary as soon as the last has (while the last
//! marks are still read); its events reach `emit` after every paragraph's end. The server's
//! worker and the command line both run articles through here.

use super::consensus;
use super::{glossary, repair, unsure};
use app::api::{Figures, Flag, JobEvent, Paragraph};
use models::tasks::{self, TaskOutput};
use models::{Backend, CancelToken, ModelError, Pace};
use std::sync::{mpsc, Condvar, Mutex};
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
    /// The previous paragraph and its English, every paragraph waiting for the one before.
    Previous,
    /// The previous paragraph and its English, the article cut into a few runs written side by
    /// side (see `runs`): a paragraph waits for the one before it in its run, and a run's first
    /// paragraph writes the English of its predecessor's last sentence alone first, to be shown
    /// it.
    Article,
}

impl Context {
    /// The paragraph whose English paragraph `i` waits for, given the article's `runs`.
    fn source(self, i: usize, runs: &[Run]) -> Option<usize> {
        match self {
            Self::None => None,
            Self::Previous => i.checked_sub(1),
            Self::Article if runs.iter().any(|r| r.start == i) => None,
            Self::Article => i.checked_sub(1),
        }
    }

    /// Whether a paragraph takes the turn it is shown from its predecessor's cache, moved into
    /// place, when its predecessor took `moves` turns in a row that way
    /// ([`Backend::in_conversation_after`]). A moved turn still holds, in the model's deeper
    /// layers, what the predecessor was itself shown, so along a chain of moves every earlier
    /// turn leaks in, which this model writes worse with (README, "Translation quality"): on
    /// the 26 documents, `article` (runs of at most five paragraphs there) lost nothing
    /// measurable, and `previous`, one chain of up to 18, lost 0.3 chrF. So a chain reads a turn
    /// fresh after [`MOST_MOVES`] in a row, and `previous`, the measure the others are held to,
    /// always does.
    fn moves(self, moves: usize) -> bool {
        self == Self::Article && moves < MOST_MOVES
    }

    /// Whether paragraph `i` is shown its predecessor's last sentence written alone, by itself:
    /// the first paragraph of a run after the first.
    fn warms_up(self, i: usize, runs: &[Run]) -> bool {
        self == Self::Article && i > 0 && runs.iter().any(|r| r.start == i)
    }
}

/// Consecutive paragraphs written one after another, each shown the one before.
pub type Run = std::ops::Range<usize>;

/// Turns a chain takes in a row from its predecessors' caches (see [`Context::moves`]): the
/// most the evaluation's runs of five paragraphs take.
const MOST_MOVES: usize = 4;

/// Runs written side by side at most: the engine's batched writing gains little past eight
/// sequences (README, "Speed"), and [`Pace`] is measured up to eight.
const MOST_RUNS: usize = 8;

/// Paragraphs a run holds at least (unless the article has fewer): a run's first paragraph is
/// shown only its predecessor's last sentence, written alone, not English the reader sees.
const SHORTEST_RUN: usize = 2;

/// How much sooner, as a share of the time, more runs must finish an article's translation to be
/// taken: each further run's first paragraph is shown only its predecessor's last sentence
/// written alone, not the English the reader sees, and is written side by side with the lead,
/// slowing the first English a little.
const MORE_RUNS_GAIN: f64 = 0.05;

/// How an article is cut into runs of consecutive paragraphs written side by side, given each
/// paragraph's length and that of its last sentence (in characters of its French), and how
/// fast the engine writes several sequences at once on this machine. For each number of runs
/// up to [`MOST_RUNS`], each of at least [`SHORTEST_RUN`] paragraphs, the cuts are those where
/// the longest run's wait is shortest: a run's wait is the writing of its paragraphs and, for
/// all but the first, of its predecessor's last sentence alone first (so the cuts avoid a long
/// one). That wait, at the speed
/// each of that many sequences writes together ([`Pace::per_sequence`]), is how long the
/// article's translation takes; the fewest runs within [`MORE_RUNS_GAIN`] of the quickest are
/// taken. A machine whose batched writing gains much cuts an article into more runs than one
/// where eight sequences write little faster than one. A function of the article and the
/// machine's kept pace alone, so that a paragraph's English never depends on what else runs.
pub fn runs(lengths: &[usize], last_sentences: &[usize], pace: &Pace) -> Vec<Run> {
    let n = lengths.len();
    debug_assert_eq!(
        last_sentences.len(),
        n,
        "a last sentence for every paragraph"
    );
    if n == 0 {
        return Vec::new();
    }
    let most = (n / SHORTEST_RUN).clamp(1, MOST_RUNS);
    let mut before = vec![0usize; n + 1];
    for (i, length) in lengths.iter().enumerate() {
        before[i + 1] = before[i] + length;
    }
    let wait = |start: usize, end: usize| {
        let warm_up = start.checked_sub(1).map_or(0, |p| last_sentences[p]);
        warm_up + before[end] - before[start]
    };
    // longest[k][j]: the shortest longest wait of the first j paragraphs cut into k runs, and
    // where the last of those runs starts. Ties go to the earliest cut, so that an article is
    // always cut the same way.
    let mut longest = vec![vec![(usize::MAX, 0usize); n + 1]; most + 1];
    longest[0][0] = (0, 0);
    for k in 1..=most {
        for j in k..=n {
            for i in k - 1..j {
                let (earlier, _) = longest[k - 1][i];
                if earlier == usize::MAX || (j - i < SHORTEST_RUN && n >= SHORTEST_RUN) {
                    continue;
                }
                let worst = earlier.max(wait(i, j));
                if worst < longest[k][j].0 {
                    longest[k][j] = (worst, i);
                }
            }
        }
    }
    // In characters per token-per-second: proportional to seconds, which is all the choice needs.
    let seconds = |k: usize| match longest[k][n].0 {
        usize::MAX => f64::INFINITY,
        wait => wait as f64 / pace.per_sequence(k),
    };
    let quickest = (1..=most).map(seconds).fold(f64::INFINITY, f64::min);
    let count = (1..=most)
        .find(|&k| seconds(k) <= quickest * (1.0 + MORE_RUNS_GAIN))
        .unwrap_or(1);
    let mut cut = Vec::with_capacity(count);
    let mut end = n;
    for k in (1..=count).rev() {
        let start = longest[k][end].1;
        cut.push(start..end);
        end = start;
    }
    cut.reverse();
    cut
}

/// [`runs`] of an article's paragraphs, by the characters of each and of its last sentence.
pub fn runs_of(paragraphs: &[Paragraph], pace: &Pace) -> Vec<Run> {
    let chars = |text: &str| text.chars().count();
    let lengths: Vec<usize> = paragraphs.iter().map(|p| chars(&p.text)).collect();
    let last: Vec<usize> = paragraphs.iter().map(|p| chars(last_sentence(p))).collect();
    runs(&lengths, &last, pace)
}

/// A paragraph's last sentence (the paragraph itself where it has no sentences apart): what a
/// run's first paragraph is shown of its predecessor. The sentence just before says most of
/// what a paragraph needs (the names and who "he" is) for a fraction of the whole
/// predecessor's writing.
fn last_sentence(paragraph: &Paragraph) -> &str {
    paragraph
        .sentences
        .last()
        .map(String::as_str)
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(&paragraph.text)
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
        // 2: a run's first paragraph is shown its predecessor's last sentence (2026-12-07).
        // 3: a quoted paragraph's English opens with its quotation mark and keeps the speaker
        // after it; "nouveaux" no longer vouches for dollars (2026-12-07, evening).
        // 4: an amount in another currency than the French's, and a number with its digit
        // groups apart, are mended in place; "Mr" or "Mmes" is no name to keep (2026-12-07,
        // late evening).
        const PROMPTS: u32 = 4;
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
            context: Context::Article,
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
    Failed(ModelError),
    /// A paragraph's thread has ended, its events all sent.
    ParagraphEnded,
}

/// Open once the lead has begun to write (its first English is on its way to the reader),
/// or its thread has ended, however it ended. Every other paragraph not known already waits
/// for it before it asks the engine anything: the engine reads first the prompts a reader
/// waits for, but a step it has begun cannot be taken back, and a paragraph that reached it
/// before the lead held the lead's prompt for a step (in `article`, a run's warm-up, its
/// predecessor's last sentence written alone: the first English of the bench article moved
/// between 1.0 and 1.8 s with that race; in `none`, a whole paragraph's prompt).
#[derive(Default)]
struct LeadWriting {
    open: Mutex<bool>,
    opened: Condvar,
}

impl LeadWriting {
    fn open(&self) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.opened.notify_all();
    }

    fn wait(&self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            open = self.opened.wait(open).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Opens [`LeadWriting`] when the lead's thread ends, however it ends.
struct OpensWhenDone<'a>(Option<&'a LeadWriting>);

impl Drop for OpensWhenDone<'_> {
    fn drop(&mut self) {
        if let Some(latch) = self.0 {
            latch.open();
        }
    }
}

/// Sends [`Message::ParagraphEnded`] when a paragraph's thread ends, however it ends.
struct EndsParagraph(mpsc::Sender<Message>);

impl Drop for EndsParagraph {
    fn drop(&mut self) {
        let _ = self.0.send(Message::ParagraphEnded);
    }
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
    let mut relay = Relay::new();
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
    // The summary of the English is one conversation that reads the article as its paragraphs
    // are done, in order, while the others are still written: once the last is done, the
    // summary's first sentence starts without reading the article again.
    let summary_talk = (steps.summarize && !summary_alongside).then(|| model.in_conversation());
    let summarize_from = &summarize_from;
    if summary_talk.is_some() {
        // The summary may start before the last paragraphs' marks are read; the reader still
        // gets its words after every paragraph's end.
        relay.hold_summary_until(paragraphs.len());
    }
    let lead_writing = LeadWriting::default();
    relay.run(cancel, emit, |scope, tx| {
        // Each paragraph's final English goes to the summary's thread; held by the paragraphs'
        // threads only, so that it ends when they all have.
        let (english_to, english) = mpsc::channel::<(usize, String)>();
        if let Some(talk) = summary_talk.as_ref() {
            let n = paragraphs.len();
            spawn(scope, talk, tx, move |talk, tx| {
                match read_until_whole(talk, &english, n, cancel) {
                    Some(whole) => summarize_from(whole.clone(), whole)(talk, tx),
                    None => Ok(()),
                }
            });
        }
        if steps.translate {
            let runs = runs_of(paragraphs, &model.pace());
            let (waits, hands) = context_channels(&runs, paragraphs.len(), method.context);
            let lead_writing = &lead_writing;
            for ((paragraph, french), (wait, hands)) in paragraphs
                .iter()
                .enumerate()
                .zip(waits.into_iter().zip(hands))
            {
                let known = known.get(paragraph).cloned().flatten();
                let before = paragraph
                    .checked_sub(1)
                    .filter(|_| method.context != Context::None)
                    .map(|b| &paragraphs[b]);
                let warm_up = method.context.warms_up(paragraph, &runs);
                let english_to = english_to.clone();
                spawn(scope, &model, tx, move |model, tx| {
                    let _ends = EndsParagraph(tx.clone());
                    let _opens = OpensWhenDone((paragraph == 0).then_some(lead_writing));
                    let finished = |text: &str| {
                        let _ = english_to.send((paragraph, text.to_string()));
                    };
                    if let Some(known) = &known {
                        send_known(paragraph, known, tx);
                        finished(&known.text);
                    }
                    let hand_on = |handed: Handed| {
                        for hand in &hands {
                            let _ = hand.send(handed.clone());
                        }
                    };
                    if let Some(known) = known {
                        hand_on(Handed {
                            turns: vec![(french.text.clone(), known.text)],
                            written_in: None,
                            moves: 0,
                        });
                        return Ok(());
                    }
                    if paragraph > 0 {
                        lead_writing.wait();
                    }
                    let terms = glossary::for_checks(&french.terms);
                    // The paragraph's own conversation: what it writes first (its
                    // predecessor's last sentence alone) or takes from its predecessor's
                    // conversation (the predecessor and its English, as they were written
                    // there) is not read again when it writes, nor when its English is read
                    // again for the confidence step. Freed when the paragraph is done.
                    let (earlier, talk, moves): (Turns, Backend, usize) = match (before, wait) {
                        (Some(before), _) if warm_up => {
                            let talk = model.in_conversation();
                            let alone = tasks::Ask {
                                terms: &terms,
                                ..Default::default()
                            };
                            // Nobody sees it written: the first English the reader waits for
                            // is read before it.
                            let last = [last_sentence(before).to_string()];
                            let written = translate_chunks(
                                &talk.unseen(),
                                &last,
                                &alone,
                                cancel,
                                &mut |_| {},
                            );
                            // Context is a help: without it the paragraph is written alone.
                            let turns = match written {
                                Ok((out, turns)) => {
                                    let _ = tx.send(Message::Used(out));
                                    turns
                                }
                                Err(err) => {
                                    tracing::debug!(error = %err, "no predecessor to show");
                                    Vec::new()
                                }
                            };
                            (turns, talk, 0)
                        }
                        (Some(_), Some(wait)) => {
                            // A paragraph that failed or was cancelled leaves no context.
                            let handed = wait.recv().unwrap_or_default();
                            match &handed.written_in {
                                Some(earlier) if method.context.moves(handed.moves) => (
                                    handed.turns,
                                    model.in_conversation_after(earlier),
                                    handed.moves + 1,
                                ),
                                _ => (handed.turns, model.in_conversation(), 0),
                            }
                        }
                        _ => (Vec::new(), model.in_conversation(), 0),
                    };
                    let how = How {
                        repair: steps.repair,
                        method,
                        earlier: &earlier,
                        talk: &talk,
                    };
                    let restart = JobEvent::TranslationRestart { paragraph };
                    let mut handed = false;
                    again_while_retryable(cancel, tx, restart, || {
                        let mut settled = false;
                        let done = translate_paragraph(
                            model,
                            paragraph,
                            french,
                            how,
                            cancel,
                            tx,
                            Along {
                                writing: &|| {
                                    if paragraph == 0 {
                                        lead_writing.open();
                                    }
                                },
                                chosen: &mut |own| {
                                    // Once: a paragraph written again after a dropped answer
                                    // does not hand on a second English.
                                    if !std::mem::replace(&mut handed, true) {
                                        hand_on(Handed {
                                            turns: own,
                                            written_in: Some(talk.clone()),
                                            moves,
                                        });
                                    }
                                },
                                settled: &mut |english| {
                                    settled = true;
                                    finished(english);
                                },
                            },
                        )?;
                        if let (Some(english), false) = (done, settled) {
                            finished(&english);
                        }
                        Ok(())
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
    Ok(Outcome::Finished(
        relay
            .tally
            .figures(relay.started.elapsed(), relay.first_token),
    ))
}

/// Earlier turns a paragraph is shown: (French, English) pairs, oldest first (each chunk of the
/// previous paragraph).
type Turns = Vec<(String, String)>;

/// What a paragraph hands to the one shown it.
#[derive(Clone, Default)]
struct Handed {
    turns: Turns,
    /// The conversation its first English was written in (none when it came from the
    /// translation memory): the next paragraph starts from what the engine keeps of it, as far
    /// as it holds the same turns.
    written_in: Option<Backend>,
    /// Turns its conversation took in a row from its predecessors' caches.
    moves: usize,
}

/// The channels that hand a paragraph's turns to the paragraphs shown them: for each
/// paragraph, where it waits for the turns it is shown (if any), and the paragraphs it hands
/// its own to. The English is handed on as soon as it is chosen (before any repair).
#[allow(clippy::type_complexity)]
fn context_channels(
    runs: &[Run],
    n: usize,
    context: Context,
) -> (
    Vec<Option<mpsc::Receiver<Handed>>>,
    Vec<Vec<mpsc::Sender<Handed>>>,
) {
    let mut waits: Vec<Option<mpsc::Receiver<Handed>>> = (0..n).map(|_| None).collect();
    let mut hands: Vec<Vec<mpsc::Sender<Handed>>> = (0..n).map(|_| Vec::new()).collect();
    for (i, wait) in waits.iter_mut().enumerate() {
        if let Some(from) = context.source(i, runs) {
            let (hand, rx) = mpsc::channel();
            hands[from].push(hand);
            *wait = Some(rx);
        }
    }
    (waits, hands)
}

/// A paragraph whose English is already known is sent to the reader when it comes from the
/// memory (the reader has it otherwise).
fn send_known(paragraph: usize, known: &Known, tx: &mpsc::Sender<Message>) {
    if known.from_memory {
        let _ = tx.send(Message::Event(JobEvent::TranslationDone {
            paragraph,
            text: known.text.clone(),
            flags: known.flags.clone(),
            from_memory: true,
        }));
    }
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

/// Gathers the `n` paragraphs' final English as they come and returns the article once every
/// paragraph is in. Meanwhile, whenever its finished beginning grows (all that came, when
/// several came together), reads it into the summary's conversation
/// ([`tasks::read_ahead_summary`]), unseen, after every other prompt: a help to the summary,
/// never a failure, that nobody waits for. `None` when a
/// paragraph never comes (it failed, or the reader cancelled).
fn read_until_whole(
    talk: &Backend,
    english: &mpsc::Receiver<(usize, String)>,
    n: usize,
    cancel: &CancelToken,
) -> Option<String> {
    let mut done: Vec<Option<String>> = vec![None; n];
    let mut read = 0;
    let ahead = talk.unseen();
    let so_far = |done: &[Option<String>], upto: usize| {
        done[..upto]
            .iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    loop {
        let finished = done.iter().take_while(|e| e.is_some()).count();
        if finished == n {
            return Some(so_far(&done, n));
        }
        if finished > read && !cancel.is_cancelled() {
            read = finished;
            if let Err(err) = tasks::read_ahead_summary(&ahead, &so_far(&done, finished), cancel) {
                tracing::debug!(error = %err, "the summary will read the article whole");
            }
        }
        let (i, text) = english.recv().ok()?;
        let mut put = |i: usize, text: String| {
            if let Some(slot) = done.get_mut(i) {
                *slot = Some(text);
            }
        };
        put(i, text);
        while let Ok((i, text)) = english.try_recv() {
            put(i, text);
        }
        if cancel.is_cancelled() {
            return None;
        }
    }
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
    failure: Option<ModelError>,
    /// The reader was told the article waits for a server, and no text came since: the
    /// other parts' waits are not told again.
    waiting: bool,
    /// Paragraphs still running, whose end the summary's events wait for, and those events.
    paragraphs_left: usize,
    held: Vec<JobEvent>,
}

impl Relay {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            first_token: None,
            tally: Tally::default(),
            failure: None,
            waiting: false,
            paragraphs_left: 0,
            held: Vec::new(),
        }
    }

    /// The summary's events wait until `paragraphs` paragraphs have ended: a summary written
    /// while the last paragraphs' marks are read never reaches the reader before them.
    fn hold_summary_until(&mut self, paragraphs: usize) {
        self.paragraphs_left = paragraphs;
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
            Message::Event(
                event @ (JobEvent::SummaryDelta { .. }
                | JobEvent::SummaryDone { .. }
                | JobEvent::SummaryRestart {}),
            ) if self.paragraphs_left > 0 => self.held.push(event),
            Message::Event(event) => self.relay(event, emit),
            Message::ParagraphEnded => {
                self.paragraphs_left = self.paragraphs_left.saturating_sub(1);
                if self.paragraphs_left == 0 {
                    for event in std::mem::take(&mut self.held) {
                        self.relay(event, emit);
                    }
                }
            }
            Message::Used(out) => self.tally.add(&out),
            Message::Failed(err) => {
                // The article cannot be finished: its other parts stop at their next token.
                cancel.cancel();
                self.failure.get_or_insert(err);
            }
        }
    }

    fn relay(&mut self, event: JobEvent, emit: &mut dyn FnMut(JobEvent)) {
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
}

/// How one paragraph is translated.
#[derive(Clone, Copy)]
struct How<'a> {
    repair: bool,
    method: Method,
    /// The earlier turns it is shown.
    earlier: &'a [(String, String)],
    /// Where its first English is written: its own conversation. Repairs and other candidates
    /// are written outside it, which keeps only the chat its English came from.
    talk: &'a Backend,
}

/// What a paragraph tells the others as it goes.
struct Along<'a> {
    /// Its first English is on its way to the reader, or its first writing is over.
    writing: &'a dyn Fn(),
    /// Its turns (each chunk's French and English), as soon as its English is chosen, before
    /// any repair: for the paragraph shown it.
    chosen: &'a mut dyn FnMut(Turns),
    /// Its English once nothing will change it, where that comes before its end: after the
    /// repair, when the confidence step only marks (it reads for seconds, and the summary need
    /// not wait for it).
    settled: &'a mut dyn FnMut(&str),
}

/// One paragraph, its events sent as they come, telling `along` what it reaches. Its final
/// English, once the reader has it; none when the reader cancelled first.
fn translate_paragraph(
    model: &Backend,
    paragraph: usize,
    french: &Paragraph,
    how: How<'_>,
    cancel: &CancelToken,
    tx: &mpsc::Sender<Message>,
    along: Along<'_>,
) -> Result<Option<String>, ModelError> {
    let send = |event| {
        let _ = tx.send(Message::Event(event));
    };
    let chunks = chunks(model, french)?;
    let terms = glossary::for_checks(&french.terms);
    let greedy = tasks::Ask {
        earlier: how.earlier,
        terms: &terms,
        ..Default::default()
    };
    let mut stream = |delta: &str| {
        (along.writing)();
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
        let first = translate_chunks(how.talk, &chunks, &greedy, cancel, &mut stream);
        let others: Vec<_> = others
            .into_iter()
            .map(|thread| super::joined(thread, "translation"))
            .collect();
        (first, others)
    });
    (along.writing)();
    let (mut candidates, mut turns) = (Vec::new(), Vec::new());
    for written in std::iter::once(first).chain(others) {
        let (out, its_turns) = written?;
        candidates.push(out);
        turns.push(its_turns);
    }
    if cancel.is_cancelled() {
        return Ok(None);
    }
    // The French the model was shown before this paragraph: a name it took from there is the
    // article's.
    let shown = how
        .earlier
        .iter()
        .map(|(fr, _)| fr.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    let texts: Vec<String> = candidates.iter().map(|c| c.text.clone()).collect();
    let at = if texts.len() > 1 && how.method.unsure != Unsure::Off {
        let unsure = unsure::candidates(how.talk, &french.sentences, &greedy, &candidates, cancel)?;
        consensus::choose_by_confidence(&shown, &french.text, &texts, &unsure)
    } else {
        consensus::choose(&shown, &french.text, &texts)
    };
    let chosen = texts[at].clone();
    let written = candidates[at].logprobs();
    (along.chosen)(std::mem::take(&mut turns[at]));
    for out in candidates {
        let _ = tx.send(Message::Used(out));
    }
    let checked = if how.repair {
        let check = |text: &str| repair::check_paragraph(&shown, &french.text, &terms, text);
        let step = unsure::Paragraph {
            written_in: how.talk,
            sentences: &french.sentences,
            written: &written,
            ask: &greedy,
            check: &check,
            rewrite: how.method.unsure == Unsure::Rewrite,
        };
        let reader = unsure::Reader::new(model, &step, cancel);
        let count = |text: &str| reader.unsure_sentences(text);
        let unsure_count: Option<repair::UnsureCount<'_>> =
            (how.method.unsure != Unsure::Off).then_some(&count);
        let checked =
            repair::paragraph(model, french, &shown, &terms, chosen, unsure_count, cancel)?;
        match how.method.unsure {
            Unsure::Off => checked,
            Unsure::Mark | Unsure::Rewrite => {
                if how.method.unsure == Unsure::Mark {
                    (along.settled)(&checked.text);
                }
                unsure::paragraph(&reader, checked)?
            }
        }
    } else {
        repair::Checked::as_written(chosen, Vec::new())
    };
    for out in checked.used {
        let _ = tx.send(Message::Used(out));
    }
    if cancel.is_cancelled() {
        return Ok(None);
    }
    send(JobEvent::TranslationDone {
        paragraph,
        text: checked.text.clone(),
        flags: repair::wire(&checked.flags),
        from_memory: false,
    });
    Ok(Some(checked.text))
}

/// One English of the paragraph, chunk after chunk, each chunk shown the ones before it as
/// earlier turns; the chunks' attempts gathered, and their turns.
fn translate_chunks(
    model: &Backend,
    chunks: &[String],
    ask: &tasks::Ask<'_>,
    cancel: &CancelToken,
    on_delta: &mut dyn FnMut(&str),
) -> Result<(TaskOutput, Turns), ModelError> {
    let mut texts = Vec::new();
    let mut attempts = Vec::new();
    let mut shown = ask.earlier.to_vec();
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 {
            on_delta(" ");
        }
        let this = tasks::Ask {
            earlier: &shown,
            ..ask.clone()
        };
        let out = tasks::translate(model, chunk, &this, cancel, on_delta)?;
        shown.push((chunk.clone(), out.text.clone()));
        texts.push(out.text);
        attempts.extend(out.attempts);
        if cancel.is_cancelled() {
            break;
        }
    }
    let own = shown.split_off(ask.earlier.len());
    Ok((
        TaskOutput {
            text: texts.join(" "),
            attempts,
        },
        own,
    ))
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
    // The summary's first sentence, its rewrite's and the reading of its support all begin with
    // the article: one conversation reads it once for them all.
    let model = &model.in_a_conversation();
    let tasks::Summary { output, parts } = tasks::summarize(model, text, cancel, &mut |delta| {
        let _ = tx.send(Message::Event(JobEvent::SummaryDelta {
            text: delta.to_string(),
        }));
    })?;
    let first = output.text.clone();
    let mut written = output.logprobs();
    let _ = tx.send(Message::Used(output));
    let checked = if repair {
        let checked = repair::summary(
            model,
            text,
            against.french,
            against.english,
            first,
            &parts,
            cancel,
        )?;
        // The rewrite's sentences, where it is kept, are found among its own tokens.
        written.extend(checked.used.iter().flat_map(|out| out.logprobs()));
        match unsure {
            Unsure::Off => checked,
            Unsure::Mark | Unsure::Rewrite => {
                unsure::summary(model, text, checked, &written, cancel)?
            }
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
    prompt_reused: usize,
    generated_tokens: usize,
}

impl Tally {
    fn add(&mut self, out: &TaskOutput) {
        for g in &out.attempts {
            self.prompt_tokens += g.prompt_tokens;
            self.prompt_reused += g.prompt_reused;
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
            prompt_tokens_read: self.prompt_tokens.saturating_sub(self.prompt_reused),
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
    fn the_other_paragraphs_wait_until_the_lead_writes_or_its_thread_ends() {
        let (tx, rx) = mpsc::channel();
        let lead = LeadWriting::default();
        std::thread::scope(|scope| {
            let waiting = (0..2)
                .map(|_| {
                    let tx = tx.clone();
                    let lead = &lead;
                    scope.spawn(move || {
                        lead.wait();
                        let _ = tx.send(());
                    })
                })
                .collect::<Vec<_>>();
            assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
            lead.open();
            for thread in waiting {
                thread.join().expect("a warm-up");
            }
        });
        assert_eq!(rx.try_iter().count(), 2);
        // A lead that ends without writing (failed, cancelled, from the memory) opens it too,
        // even by a panic.
        for lead_ends in [false, true] {
            let lead = LeadWriting::default();
            let outcome = std::panic::catch_unwind(|| {
                let _other = OpensWhenDone(None);
                let _opens = OpensWhenDone(Some(&lead));
                if lead_ends {
                    panic!("the lead failed");
                }
            });
            assert_eq!(outcome.is_err(), lead_ends);
            assert!(*lead.open.lock().expect("not poisoned"));
        }
    }

    #[test]
    fn the_prompt_version_names_the_method() {
        let method = Method::default();
        assert_eq!(
            method.prompt_version(),
            "prompts 4; context article; candidates 1; unsure mark"
        );
    }

    /// The longest wait of a cutting, as [`runs`] counts it, each paragraph's last sentence
    /// `last` of its length.
    fn longest_wait(lengths: &[usize], last: &[usize], runs: &[Run]) -> usize {
        runs.iter()
            .map(|r| {
                let warm_up = r.start.checked_sub(1).map_or(0, |p| last[p]);
                warm_up + lengths[r.clone()].iter().sum::<usize>()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_chain_takes_at_most_four_turns_in_a_row_from_caches_and_previous_none() {
        for moves in 0..MOST_MOVES {
            assert!(Context::Article.moves(moves));
        }
        assert!(!Context::Article.moves(MOST_MOVES));
        assert_eq!(MOST_MOVES, 4);
        for context in [Context::Previous, Context::None] {
            assert!((0..8).all(|m| !context.moves(m)));
        }
    }

    /// Summed decode rates that grow as the sequences do (memory-bound writing), and that hardly
    /// grow (compute-bound).
    const GAINS_MUCH: [f64; 4] = [10.0, 20.0, 40.0, 80.0];
    const GAINS_LITTLE: [f64; 4] = [20.0, 20.5, 21.0, 21.5];

    fn pace(decode: [f64; 4]) -> Pace {
        Pace::new(decode).expect("a valid pace")
    }

    #[test]
    fn an_article_is_cut_into_runs_of_two_paragraphs_or_more_and_never_more_than_eight() {
        let sizes = |n: usize, decode: [f64; 4]| -> Vec<usize> {
            runs(&vec![100; n], &vec![100; n], &pace(decode))
                .iter()
                .map(|r| r.len())
                .collect()
        };
        for decode in [Pace::TYPICAL.decode, GAINS_MUCH, GAINS_LITTLE] {
            assert_eq!(sizes(0, decode), Vec::<usize>::new());
            assert_eq!(sizes(1, decode), vec![1]);
            assert_eq!(sizes(3, decode), vec![3]);
            for n in 1..60 {
                let r = runs(&vec![100; n], &vec![40; n], &pace(decode));
                // Consecutive, covering every paragraph once.
                assert_eq!(r.iter().map(|r| r.len()).sum::<usize>(), n);
                assert!(r.windows(2).all(|w| w[0].end == w[1].start));
                assert!(r.iter().all(|r| r.len() >= SHORTEST_RUN.min(n)), "{r:?}");
                assert!(r.len() <= MOST_RUNS);
            }
        }
        // The second run writes its predecessor's last sentence first (here the whole
        // paragraph), so it holds one paragraph fewer.
        assert_eq!(sizes(5, Pace::TYPICAL.decode), vec![3, 2]);
        assert_eq!(sizes(8, Pace::TYPICAL.decode), vec![2, 2, 2, 2]);
        // A run's later paragraphs wait for the one before; the others' first paragraphs wait
        // for nothing, and write their predecessor's last sentence alone first.
        let eight = runs(&[100; 8], &[100; 8], &Pace::TYPICAL);
        let starts: Vec<usize> = eight.iter().map(|r| r.start).collect();
        for i in 0..8 {
            let first = starts.contains(&i);
            assert_eq!(
                Context::Article.source(i, &eight).is_none(),
                first,
                "paragraph {i}"
            );
            assert_eq!(
                Context::Article.warms_up(i, &eight),
                first && i > 0,
                "paragraph {i}"
            );
            assert_eq!(Context::Previous.source(i, &eight), i.checked_sub(1));
            assert!(!Context::Previous.warms_up(i, &eight));
        }
    }

    #[test]
    fn a_machine_whose_batched_writing_gains_more_cuts_an_article_into_more_runs() {
        let count =
            |n: usize, decode: [f64; 4]| runs(&vec![100; n], &vec![50; n], &pace(decode)).len();
        for n in [4, 8, 13, 20, 40] {
            // Eight sequences writing no faster than one: a run each is all loss.
            assert_eq!(count(n, [20.0; 4]), 1, "{n} paragraphs");
            assert_eq!(count(n, GAINS_LITTLE), 1, "{n} paragraphs");
            assert!(count(n, GAINS_MUCH) > 1, "{n} paragraphs");
            assert!(count(n, GAINS_MUCH) >= count(n, Pace::TYPICAL.decode));
        }
        // Each of eight sequences writing as fast as one alone: as many runs as can be.
        assert_eq!(count(40, GAINS_MUCH), MOST_RUNS);
        // The bench article on the README's machine: cut in three when a run's first paragraph
        // wrote its whole predecessor first; its last sentence costs less, so more runs pay.
        let bench = [277, 267, 287, 321, 265, 479, 221, 313];
        assert_eq!(runs(&bench, &bench, &Pace::TYPICAL), vec![0..4, 4..6, 6..8]);
        let article = crate::intake::clean::clean(crate::measure::BENCH_ARTICLE);
        let lengths: Vec<usize> = article
            .paragraphs
            .iter()
            .map(|p| p.text.chars().count())
            .collect();
        assert_eq!(lengths, bench);
        assert!(runs_of(&article.paragraphs, &Pace::TYPICAL).len() > 3);
    }

    #[test]
    fn more_runs_are_taken_only_where_they_finish_sooner_by_more_than_a_twentieth() {
        // Two runs of a four-paragraph article wait three paragraphs (the second writes its
        // predecessor first) against four for one run: at 30 tokens/s for one sequence, 400/30
        // = 13.3 against 300/(x/2) = 600/x for two sequences writing x together.
        let four = [100; 4];
        let count = |x: f64| runs(&four, &four, &pace([30.0, x, 90.0, 120.0])).len();
        // 600/42 = 14.3: slower.
        assert_eq!(count(42.0), 1);
        // 600/46 = 13.04: sooner, by less than a twentieth.
        assert_eq!(count(46.0), 1);
        // 600/48 = 12.5: sooner by more.
        assert_eq!(count(48.0), 2);
        assert_eq!(count(60.0), 2);
        // The second paragraph's last sentence 20 characters long: the second run waits 220,
        // 440/x for two together, 12.2 at x = 36, sooner by more than a twentieth.
        let short_end = |x: f64| runs(&four, &[100, 20, 100, 100], &pace([30.0, x, 90.0, 120.0]));
        assert_eq!(short_end(36.0), vec![0..2, 2..4]);
        assert_eq!(short_end(30.0).len(), 1);
    }

    #[test]
    fn runs_are_cut_so_that_the_longest_wait_is_as_short_as_it_can_be() {
        // The bench article's paragraphs: cut in threes, its longest paragraph (the sixth)
        // would end a run and be written again first by the next.
        let bench = [277, 267, 287, 321, 265, 479, 221, 313];
        let cut = runs(&bench, &bench, &Pace::TYPICAL);
        assert_eq!(longest_wait(&bench, &bench, &cut), 1152);
        assert_eq!(longest_wait(&bench, &bench, &[0..3, 3..6, 6..8]), 1352);
        // Against every cutting into as many runs, on lengths that vary.
        let mut seed = 7u64;
        for n in 1..=10 {
            for _ in 0..20 {
                let mut next = |below: usize| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 33) as usize % below
                };
                let lengths: Vec<usize> = (0..n).map(|_| 50 + next(500)).collect();
                let last: Vec<usize> = lengths.iter().map(|&l| 10 + next(l - 9)).collect();
                for decode in [Pace::TYPICAL.decode, GAINS_MUCH] {
                    let cut = runs(&lengths, &last, &pace(decode));
                    let best = every_cutting(n, cut.len())
                        .iter()
                        .filter(|c| c.iter().all(|r| r.len() >= SHORTEST_RUN.min(n)))
                        .map(|c| longest_wait(&lengths, &last, c))
                        .min();
                    let got = longest_wait(&lengths, &last, &cut);
                    assert_eq!(Some(got), best, "{lengths:?} {last:?}");
                }
            }
        }
    }

    /// Every way of cutting `n` paragraphs into `count` non-empty consecutive runs.
    fn every_cutting(n: usize, count: usize) -> Vec<Vec<Run>> {
        if count == 1 {
            return vec![vec![0..n]];
        }
        (count - 1..n)
            .flat_map(|start| {
                every_cutting(start, count - 1)
                    .into_iter()
                    .map(move |mut c| {
                        c.push(start..n);
                        c
                    })
            })
            .collect()
    }
}
