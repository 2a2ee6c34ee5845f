//! The engine seam: what the tasks and the article pipeline need of whatever writes the English.
//! Two engines stand behind it: the built-in one (a loaded [`Model`], in this process) and a
//! pool of OpenAI-compatible inference servers (the `remote` crate). Above this seam nothing
//! knows which one runs.
//!
//! The tasks speak in chats (instructions, earlier turns, the user's text), not in prompt
//! strings: a remote server applies its own chat template, the built-in engine the family's.

use crate::{
    CancelToken, Family, Generation, GenerationParams, ModelError, Pace, Route, TokenLogprob,
};
use std::any::Any;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// One chat request: the instructions, earlier turns the model reads as its own past answers,
/// and the user's message it answers now.
#[derive(Debug, Clone, PartialEq)]
pub struct Chat {
    pub system: String,
    /// (user message, assistant reply) pairs, oldest first.
    pub earlier: Vec<(String, String)>,
    pub user: String,
}

impl Chat {
    pub fn new(system: &str, user: &str) -> Self {
        Self {
            system: system.to_string(),
            earlier: Vec::new(),
            user: user.to_string(),
        }
    }

    /// The same chat without its earlier turns.
    pub fn alone(&self) -> Self {
        Self {
            earlier: Vec::new(),
            ..self.clone()
        }
    }
}

/// What the page, `/api/info`, the benchmark and the history tell about the model that writes.
#[derive(Debug, Clone)]
pub struct ModelInfo {
    /// `general.name` of a local file (or its file name); the model id a remote server serves.
    pub name: String,
    /// How many tokens a prompt and its answer may take together.
    pub context_limit: usize,
    /// Loading the file, or finding a backend that answers.
    pub load_time: Duration,
    pub source: Source,
}

/// Where the model runs.
#[derive(Debug, Clone)]
pub enum Source {
    /// The built-in engine, on a GGUF file in this process.
    File {
        path: PathBuf,
        family: Family,
        /// The dominant tensor type, or llama.cpp's file type name (Q4_K_M) where the file says.
        quantization: String,
        file_size: u64,
    },
    /// OpenAI-compatible servers.
    Remote {
        /// Their base URLs (`http://host:port/v1`).
        backends: Vec<String>,
        /// What the server says identifies its weights beyond the id (a file path, a size), so
        /// that English from one model file is never taken for another's.
        weights: String,
    },
}

impl ModelInfo {
    /// One line for people: the model and where it runs.
    pub fn describe(&self) -> String {
        match &self.source {
            Source::File {
                family,
                quantization,
                ..
            } => format!(
                "{} ({}, {}, built-in engine, loaded in {:.1} s)",
                self.name,
                family.name(),
                quantization,
                self.load_time.as_secs_f64()
            ),
            Source::Remote { backends, .. } => {
                format!("{} (on {})", self.name, backends.join(", "))
            }
        }
    }

    /// `built-in` or `remote`, as the API and the logs name the engine.
    pub fn engine(&self) -> &'static str {
        match self.source {
            Source::File { .. } => "built-in",
            Source::Remote { .. } => "remote",
        }
    }
}

/// How one remote server is doing, for `/api/health` and `/api/info`.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendState {
    pub url: String,
    pub up: bool,
    /// When it stopped answering; `None` while up.
    pub down_since: Option<SystemTime>,
    /// Requests it runs for us now.
    pub in_flight: usize,
    /// What the last failure was, for the operator.
    pub last_error: Option<String>,
}

/// The seam itself. Calls block the calling thread for as long as the model writes; many
/// threads call at once, and the engine runs their chats together.
pub trait ChatEngine: Send + Sync {
    fn info(&self) -> &ModelInfo;

    /// Runs one chat, calling `on_delta` with each piece of text as it is produced.
    fn generate(
        &self,
        chat: &Chat,
        params: &GenerationParams,
        route: Route,
        cancel: &CancelToken,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Generation, ModelError>;

    /// The log-probability of each token of `answer` as the model's reply to `chat`, read in
    /// one prompt pass without writing: how likely the model finds that reply (a scored round
    /// trip). `None` where the engine cannot read a given reply's probabilities (the remote
    /// servers' chat API gives them only for what they write).
    fn score(
        &self,
        chat: &Chat,
        answer: &str,
        route: Route,
        cancel: &CancelToken,
    ) -> Result<Option<Vec<TokenLogprob>>, ModelError> {
        let _ = (chat, answer, route, cancel);
        Ok(None)
    }

    /// Reads `chat` into the route's conversation up to the end of its user message, which is
    /// still being written (an article whose paragraphs are still translated), and writes
    /// nothing: a later chat whose message continues it reads only the rest. Nothing where the
    /// engine keeps no conversation. On an unseen route ([`Backend::unseen`]) it is a read in
    /// case, that nobody waits for: the built-in engine reads it after every other prompt;
    /// otherwise in turn with the prompts that will be written from.
    fn read_ahead(
        &self,
        chat: &Chat,
        route: Route,
        cancel: &CancelToken,
    ) -> Result<(), ModelError> {
        let _ = (chat, route, cancel);
        Ok(())
    }

    /// A conversation has ended: whatever the engine keeps of it can go.
    fn forget(&self, conversation: u64) {
        let _ = conversation;
    }

    /// `conversation` is to start from what the engine keeps of `after`: its chats show some
    /// of `after`'s last turns as their own earlier turns, and the built-in engine moves those
    /// from `after`'s cache rather than reading them again. Nothing elsewhere.
    fn follow(&self, conversation: u64, after: u64) {
        let _ = (conversation, after);
    }

    /// Tokens of a text: exact with the built-in tokenizer, an estimate where the tokenizer is
    /// a remote server's. Used to size budgets and chunks, never to cut text exactly.
    fn count_tokens(&self, text: &str) -> Result<usize, ModelError>;

    /// Tokens of a whole chat as the model reads it, template included.
    fn chat_tokens(&self, chat: &Chat) -> Result<usize, ModelError>;

    /// Gets the engine ready for the first reader (a first pass over the weights).
    fn warm_up(&self) -> Result<(), ModelError>;

    /// The remote servers and their state; empty for the built-in engine.
    fn backends(&self) -> Vec<BackendState> {
        Vec::new()
    }

    /// The engine itself, so that a caller that knows the built-in engine can reach its
    /// figures ([`Backend::model`]).
    fn as_any(&self) -> &dyn Any;
}

/// Whichever engine writes the English, as the tasks and the pipeline hold it. Clones share the
/// engine; [`Backend::in_new_group`] gives a handle for one article,
/// [`Backend::in_conversation`] one for a chain of its turns.
#[derive(Clone)]
pub struct Backend {
    engine: Arc<dyn ChatEngine>,
    group: u64,
    conversation: Option<Arc<Conversation>>,
    /// Its output is shown to nobody as it is written ([`Route::unseen`]).
    unseen: bool,
    /// How fast the engine writes several sequences at once ([`Backend::with_pace`]).
    pace: Pace,
}

/// A conversation's name in the engine, told to forget it when the last handle goes.
struct Conversation {
    id: u64,
    engine: Arc<dyn ChatEngine>,
    /// The conversation it follows, kept alive (and its cache with it) until this one's first
    /// generation has taken what it needs: held longer, a chain of paragraphs would hold every
    /// cache of the chain until its last paragraph is done.
    after: Mutex<Option<Arc<Conversation>>>,
}

impl Drop for Conversation {
    fn drop(&mut self) {
        self.engine.forget(self.id);
    }
}

impl Backend {
    pub fn new(engine: Arc<dyn ChatEngine>) -> Self {
        Self {
            engine,
            group: 0,
            conversation: None,
            unseen: false,
            pace: Pace::TYPICAL,
        }
    }

    /// The same engine, known to write at `pace` on this machine (measured on the built-in
    /// engine; [`Pace::TYPICAL`] until told).
    pub fn with_pace(self, pace: Pace) -> Self {
        Self { pace, ..self }
    }

    pub fn pace(&self) -> Pace {
        self.pace
    }

    /// A handle whose chats form a new group (one reader's article).
    pub fn in_new_group(&self) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self {
            engine: Arc::clone(&self.engine),
            group: NEXT.fetch_add(1, Ordering::Relaxed),
            conversation: None,
            unseen: false,
            pace: self.pace,
        }
    }

    /// A handle, in the same group, whose generations form one conversation: each chat should
    /// be the previous one with its answer and a new message, and the built-in engine then
    /// reads only the new part. What the engine keeps is freed when the last clone of the
    /// handle is dropped.
    pub fn in_conversation(&self) -> Self {
        self.conversation_after(None)
    }

    /// This handle when its chats form a conversation already, else a new conversation
    /// ([`Backend::in_conversation`]): for work that reads one text once for several chats.
    pub fn in_a_conversation(&self) -> Self {
        if self.conversation.is_some() {
            self.clone()
        } else {
            self.in_conversation()
        }
    }

    /// [`Backend::in_conversation`], for a conversation whose chats show the last turns of
    /// `earlier`'s conversation as their own earlier turns (a paragraph shown its predecessor
    /// and its English): the built-in engine takes them from what it keeps of `earlier`, moved
    /// into place, instead of reading them again. That gives keys and values a little unlike a
    /// fresh read's (what came before them in `earlier` stays in them), always the same ones:
    /// what the engine keeps of `earlier` stays until this conversation's first generation.
    pub fn in_conversation_after(&self, earlier: &Backend) -> Self {
        self.conversation_after(earlier.conversation.clone())
    }

    fn conversation_after(&self, after: Option<Arc<Conversation>>) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        if let Some(after) = &after {
            self.engine.follow(id, after.id);
        }
        Self {
            engine: Arc::clone(&self.engine),
            group: self.group,
            conversation: Some(Arc::new(Conversation {
                id,
                engine: Arc::clone(&self.engine),
                after: Mutex::new(after),
            })),
            unseen: self.unseen,
            pace: self.pace,
        }
    }

    /// The same handle (group and conversation) for work whose output nobody reads as it is
    /// written: the built-in engine reads its prompts after those whose first words a reader
    /// waits for. A remote server is not told.
    pub fn unseen(&self) -> Self {
        Self {
            unseen: true,
            ..self.clone()
        }
    }

    fn route(&self) -> Route {
        Route {
            group: self.group,
            conversation: self.conversation.as_ref().map(|c| c.id),
            unseen: self.unseen,
        }
    }

    pub fn info(&self) -> &ModelInfo {
        self.engine.info()
    }

    pub fn generate(
        &self,
        chat: &Chat,
        params: &GenerationParams,
        cancel: &CancelToken,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Generation, ModelError> {
        let started = Instant::now();
        let written = self
            .engine
            .generate(chat, params, self.route(), cancel, on_delta);
        if let Some(c) = &self.conversation {
            // Its first turn has started from the followed conversation's cache, or failed.
            c.after.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
        let written = written?;
        tracing::debug!(
            task = task(chat),
            earlier = chat.earlier.len(),
            read = written.prompt_tokens.saturating_sub(written.prompt_reused),
            reused = written.prompt_reused,
            generated = written.generated_tokens,
            seconds = started.elapsed().as_secs_f64(),
            "generated"
        );
        Ok(written)
    }

    /// See [`ChatEngine::score`].
    pub fn score(
        &self,
        chat: &Chat,
        answer: &str,
        cancel: &CancelToken,
    ) -> Result<Option<Vec<TokenLogprob>>, ModelError> {
        let started = Instant::now();
        let scored = self.engine.score(chat, answer, self.route(), cancel);
        tracing::debug!(
            task = task(chat),
            earlier = chat.earlier.len(),
            in_conversation = self.conversation.is_some(),
            answer_chars = answer.len(),
            seconds = started.elapsed().as_secs_f64(),
            "scored"
        );
        scored
    }

    /// See [`ChatEngine::read_ahead`].
    pub fn read_ahead(&self, chat: &Chat, cancel: &CancelToken) -> Result<(), ModelError> {
        self.engine.read_ahead(chat, self.route(), cancel)
    }

    pub fn count_tokens(&self, text: &str) -> Result<usize, ModelError> {
        self.engine.count_tokens(text)
    }

    pub fn chat_tokens(&self, chat: &Chat) -> Result<usize, ModelError> {
        self.engine.chat_tokens(chat)
    }

    pub fn warm_up(&self) -> Result<(), ModelError> {
        self.engine.warm_up()
    }

    pub fn backends(&self) -> Vec<BackendState> {
        self.engine.backends()
    }

    pub fn engine(&self) -> &dyn ChatEngine {
        self.engine.as_ref()
    }
}

/// A request's task in the debug log, by the first words of its instructions: where the
/// engine's time goes (`PASSERELLE_LOG=models=debug`).
fn task(chat: &Chat) -> String {
    chat.system
        .split_whitespace()
        .take(6)
        .collect::<Vec<_>>()
        .join(" ")
}
