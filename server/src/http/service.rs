//! The running server: the HTTP listener, the model thread and the housekeeping task, started
//! and stopped together. `passerelle serve` and the integration tests both go through here.

use super::{router, AppState};
use crate::article::pipeline::Method;
use crate::cli::ServeArgs;
use crate::history::{Store, StoreError};
use crate::intake::links::LinkRules;
use crate::service::glossary::Glossary;
use crate::service::jobs::Jobs;
use crate::service::keys::Keys;
use crate::service::memory::TranslationMemory;
use crate::service::queue::Queue;
use crate::service::worker::{self, Loader, ModelStatus};
use app::api::JobEvent;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub max_chars: usize,
    pub queue: usize,
    /// An unfinished job nobody has read for this long is cancelled.
    pub abandon_after: Duration,
    /// A finished job stays readable this long.
    pub keep_for: Duration,
    /// The built page (`pkg/app.js`, `pkg/app_bg.wasm`).
    pub site_dir: std::path::PathBuf,
    /// Jobs run at once; the others wait in the queue.
    pub jobs: usize,
    /// How articles are written.
    pub method: Method,
    /// Where articles are kept; none keeps them in memory only, for `keep_for`.
    pub history: Option<Arc<Store>>,
    /// What a link given instead of a paste may reach.
    pub links: LinkRules,
    /// The English is written by inference servers elsewhere (`--backend`).
    pub remote: bool,
    /// Who may use the API; anyone when it holds no keys.
    pub keys: Arc<Keys>,
}

impl From<&ServeArgs> for ServiceConfig {
    fn from(args: &ServeArgs) -> Self {
        Self {
            max_chars: args.max_chars,
            queue: args.queue,
            abandon_after: Duration::from_secs(args.abandon_secs),
            keep_for: Duration::from_secs(args.keep_secs),
            site_dir: args.site_dir(),
            jobs: args.jobs.max(1),
            method: Method::default(),
            history: None,
            links: LinkRules {
                allow_private: args.allow_private_urls,
                ..LinkRules::default()
            },
            remote: false,
            keys: Arc::new(Keys::open()),
        }
    }
}

pub struct Service {
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    model: watch::Receiver<ModelStatus>,
    queue: Arc<Queue>,
    jobs: Arc<Jobs>,
    http: Option<JoinHandle<std::io::Result<()>>>,
    housekeeping: JoinHandle<()>,
    worker: Option<std::thread::JoinHandle<()>>,
    /// Tells a loader still waiting for an inference server to give up.
    stopping: models::CancelToken,
}

impl Service {
    /// Serves on `listener` at once; the model loads on its own thread meanwhile, and jobs
    /// posted before it is ready wait in the queue. Kept jobs that were cut off by the last
    /// stop wait first, and go on from where they were.
    pub async fn start(
        listener: TcpListener,
        config: ServiceConfig,
        loader: Loader,
    ) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (model_tx, model) = watch::channel(ModelStatus::Loading);
        let queue = Arc::new(Queue::new(config.queue));
        let jobs = Arc::new(Jobs::new(config.history.clone()));
        {
            let (jobs, queue) = (Arc::clone(&jobs), Arc::clone(&queue));
            tokio::task::spawn_blocking(move || resume(&jobs, &queue))
                .await
                .map_err(std::io::Error::other)?
                .map_err(std::io::Error::other)?;
        }
        let stopping = models::CancelToken::new();
        let worker = worker::spawn(
            loader,
            worker::Shared {
                queue: Arc::clone(&queue),
                status: model_tx,
                stopping: stopping.clone(),
            },
            worker::Settings {
                jobs: config.jobs.max(1),
                method: config.method,
                memory: config
                    .history
                    .clone()
                    .map(|store| store as Arc<dyn TranslationMemory>),
            },
        )?;
        let state = AppState {
            jobs: Arc::clone(&jobs),
            queue: Arc::clone(&queue),
            model: model.clone(),
            max_chars: config.max_chars,
            shutdown: shutdown_rx.clone(),
            site_dir: config.site_dir.clone(),
            links: Arc::new(config.links.clone()),
            glossary: Arc::new(Glossary::new(config.history.clone())),
            remote: config.remote,
            keys: Arc::clone(&config.keys),
            in_flight: Arc::default(),
        };
        let routes = router(state);
        let mut stop = shutdown_rx.clone();
        let http = tokio::spawn(async move {
            axum::serve(listener, routes)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|stopping| *stopping).await;
                })
                .await
        });
        let housekeeping =
            tokio::spawn(housekeeping(Arc::clone(&jobs), Arc::clone(&queue), config));
        Ok(Self {
            addr,
            shutdown,
            model,
            queue,
            jobs,
            http: Some(http),
            housekeeping,
            worker: Some(worker),
            stopping,
        })
    }

    /// Resolves with the loader's error if the model fails to load; never resolves otherwise.
    pub async fn model_failure(&self) -> String {
        let mut model = self.model.clone();
        let failed = match model
            .wait_for(|s| matches!(s, ModelStatus::Failed(_)))
            .await
        {
            Ok(status) => match &*status {
                ModelStatus::Failed(message) => Some(message.clone()),
                _ => None,
            },
            Err(_) => None,
        };
        match failed {
            Some(message) => message,
            None => std::future::pending().await,
        }
    }

    /// Stops taking work, cancels what is queued or running, closes the event streams, waits for
    /// open requests and the model thread to finish.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.signal_stop();
        let served = match self.http.take() {
            Some(http) => http.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        };
        if let Some(worker) = self.worker.take() {
            tokio::task::spawn_blocking(move || worker.join())
                .await
                .map_err(std::io::Error::other)?
                .map_err(|_| std::io::Error::other("the model thread panicked"))?;
        }
        served
    }

    fn signal_stop(&self) {
        self.shutdown.send_replace(true);
        self.stopping.cancel();
        for job in self.queue.close() {
            job.stop_for_shutdown();
        }
        for job in self.jobs.all() {
            if !job.status().is_finished() {
                job.stop_for_shutdown();
            }
        }
        self.housekeeping.abort();
    }
}

/// A service dropped without `stop` (a failing test) still stops its listener and model thread
/// instead of leaving them running.
impl Drop for Service {
    fn drop(&mut self) {
        self.signal_stop();
        if let Some(http) = self.http.take() {
            http.abort();
        }
    }
}

/// Puts the kept jobs that were waiting or running when the server last stopped back in the
/// queue, each told that it resumes; returns how many.
fn resume(jobs: &Jobs, queue: &Queue) -> Result<usize, StoreError> {
    let Some(history) = jobs.history() else {
        return Ok(0);
    };
    let ids = history.unfinished()?;
    for id in &ids {
        if let Some(job) = jobs.get(id)? {
            job.push(JobEvent::Resumed {});
            queue.push_resumed(job);
        }
    }
    if !ids.is_empty() {
        tracing::info!(jobs = ids.len(), "articles cut off by the last stop go on");
    }
    Ok(ids.len())
}

/// Cancels abandoned jobs (nobody reading: a closed tab) and forgets old finished ones.
async fn housekeeping(jobs: Arc<Jobs>, queue: Arc<Queue>, config: ServiceConfig) {
    let period =
        (config.abandon_after / 4).clamp(Duration::from_millis(100), Duration::from_secs(5));
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        for job in jobs.abandoned(config.abandon_after) {
            tracing::info!(id = %job.id, "nobody is reading this job any more: cancelling it");
            queue.cancel(&job);
        }
        let forgotten = jobs.forget_finished(config.keep_for);
        if forgotten > 0 {
            tracing::debug!(forgotten, "finished jobs forgotten");
        }
    }
}
