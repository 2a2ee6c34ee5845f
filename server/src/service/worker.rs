//! The model thread: it loads the model, then takes queued jobs and runs each through the
//! pipeline on a thread of its own, off the async executor, up to `jobs` at once. Their
//! paragraphs meet in the model's engine, which runs them in the same steps and lets each
//! article take its turn. Loading happens here too, so the server answers (and queues jobs)
//! while the model loads.

use super::jobs::Job;
use super::memory::TranslationMemory;
use super::queue::Queue;
use crate::article::pipeline::{self, Known, Method, Outcome, Steps};
use crate::history::{self, Writer};
use app::api::JobEvent;
use models::{Backend, CancelToken, ModelError, ModelInfo, Source};
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use tokio::sync::watch;

/// Makes the engine: loads the model file, or connects to the inference servers (waiting for
/// one to answer until the token is set: the server stops). Something smaller in tests.
pub type Loader = Box<dyn FnOnce(&CancelToken) -> Result<Backend, ModelError> + Send>;

/// What the rest of the server may know about the model.
#[derive(Clone)]
pub enum ModelStatus {
    Loading,
    /// The engine, for what it tells of itself (`/api/info`, the servers' health).
    Ready(Backend),
    Failed(String),
}

/// How the worker runs jobs.
#[derive(Clone)]
pub struct Settings {
    /// Jobs running at once; the rest wait in the queue and are told their place.
    pub jobs: usize,
    pub method: Method,
    /// Where English written before is found; none with `--no-history`.
    pub memory: Option<Arc<dyn TranslationMemory>>,
}

/// What the rest of the server hands the model thread.
pub struct Shared {
    pub queue: Arc<Queue>,
    pub status: watch::Sender<ModelStatus>,
    /// Set when the server stops: a loader still waiting gives up.
    pub stopping: CancelToken,
}

pub fn spawn(
    loader: Loader,
    shared: Shared,
    settings: Settings,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("model".into())
        .spawn(move || run(loader, shared, settings))
}

fn run(loader: Loader, shared: Shared, settings: Settings) {
    let Shared {
        queue,
        status,
        stopping,
    } = shared;
    let queue = &*queue;
    let model = match loader(&stopping).and_then(|model| model.warm_up().map(|()| model)) {
        Ok(model) => {
            status.send_replace(ModelStatus::Ready(model.clone()));
            model
        }
        Err(err) => {
            tracing::error!(error = %err, "the model could not be loaded");
            let message = err.to_string();
            status.send_replace(ModelStatus::Failed(message.clone()));
            // Jobs that waited for the model learn why nothing will come.
            while let Some(job) = queue.pop() {
                job.push(JobEvent::Error {
                    code: "model_unavailable".into(),
                    message: format!("The model could not be loaded: {message}"),
                });
            }
            return;
        }
    };
    // The translation memory only reuses what this very model wrote with these prompts.
    let writer = settings.memory.as_ref().and_then(|_| {
        let info = model.info();
        match fingerprint(info) {
            Ok(weights) => Some(Writer {
                model_name: info.name.clone(),
                model_sha256: weights,
                prompt_version: settings.method.prompt_version(),
            }),
            Err(err) => {
                tracing::warn!(error = %err, "cannot fingerprint the model file: the translation memory is off");
                None
            }
        }
    });
    let running = Slots::default();
    std::thread::scope(|scope| loop {
        running.wait_below(settings.jobs.max(1));
        let Some(job) = queue.pop() else { break };
        running.take();
        let (model, running, settings, writer) = (&model, &running, &settings, &writer);
        let spawned =
            std::thread::Builder::new()
                .name("job".into())
                .spawn_scoped(scope, move || {
                    let memory = settings.memory.as_deref().zip(writer.as_ref());
                    run_job(model, &job, settings.method, memory);
                    running.give_back();
                });
        if let Err(err) = spawned {
            tracing::error!(error = %err, "cannot start a thread for a job");
            running.give_back();
        }
    });
    tracing::debug!("model thread stopped");
}

/// What tells this model's English from any other's: the file's sha256 for the built-in
/// engine; for inference servers, what they say of their model (its id, file, size), so that
/// two servers of the same model share English and a change of model does not.
fn fingerprint(info: &ModelInfo) -> Result<String, crate::model_file::FetchError> {
    match &info.source {
        Source::File { path, .. } => crate::model_file::sha256_file(path),
        Source::Remote { weights, .. } => Ok(format!("served: {weights}")),
    }
}

/// How many jobs run, and a way to wait until fewer do.
#[derive(Default)]
struct Slots {
    taken: Mutex<usize>,
    freed: Condvar,
}

impl Slots {
    fn wait_below(&self, limit: usize) {
        let mut taken = self.taken.lock().unwrap_or_else(|e| e.into_inner());
        while *taken >= limit {
            taken = self.freed.wait(taken).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn take(&self) {
        *self.taken.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    }

    fn give_back(&self) {
        let mut taken = self.taken.lock().unwrap_or_else(|e| e.into_inner());
        *taken = taken.saturating_sub(1);
        self.freed.notify_all();
    }
}

fn run_job(
    model: &Backend,
    job: &Job,
    method: Method,
    memory: Option<(&dyn TranslationMemory, &Writer)>,
) {
    if job.cancel.is_cancelled() {
        job.push(JobEvent::Cancelled {});
        return;
    }
    job.mark_running();
    let span = tracing::info_span!("job", id = %job.id, paragraphs = job.article.paragraphs.len());
    let _entered = span.enter();
    if let Some((memory, writer)) = memory {
        if let Err(err) = memory.started(&job.id, writer) {
            tracing::warn!(error = %err, "cannot record the model of this article");
        }
    }
    let known = known_paragraphs(job, memory);
    tracing::info!(known = known.iter().flatten().count(), "started");
    // A panic in this job's pipeline must not take the server down nor leave the job hanging;
    // its sequences in the engine are its own, so no state carries over to other jobs.
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        pipeline::run_knowing(
            model,
            &job.article.paragraphs,
            &known,
            Steps {
                summarize: job.options.summarize,
                ..Steps::ALL
            },
            method,
            &job.cancel,
            &mut |event| job.push(event),
        )
    }));
    match result {
        Ok(Ok(Outcome::Finished(figures))) => {
            tracing::info!(
                seconds = figures.seconds,
                tokens = figures.generated_tokens,
                "finished"
            );
            job.push(JobEvent::Done(figures));
        }
        Ok(Ok(Outcome::Cancelled)) => {
            tracing::info!("cancelled");
            job.push(JobEvent::Cancelled {});
        }
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "failed");
            let (code, message) = match &err {
                // The server's own answer says what is wrong; trying again would not help.
                ModelError::Refused { .. } | ModelError::Unauthorized { .. } => (
                    "backend_refused",
                    format!("The article could not be written: {err}."),
                ),
                _ => (
                    "model_error",
                    format!(
                        "The model failed on this article: {err}. Try again, or shorten the text."
                    ),
                ),
            };
            job.push(JobEvent::Error {
                code: code.into(),
                message,
            });
        }
        Err(_) => {
            tracing::error!("the model thread panicked on this job");
            job.push(JobEvent::Error {
                code: "internal".into(),
                message: "Something went wrong while translating; the server is still running, try again.".into(),
            });
        }
    }
}

/// The paragraphs whose English is already there: finished before a restart, or else found in
/// the translation memory. A memory that cannot be read only means writing the paragraph again.
fn known_paragraphs(
    job: &Job,
    memory: Option<(&dyn TranslationMemory, &Writer)>,
) -> Vec<Option<Known>> {
    job.finished_paragraphs()
        .into_iter()
        .zip(&job.article.paragraphs)
        .map(|(finished, paragraph)| {
            if let Some((text, flags)) = finished {
                return Some(Known {
                    text,
                    flags,
                    from_memory: false,
                });
            }
            let (memory, writer) = memory?;
            match memory.recall(&history::memory_key(paragraph), writer) {
                Ok(found) => found.map(|(text, flags)| Known {
                    text,
                    flags,
                    from_memory: true,
                }),
                Err(err) => {
                    tracing::warn!(error = %err, "cannot read the translation memory");
                    None
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::clean::clean;
    use app::api::Flag;
    use std::collections::HashMap;

    /// A translation memory in a map, keyed by the French.
    #[derive(Default)]
    struct InMemory(Mutex<HashMap<String, String>>);

    impl TranslationMemory for InMemory {
        fn started(&self, _: &str, _: &Writer) -> Result<(), history::StoreError> {
            Ok(())
        }

        fn recall(
            &self,
            key: &str,
            _: &Writer,
        ) -> Result<Option<(String, Vec<Flag>)>, history::StoreError> {
            let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
            Ok(kept.get(key).map(|english| (english.clone(), Vec::new())))
        }
    }

    #[test]
    fn finished_and_remembered_paragraphs_are_not_written_again() {
        let job = Job::new(clean(
            "Le conseil municipal a voté le budget mardi soir.\n\n\
             Les travaux de la nouvelle école commenceront au printemps.\n\n\
             Le maire a promis une réunion publique avant l'été.",
        ));
        assert_eq!(job.article.paragraphs.len(), 3);
        job.push(JobEvent::TranslationDone {
            paragraph: 0,
            text: "The council voted the budget on Tuesday evening.".into(),
            flags: Vec::new(),
            from_memory: false,
        });
        let memory = InMemory::default();
        memory.0.lock().unwrap_or_else(|e| e.into_inner()).insert(
            history::memory_key(&job.article.paragraphs[1]),
            "Work on the new school will start in spring.".into(),
        );
        let writer = Writer {
            model_name: "tiny".into(),
            model_sha256: "0".into(),
            prompt_version: "prompts 1".into(),
        };
        let known = known_paragraphs(&job, Some((&memory, &writer)));
        let seen: Vec<Option<(&str, bool)>> = known
            .iter()
            .map(|k| k.as_ref().map(|k| (k.text.as_str(), k.from_memory)))
            .collect();
        assert_eq!(
            seen,
            [
                Some(("The council voted the budget on Tuesday evening.", false)),
                Some(("Work on the new school will start in spring.", true)),
                None
            ]
        );
        // Without a memory, only what was finished is known.
        assert_eq!(known_paragraphs(&job, None).iter().flatten().count(), 1);
    }
}
