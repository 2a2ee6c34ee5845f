//! The remote engine: Passerelle's chats run on OpenAI-compatible inference servers
//! (llama.cpp's `llama-server`, vLLM, SGLang) instead of the built-in engine, behind the same
//! seam ([`models::ChatEngine`]). The chat template is the server's, so chats go as messages;
//! answers stream back as server-sent events.
//!
//! A request goes to its article's server, or the least busy one (`pool`); a server that
//! cannot be reached, answers 5xx or 429, or goes silent before the answer starts is passed
//! over for the next. If the answer had started, the text fails with
//! [`ModelError::Interrupted`], and when no server answers with [`ModelError::Unavailable`]:
//! both are retryable, and the article pipeline writes the text again, waiting while every
//! server is down. Other refusals (400, 401, 404) fail the article with the server's answer.

mod pool;
mod stream;
mod wire;

use models::{
    BackendState, CancelToken, Chat, ChatEngine, FinishReason, Generation, GenerationParams,
    ModelError, ModelInfo, Route, Source, TokenLogprob,
};
use pool::Pool;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use stream::{Call, Event, Failure};

/// How to reach the servers.
#[derive(Debug, Clone)]
pub struct RemoteConfig {
    /// OpenAI-compatible base URLs (`http://127.0.0.1:8089/v1`).
    pub urls: Vec<String>,
    /// The model to ask for; the first one the server lists when `None`.
    pub model: Option<String>,
    /// The environment variable holding a bearer token, if the servers want one. The key itself
    /// is read from it once, and never logged.
    pub key_env: Option<String>,
    /// Requests each server runs for us at once.
    pub parallel: usize,
    /// The longest silence: for the answer to start, or for its next piece.
    pub timeout: Duration,
}

/// The pool of servers, as the pipeline sees it through [`ChatEngine`].
pub struct Remote {
    /// Dropped in the background: the engine may be dropped from inside another runtime.
    runtime: Option<tokio::runtime::Runtime>,
    client: reqwest::Client,
    pool: Arc<Pool>,
    key: Option<String>,
    key_env: Option<String>,
    timeout: Duration,
    model: String,
    info: ModelInfo,
    /// The servers count tokens for us (`POST /tokenize`, llama-server's and vLLM's); cleared
    /// at the first server that cannot, and estimates are used from then on.
    tokenizes: AtomicBool,
}

/// How often a server that is down is asked whether it is back, when no request asks it.
const PROBE_EVERY: Duration = Duration::from_secs(5);

impl Remote {
    /// Asks the servers which model they serve (the first that answers says), and starts the
    /// runtime that runs the requests. Fails with [`ModelError::Unavailable`] when none answers:
    /// the caller may wait and try again.
    pub fn connect(config: RemoteConfig) -> Result<Self, ModelError> {
        let started = Instant::now();
        if config.urls.is_empty() {
            return Err(ModelError::BackendSetup(
                "no server given; pass --backend http://HOST:PORT/v1".into(),
            ));
        }
        for url in &config.urls {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ModelError::BackendSetup(format!(
                    "`{url}` is not an http:// or https:// URL; pass the server's OpenAI-compatible base, such as http://127.0.0.1:8089/v1"
                )));
            }
        }
        let key = match &config.key_env {
            Some(var) => Some(std::env::var(var).map_err(|_| {
                ModelError::BackendSetup(format!(
                    "the environment variable {var} (--backend-key-env) holds no key; set it to the servers' key"
                ))
            })?),
            None => None,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("remote")
            .enable_all()
            .build()
            .map_err(|e| ModelError::BackendSetup(format!("cannot start a runtime: {e}")))?;
        // Idle connections are dropped before the servers drop them (llama-server after 5 s),
        // so that a request rarely finds its connection closed under it.
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .pool_idle_timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| ModelError::BackendSetup(format!("cannot make an HTTP client: {e}")))?;
        let pool = Arc::new(Pool::new(&config.urls, config.parallel));
        let mut engine = Self {
            runtime: Some(runtime),
            client,
            pool,
            key,
            key_env: config.key_env.clone(),
            timeout: config.timeout,
            model: String::new(),
            tokenizes: AtomicBool::new(true),
            info: ModelInfo {
                name: String::new(),
                context_limit: 0,
                load_time: Duration::ZERO,
                source: Source::Remote {
                    backends: config.urls.clone(),
                    weights: String::new(),
                },
            },
        };
        let served = engine.discover(config.model.as_deref())?;
        engine.model = served.id.clone();
        engine.info = ModelInfo {
            name: display_name(&served.id),
            context_limit: served.context.unwrap_or(4096),
            load_time: started.elapsed(),
            source: Source::Remote {
                backends: engine.pool.servers.iter().map(|s| s.url.clone()).collect(),
                weights: served.weights,
            },
        };
        engine.probe_in_background();
        tracing::info!(model = %engine.model, servers = engine.pool.servers.len(),
            context = engine.info.context_limit, "inference servers ready");
        Ok(engine)
    }

    fn runtime(&self) -> Result<&tokio::runtime::Runtime, ModelError> {
        self.runtime
            .as_ref()
            .ok_or_else(|| ModelError::BackendSetup("the engine is shutting down".into()))
    }

    /// `GET /models` on each server until one answers with the model.
    fn discover(&self, wanted: Option<&str>) -> Result<wire::Served, ModelError> {
        let mut tried = Vec::new();
        for server in &self.pool.servers {
            let listing = self.runtime()?.block_on(list_models(
                self.client.clone(),
                server.url.clone(),
                self.key.clone(),
                self.timeout,
            ));
            match listing {
                Ok(models) => {
                    server.mark_up();
                    return wire::served(&models, wanted).ok_or_else(|| {
                        let ids: Vec<&str> = models["data"]
                            .as_array()
                            .map(|l| l.iter().filter_map(|m| m["id"].as_str()).collect())
                            .unwrap_or_default();
                        ModelError::BackendSetup(format!(
                            "{} serves no model named {} (it lists: {}); check --backend-model",
                            server.url,
                            wanted.unwrap_or("(any)"),
                            ids.join(", ")
                        ))
                    });
                }
                Err(Failure::Status { status, answer }) if is_key_status(status) => {
                    return Err(self.unauthorized(&server.url, status, answer));
                }
                Err(failure) => {
                    server.mark_down(&failure.describe());
                    tried.push(format!("{}: {}", server.url, failure.describe()));
                }
            }
        }
        Err(ModelError::Unavailable {
            tried: tried.join("; "),
        })
    }

    /// Servers marked down are asked `GET /models` every few seconds, so that `/api/health`
    /// sees them come back even while no article asks for them.
    fn probe_in_background(&self) {
        let Some(runtime) = &self.runtime else { return };
        let (pool, client, key, timeout) = (
            Arc::clone(&self.pool),
            self.client.clone(),
            self.key.clone(),
            self.timeout,
        );
        runtime.spawn(async move {
            loop {
                tokio::time::sleep(PROBE_EVERY).await;
                for server in pool.servers.iter().filter(|s| !s.is_up()) {
                    let answer =
                        list_models(client.clone(), server.url.clone(), key.clone(), timeout).await;
                    if answer.is_ok() {
                        server.mark_up();
                    }
                }
            }
        });
    }

    /// The tokens of `text` as the server's tokenizer counts them, or `None` where no server
    /// says (it has no `/tokenize`, or is down).
    fn server_count(&self, text: &str) -> Option<usize> {
        if !self.tokenizes.load(Ordering::Relaxed) {
            return None;
        }
        let server = self
            .pool
            .order(0)
            .first()
            .map(|&i| Arc::clone(&self.pool.servers[i]))?;
        let runtime = self.runtime().ok()?;
        let (tx, rx) = mpsc::channel();
        let (client, key, timeout) = (self.client.clone(), self.key.clone(), self.timeout);
        let body = serde_json::json!({ "model": self.model, "content": text, "prompt": text });
        runtime.spawn(async move {
            let _ = tx.send(tokenize(client, &server.url, key, timeout, body).await);
        });
        match rx.recv() {
            Ok(Ok(count)) => Some(count),
            Ok(Err(Failure::Status { status, answer }))
                if (400..500).contains(&status) && status != 429 =>
            {
                tracing::info!(status, answer = %answer, "the servers do not count tokens: estimating instead");
                self.tokenizes.store(false, Ordering::Relaxed);
                None
            }
            _ => None,
        }
    }

    fn unauthorized(&self, backend: &str, status: u16, answer: String) -> ModelError {
        let hint = match &self.key_env {
            None => "pass --backend-key-env with the name of an environment variable that holds its key".to_string(),
            Some(var) => format!("the key in the environment variable {var} (--backend-key-env) was refused; check it"),
        };
        ModelError::Unauthorized {
            backend: backend.to_string(),
            status,
            answer,
            hint,
        }
    }

    /// Runs `body` on server `index` and streams its pieces. `Err` with whether any text had
    /// reached `on_delta`.
    fn run_on(
        &self,
        index: usize,
        body: &serde_json::Value,
        params: &GenerationParams,
        cancel: &CancelToken,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Generation, (Failure, bool)> {
        let server = Arc::clone(&self.pool.servers[index]);
        let _in_flight = server.enter();
        let (events, rx) = mpsc::channel();
        let call = Call {
            client: self.client.clone(),
            body: body.clone(),
            key: self.key.clone(),
            timeout: self.timeout,
        };
        let Ok(runtime) = self.runtime() else {
            return Err((
                Failure::Unreachable("the engine is shutting down".into()),
                false,
            ));
        };
        let task = runtime.spawn(stream::run(Arc::clone(&server), call, events));
        // Stops the request (and closes its connection) however this function ends.
        let _abort = AbortOnDrop(task);
        let mut written = Written::default();
        let mut sent = None;
        loop {
            let event = match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(event) => event,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if cancel.is_cancelled() {
                        return Ok(written.finish(FinishReason::Cancelled, None, sent));
                    }
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let failure = Failure::Dropped("the request's task ended".into());
                    return Err((failure, written.delivered()));
                }
            };
            match event {
                Event::Sent => sent = Some(Instant::now()),
                Event::Piece { text, logprobs } => {
                    written.first.get_or_insert_with(Instant::now);
                    on_delta(&text);
                    written.pieces.push(text);
                    written.logprobs.extend(logprobs);
                    if params.repetition_guard {
                        if let Some(keep) = models::degenerate_tail(&written.pieces) {
                            written.keep = Some(keep);
                            return Ok(written.finish(FinishReason::Repetition, None, sent));
                        }
                    }
                    if cancel.is_cancelled() {
                        return Ok(written.finish(FinishReason::Cancelled, None, sent));
                    }
                }
                Event::End {
                    finish_reason,
                    usage,
                } => {
                    let finish = match finish_reason.as_deref() {
                        Some("length") => FinishReason::Budget,
                        _ => FinishReason::Stop,
                    };
                    return Ok(written.finish(finish, usage, sent));
                }
                Event::Failed(failure) => return Err((failure, written.delivered())),
            }
        }
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What one request wrote so far.
#[derive(Default)]
struct Written {
    pieces: Vec<String>,
    logprobs: Vec<TokenLogprob>,
    first: Option<Instant>,
    /// Pieces kept when the repetition guard cut the rest.
    keep: Option<usize>,
}

impl Written {
    fn delivered(&self) -> bool {
        !self.pieces.is_empty()
    }

    fn finish(
        mut self,
        finish: FinishReason,
        usage: Option<wire::Usage>,
        sent: Option<Instant>,
    ) -> Generation {
        let now = Instant::now();
        let generated = usage.map_or(self.pieces.len(), |u| u.completion_tokens);
        if let Some(keep) = self.keep {
            self.pieces.truncate(keep);
            self.logprobs.truncate(keep);
        }
        let first = self.first.unwrap_or(now);
        Generation {
            text: self.pieces.concat(),
            finish,
            prompt_tokens: usage.map_or(0, |u| u.prompt_tokens),
            prompt_reused: 0,
            generated_tokens: generated,
            prompt_time: sent.map_or(Duration::ZERO, |s| first.saturating_duration_since(s)),
            generation_time: now.saturating_duration_since(first),
            logprobs: self.logprobs,
        }
    }
}

fn is_key_status(status: u16) -> bool {
    matches!(status, 401 | 403)
}

/// llama-server names the model by the path it was given; the page shows the file's name.
fn display_name(id: &str) -> String {
    id.rsplit(['/', '\\'])
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(id)
        .to_string()
}

/// `GET /models`: what the server serves.
async fn list_models(
    client: reqwest::Client,
    url: String,
    key: Option<String>,
    timeout: Duration,
) -> Result<serde_json::Value, Failure> {
    json_answer(client.get(format!("{url}/models")), key, timeout).await
}

/// `POST /tokenize` at the server's root (beside `/v1`): llama-server answers `tokens`, vLLM
/// `count` too.
async fn tokenize(
    client: reqwest::Client,
    url: &str,
    key: Option<String>,
    timeout: Duration,
    body: serde_json::Value,
) -> Result<usize, Failure> {
    let root = url.strip_suffix("/v1").unwrap_or(url);
    let answer = json_answer(
        client.post(format!("{root}/tokenize")).json(&body),
        key,
        timeout,
    )
    .await?;
    answer["count"]
        .as_u64()
        .map(|n| n as usize)
        .or_else(|| answer["tokens"].as_array().map(Vec::len))
        .ok_or_else(|| Failure::Status {
            status: 404,
            answer: format!("no token count in {}", stream::short(&answer.to_string())),
        })
}

/// A short request whose answer is JSON, with the key if there is one, within `timeout`.
async fn json_answer(
    mut request: reqwest::RequestBuilder,
    key: Option<String>,
    timeout: Duration,
) -> Result<serde_json::Value, Failure> {
    if let Some(key) = &key {
        request = request.bearer_auth(key);
    }
    let asked = async {
        let response = request
            .send()
            .await
            .map_err(|e| Failure::Unreachable(stream::error_chain(&e)))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| Failure::Unreachable(stream::error_chain(&e)))?;
        if !status.is_success() {
            return Err(Failure::Status {
                status: status.as_u16(),
                answer: stream::short(&text),
            });
        }
        serde_json::from_str(&text).map_err(|e| Failure::Status {
            status: status.as_u16(),
            answer: format!("not JSON ({e}): {}", stream::short(&text)),
        })
    };
    tokio::time::timeout(timeout, asked)
        .await
        .map_err(|_| Failure::Unreachable(format!("no answer within {} s", timeout.as_secs())))?
}

/// English and French take about one token per three bytes of UTF-8 in the tokenizers of the
/// models worth serving; over-counting is the safe side (budgets a little larger, chunks a
/// little shorter), since the server's tokenizer is not here to ask.
fn estimate_tokens(text: &str) -> usize {
    text.len().div_ceil(3)
}

impl ChatEngine for Remote {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn generate(
        &self,
        chat: &Chat,
        params: &GenerationParams,
        route: Route,
        cancel: &CancelToken,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Generation, ModelError> {
        // The conversation needs nothing here: the whole chat is sent each turn, and the group
        // staying on one server lets its prompt cache skip what it has read.
        let group = route.group;
        let body = wire::request(&self.model, chat, params);
        let mut tried = Vec::new();
        for index in self.pool.order(group) {
            let server = &self.pool.servers[index];
            match self.run_on(index, &body, params, cancel, on_delta) {
                Ok(generation) => {
                    server.mark_up();
                    self.pool.keep(group, index);
                    return Ok(generation);
                }
                Err((Failure::Status { status, answer }, _)) if is_key_status(status) => {
                    return Err(self.unauthorized(&server.url, status, answer));
                }
                Err((Failure::Status { status, answer }, _))
                    if status != 429 && (400..500).contains(&status) =>
                {
                    return Err(ModelError::Refused {
                        backend: server.url.clone(),
                        status,
                        answer,
                    });
                }
                Err((failure, delivered)) => {
                    let why = failure.describe();
                    if matches!(failure, Failure::Status { status: 429, .. }) {
                        server.note(&why);
                    } else {
                        server.mark_down(&why);
                    }
                    if delivered {
                        return Err(ModelError::Interrupted {
                            backend: server.url.clone(),
                            reason: why,
                        });
                    }
                    tracing::debug!(backend = %server.url, error = %why, "trying the next server");
                    tried.push(format!("{}: {why}", server.url));
                }
            }
            if cancel.is_cancelled() {
                break;
            }
        }
        if cancel.is_cancelled() {
            return Ok(Written::default().finish(FinishReason::Cancelled, None, None));
        }
        Err(ModelError::Unavailable {
            tried: tried.join("; "),
        })
    }

    fn count_tokens(&self, text: &str) -> Result<usize, ModelError> {
        Ok(self
            .server_count(text)
            .unwrap_or_else(|| estimate_tokens(text)))
    }

    fn chat_tokens(&self, chat: &Chat) -> Result<usize, ModelError> {
        // A few tokens of template around each message.
        const PER_MESSAGE: usize = 8;
        let mut parts = vec![chat.system.as_str(), chat.user.as_str()];
        for (asked, answered) in &chat.earlier {
            parts.extend([asked.as_str(), answered.as_str()]);
        }
        let text = parts.join("\n");
        Ok(self.count_tokens(&text)? + parts.len() * PER_MESSAGE)
    }

    fn warm_up(&self) -> Result<(), ModelError> {
        // The servers hold their models loaded already; `connect` has seen one answer.
        Ok(())
    }

    fn backends(&self) -> Vec<BackendState> {
        self.pool.states()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_the_model_file_not_its_path() {
        assert_eq!(
            display_name("/models/qwen2.5-1.5b-instruct-q4_k_m.gguf"),
            "qwen2.5-1.5b-instruct-q4_k_m.gguf"
        );
        assert_eq!(
            display_name("Qwen/Qwen2.5-7B-Instruct"),
            "Qwen2.5-7B-Instruct"
        );
        assert_eq!(display_name("plain"), "plain");
    }

    #[test]
    fn estimates_err_on_the_long_side() {
        // "Le gouvernement a annoncé mardi" is 8 tokens for the default model's tokenizer.
        assert!(estimate_tokens("Le gouvernement a annoncé mardi") >= 8);
        assert_eq!(estimate_tokens(""), 0);
    }

    #[test]
    fn a_server_that_is_not_a_url_is_refused_before_anything_starts() {
        let err = Remote::connect(RemoteConfig {
            urls: vec!["127.0.0.1:8089".into()],
            model: None,
            key_env: None,
            parallel: 1,
            timeout: Duration::from_secs(1),
        })
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("not an http"), "{err}");
    }
}
