//! The batched engine: one loaded network on its own thread, running many sequences in each
//! forward step.
//!
//! Callers on any thread send a [`Request`] (prompt tokens, budget, cancel flag, a channel for
//! what comes back) and receive the sequence's tokens as they are sampled. The thread owns the
//! weights and the KV caches; [`scheduler`] decides what goes into each step, [`transformer`] runs
//! it, [`matmul`] and [`kernels`] do the quantized products.

#[allow(unsafe_code)]
pub(crate) mod kernels;
pub(crate) mod kv;
pub(crate) mod matmul;
pub(crate) mod packed;
mod scheduler;
#[cfg(test)]
mod tests;
pub(crate) mod transformer;

use crate::likelihood::Likelihood;
use crate::sampling::{
    CancelToken, CopyBan, FinishReason, Quotation, QuotationTokens, Sampling, WordBan,
};
use crate::ModelError;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use transformer::Transformer;

/// How much the engine runs at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// KV-cache positions all running sequences may hold together (prompt plus token budget of
    /// each). The default model takes 57 KB per position, so the default is about 0.9 GB at most.
    pub kv_tokens: usize,
    /// Sequences in one step at most, except that a reader with nothing running yet may go past
    /// it (up to twice it): past this a step costs more than it gives each reader.
    pub max_sequences: usize,
    /// Prompt tokens read in a step while other sequences are writing, so that their text keeps
    /// flowing while a new prompt is read.
    pub prefill_chunk: usize,
    /// Prompt tokens read in a step when nobody is writing (one prompt at a time).
    pub prefill_alone: usize,
    /// Beginnings that many prompts share (the tasks' own, [`crate::tasks::INSTRUCTIONS`]): each
    /// is read once at load, and every prompt that starts as it does copies the keys and values of
    /// what they share instead of reading it again.
    pub shared_instructions: &'static [Beginning],
    /// Tokens guessed ahead in a step that reads no prompt, by its greedy sequences together:
    /// each guesses what followed the longest run of its last tokens that its own prompt or
    /// text had before (prompt lookup). The guesses are read with the tokens written, and kept
    /// as far as they are what the sequences write. The text is the same with or without them
    /// (a row gives the same bits in any batch); 0 guesses nothing. Three keep a lone
    /// sequence's step at four rows, which cost little more than one.
    pub draft_tokens: usize,
}

/// The fixed beginning of many prompts: a task's instructions, up to its user's message; or, for
/// a pass that always asks the same and scores the answer, the whole chat before the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Beginning {
    pub system: &'static str,
    pub user: Option<&'static str>,
}

impl Beginning {
    /// Instructions followed by many different messages.
    pub const fn instructions(system: &'static str) -> Self {
        Self { system, user: None }
    }

    /// A chat that is always the same, only its answer changing.
    pub const fn asking(system: &'static str, user: &'static str) -> Self {
        Self {
            system,
            user: Some(user),
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            kv_tokens: 16_384,
            max_sequences: 32,
            prefill_chunk: 32,
            prefill_alone: 256,
            shared_instructions: &[],
            draft_tokens: 3,
        }
    }
}

/// What one caller asks of the engine.
pub(crate) struct Request {
    pub(crate) ids: Vec<u32>,
    pub(crate) max_tokens: usize,
    pub(crate) sampling: Sampling,
    pub(crate) repetition_guard: bool,
    /// Keep writing through stop tokens (the benchmark's fixed-length runs).
    pub(crate) ignore_stop: bool,
    pub(crate) cancel: CancelToken,
    /// Read the prompt only, and send the log-probability of each of its tokens from this one
    /// on ([`SeqEvent::Scored`]): how likely the model finds a given text after the rest.
    pub(crate) score_from: Option<usize>,
    /// Sequences of one group (one reader's job) take turns with other groups'.
    pub(crate) group: u64,
    /// A conversation whose keys and values the engine keeps between requests: the prompt's
    /// longest beginning already read in it is not read again, and a generation leaves its
    /// prompt and answer there for the next turn.
    pub(crate) conversation: Option<u64>,
    /// Nobody reads the output as it is written: its prompt is read after those whose words a
    /// reader waits for.
    pub(crate) unseen: bool,
    /// Runs of a source text the output may not copy.
    pub(crate) copy_ban: Option<Arc<CopyBan>>,
    /// Words the output may not write.
    pub(crate) word_ban: Option<Arc<WordBan>>,
    /// How the output holds the quotation its source opens with.
    pub(crate) quotation: Option<(Quotation, Arc<QuotationTokens>)>,
    pub(crate) events: Sender<SeqEvent>,
}

impl Request {
    /// A prompt read and nothing written, the rest as every request has it unless it says
    /// otherwise.
    pub(crate) fn reading(
        ids: Vec<u32>,
        (group, conversation, unseen): (u64, Option<u64>, bool),
        cancel: &CancelToken,
        events: Sender<SeqEvent>,
    ) -> Self {
        Self {
            ids,
            max_tokens: 0,
            sampling: Sampling::Greedy,
            repetition_guard: false,
            ignore_stop: false,
            cancel: cancel.clone(),
            score_from: None,
            group,
            conversation,
            unseen,
            copy_ban: None,
            word_ban: None,
            quotation: None,
            events,
        }
    }

    /// A prompt read into its conversation and nothing written: a beginning that later turns
    /// continue.
    pub(crate) fn reads_only(&self) -> bool {
        self.max_tokens == 0 && self.score_from.is_none()
    }

    /// A prompt read ahead, unseen: nobody waits for it, and it may never be needed (a summary
    /// reading the article's finished beginning while the rest is translated).
    pub(crate) fn read_in_case(&self) -> bool {
        self.reads_only() && self.unseen
    }

    /// KV positions the request may reach: its prompt, and its answer unless it only scores.
    pub(crate) fn need(&self) -> usize {
        self.ids.len()
            + if self.score_from.is_some() {
                0
            } else {
                self.max_tokens
            }
    }
}

pub(crate) enum SeqEvent {
    /// A written token and how likely the model found it (before any temperature).
    Token(u32, Likelihood),
    /// How likely the model finds each of the prompt's tokens from `score_from` on, in order.
    Scored(Vec<Likelihood>),
    Finished(SeqFinish),
    Failed(ModelError),
}

pub(crate) struct SeqFinish {
    pub(crate) reason: FinishReason,
    /// Tokens of the output to keep (fewer than generated when a repetition was cut).
    pub(crate) keep: usize,
    pub(crate) generated: usize,
    /// Prompt tokens not read, their keys and values taken from a conversation's or a shared
    /// beginning's.
    pub(crate) reused: usize,
    /// From joining the engine to the first sampled token: reading the prompt, waiting included.
    pub(crate) prompt_time: Duration,
    pub(crate) generation_time: Duration,
}

pub(crate) enum Command {
    Generate(Request),
    /// A conversation has ended: what the engine kept of it is freed.
    Forget(u64),
    /// `conversation` starts from what `after` holds (see [`scheduler`]).
    Follow {
        conversation: u64,
        after: u64,
    },
    /// Read a prompt beginning once; later sequences that start with it copy its KV.
    Prefix {
        ids: Vec<u32>,
        done: Sender<Result<(), ModelError>>,
    },
    /// Fixed-shape throughput measurement (see [`EngineHandle::measure`]).
    Measure {
        sequences: usize,
        prompt: usize,
        generate: usize,
        done: Sender<Result<(f64, f64), ModelError>>,
    },
}

/// Steps and batch sizes since the engine started, for the benchmark.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngineStats {
    pub steps: u64,
    /// Rows over all steps (prompt tokens and generated tokens).
    pub rows: u64,
    /// Sequences writing a token, summed over steps.
    pub decoding: u64,
    pub max_decoding: usize,
    /// Requests waiting for room now.
    pub waiting: usize,
    /// KV positions kept now for conversations between their turns.
    pub kept: usize,
    /// Prompt tokens read, and prompt tokens whose keys and values were reused instead.
    pub prompt_read: u64,
    pub prompt_reused: u64,
    /// Tokens guessed ahead ([`EngineConfig::draft_tokens`]), and those the sequences wrote.
    pub drafted: u64,
    pub draft_kept: u64,
    /// Time spent taking steps: the rest of the time the engine had nothing to run and waited
    /// for its callers. A step's time is added once it has ended, after it sent its tokens.
    pub busy: std::time::Duration,
}

impl EngineStats {
    fn record(&mut self, rows: usize, decoding: usize) {
        self.steps += 1;
        self.rows += rows as u64;
        self.decoding += decoding as u64;
        self.max_decoding = self.max_decoding.max(decoding);
    }

    /// The steps taken since `earlier`; `max_decoding` and `waiting` stay as they are now.
    pub fn since(&self, earlier: &Self) -> Self {
        Self {
            steps: self.steps - earlier.steps,
            rows: self.rows - earlier.rows,
            decoding: self.decoding - earlier.decoding,
            prompt_read: self.prompt_read - earlier.prompt_read,
            prompt_reused: self.prompt_reused - earlier.prompt_reused,
            drafted: self.drafted - earlier.drafted,
            draft_kept: self.draft_kept - earlier.draft_kept,
            busy: self.busy.saturating_sub(earlier.busy),
            ..self.clone()
        }
    }

    /// Mean sequences writing per step.
    pub fn mean_decoding(&self) -> f64 {
        self.per_step(self.decoding)
    }

    /// Mean rows (prompt and generated tokens) per step.
    pub fn mean_rows(&self) -> f64 {
        self.per_step(self.rows)
    }

    fn per_step(&self, total: u64) -> f64 {
        if self.steps == 0 {
            0.0
        } else {
            total as f64 / self.steps as f64
        }
    }
}

/// The sending side, shared by every clone of a [`crate::Model`]; the thread ends when the last
/// is dropped.
pub(crate) struct EngineHandle {
    commands: Mutex<Option<Sender<Command>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    stats: Arc<Mutex<EngineStats>>,
    pub(crate) config: EngineConfig,
}

impl EngineHandle {
    pub(crate) fn spawn(
        model: Transformer,
        config: EngineConfig,
        stop_tokens: Vec<u32>,
    ) -> Result<Self, ModelError> {
        let (tx, rx) = mpsc::channel();
        let stats = Arc::new(Mutex::new(EngineStats::default()));
        let scheduler = scheduler::Scheduler::new(model, config, stop_tokens, Arc::clone(&stats));
        // The engine thread is itself a worker of the pool its products run on, so each of the
        // hundreds of parallel products in a step starts without waking a thread and waiting
        // for it (the global pool, entered from outside, costs a sleep and a wake-up each).
        let threads = crate::cpu_threads();
        let (started, start_result) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("engine".into())
            .spawn(move || {
                match rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .use_current_thread()
                    .build()
                {
                    Ok(pool) => {
                        let _ = started.send(Ok(()));
                        pool.install(|| scheduler.run(rx));
                    }
                    Err(e) => {
                        let _ = started.send(Err(e.to_string()));
                    }
                }
            })
            .map_err(|e| ModelError::Engine(format!("cannot start the engine thread: {e}")))?;
        match start_result.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(ModelError::Engine(format!(
                    "cannot start the engine's CPU threads: {e}"
                )))
            }
            Err(_) => return Err(ModelError::EngineStopped),
        }
        Ok(Self {
            commands: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            stats,
            config,
        })
    }

    pub(crate) fn send(&self, command: Command) -> Result<(), ModelError> {
        let guard = self.commands.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .as_ref()
            .ok_or(ModelError::EngineStopped)?
            .send(command)
            .map_err(|_| ModelError::EngineStopped)
    }

    pub(crate) fn stats(&self) -> EngineStats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Frees what the engine keeps of a conversation (its handle is gone).
    pub(crate) fn forget(&self, conversation: u64) {
        // An engine already stopped has nothing left to free.
        let _ = self.send(Command::Forget(conversation));
    }

    /// Tells the engine that `conversation` starts from what `after` holds.
    pub(crate) fn follow(&self, conversation: u64, after: u64) {
        // An engine already stopped runs nothing more.
        let _ = self.send(Command::Follow {
            conversation,
            after,
        });
    }

    /// Reads `ids` once as a shared prompt beginning; blocks until done.
    pub(crate) fn add_prefix(&self, ids: Vec<u32>) -> Result<(), ModelError> {
        let (done, rx) = mpsc::channel();
        self.send(Command::Prefix { ids, done })?;
        rx.recv().map_err(|_| ModelError::EngineStopped)?
    }

    /// Prompt and decode tokens/s of `sequences` fixed-length sequences run together.
    pub(crate) fn measure(
        &self,
        sequences: usize,
        prompt: usize,
        generate: usize,
    ) -> Result<(f64, f64), ModelError> {
        let (done, rx) = mpsc::channel();
        self.send(Command::Measure {
            sequences,
            prompt,
            generate,
            done,
        })?;
        rx.recv().map_err(|_| ModelError::EngineStopped)?
    }
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        // Closing the channel lets the thread finish what runs and stop.
        self.commands
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(thread) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = thread.join();
        }
    }
}
