//! Continuous batching on the model thread. Sequences join and leave between steps; each step
//! gathers the next token of every decoding sequence and a slice of the prompts still being
//! read, runs them through the transformer as one batch, and samples for the rows that end a
//! prompt or continue a generation.
//!
//! Admission is fair between groups (a group is one reader's job): the waiting sequence whose
//! group has the fewest running sequences goes first, so a second reader's first paragraph
//! starts at the next step rather than after the first reader's article. A budget of KV-cache
//! positions caps what runs at once; the rest waits here.
//!
//! A conversation's keys and values stay here between its turns (a chain of an article's
//! paragraphs, each turn the earlier ones plus a new paragraph): a request reads only the part
//! of its prompt that no cache of its conversation holds. Kept caches count in the budget and
//! are the first thing given up when a request needs room; a conversation that lost its cache
//! reads its prompt whole again, with the same result.
//!
//! A conversation may follow another (a paragraph shown its predecessor and the English the
//! predecessor wrote): its first turn starts from the other's cache, with what comes before
//! the part it shares left out and the shared part moved into place, so that nothing the other
//! read or wrote is read again. Until its follower has started from it, the other's cache is
//! the last given up for room: reading it fresh would not give the same keys and values.

use super::kv::SeqCache;
use super::transformer::{Row, Scratch, Transformer};
use super::{Command, EngineConfig, EngineStats, Request, SeqEvent, SeqFinish};
use crate::likelihood::{self, Likelihood};
use crate::sampling::{self, degenerate_tail, FinishReason, Sampling};
use crate::ModelError;
use candle_core::{Device, Tensor};
use candle_transformers::generation::{self, LogitsProcessor};
use std::collections::{HashMap, VecDeque};
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Seq {
    req: Request,
    cache: SeqCache,
    /// Prompt tokens already in the cache.
    fed: usize,
    /// Positions of the cache holding keys and values: of the prompt, then of the written
    /// tokens fed back.
    written: usize,
    /// Prompt tokens taken from another cache instead of read.
    reused: usize,
    /// Positions this sequence holds in the budget.
    reserved: usize,
    generated: Vec<u32>,
    sampler: Option<LogitsProcessor>,
    /// How likely the model found each of a scoring request's tokens read so far.
    scores: Vec<Likelihood>,
    /// Tokens it may guess ahead in its next step: one more than were right the last time it
    /// guessed, so that a text its lookups fail costs one wasted row a step, not the most.
    guess: usize,
    joined: Instant,
    first_token: Option<Instant>,
}

impl Seq {
    fn reading(&self) -> bool {
        self.fed < self.req.ids.len()
    }

    /// The row this sequence adds to a step when it is decoding.
    fn next_row(&self, seq: usize) -> Option<Row> {
        let last = *self.generated.last()?;
        Some(Row {
            seq,
            token: last,
            pos: self.req.ids.len() + self.generated.len() - 1,
        })
    }

    /// Its prompt and what it has written, the last token too.
    fn text(&self) -> Vec<u32> {
        self.req
            .ids
            .iter()
            .chain(&self.generated)
            .copied()
            .collect()
    }

    /// The tokens whose keys and values are in the cache, in order.
    fn cached(&self) -> impl Iterator<Item = &u32> {
        self.req
            .ids
            .iter()
            .chain(&self.generated)
            .take(self.written)
    }

    fn finish(self, reason: FinishReason, keep: Option<usize>) {
        let now = Instant::now();
        let first = self.first_token.unwrap_or(now);
        tracing::debug!(
            prompt = self.req.ids.len(),
            reused = self.reused,
            generated = self.generated.len(),
            seconds = (now - self.joined).as_secs_f64(),
            first_token_after = (first - self.joined).as_secs_f64(),
            unseen = self.req.unseen,
            "sequence finished"
        );
        let _ = self.req.events.send(SeqEvent::Finished(SeqFinish {
            reason,
            keep: keep.unwrap_or(self.generated.len()),
            generated: self.generated.len(),
            reused: self.reused,
            prompt_time: first - self.joined,
            generation_time: now - first,
        }));
    }
}

/// Positions a conversation's cache is given beyond what its request needs: room for a few
/// more turns.
const CONVERSATION_HEADROOM: usize = 1024;

/// A prompt beginning whose keys and values were computed once, copied into each new sequence
/// that starts with it.
struct Prefix {
    ids: Vec<u32>,
    cache: SeqCache,
}

/// A conversation's cache between its turns.
struct Kept {
    /// The tokens whose keys and values it holds.
    ids: Vec<u32>,
    cache: SeqCache,
    /// When it was last used (a count of admissions), so the oldest goes first.
    used: u64,
}

/// Where an admitted request's prompt beginning comes from.
enum Reuse {
    /// Nothing: the whole prompt is read.
    Nothing,
    /// The conversation's kept cache, taken over whole.
    Kept(usize),
    /// Copied from the conversation's kept cache.
    CopyKept(usize),
    /// Copied from a running sequence of the same conversation.
    CopyRunning(usize, usize),
    /// Copied from a shared prompt beginning.
    CopyPrefix(usize, usize),
    /// The beginning both share copied from the kept cache of the conversation `from`, which
    /// the request's conversation follows, then `len` positions from `at` on moved into place
    /// after it.
    Moved {
        from: u64,
        shared: usize,
        at: usize,
        len: usize,
    },
}

/// Positions worth moving from a followed conversation: fewer may be a chance likeness.
const LEAST_MOVED: usize = 8;

/// In `cached` (a followed conversation's tokens), the beginning it shares with `ids` and the
/// longest run further on that continues `ids` after that beginning (up to `limit`): (shared,
/// where the run starts, its length), the length 0 where no run is long enough to be worth
/// moving.
fn moved_run(cached: &[u32], ids: &[u32], limit: usize) -> (usize, usize, usize) {
    let shared = cached
        .iter()
        .zip(ids)
        .take_while(|(a, b)| a == b)
        .count()
        .min(limit);
    let want = &ids[shared..limit];
    let mut best = (0, 0);
    for at in shared + 1..cached.len() {
        let len = cached[at..]
            .iter()
            .zip(want)
            .take_while(|(a, b)| a == b)
            .count();
        if len > best.1 {
            best = (at, len);
        }
    }
    if best.1 < LEAST_MOVED {
        return (shared, shared, 0);
    }
    (shared, best.0, best.1)
}

pub(super) struct Scheduler {
    model: Transformer,
    config: EngineConfig,
    stop_tokens: Vec<u32>,
    waiting: VecDeque<Request>,
    running: Vec<Seq>,
    prefixes: Vec<Prefix>,
    reserved: usize,
    /// Conversations' caches between turns, and the positions they hold.
    kept: HashMap<u64, Kept>,
    kept_positions: usize,
    scratch: Scratch,
    stats: Arc<Mutex<EngineStats>>,
    /// When each group last had a sequence admitted (a count of admissions), for round-robin.
    last_turn: HashMap<u64, u64>,
    turns: u64,
    /// Each following conversation and the one it follows.
    follows: HashMap<u64, u64>,
}

impl Scheduler {
    pub(super) fn new(
        model: Transformer,
        config: EngineConfig,
        stop_tokens: Vec<u32>,
        stats: Arc<Mutex<EngineStats>>,
    ) -> Self {
        Self {
            model,
            config,
            stop_tokens,
            waiting: VecDeque::new(),
            running: Vec::new(),
            prefixes: Vec::new(),
            reserved: 0,
            kept: HashMap::new(),
            kept_positions: 0,
            scratch: Scratch::default(),
            stats,
            last_turn: HashMap::new(),
            turns: 0,
            follows: HashMap::new(),
        }
    }

    /// Runs until every handle to the engine is gone.
    pub(super) fn run(mut self, commands: Receiver<Command>) {
        loop {
            if self.running.is_empty() && self.waiting.is_empty() {
                self.publish();
                match commands.recv() {
                    Ok(c) => self.take(c),
                    Err(_) => break,
                }
            }
            loop {
                match commands.try_recv() {
                    Ok(c) => self.take(c),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        if self.running.is_empty() && self.waiting.is_empty() {
                            tracing::debug!("engine stopped");
                            return;
                        }
                        break;
                    }
                }
            }
            self.drop_cancelled();
            self.admit();
            self.publish();
            if !self.running.is_empty() {
                let started = Instant::now();
                self.step();
                let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
                stats.busy += started.elapsed();
            }
        }
        tracing::debug!("engine stopped");
    }

    /// What waits and what is kept, for the figures.
    fn publish(&self) {
        let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        stats.waiting = self.waiting.len();
        stats.kept = self.kept_positions;
    }

    fn take(&mut self, command: Command) {
        match command {
            Command::Generate(req) => self.waiting.push_back(req),
            Command::Forget(conversation) => self.forget(conversation),
            Command::Follow {
                conversation,
                after,
            } => {
                self.follows.insert(conversation, after);
            }
            Command::Prefix { ids, done } => {
                let _ = done.send(self.add_prefix(ids));
            }
            Command::Measure {
                sequences,
                prompt,
                generate,
                done,
            } => {
                let _ = done.send(self.measure(sequences, prompt, generate));
            }
        }
    }

    /// Cancelled sequences leave at the step boundary, waiting or running; groups with nothing
    /// left are forgotten.
    fn drop_cancelled(&mut self) {
        let (running, waiting) = (&self.running, &self.waiting);
        self.last_turn.retain(|g, _| {
            running.iter().any(|s| s.req.group == *g) || waiting.iter().any(|r| r.group == *g)
        });
        self.waiting.retain(|r| {
            let gone = r.cancel.is_cancelled();
            if gone {
                let _ = r.events.send(SeqEvent::Finished(SeqFinish::cancelled()));
            }
            !gone
        });
        let mut i = 0;
        while i < self.running.len() {
            if self.running[i].req.cancel.is_cancelled() {
                let seq = self.running.swap_remove(i);
                self.retire(seq, FinishReason::Cancelled, None);
            } else {
                i += 1;
            }
        }
    }

    fn admit(&mut self) {
        while let Some(at) = self.next_waiting() {
            // A reader with nothing running yet gets in past the cap (up to twice it), so that
            // their first paragraph starts now rather than when someone else's ends.
            let group = self.waiting[at].group;
            let newcomer = !self.running.iter().any(|s| s.req.group == group);
            let cap = if newcomer {
                2 * self.config.max_sequences
            } else {
                self.config.max_sequences
            };
            if self.running.len() >= cap {
                break;
            }
            let need = self.waiting[at].need();
            if need > self.config.kv_tokens {
                if let Some(req) = self.waiting.remove(at) {
                    let _ = req.events.send(SeqEvent::Failed(ModelError::KvBudget {
                        needed: need,
                        budget: self.config.kv_tokens,
                    }));
                }
                continue;
            }
            let reuse = self.reuse_for(&self.waiting[at]);
            // A generation takes its conversation's kept cache over: those positions are
            // already counted.
            let taken = match reuse {
                Reuse::Kept(_) => self.waiting[at]
                    .conversation
                    .and_then(|c| self.kept.get(&c))
                    .map_or(0, |k| k.ids.len()),
                _ => 0,
            };
            let own = self.waiting[at].conversation;
            // The followed cache this request moves positions from: given up, if need be,
            // only once they are moved.
            let from = match reuse {
                Reuse::Moved { from, .. } => Some(from),
                _ => None,
            };
            let over = |s: &Self, freed: usize| {
                s.reserved + need + s.kept_positions - taken - freed > s.config.kv_tokens
            };
            while over(self, 0) {
                // A followed cache goes only when nothing else can free room: with nothing
                // running, waiting would never end.
                let evicted = self.evict_oldest([own, from], false)
                    || (self.running.is_empty() && self.evict_oldest([own, from], true));
                if !evicted {
                    break;
                }
            }
            let from_len = from
                .and_then(|c| self.kept.get(&c))
                .map_or(0, |k| k.ids.len());
            let give_up_from = over(self, 0) && self.running.is_empty();
            if over(self, if give_up_from { from_len } else { 0 }) {
                break;
            }
            let Some(req) = self.waiting.remove(at) else {
                break;
            };
            self.turns += 1;
            self.last_turn.insert(req.group, self.turns);
            let (cache, fed) = self.cache_for(&req, reuse, need);
            if let Some(c) = from {
                // Taken: the followed cache is an ordinary kept cache again.
                if let Some(own) = own {
                    self.follows.remove(&own);
                }
                if give_up_from {
                    if let Some(k) = self.kept.remove(&c) {
                        self.kept_positions -= k.ids.len();
                    }
                }
            }
            let sampler = match &req.sampling {
                Sampling::Greedy => None,
                Sampling::Temperature {
                    temperature,
                    top_p,
                    seed,
                } => Some(LogitsProcessor::from_sampling(
                    *seed,
                    generation::Sampling::TopP {
                        p: *top_p,
                        temperature: *temperature,
                    },
                )),
            };
            self.reserved += need;
            self.running.push(Seq {
                req,
                cache,
                fed,
                written: fed,
                reused: fed,
                reserved: need,
                generated: Vec::new(),
                sampler,
                scores: Vec::new(),
                guess: self.config.draft_tokens,
                joined: Instant::now(),
                first_token: None,
            });
        }
    }

    /// The waiting request whose group has the fewest running sequences; among equals, the
    /// group whose turn came longest ago (never, for a new reader), then the oldest request.
    fn next_waiting(&self) -> Option<usize> {
        let running_in = |g: u64| self.running.iter().filter(|s| s.req.group == g).count();
        (0..self.waiting.len()).min_by_key(|&i| {
            let g = self.waiting[i].group;
            (
                running_in(g),
                self.last_turn.get(&g).copied().unwrap_or(0),
                i,
            )
        })
    }

    fn step(&mut self) {
        let mut rows = Vec::new();
        let mut wants = Vec::new();
        // Which running sequence each logits row belongs to, and what it is for.
        let mut owners: Vec<(usize, Want)> = Vec::new();
        // Per running sequence: the tokens guessed ahead this step, and how many it had written.
        let mut drafts: Vec<Vec<u32>> = vec![Vec::new(); self.running.len()];
        let before: Vec<usize> = self.running.iter().map(|s| s.generated.len()).collect();
        // Guesses only in a step that reads no prompt: there a step costs about the same with
        // a few more rows (its time is reading the weights), and a right guess saves a whole
        // step; beside a prompt's chunk each row costs its full share of the compute.
        let mut guesses = if self.running.iter().any(Seq::reading) {
            0
        } else {
            self.config.draft_tokens
        };
        let mut decoding = 0;
        for (i, seq) in self.running.iter().enumerate() {
            if let Some(row) = seq.next_row(i) {
                decoding += 1;
                wants.push(rows.len());
                owners.push((i, Want::Next));
                rows.push(row);
                let most = self.draft_room(seq, row.pos).min(guesses);
                if most > 0 {
                    drafts[i] = draft(&seq.text(), most);
                    guesses -= drafts[i].len();
                }
                for (j, &token) in drafts[i].iter().enumerate() {
                    wants.push(rows.len());
                    owners.push((i, Want::Draft(j)));
                    rows.push(Row {
                        seq: i,
                        token,
                        pos: row.pos + 1 + j,
                    });
                }
            }
        }
        let decode_rows = rows.len();
        // Scoring requests whose whole prompt this step finishes reading.
        let mut owners_done = Vec::new();
        let mut room = self.prefill_room(decoding);
        for i in self.reading_order() {
            let seq = &self.running[i];
            if room == 0 {
                break;
            }
            let take = (seq.req.ids.len() - seq.fed).min(room);
            for k in 0..take {
                let pos = seq.fed + k;
                rows.push(Row {
                    seq: i,
                    token: seq.req.ids[pos],
                    pos,
                });
                // A scored token's log-probability comes from the row before it.
                if let Some(from) = seq.req.score_from {
                    if pos + 1 >= from && pos + 1 < seq.req.ids.len() {
                        wants.push(rows.len() - 1);
                        owners.push((i, Want::Score(seq.req.ids[pos + 1])));
                    }
                }
            }
            room -= take;
            if seq.fed + take == seq.req.ids.len() {
                if seq.req.score_from.is_some() || seq.req.reads_only() {
                    owners_done.push(i);
                } else {
                    wants.push(rows.len() - 1);
                    owners.push((i, Want::Next));
                }
            }
        }
        let result = {
            let mut caches: Vec<&mut SeqCache> =
                self.running.iter_mut().map(|s| &mut s.cache).collect();
            let (model, scratch) = (&self.model, &mut self.scratch);
            panic::catch_unwind(AssertUnwindSafe(|| {
                model.forward(&rows, &mut caches, &wants, scratch)
            }))
        };
        let logits = match result {
            Ok(Ok(logits)) => logits,
            Ok(Err(err)) => return self.fail_all(&err.to_string()),
            Err(_) => return self.fail_all("the model panicked during a step"),
        };
        for row in &rows[decode_rows..] {
            let seq = &mut self.running[row.seq];
            seq.fed = seq.fed.max(row.pos + 1);
        }
        for row in &rows {
            let seq = &mut self.running[row.seq];
            seq.written = seq.written.max(row.pos + 1);
        }
        // Before anything is sent, so that a caller who has its tokens sees this step counted.
        {
            let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
            stats.record(rows.len(), decoding);
            stats.prompt_read += (rows.len() - decode_rows) as u64;
        }
        let vocab = self.model.vocab();
        let mut finished: Vec<(usize, FinishReason, Option<usize>)> = Vec::new();
        let mut ended = vec![false; self.running.len()];
        for (logits, &(i, want)) in logits.chunks_exact(vocab).zip(&owners) {
            let seq = &mut self.running[i];
            match want {
                Want::Score(token) => {
                    seq.scores.push(likelihood::of(logits, token));
                    continue;
                }
                Want::Next => {}
                // A guess's row tells what comes after the guess only where the guess is what
                // the sequence wrote, and it goes on.
                Want::Draft(j) => {
                    let wrote = &seq.generated[before[i]..];
                    if ended[i] || wrote.len() != j + 1 || wrote.last() != drafts[i].get(j) {
                        continue;
                    }
                }
            }
            if let Some((reason, keep)) = take_token(seq, logits, &self.stop_tokens) {
                ended[i] = true;
                finished.push((i, reason, keep));
            }
        }
        // Only the guesses that were written hold the sequence's keys and values; the positions
        // of the others are written again before any row reads them.
        let mut kept_guesses = 0;
        for (i, draft) in drafts.iter().enumerate().filter(|(_, d)| !d.is_empty()) {
            let seq = &mut self.running[i];
            let kept = draft
                .iter()
                .zip(&seq.generated[before[i]..])
                .take_while(|(a, b)| a == b)
                .count();
            seq.written = seq.req.ids.len() + before[i] + kept;
            seq.guess = kept + 1;
            kept_guesses += kept;
        }
        {
            let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
            stats.drafted += drafts.iter().map(Vec::len).sum::<usize>() as u64;
            stats.draft_kept += kept_guesses as u64;
        }
        for i in owners_done {
            let seq = &mut self.running[i];
            seq.first_token.get_or_insert_with(Instant::now);
            if seq.req.score_from.is_some() {
                let scores = std::mem::take(&mut seq.scores);
                let _ = seq.req.events.send(SeqEvent::Scored(scores));
            }
            finished.push((i, FinishReason::Stop, None));
        }
        // Highest index first, so swap_remove leaves the others' indices valid.
        finished.sort_by_key(|f| std::cmp::Reverse(f.0));
        for (i, reason, keep) in finished {
            let seq = self.running.swap_remove(i);
            self.retire(seq, reason, keep);
        }
    }

    /// A sequence leaves: its positions are freed, and a generation that ended as asked leaves
    /// its cache to its conversation (prompt and answer, up to what was kept of the answer).
    fn retire(&mut self, mut seq: Seq, reason: FinishReason, keep: Option<usize>) {
        self.reserved -= seq.reserved;
        self.stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .prompt_reused += seq.reused as u64;
        let ended_well = matches!(reason, FinishReason::Stop | FinishReason::Budget)
            || (reason == FinishReason::Repetition && keep.is_some());
        if let (Some(conversation), true, None) =
            (seq.req.conversation, ended_well, seq.req.score_from)
        {
            let answer = keep.unwrap_or(seq.generated.len());
            let len = seq.written.min(seq.req.ids.len() + answer);
            let ids: Vec<u32> = seq.cached().take(len).copied().collect();
            let cache = std::mem::replace(&mut seq.cache, SeqCache::new(&self.model.config, 0));
            self.keep(conversation, ids, cache);
        }
        seq.finish(reason, keep);
    }

    fn keep(&mut self, conversation: u64, ids: Vec<u32>, cache: SeqCache) {
        self.kept_positions += ids.len();
        let kept = Kept {
            ids,
            cache,
            used: self.turns,
        };
        if let Some(old) = self.kept.insert(conversation, kept) {
            self.kept_positions -= old.ids.len();
        }
        // Before the sequence's end is sent, so that its caller sees the cache counted.
        self.publish();
    }

    /// Frees the oldest kept cache other than `except`'s (the request's own conversation and
    /// the one it moves positions from), and other than those a conversation follows unless
    /// `followed_too`; false when there is none.
    fn evict_oldest(&mut self, except: [Option<u64>; 2], followed_too: bool) -> bool {
        let oldest = self
            .kept
            .iter()
            .filter(|(c, _)| !except.contains(&Some(**c)))
            .filter(|(c, _)| followed_too || !self.follows.values().any(|f| f == *c))
            .min_by_key(|(_, k)| k.used)
            .map(|(c, _)| *c);
        match oldest.and_then(|c| self.kept.remove(&c).map(|k| (c, k))) {
            Some((conversation, k)) => {
                tracing::debug!(conversation, positions = k.ids.len(), "kept cache evicted");
                self.kept_positions -= k.ids.len();
                self.publish();
                true
            }
            None => false,
        }
    }

    /// A conversation ended: its kept cache goes, and its sequences still running or waiting
    /// leave nothing behind.
    fn forget(&mut self, conversation: u64) {
        if let Some(k) = self.kept.remove(&conversation) {
            self.kept_positions -= k.ids.len();
        }
        self.follows.remove(&conversation);
        self.follows.retain(|_, followed| *followed != conversation);
        for seq in &mut self.running {
            if seq.req.conversation == Some(conversation) {
                seq.req.conversation = None;
            }
        }
        for req in &mut self.waiting {
            if req.conversation == Some(conversation) {
                req.conversation = None;
            }
        }
    }

    /// The longest beginning of `req`'s prompt whose keys and values some cache holds: its
    /// conversation's kept cache, a running sequence of its conversation, a shared prefix, or
    /// the cache of the conversation it follows, moved.
    /// At least the prompt's last token is read (its logits give the first token), and a scored
    /// prompt reads every token it scores.
    fn reuse_for(&self, req: &Request) -> Reuse {
        let limit = match req.score_from {
            Some(from) => from.saturating_sub(1),
            None => req.ids.len().saturating_sub(1),
        };
        let common = |tokens: &mut dyn Iterator<Item = &u32>| {
            tokens
                .zip(&req.ids)
                .take_while(|(a, b)| a == b)
                .count()
                .min(limit)
        };
        let mut best = (0, Reuse::Nothing);
        let mut consider = |len: usize, reuse: Reuse| {
            if len > best.0 {
                best = (len, reuse);
            }
        };
        // What a prompt shares with a shared beginning, even where it goes on otherwise (a
        // scored pass's whole chat but its last token, which gives the first score).
        for (i, p) in self.prefixes.iter().enumerate() {
            let len = common(&mut p.ids.iter());
            consider(len, Reuse::CopyPrefix(i, len));
        }
        if let Some(conversation) = req.conversation {
            for (i, seq) in self.running.iter().enumerate() {
                if seq.req.conversation == Some(conversation) {
                    let len = common(&mut seq.cached());
                    consider(len, Reuse::CopyRunning(i, len));
                }
            }
            if let Some(kept) = self.kept.get(&conversation) {
                let len = common(&mut kept.ids.iter());
                // A generation takes the kept cache over; a scored prompt, which leaves nothing
                // behind, copies it.
                let whole = req.score_from.is_none() && kept.cache.capacity() >= req.need();
                consider(
                    len,
                    if whole {
                        Reuse::Kept(len)
                    } else {
                        Reuse::CopyKept(len)
                    },
                );
            }
            // Only the followed conversation's kept cache, never a sequence of it still
            // running: what such a sequence holds depends on how far it has got, and the moved
            // positions must always be the same ones.
            let followed = self.follows.get(&conversation).copied();
            if let (Some(from), Some(kept), None) = (
                followed,
                followed.and_then(|f| self.kept.get(&f)),
                req.score_from,
            ) {
                let (shared, at, len) = moved_run(&kept.ids, &req.ids, limit);
                consider(
                    shared + len,
                    Reuse::Moved {
                        from,
                        shared,
                        at,
                        len,
                    },
                );
            }
        }
        best.1
    }

    /// The cache an admitted request starts with, and how many of its prompt tokens it holds.
    fn cache_for(&mut self, req: &Request, reuse: Reuse, need: usize) -> (SeqCache, usize) {
        // A conversation's cache has room to grow, so that its next turn takes it over rather
        // than copying it; positions never written cost address space only (see [`SeqCache`]).
        let capacity = if req.conversation.is_some() {
            need + CONVERSATION_HEADROOM
        } else {
            need
        };
        let fresh = |model: &Transformer| SeqCache::new(&model.config, capacity);
        let kept = req.conversation.and_then(|c| self.kept.remove(&c));
        if let Some(k) = &kept {
            self.kept_positions -= k.ids.len();
        }
        let (cache, fed) = match reuse {
            Reuse::Nothing => (fresh(&self.model), 0),
            Reuse::Kept(len) => match kept {
                Some(k) => return (k.cache, len),
                None => (fresh(&self.model), 0),
            },
            Reuse::CopyKept(len) => {
                let mut cache = fresh(&self.model);
                match &kept {
                    Some(k) => {
                        cache.copy_prefix(&k.cache, len);
                        (cache, len)
                    }
                    None => (cache, 0),
                }
            }
            Reuse::CopyRunning(i, len) => {
                let mut cache = fresh(&self.model);
                cache.copy_prefix(&self.running[i].cache, len);
                (cache, len)
            }
            Reuse::CopyPrefix(i, len) => {
                let mut cache = fresh(&self.model);
                cache.copy_prefix(&self.prefixes[i].cache, len);
                (cache, len)
            }
            Reuse::Moved {
                from,
                shared,
                at,
                len,
            } => {
                let mut cache = fresh(&self.model);
                match self.kept.get(&from) {
                    Some(source) => {
                        cache.copy_prefix(&source.cache, shared);
                        self.model
                            .move_positions(&mut cache, &source.cache, at..at + len, shared);
                        (cache, shared + len)
                    }
                    None => (cache, 0),
                }
            }
        };
        // A scored prompt leaves the kept cache as it was; a generation replaces it when it
        // ends.
        if let (Some(k), Some(c), Some(_)) = (kept, req.conversation, req.score_from) {
            self.keep(c, k.ids, k.cache);
        }
        (cache, fed)
    }

    /// The sequences still reading their prompt: every prompt before one read ahead that
    /// nobody waits for ([`Request::read_in_case`]: a reader's first words before what a later
    /// paragraph may need), then prompts whose words a reader waits for before unseen ones,
    /// readers who have nothing written yet first, then in the order they came. A read that a
    /// caller waits on before it writes (a summary's shared opening) is not last: a queue of
    /// confidence readings would hold it, and the summary with it, until they were all read.
    fn reading_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.running.len())
            .filter(|&i| self.running[i].reading())
            .collect();
        order.sort_by_key(|&i| {
            let seq = &self.running[i];
            (
                seq.req.read_in_case(),
                seq.req.unseen,
                self.writing_in(seq.req.group),
                i,
            )
        });
        order
    }

    /// Sequences of `group` already writing.
    fn writing_in(&self, group: u64) -> usize {
        self.running
            .iter()
            .filter(|s| s.req.group == group && !s.reading())
            .count()
    }

    /// Tokens a sequence writing at `pos` may guess ahead this step: none for a sampled one
    /// (a guess is kept only where it is what the sequence would pick), and never past its
    /// budget, its cache or the model's context.
    fn draft_room(&self, seq: &Seq, pos: usize) -> usize {
        if seq.sampler.is_some() {
            return 0;
        }
        let end = seq.cache.capacity().min(self.model.context());
        seq.guess
            .min(seq.req.max_tokens.saturating_sub(seq.generated.len() + 1))
            .min(end.saturating_sub(pos + 1))
    }

    /// Prompt tokens this step reads. With nobody writing, the first waiting prompt alone (up to
    /// `prefill_alone`, or `prefill_chunk` for one whose first token nobody waits for), so that
    /// its first token comes as soon as it can; while another reader waits for their first word,
    /// a larger chunk; while a sequence is on its first few tokens, few, so that the reader sees
    /// its first words at once; otherwise a chunk that keeps the others' text flowing.
    fn prefill_room(&self, decoding: usize) -> usize {
        /// Tokens a new sequence writes before its steps may grow: enough for the first words
        /// to pass the preface filter.
        const FIRST_WORDS: usize = 4;
        if decoding == 0 {
            let Some(&first) = self.reading_order().first() else {
                return 1;
            };
            let seq = &self.running[first];
            // Nobody waits for the first token of an unseen or read-only prompt: it is read in
            // the chunks read beside writers, so that a prompt whose words a reader waits for,
            // arriving meanwhile, is not held behind one long step.
            let most = if seq.req.unseen || seq.req.reads_only() {
                self.config.prefill_chunk
            } else {
                self.config.prefill_alone
            };
            return (seq.req.ids.len() - seq.fed).clamp(1, most.max(1));
        }
        // A reader still waiting for their first word: read more this step.
        let unserved = self
            .running
            .iter()
            .any(|s| s.reading() && self.writing_in(s.req.group) == 0);
        if unserved {
            return self.config.prefill_alone.min(96);
        }
        let starting = self
            .running
            .iter()
            .any(|s| !s.reading() && s.generated.len() < FIRST_WORDS);
        if starting {
            self.config.prefill_chunk.min(8)
        } else {
            self.config.prefill_chunk
        }
    }

    fn fail_all(&mut self, message: &str) {
        tracing::error!(error = message, "a model step failed");
        for seq in self.running.drain(..) {
            let _ = seq
                .req
                .events
                .send(SeqEvent::Failed(ModelError::Engine(message.to_string())));
        }
        self.reserved = 0;
    }

    fn add_prefix(&mut self, ids: Vec<u32>) -> Result<(), ModelError> {
        if ids.is_empty() || self.prefixes.iter().any(|p| p.ids == ids) {
            return Ok(());
        }
        let mut cache = SeqCache::new(&self.model.config, ids.len());
        self.read_prompt(&ids, &mut cache)?;
        self.prefixes.push(Prefix { ids, cache });
        Ok(())
    }

    /// Reads a whole prompt into `cache`, no logits wanted.
    fn read_prompt(&mut self, ids: &[u32], cache: &mut SeqCache) -> Result<(), ModelError> {
        let chunk = self.config.prefill_alone.max(1);
        for (c, part) in ids.chunks(chunk).enumerate() {
            let rows: Vec<Row> = part
                .iter()
                .enumerate()
                .map(|(k, &token)| Row {
                    seq: 0,
                    token,
                    pos: c * chunk + k,
                })
                .collect();
            self.model
                .forward(&rows, &mut [&mut *cache], &[], &mut self.scratch)?;
        }
        Ok(())
    }

    /// llama.cpp's batched-bench on this engine: `sequences` prompts of `prompt` tokens read
    /// together, then `generate` steps of one token for each. Returns the rates of both phases.
    fn measure(
        &mut self,
        sequences: usize,
        prompt: usize,
        generate: usize,
    ) -> Result<(f64, f64), ModelError> {
        let c = self.model.config.clone();
        let mut caches: Vec<SeqCache> = (0..sequences)
            .map(|_| SeqCache::new(&c, prompt + generate))
            .collect();
        // Distinct prompts, so no sequence can lean on another's work; ordinary tokens past
        // the first thousand where the vocabulary has them (a test's tiny one has not).
        let vocab = self.model.vocab();
        let (span, first) = if vocab > 21_000 {
            (20_000, 1_000)
        } else {
            (vocab, 0)
        };
        let token = |s: usize, p: usize| ((s * 7919 + p * 104_729) % span + first) as u32;
        let started = Instant::now();
        let chunk = self.config.prefill_alone.max(1);
        let mut rows: Vec<Row> = (0..sequences)
            .flat_map(|s| {
                (0..prompt).map(move |p| Row {
                    seq: s,
                    token: token(s, p),
                    pos: p,
                })
            })
            .collect();
        for part in rows.chunks(chunk) {
            let mut refs: Vec<&mut SeqCache> = caches.iter_mut().collect();
            self.model
                .forward(part, &mut refs, &[], &mut self.scratch)?;
        }
        let prompt_rate = (sequences * prompt) as f64 / started.elapsed().as_secs_f64();
        let started = Instant::now();
        let all: Vec<usize> = (0..sequences).collect();
        for g in 0..generate {
            rows = (0..sequences)
                .map(|s| Row {
                    seq: s,
                    token: token(s, prompt + g),
                    pos: prompt + g,
                })
                .collect();
            let mut refs: Vec<&mut SeqCache> = caches.iter_mut().collect();
            self.model
                .forward(&rows, &mut refs, &all, &mut self.scratch)?;
        }
        let decode_rate = (sequences * generate) as f64 / started.elapsed().as_secs_f64();
        Ok((prompt_rate, decode_rate))
    }
}

/// What a row of logits is for.
#[derive(Clone, Copy)]
enum Want {
    /// The sequence's next token, to sample.
    Next,
    /// How likely this given token of a scored prompt is.
    Score(u32),
    /// The token after the sequence's `n`th guess this step, if the guesses up to it are
    /// what it wrote.
    Draft(usize),
}

/// The longest run of a text's last tokens looked for earlier in it: longer ones are rarer.
const DRAFT_MATCH: usize = 4;
/// The shortest: after a single token, what came once is a poor guess of what comes next.
const DRAFT_LEAST_MATCH: usize = 2;

/// Up to `most` tokens that followed, the last time, the longest run (two tokens or more) of
/// `text`'s last tokens that came before in it (prompt lookup: a summary or translation
/// repeats names and phrases of what it was given). Empty where no run came before.
fn draft(text: &[u32], most: usize) -> Vec<u32> {
    let n = text.len();
    if most == 0 || n <= DRAFT_LEAST_MATCH {
        return Vec::new();
    }
    let mut best = (0, 0);
    // The nearest earlier use first: likelier to go on the same way.
    for end in (1..n).rev() {
        let len = (1..=DRAFT_MATCH.min(end))
            .take_while(|&k| text[end - k] == text[n - k])
            .count();
        if len > best.0 {
            best = (len, end);
            if len == DRAFT_MATCH {
                break;
            }
        }
    }
    if best.0 < DRAFT_LEAST_MATCH {
        return Vec::new();
    }
    text[best.1..(best.1 + most).min(n)].to_vec()
}

/// Takes the token `logits` pick for `seq` (greedy or sampled, within its copy ban) as
/// written and sends it, unless the sequence ends there: why, and how much of it to keep.
fn take_token(
    seq: &mut Seq,
    logits: &[f32],
    stop_tokens: &[u32],
) -> Option<(FinishReason, Option<usize>)> {
    // The same decision the bans' own tests check: a refused word, a glued token after a mark
    // that follows one, or the last token of a word the sequence may not write.
    let limits = sampling::Limits {
        copy_ban: seq.req.copy_ban.as_deref(),
        word_ban: seq.req.word_ban.as_deref(),
        quotation: seq
            .req
            .quotation
            .as_ref()
            .map(|(how, tokens)| (*how, &**tokens, stop_tokens)),
    };
    let allowed = sampling::allowed(limits, &seq.generated, logits);
    let next = match pick(seq.sampler.as_mut(), allowed.as_deref().unwrap_or(logits)) {
        Ok(t) => t,
        Err(e) => {
            let _ = seq.req.events.send(SeqEvent::Failed(e));
            return Some((FinishReason::Cancelled, None));
        }
    };
    seq.first_token.get_or_insert_with(Instant::now);
    if !seq.req.ignore_stop && stop_tokens.contains(&next) {
        return Some((FinishReason::Stop, None));
    }
    seq.generated.push(next);
    if seq
        .req
        .events
        .send(SeqEvent::Token(next, likelihood::of(logits, next)))
        .is_err()
    {
        // Nobody is listening any more: the caller has gone.
        return Some((FinishReason::Cancelled, None));
    }
    if seq.req.repetition_guard {
        if let Some(keep) = degenerate_tail(&seq.generated) {
            return Some((FinishReason::Repetition, Some(keep)));
        }
    }
    (seq.generated.len() >= seq.req.max_tokens).then_some((FinishReason::Budget, None))
}

/// Greedy is a plain argmax over the row (the first of equal maxima, as candle picks);
/// sampling goes through candle's processor.
fn pick(sampler: Option<&mut LogitsProcessor>, logits: &[f32]) -> Result<u32, ModelError> {
    match sampler {
        None => Ok(logits
            .iter()
            .enumerate()
            .fold((0usize, f32::NEG_INFINITY), |best, (i, &v)| {
                if v > best.1 {
                    (i, v)
                } else {
                    best
                }
            })
            .0 as u32),
        Some(s) => Ok(s.sample(&Tensor::from_slice(logits, logits.len(), &Device::Cpu)?)?),
    }
}

impl SeqFinish {
    fn cancelled() -> Self {
        Self {
            reason: FinishReason::Cancelled,
            keep: 0,
            generated: 0,
            reused: 0,
            prompt_time: Duration::ZERO,
            generation_time: Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_to_move_is_the_longest_that_continues_the_shared_beginning() {
        // A followed cache: instructions (1, 2), an earlier turn (7 to 9), the turn shown.
        let shown: Vec<u32> = (20..32).collect();
        let cached: Vec<u32> = [1, 2, 7, 8, 9]
            .iter()
            .copied()
            .chain(shown.clone())
            .collect();
        let ids: Vec<u32> = [1, 2]
            .iter()
            .copied()
            .chain(shown.clone())
            .chain([40, 41])
            .collect();
        assert_eq!(moved_run(&cached, &ids, ids.len() - 1), (2, 5, 12));
        // Never past the limit (the tokens a request must read itself).
        assert_eq!(moved_run(&cached, &ids, 10), (2, 5, 8));
        // A run shorter than is worth moving is not moved.
        assert_eq!(moved_run(&cached, &ids, 9), (2, 2, 0));
        // Everything shared from the start: nothing to move.
        let ids: Vec<u32> = cached.iter().copied().chain([40]).collect();
        assert_eq!(moved_run(&cached, &ids, ids.len() - 1), (17, 17, 0));
    }

    #[test]
    fn a_guess_is_what_followed_the_longest_run_of_the_last_tokens_that_came_before() {
        // "3 4" came twice before; its nearest use went on with 9, 9.
        assert_eq!(draft(&[1, 3, 4, 5, 6, 3, 4, 9, 9, 7, 3, 4], 2), vec![9, 9]);
        // "2 3 4" came before: longer beats nearer.
        assert_eq!(draft(&[2, 3, 4, 8, 3, 4, 9, 2, 3, 4], 3), vec![8, 3, 4]);
        // No more than the text has after the run.
        assert_eq!(draft(&[5, 6, 7, 5, 6], 4), vec![7, 5, 6]);
        // One token in common is not a run; nothing came before; nothing asked.
        assert!(draft(&[1, 2, 7, 2], 4).is_empty());
        assert!(draft(&[1, 2, 3, 4], 4).is_empty());
        assert!(draft(&[5, 6, 7, 5, 6], 0).is_empty());
        assert!(draft(&[5, 6], 4).is_empty());
    }
}
