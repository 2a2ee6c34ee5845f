//! Passerelle as other software's translation server: LibreTranslate's API ([`libretranslate`],
//! for Mastodon and Discourse), DeepL's ([`deepl`], for its official clients) and OpenAI's chat
//! completions ([`openai`], for e-book translators and editors). Each reads its protocol's
//! request into a [`Request`] and writes [`Translation`] or [`Refusal`] back in its own shapes;
//! between the two, [`translate`] runs the texts exactly as the page's articles run: one job,
//! through the same queue (a fair share among readers, refused when the queue is full), the
//! glossary, the translation memory, the model and the checks, kept in the history. The job
//! only translates: it writes no summary.

pub mod deepl;
mod fields;
pub mod libretranslate;
pub mod openai;

pub use fields::Fields;

use crate::http::{blocking, ApiError, AppState};
use crate::intake::{markup, Texts};
use crate::service::jobs::{Job, JobOptions, JobStatus, Submission};
use crate::service::keys::KeyRefusal;
use app::api::{Figures, Flag, JobSnapshot};
use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use checks::language::{identify, Identified};
use futures_util::stream::{self, Stream};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// What every protocol asks.
#[derive(Debug, Clone)]
pub struct Request {
    pub texts: Vec<String>,
    /// The texts are HTML: only their text is translated ([`markup`]).
    pub html: bool,
    pub source: Source,
    /// Who sent it, when the server asks for API keys.
    pub owner: Option<String>,
}

/// The language the client says the texts are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Not said: each text's language is found ([`identify`]).
    Auto,
    /// A language code, lower-case, region dropped (`fr`, `en`).
    Given(String),
}

impl Source {
    /// `auto`, empty or absent means [`Source::Auto`]; `FR`, `fr-FR` and `fr` mean French.
    pub fn parse(code: Option<&str>) -> Self {
        match code.map(str::trim).filter(|c| !c.is_empty()) {
            None => Self::Auto,
            Some(c) if c.eq_ignore_ascii_case("auto") => Self::Auto,
            Some(c) => Self::Given(language_of(c)),
        }
    }
}

/// A language code's language part, lower-case: `EN-GB` → `en`.
pub fn language_of(code: &str) -> String {
    code.trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The texts in English, one for one with the request's.
#[derive(Debug, Clone)]
pub struct Translation {
    pub texts: Vec<String>,
    /// What the checks could not verify in each text's English.
    pub flags: Vec<Vec<Flag>>,
    /// Each text's language: the one given, or the one found.
    pub languages: Vec<Identified>,
    /// The job that wrote it, in the history (none when nothing needed translating).
    pub job: Option<String>,
    /// What writing it took: tokens read and written.
    pub figures: Option<Figures>,
}

/// Why a request was not translated; each protocol answers it in its own shape.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("Passerelle translates French into English; it cannot translate from {0:?}. Send French or English text (English comes back as it is).")]
    Source(String),
    #[error("Passerelle translates into English only; {0:?} is not a target it can write.")]
    Target(String),
    #[error("There is no text to translate.")]
    NoText,
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The job ended without its English: an error of the model, or the server stopping.
    #[error("{0}")]
    Failed(String),
}

impl Refusal {
    /// The HTTP status this refusal is answered with, where the protocol has no status of its
    /// own for it.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Source(_) | Self::Target(_) | Self::NoText => StatusCode::BAD_REQUEST,
            Self::Api(err) => err.status(),
            Self::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Why a protocol's request got no English: it could not be read, its key was refused, or
/// [`translate`] refused it. Each protocol writes it in its own shape.
#[derive(Debug)]
pub enum Failure {
    /// The request is not what the protocol asks (a field missing or of the wrong kind).
    Invalid(String),
    Key(KeyRefusal),
    Refused(Refusal),
}

impl From<Refusal> for Failure {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

impl From<KeyRefusal> for Failure {
    fn from(refusal: KeyRefusal) -> Self {
        Self::Key(refusal)
    }
}

impl Failure {
    /// The status and the message, a refused key answered with `key_status` (the protocols
    /// differ there).
    pub fn parts(&self, key_status: StatusCode) -> (StatusCode, String) {
        match self {
            Self::Invalid(what) => (StatusCode::BAD_REQUEST, what.clone()),
            Self::Key(refusal) => (key_status, refusal.to_string()),
            Self::Refused(refusal) => (refusal.status(), refusal.to_string()),
        }
    }
}

/// How long an answer is held back before it starts: most texts are done by then, and keep
/// their protocol's status codes whatever happens.
const HOLD: Duration = Duration::from_secs(5);

/// How often a started answer sends a space while its JSON is not ready: under the official
/// DeepL client's read timeout (10 s).
const KEEP_ALIVE: Duration = Duration::from_secs(4);

/// Answers with the JSON that `work` makes, or with the error `error_body` writes of its
/// failure. Clients with a short read timeout give up on a long text (the DeepL client after
/// 10 s, five times, then fails): so when the answer is not ready within [`HOLD`], it starts
/// (200 and its headers) and sends a space every [`KEEP_ALIVE`] until the JSON comes, which
/// JSON allows before a value. What can be refused is refused before that (a key, a field, a
/// language, a full queue); only a job that fails later is answered with its error in a 200.
pub async fn patiently<W>(work: W, error_body: fn(&Failure) -> (StatusCode, Value)) -> Response
where
    W: Future<Output = Result<Value, Failure>> + Send + 'static,
{
    let mut work = Box::pin(work);
    match tokio::time::timeout(HOLD, &mut work).await {
        Ok(Ok(value)) => return Json(value).into_response(),
        Ok(Err(failure)) => return refusal(error_body, &failure),
        Err(_) => {}
    }
    let chunks = stream::unfold(Some(work), move |work| async move {
        let mut work = work?;
        tokio::select! {
            done = &mut work => {
                let value = match done {
                    Ok(value) => value,
                    Err(failure) => error_body(&failure).1,
                };
                Some((Ok::<_, Infallible>(value.to_string()), None))
            }
            () = tokio::time::sleep(KEEP_ALIVE) => Some((Ok(" ".to_string()), Some(work))),
        }
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// The answer to `failure`, in the shape `error_body` writes.
pub fn refusal(error_body: fn(&Failure) -> (StatusCode, Value), failure: &Failure) -> Response {
    let (status, body) = error_body(failure);
    (status, Json(body)).into_response()
}

/// Jobs the protocols started that are still running, by what they were asked: a client that
/// gives up waiting and sends the same request again (the DeepL client does after 10 s) waits
/// for the first run instead of starting a second. Held while a job is created, so that two
/// requests that arrive together make one job.
#[derive(Debug, Default)]
pub struct InFlight(tokio::sync::Mutex<HashMap<String, Weak<Job>>>);

/// The texts each in their language, and what must be translated.
struct Sorted {
    languages: Vec<Identified>,
    texts: Texts,
}

fn sort(request: &Request) -> Result<Sorted, Refusal> {
    if request.texts.iter().all(|t| t.trim().is_empty()) {
        return Err(Refusal::NoText);
    }
    let languages = request
        .texts
        .iter()
        .map(|text| match &request.source {
            Source::Given(code) => Identified {
                code: code.clone(),
                confidence: 1.0,
            },
            Source::Auto if request.html => identify(&markup::texts(text).join("\n")),
            Source::Auto => identify(text),
        })
        .collect::<Vec<_>>();
    if let Some(other) = languages.iter().find(|l| l.code != "fr" && l.code != "en") {
        return Err(Refusal::Source(other.code.clone()));
    }
    let as_it_is: Vec<bool> = languages.iter().map(|l| l.code == "en").collect();
    let texts = Texts::new(&request.texts, request.html, &as_it_is);
    Ok(Sorted { languages, texts })
}

/// What tells two identical requests apart from others: who sent them, and what.
fn request_key(request: &Request) -> String {
    let mut hash = Sha256::new();
    hash.update(request.owner.as_deref().unwrap_or_default());
    hash.update([0, u8::from(request.html)]);
    for text in &request.texts {
        hash.update(text.len().to_le_bytes());
        hash.update(text);
    }
    format!("{:x}", hash.finalize())
}

/// Starts (or joins) the job that translates `request`; `None` when nothing needs translating.
async fn start(
    state: &AppState,
    request: &Request,
    sorted: &Sorted,
) -> Result<Option<Arc<Job>>, Refusal> {
    if sorted.texts.is_empty() {
        return Ok(None);
    }
    state.admits(request.texts.iter().map(|t| t.chars().count()).sum())?;
    let key = request_key(request);
    let mut running = state.in_flight.0.lock().await;
    running.retain(|_, job| job.upgrade().is_some_and(|j| !j.status().is_finished()));
    if let Some(job) = running.get(&key).and_then(Weak::upgrade) {
        tracing::info!(id = %job.id, "the same texts again: waiting for the run already going");
        return Ok(Some(job));
    }
    let (jobs, queue, glossary) = (
        Arc::clone(&state.jobs),
        Arc::clone(&state.queue),
        Arc::clone(&state.glossary),
    );
    let article = sorted.texts.article.clone();
    let paste = request.texts.join("\n\n");
    let owner = request.owner.clone();
    let job = blocking(move || {
        let new = Submission {
            article,
            options: JobOptions {
                summarize: false,
                owner,
            },
            paste: &paste,
            keep: &[],
        };
        jobs.submit(new, &queue, &glossary)
    })
    .await?
    .map_err(ApiError::from)?;
    running.insert(key, Arc::downgrade(&job));
    Ok(Some(job))
}

/// Waits until `job` has finished, reading it meanwhile (a job with a reader is not
/// abandoned); its final snapshot.
async fn finished(state: &AppState, job: &Arc<Job>) -> Result<JobSnapshot, Refusal> {
    let _reader = job.reader();
    let mut changes = job.watch();
    let mut shutdown = state.shutdown.clone();
    while !job.status().is_finished() {
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { break },
            _ = shutdown.wait_for(|stopping| *stopping) => break,
        }
    }
    let snapshot = job.snapshot();
    match snapshot.status {
        JobStatus::Done => Ok(snapshot),
        JobStatus::Cancelled => Err(Refusal::Failed(
            "The translation was cancelled (the server is stopping?). Send it again.".into(),
        )),
        _ if *state.shutdown.borrow() => Err(ApiError::ShuttingDown.into()),
        _ => Err(Refusal::Failed(snapshot.error.map_or_else(
            || "The translation failed; try again.".to_string(),
            |e| e.message,
        ))),
    }
}

/// Translates `request` and waits for the whole of it.
pub async fn translate(state: &AppState, request: Request) -> Result<Translation, Refusal> {
    let sorted = sort(&request)?;
    let Some(job) = start(state, &request, &sorted).await? else {
        return Ok(Translation {
            texts: request.texts,
            flags: vec![Vec::new(); sorted.languages.len()],
            languages: sorted.languages,
            job: None,
            figures: None,
        });
    };
    let snapshot = finished(state, &job).await?;
    let english: Vec<String> = snapshot
        .paragraphs
        .iter()
        .map(|p| p.translation.clone())
        .collect();
    let flags = (0..request.texts.len())
        .map(|i| {
            snapshot.paragraphs[sorted.texts.paragraphs_of(i)]
                .iter()
                .flat_map(|p| p.flags.clone())
                .collect()
        })
        .collect();
    Ok(Translation {
        texts: sorted.texts.english(&english),
        flags,
        languages: sorted.languages,
        job: Some(job.id.clone()),
        figures: snapshot.figures,
    })
}

/// Translates `request`, a single plain text, and gives its English paragraph by paragraph in
/// reading order as each is final (a paragraph's English can still change until then, when a
/// check repairs it), the separator before each but the first. The stream's last item is the
/// refusal, if any.
pub async fn translate_streaming(
    state: &AppState,
    request: Request,
) -> Result<impl Stream<Item = Result<String, Refusal>>, Refusal> {
    let sorted = sort(&request)?;
    let job = start(state, &request, &sorted).await?;
    let state = state.clone();
    let as_it_is = job.is_none().then(|| request.texts.concat());
    Ok(stream::unfold(
        Following {
            job,
            as_it_is,
            next: 0,
            state,
            done: false,
        },
        |mut f| async move {
            if f.done {
                return None;
            }
            if let Some(text) = f.as_it_is.take() {
                f.done = true;
                return Some((Ok(text), f));
            }
            let job = Arc::clone(f.job.as_ref()?);
            let _reader = job.reader();
            let mut changes = job.watch();
            loop {
                let snapshot = job.snapshot();
                if let Some(p) = snapshot.paragraphs.get(f.next).filter(|p| p.done) {
                    let separator = if f.next == 0 { "" } else { "\n\n" };
                    f.next += 1;
                    return Some((Ok(format!("{separator}{}", p.translation)), f));
                }
                if snapshot.status.is_finished() || *f.state.shutdown.borrow() {
                    f.done = true;
                    return match finished(&f.state, &job).await {
                        Ok(_) => None,
                        Err(refusal) => Some((Err(refusal), f)),
                    };
                }
                let mut shutdown = f.state.shutdown.clone();
                tokio::select! {
                    changed = changes.changed() => if changed.is_err() { return None },
                    _ = shutdown.wait_for(|stopping| *stopping) => {},
                }
            }
        },
    ))
}

struct Following {
    job: Option<Arc<Job>>,
    as_it_is: Option<String>,
    next: usize,
    state: AppState,
    done: bool,
}
