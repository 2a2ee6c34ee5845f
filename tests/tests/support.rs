//! A real server on a free loopback port, with a model the test chooses, and an SSE reader.

use crate::llama::LlamaServer;
use app::api::{JobCreated, JobEvent};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use models::fixtures::TinyModel;
use models::{Backend, CancelToken, Model};
use server::http::service::{Service, ServiceConfig};
use server::service::worker::Loader;
use std::path::PathBuf;
use std::time::Duration;
use tempfile::TempDir;

/// Longest any test waits for events before failing.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Longest a test of the real model waits for a whole article's events: every paragraph
/// written, checked and scored for confidence, and the summary, while the other real-model
/// tests share the two cores. A safety net against a hang, not a speed target (those are the
/// benchmark's).
pub const REAL_MODEL_PATIENCE: Duration = Duration::from_secs(300);

/// The page as `./setup.sh` builds it, in this workspace's target folder.
pub fn site_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site")
}

pub fn config() -> ServiceConfig {
    ServiceConfig {
        max_chars: 20_000,
        queue: 4,
        abandon_after: Duration::from_secs(60),
        keep_for: Duration::from_secs(600),
        site_dir: site_dir(),
        jobs: 8,
        method: server::article::pipeline::Method::default(),
        history: None,
        links: server::intake::links::LinkRules::default(),
        remote: false,
        keys: std::sync::Arc::new(server::service::keys::Keys::open()),
    }
}

/// The test configuration, keeping articles in a history in `dir`.
pub fn config_with_history(dir: &std::path::Path) -> ServiceConfig {
    ServiceConfig {
        history: Some(std::sync::Arc::new(
            server::history::Store::open(dir).expect("open history"),
        )),
        ..config()
    }
}

/// Two API keys, Alice's and Bob's.
pub const ALICE: &str = "alice-0123456789abcdef";
pub const BOB: &str = "bob-fedcba9876543210";

/// `config` asking for Alice's or Bob's key; the key file's folder is kept alive with it.
pub fn with_keys(config: ServiceConfig) -> (ServiceConfig, TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("keys.txt");
    std::fs::write(&path, format!("{ALICE} alice\n{BOB} bob\n")).expect("write keys");
    let keys = server::service::keys::Keys::load(&path).expect("keys");
    let config = ServiceConfig {
        keys: std::sync::Arc::new(keys),
        ..config
    };
    (config, dir)
}

/// The default model, or a failure that names the command that fetches it.
pub fn real_model_path() -> PathBuf {
    let path = server::cli::GlobalArgs::from_env().model_path();
    assert!(
        path.is_file(),
        "the real model is not at {}; run `passerelle models fetch` (or the README's setup command) first",
        path.display()
    );
    path
}

pub struct TestServer {
    service: Option<Service>,
    pub base: String,
    pub client: reqwest::Client,
    _dir: Option<TempDir>,
    /// The inference server the model runs on, with [`Engine::LlamaServer`].
    pub llama: Option<LlamaServer>,
    /// How long reading a job's events may take ([`PATIENCE`] unless set).
    pub patience: Duration,
}

/// Which engine writes the English: the tests that hold for both run on each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    BuiltIn,
    /// llama.cpp's llama-server on the same model file, through `--backend`.
    LlamaServer,
}

impl Engine {
    pub const ALL: [Engine; 2] = [Engine::BuiltIn, Engine::LlamaServer];
}

/// The remote engine on the servers at `urls`, as `--backend` makes it (with `--backend-key-env
/// key_env` when given), with a short silence limit.
pub fn remote_loader(urls: &[String], key_env: Option<&str>) -> Loader {
    let mut global = server::cli::GlobalArgs::from_env();
    global.backend.urls = urls.to_vec();
    global.backend.key_env = key_env.map(str::to_string);
    global.backend.timeout_secs = 20;
    server::commands::backend_loader(&global).expect("a remote loader")
}

/// Writes a tiny model into a fresh folder; returns the folder (kept alive) and the file.
pub fn tiny_model_file(model: &TinyModel) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tiny.gguf");
    model.write(&path).expect("write tiny model");
    (dir, path)
}

/// The built-in engine on the model file at `path`, loaded when the server starts.
pub fn loading(path: PathBuf) -> Loader {
    Box::new(move |_: &CancelToken| Model::load(&path).map(Backend::built_in))
}

/// A loader that waits for a signal before loading `model`: jobs posted meanwhile wait in the
/// queue for sure. Dropping the sender releases it too, so a failing test cannot hang on it.
pub fn gated_loader(model: &TinyModel) -> (std::sync::mpsc::Sender<()>, Loader, TempDir) {
    let (gate, held) = std::sync::mpsc::channel::<()>();
    let (dir, path) = tiny_model_file(model);
    let loader = Box::new(move |_: &CancelToken| {
        let _ = held.recv();
        Model::load(&path).map(Backend::built_in)
    });
    (gate, loader, dir)
}

/// Each paragraph's `translation.done`, in the order they came.
pub fn translated(events: &[(usize, JobEvent)]) -> Vec<usize> {
    events
        .iter()
        .filter_map(|(_, e)| match e {
            JobEvent::TranslationDone { paragraph, .. } => Some(*paragraph),
            _ => None,
        })
        .collect()
}

/// The stream ended with `done`.
pub fn assert_done(events: &[(usize, JobEvent)]) {
    assert!(
        matches!(events.last(), Some((_, JobEvent::Done(_)))),
        "expected done last: {events:?}"
    );
}

impl TestServer {
    /// Serves `model` and waits until it is loaded.
    pub async fn start(model: TinyModel, config: ServiceConfig) -> Self {
        Self::start_on(Engine::BuiltIn, model, config).await
    }

    /// Serves `model` on `engine` and waits until it is ready.
    pub async fn start_on(engine: Engine, model: TinyModel, config: ServiceConfig) -> Self {
        let (dir, path) = tiny_model_file(&model);
        let server = match engine {
            Engine::BuiltIn => Self::start_with(loading(path), config, Some(dir)).await,
            Engine::LlamaServer => {
                let llama = LlamaServer::start(&path, 8, &[]).await;
                let config = ServiceConfig {
                    remote: true,
                    ..config
                };
                let mut server =
                    Self::start_with(remote_loader(&[llama.url()], None), config, Some(dir)).await;
                server.llama = Some(llama);
                server
            }
        };
        server.wait_until_ready().await;
        server
    }

    pub async fn start_with(loader: Loader, config: ServiceConfig, dir: Option<TempDir>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let service = Service::start(listener, config, loader)
            .await
            .expect("start service");
        Self {
            base: format!("http://{}", service.addr),
            service: Some(service),
            client: reqwest::Client::new(),
            _dir: dir,
            llama: None,
            patience: PATIENCE,
        }
    }

    pub async fn wait_until_ready(&self) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let health = self.health().await;
            if health["model"] == "ready" {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the model did not load: {health}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `GET /api/health` as JSON.
    pub async fn health(&self) -> serde_json::Value {
        self.get("/api/health")
            .await
            .json()
            .await
            .expect("health json")
    }

    pub async fn stop(mut self) {
        if let Some(service) = self.service.take() {
            service.stop().await.expect("clean stop");
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET")
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.client
            .delete(format!("{}{path}", self.base))
            .send()
            .await
            .expect("DELETE")
    }

    pub async fn snapshot(&self, id: &str) -> app::api::JobSnapshot {
        let response = self.get(&format!("/api/jobs/{id}")).await;
        assert_eq!(response.status(), 200);
        response.json().await.expect("job snapshot")
    }

    pub async fn post_text(&self, text: &str) -> reqwest::Response {
        self.post_job(serde_json::json!({ "text": text })).await
    }

    /// `POST /api/jobs` with `body` as it is.
    pub async fn post_job(&self, body: serde_json::Value) -> reqwest::Response {
        self.client
            .post(format!("{}/api/jobs", self.base))
            .json(&body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn create(&self, text: &str) -> JobCreated {
        let response = self.post_text(text).await;
        assert_eq!(response.status(), 201, "{:?}", response.text().await);
        response.json().await.expect("JobCreated")
    }

    /// Reads the job's events after `last_event_id` until `stop_after` says so for one of them
    /// or the stream ends; the connection is then dropped.
    pub async fn read_events(
        &self,
        id: &str,
        last_event_id: Option<usize>,
        stop_after: impl Fn(&JobEvent) -> bool,
    ) -> Vec<(usize, JobEvent)> {
        let mut request = self
            .client
            .get(format!("{}/api/jobs/{id}/events", self.base));
        if let Some(last) = last_event_id {
            request = request.header("Last-Event-ID", last.to_string());
        }
        let response = request.send().await.expect("events");
        assert_eq!(response.status(), 200);
        let mut stream = response.bytes_stream().eventsource();
        let mut events = Vec::new();
        let read = async {
            while let Some(item) = stream.next().await {
                let item = item.expect("SSE framing");
                let id: usize = item.id.parse().expect("numeric event id");
                let event = JobEvent::from_wire(&item.event, &item.data).expect("known event");
                let stop = stop_after(&event);
                events.push((id, event));
                if stop {
                    break;
                }
            }
        };
        tokio::time::timeout(self.patience, read)
            .await
            .expect("events came in time");
        events
    }

    /// Creates a job for `text`, reads its events to the end and checks that it finished.
    pub async fn run_to_done(&self, text: &str) -> Vec<(usize, JobEvent)> {
        let job = self.create(text).await;
        let events = self.events_to_end(&job.id, None).await;
        assert_done(&events);
        events
    }

    /// Every event from `last_event_id` on, to the final one.
    pub async fn events_to_end(
        &self,
        id: &str,
        last_event_id: Option<usize>,
    ) -> Vec<(usize, JobEvent)> {
        let events = self
            .read_events(id, last_event_id, JobEvent::is_final)
            .await;
        assert!(
            events.last().is_some_and(|(_, e)| e.is_final()),
            "the stream ended without a final event: {events:?}"
        );
        events
    }
}

/// A French article of `n` paragraphs, each different.
pub fn article(n: usize) -> String {
    (1..=n)
        .map(|i| format!("Le conseil municipal a voté la délibération numéro {i} mardi soir, après un long débat sur le budget des écoles et des transports."))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The `text` of each paragraph in a `JobCreated` answer read as JSON.
pub fn paragraph_texts(job: &serde_json::Value) -> Vec<&str> {
    job["paragraphs"]
        .as_array()
        .expect("paragraphs")
        .iter()
        .filter_map(|p| p["text"].as_str())
        .collect()
}

/// The message of a JSON error answer (empty when there is none).
pub fn error_message(body: &serde_json::Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

/// Sends `request` and reads its answer: the status and the JSON body.
pub async fn status_and_json(request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let response = request.send().await.expect("the request is sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON answer"))
}
