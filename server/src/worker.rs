//! The model thread: it owns the one loaded model and runs queued jobs through the pipeline,
//! one at a time, off the async executor. Loading happens on this thread too, so the server
//! answers (and queues jobs) while the model loads.

use crate::jobs::Job;
use crate::pipeline::{self, Outcome, Steps};
use crate::queue::Queue;
use app::api::JobEvent;
use models::{Model, ModelError, ModelInfo};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::sync::watch;

/// Makes the model; `Model::load` of a path in production, something slower or smaller in tests.
pub type Loader = Box<dyn FnOnce() -> Result<Model, ModelError> + Send>;

/// What the rest of the server may know about the model.
#[derive(Debug, Clone)]
pub enum ModelStatus {
    Loading,
    Ready(ModelInfo),
    Failed(String),
}

pub fn spawn(
    loader: Loader,
    queue: Arc<Queue>,
    status: watch::Sender<ModelStatus>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("model".into())
        .spawn(move || run(loader, &queue, &status))
}

fn run(loader: Loader, queue: &Queue, status: &watch::Sender<ModelStatus>) {
    let model = match loader().and_then(|model| model.warm_up().map(|()| model)) {
        Ok(model) => {
            status.send_replace(ModelStatus::Ready(model.info().clone()));
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
    while let Some(job) = queue.pop() {
        run_job(&model, &job);
    }
    tracing::debug!("model thread stopped");
}

fn run_job(model: &Model, job: &Job) {
    if job.cancel.is_cancelled() {
        job.push(JobEvent::Cancelled {});
        return;
    }
    job.mark_running();
    let span = tracing::info_span!("job", id = %job.id, paragraphs = job.article.paragraphs.len());
    let _entered = span.enter();
    tracing::info!("started");
    // A panic inside the model must not take the server down nor leave this job hanging; the
    // next job starts a fresh sequence at position 0, so no state carries over.
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        pipeline::run(
            model,
            &job.article.paragraphs,
            Steps::ALL,
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
            job.push(JobEvent::Error {
                code: "model_error".into(),
                message: format!(
                    "The model failed on this article: {err}. Try again, or shorten the text."
                ),
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
