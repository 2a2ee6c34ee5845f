//! Jobs: a cleaned article, its event log, and what it has produced so far.
//!
//! Every event a job emits is kept, numbered from 1, so a reader that reconnects with
//! `Last-Event-ID` gets exactly what it missed. With a history ([`crate::history`]), each event
//! is written to disk before any reader sees it, so the numbering survives a restart. Readers
//! wait on a `watch` of the event count.

use crate::history::{self, NewJob, Store, StoreError, StoredJob};
use crate::intake::clean::Article;
use crate::service::glossary::{Glossary, GlossaryError};
use crate::service::queue::{Queue, QueueError};
pub use app::api::JobStatus;
use app::api::{Flag, JobEvent, JobSnapshot, ParagraphProgress};
use app::progress::Progress;
use models::CancelToken;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;

#[derive(Debug)]
struct JobState {
    events: Vec<JobEvent>,
    /// What the events add up to, folded as the page folds them.
    progress: Progress,
    readers: usize,
    /// The server is stopping and the job will go on after the next start: it takes no more
    /// events, so its kept log ends where the work stopped.
    suspended: bool,
    /// Last moment someone was reading the events or polling the job.
    last_seen: Instant,
    finished_at: Option<Instant>,
}

/// What a job is asked for beside its article's English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOptions {
    /// A summary after the English: the page's articles have one, texts sent through the other
    /// protocols do not.
    pub summarize: bool,
    /// The API key's owner that sent the job, when the server asks for keys: only that key
    /// sees it in the history.
    pub owner: Option<String>,
}

impl Default for JobOptions {
    fn default() -> Self {
        Self {
            summarize: true,
            owner: None,
        }
    }
}

#[derive(Debug)]
pub struct Job {
    pub id: String,
    pub article: Article,
    pub options: JobOptions,
    pub cancel: CancelToken,
    state: Mutex<JobState>,
    count: watch::Sender<usize>,
    /// Where the events are written, when articles are kept.
    history: Option<Arc<Store>>,
}

impl Job {
    /// A job kept in memory only.
    pub fn new(article: Article) -> Arc<Self> {
        Self::asked(article, JobOptions::default())
    }

    /// A job kept in memory only, asked for `options`.
    pub fn asked(article: Article, options: JobOptions) -> Arc<Self> {
        Arc::new(Self::unlogged(new_id(), article, options))
    }

    /// A new job written to `history` (with the paste it came from and the lines the reader
    /// put back) before it is returned.
    pub fn kept(
        article: Article,
        options: JobOptions,
        paste: &str,
        kept: &[String],
        history: Arc<Store>,
    ) -> Result<Arc<Self>, StoreError> {
        let job = Self::unlogged(new_id(), article, options);
        history.create(&NewJob {
            id: &job.id,
            paste,
            kept,
            article: &job.article,
            summarize: job.options.summarize,
            owner: job.options.owner.as_deref(),
        })?;
        Ok(Arc::new(Self {
            history: Some(history),
            ..job
        }))
    }

    /// A kept job as it stood when its last event was written.
    pub fn restore(stored: StoredJob, history: Arc<Store>) -> Arc<Self> {
        let options = JobOptions {
            summarize: stored.summarize,
            owner: stored.owner,
        };
        let job = Self {
            history: Some(history),
            ..Self::unlogged(stored.id, stored.article, options)
        };
        {
            let mut st = job.state();
            for event in stored.events {
                st.apply(&event);
                st.events.push(event);
            }
            // A job read again after a restart has not been looked at yet in this run.
            st.last_seen = Instant::now();
            job.count.send_replace(st.events.len());
        }
        Arc::new(job)
    }

    fn unlogged(id: String, article: Article, options: JobOptions) -> Self {
        let progress = Progress::new(article.paragraphs.len());
        Self {
            id,
            article,
            options,
            cancel: CancelToken::new(),
            state: Mutex::new(JobState {
                events: Vec::new(),
                progress,
                readers: 0,
                suspended: false,
                last_seen: Instant::now(),
                finished_at: None,
            }),
            count: watch::channel(0).0,
            history: None,
        }
    }

    /// A poisoned lock only means a panic elsewhere while it was held; the state itself is
    /// plain data and still readable.
    fn state(&self) -> MutexGuard<'_, JobState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends an event and wakes the readers. Nothing is added after a final event, so a late
    /// `cancelled` cannot follow a `done`. A kept job's event is written first; if that fails
    /// (a full disk), the job stops with an error that says so, and the server goes on.
    pub fn push(&self, event: JobEvent) {
        let mut st = self.state();
        if st.progress.status.is_finished() || st.suspended {
            return;
        }
        let number = st.events.len() + 1;
        let event = match self.write(number, &event) {
            Ok(()) => event,
            Err(err) => {
                tracing::error!(id = %self.id, error = %err, "cannot save the article's progress");
                self.cancel.cancel();
                JobEvent::Error {
                    code: "storage".into(),
                    message: format!("The article could not be saved, so it was stopped: {err}."),
                }
            }
        };
        st.apply(&event);
        st.events.push(event);
        let n = st.events.len();
        drop(st);
        self.count.send_replace(n);
    }

    fn write(&self, number: usize, event: &JobEvent) -> Result<(), StoreError> {
        let Some(history) = &self.history else {
            return Ok(());
        };
        let french_key = match event {
            JobEvent::TranslationDone { paragraph, .. } => self
                .article
                .paragraphs
                .get(*paragraph)
                .map(history::memory_key),
            _ => None,
        };
        history.append(&self.id, number, event, french_key.as_deref())
    }

    /// Stops the job for a server stop. A kept job is left unfinished on disk, to go on after
    /// the next start; one in memory only is cancelled, since it cannot go on.
    pub fn stop_for_shutdown(&self) {
        if self.history.is_some() {
            self.state().suspended = true;
        } else {
            self.push(JobEvent::Cancelled {});
        }
        self.cancel.cancel();
    }

    /// Each paragraph's final English and flags, where it has one.
    pub fn finished_paragraphs(&self) -> Vec<Option<(String, Vec<Flag>)>> {
        self.state()
            .progress
            .paragraphs
            .iter()
            .map(|t| t.done.then(|| (t.text.clone(), t.flags.clone())))
            .collect()
    }

    /// The worker took the job.
    pub fn mark_running(&self) {
        let mut st = self.state();
        if st.progress.status == JobStatus::Queued {
            st.progress.status = JobStatus::Running;
            st.progress.position = None;
        }
    }

    /// Events numbered `after + 1` onwards, with their ids, and whether the job has finished
    /// (read together, so a reader cannot miss a final event pushed in between).
    pub fn events_after(&self, after: usize) -> (Vec<(usize, JobEvent)>, bool) {
        let st = self.state();
        let events = st
            .events
            .iter()
            .enumerate()
            .skip(after)
            .map(|(i, e)| (i + 1, e.clone()))
            .collect();
        (events, st.progress.status.is_finished())
    }

    /// A receiver that changes whenever an event is added.
    pub fn watch(&self) -> watch::Receiver<usize> {
        self.count.subscribe()
    }

    pub fn status(&self) -> JobStatus {
        self.state().progress.status
    }

    /// Counts a reader of the event stream until the returned guard is dropped.
    pub fn reader(self: &Arc<Self>) -> ReaderGuard {
        let mut st = self.state();
        st.readers += 1;
        st.last_seen = Instant::now();
        ReaderGuard(Arc::clone(self))
    }

    /// Someone looked at the job (a poll counts as interest, like a stream).
    pub fn touch(&self) {
        self.state().last_seen = Instant::now();
    }

    pub fn snapshot(&self) -> JobSnapshot {
        let st = self.state();
        let progress = &st.progress;
        JobSnapshot {
            id: self.id.clone(),
            status: progress.status,
            position: progress.position,
            paragraphs: self
                .article
                .paragraphs
                .iter()
                .zip(&progress.paragraphs)
                .map(|(p, t)| ParagraphProgress {
                    paragraph: p.clone(),
                    translation: t.text.clone(),
                    done: t.done,
                    flags: t.flags.clone(),
                })
                .collect(),
            removed: self.article.removed.clone(),
            summary: progress.summary.clone(),
            summary_flags: progress.summary_flags.clone(),
            figures: progress.figures.clone(),
            error: progress.error.clone(),
            last_event_id: st.events.len(),
        }
    }

    /// Unfinished, with nobody reading for longer than `grace`. A kept job is never abandoned:
    /// its reader can come back to it from the history, finished.
    fn is_abandoned(&self, now: Instant, grace: Duration) -> bool {
        if self.history.is_some() {
            return false;
        }
        let st = self.state();
        !st.progress.status.is_finished()
            && st.readers == 0
            && now.duration_since(st.last_seen) > grace
    }

    fn finished_before(&self, now: Instant, keep: Duration) -> bool {
        self.state()
            .finished_at
            .is_some_and(|t| now.duration_since(t) > keep)
    }
}

impl JobState {
    /// What `event` changes in the job; the event log itself is the caller's.
    fn apply(&mut self, event: &JobEvent) {
        self.progress.apply(event);
        if self.progress.status.is_finished() {
            self.finished_at = Some(Instant::now());
        }
    }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

pub struct ReaderGuard(Arc<Job>);

impl Drop for ReaderGuard {
    fn drop(&mut self) {
        let mut st = self.0.state();
        st.readers = st.readers.saturating_sub(1);
        st.last_seen = Instant::now();
    }
}

/// Why a new job was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Storage(#[from] StoreError),
    #[error(transparent)]
    Glossary(#[from] GlossaryError),
}

/// A new article on its way to the model, as the page, a file, a link or another protocol
/// sends it.
pub struct Submission<'a> {
    pub article: Article,
    pub options: JobOptions,
    /// The text it was cleaned from, kept in the history.
    pub paste: &'a str,
    /// Lines the reader put back after an earlier cleaning.
    pub keep: &'a [String],
}

/// Every job the server knows, by id: those in memory, and with a history, every kept one
/// (read back from disk when asked for).
#[derive(Debug, Default)]
pub struct Jobs {
    map: Mutex<HashMap<String, Arc<Job>>>,
    history: Option<Arc<Store>>,
}

impl Jobs {
    pub fn new(history: Option<Arc<Store>>) -> Self {
        Self {
            map: Mutex::default(),
            history,
        }
    }

    pub fn history(&self) -> Option<&Arc<Store>> {
        self.history.as_ref()
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, Arc<Job>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn insert(&self, job: Arc<Job>) {
        self.map().insert(job.id.clone(), job);
    }

    /// The one way in for a new article: the reader's glossary terms attached to its
    /// paragraphs, the job kept (with a history), then queued (its `queued` event written too).
    /// Blocks on the disk: call it off the executor.
    pub fn submit(
        &self,
        new: Submission<'_>,
        queue: &Queue,
        glossary: &Glossary,
    ) -> Result<Arc<Job>, SubmitError> {
        let Submission {
            mut article,
            options,
            paste,
            keep,
        } = new;
        crate::article::glossary::attach(&glossary.terms()?, &mut article.paragraphs);
        let job = match self.history() {
            Some(history) => Job::kept(article, options, paste, keep, Arc::clone(history))?,
            None => Job::asked(article, options),
        };
        if let Err(err) = queue.push(Arc::clone(&job)) {
            // Refused: a kept job that never started is not history.
            if let Some(history) = self.history() {
                let _ = history.delete(&job.id);
            }
            return Err(err.into());
        }
        self.insert(Arc::clone(&job));
        tracing::info!(id = %job.id, paragraphs = job.article.paragraphs.len(), removed = job.article.removed.len(), summary = job.options.summarize, "job created");
        Ok(job)
    }

    /// The job, from memory or else from the history (blocking: call it off the executor).
    pub fn get(&self, id: &str) -> Result<Option<Arc<Job>>, StoreError> {
        if let Some(job) = self.map().get(id) {
            return Ok(Some(Arc::clone(job)));
        }
        let Some(history) = &self.history else {
            return Ok(None);
        };
        let Some(stored) = history.load(id)? else {
            return Ok(None);
        };
        let job = Job::restore(stored, Arc::clone(history));
        // Another reader may have loaded it meanwhile: keep one copy.
        Ok(Some(Arc::clone(
            self.map().entry(job.id.clone()).or_insert(job),
        )))
    }

    /// Forgets a job in memory (it was deleted from the history).
    pub fn remove(&self, id: &str) -> Option<Arc<Job>> {
        self.map().remove(id)
    }

    pub fn all(&self) -> Vec<Arc<Job>> {
        self.map().values().cloned().collect()
    }

    /// Unfinished jobs nobody has read for `grace` (abandoned tabs), to be cancelled.
    pub fn abandoned(&self, grace: Duration) -> Vec<Arc<Job>> {
        let now = Instant::now();
        self.map()
            .values()
            .filter(|j| j.is_abandoned(now, grace))
            .cloned()
            .collect()
    }

    /// Forgets jobs that finished more than `keep` ago (kept ones stay on disk); returns how
    /// many.
    pub fn forget_finished(&self, keep: Duration) -> usize {
        let now = Instant::now();
        let mut map = self.map();
        let before = map.len();
        map.retain(|_, j| !j.finished_before(now, keep));
        before - map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::clean::clean;
    use app::api::Figures;

    fn job() -> Arc<Job> {
        Job::new(clean("Premier paragraphe.\n\nSecond paragraphe."))
    }

    #[test]
    fn events_are_numbered_and_replayed_from_any_point() {
        let job = job();
        job.push(JobEvent::Queued { position: 1 });
        job.push(JobEvent::TranslationDelta {
            paragraph: 0,
            text: "First ".into(),
        });
        job.push(JobEvent::TranslationDelta {
            paragraph: 0,
            text: "paragraph.".into(),
        });
        let ids: Vec<usize> = job.events_after(0).0.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, vec![1, 2, 3]);
        assert_eq!(
            job.events_after(2),
            (
                vec![(
                    3,
                    JobEvent::TranslationDelta {
                        paragraph: 0,
                        text: "paragraph.".into()
                    }
                )],
                false
            )
        );
        assert!(job.events_after(3).0.is_empty());
        let snap = job.snapshot();
        assert_eq!(snap.status, JobStatus::Running);
        assert_eq!(snap.paragraphs[0].translation, "First paragraph.");
        assert!(!snap.paragraphs[0].done);
        assert_eq!(snap.last_event_id, 3);
    }

    #[test]
    fn nothing_follows_a_final_event() {
        let job = job();
        job.push(JobEvent::Done(Figures::default()));
        job.push(JobEvent::Cancelled {});
        assert_eq!(job.status(), JobStatus::Done);
        assert_eq!(job.events_after(0).0.len(), 1);
        assert_eq!(job.events_after(1), (vec![], true));
    }

    #[test]
    fn a_job_with_readers_is_not_abandoned() {
        let jobs = Jobs::default();
        let job = job();
        jobs.insert(Arc::clone(&job));
        let reader = job.reader();
        std::thread::sleep(Duration::from_millis(20));
        assert!(jobs.abandoned(Duration::from_millis(5)).is_empty());
        drop(reader);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(jobs.abandoned(Duration::from_millis(5)).len(), 1);
        job.push(JobEvent::Cancelled {});
        assert!(
            jobs.abandoned(Duration::from_millis(5)).is_empty(),
            "finished jobs are not abandoned"
        );
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(jobs.forget_finished(Duration::from_millis(5)), 1);
        assert!(jobs.get(&job.id).expect("memory only").is_none());
    }
}
