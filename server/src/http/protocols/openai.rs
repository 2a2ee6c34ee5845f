//! OpenAI's chat completions, as its clients and the tools built on them call them:
//! `GET /v1/models`, `POST /v1/chat/completions` (whole, or streamed as `data: ` lines ending
//! with `data: [DONE]`). Whatever the system prompt asks, the answer is the last user
//! message in English; parameters Passerelle has no use for (temperature, max_tokens, …) are
//! read past, not refused. A user message that is a JSON batch of segments (`{"segments":
//! [{"id", "text"}]}`, as kiss-translator sends) is answered with `{"translations": [{"id",
//! "text", "sourceLanguage"}]}`. The key is `Authorization: Bearer KEY`; errors are
//! `{"error": {"message", "type", "param", "code"}}`.

use super::{Failure, Request, Source, Translation};
use crate::http::keys;
use crate::http::AppState;
use crate::service::worker::ModelStatus;
use app::api::Figures;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use std::convert::Infallible;

/// The model's name as the clients are told it.
fn model_name(state: &AppState) -> String {
    match &*state.model.borrow() {
        ModelStatus::Ready(backend) => backend.info().name.clone(),
        _ => "passerelle".into(),
    }
}

/// `GET /v1/models`: the one model that writes the English.
pub async fn models(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(refusal) = state.keys.caller(keys::from_headers(&headers)) {
        return refuse(refusal.into());
    }
    Json(json!({
        "object": "list",
        "data": [{"id": model_name(&state), "object": "model", "created": 0, "owned_by": "passerelle"}],
    }))
    .into_response()
}

/// What a chat request asks of Passerelle.
struct Asked {
    /// The last user message's text.
    text: String,
    /// The segments of a JSON batch, when the message is one: `(id, text)`.
    segments: Option<Vec<(Value, String)>>,
    stream: bool,
    model: String,
}

fn read(body: &[u8]) -> Result<Asked, Failure> {
    let request: Value = serde_json::from_slice(body)
        .map_err(|err| Failure::Invalid(format!("The body is not valid JSON ({err}).")))?;
    let messages = request["messages"].as_array().ok_or_else(|| {
        Failure::Invalid("'messages' is required: a list of {\"role\", \"content\"}.".into())
    })?;
    let last = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .ok_or_else(|| Failure::Invalid("There is no user message to translate.".into()))?;
    let text = match &last["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => return Err(Failure::Invalid("The user message has no text.".into())),
    };
    let segments = serde_json::from_str::<Value>(&text).ok().and_then(|batch| {
        batch["segments"].as_array().map(|segments| {
            segments
                .iter()
                .map(|s| {
                    (
                        s["id"].clone(),
                        s["text"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
    });
    Ok(Asked {
        text,
        segments,
        stream: request["stream"].as_bool().unwrap_or(false),
        model: request["model"].as_str().unwrap_or_default().to_string(),
    })
}

pub async fn chat(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let caller = match state.keys.caller(keys::from_headers(&headers)) {
        Ok(caller) => caller,
        Err(refusal) => return refuse(refusal.into()),
    };
    let asked = match read(&body) {
        Ok(asked) => asked,
        Err(failure) => return refuse(failure),
    };
    let model = if asked.model.is_empty() {
        model_name(&state)
    } else {
        asked.model.clone()
    };
    let id = format!("chatcmpl-{}", uuid::Uuid::new_v4().simple());
    let created = time::OffsetDateTime::now_utc().unix_timestamp();
    let chars = asked.text.chars().count();
    let request = |texts: Vec<String>| Request {
        texts,
        html: false,
        source: Source::Auto,
        owner: caller.owner.clone(),
    };
    if asked.stream && asked.segments.is_none() {
        let pieces = match super::translate_streaming(&state, request(vec![asked.text])).await {
            Ok(pieces) => pieces,
            Err(refusal) => return refuse(refusal.into()),
        };
        caller.count(chars);
        let chunk = move |delta: Value, finish: Option<&str>| {
            json!({
                "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            })
        };
        let first = chunk(json!({"role": "assistant", "content": ""}), None);
        let last = chunk(json!({}), Some("stop"));
        let body = pieces.map(move |piece| match piece {
            Ok(text) => chunk(json!({ "content": text }), None),
            Err(refusal) => error_body(&Failure::Refused(refusal)).1,
        });
        let events = stream::once(async move { first })
            .chain(body)
            .chain(stream::once(async move { last }))
            .map(|value| Event::default().data(value.to_string()))
            .chain(stream::once(async { Event::default().data("[DONE]") }))
            .map(Ok::<_, Infallible>);
        return Sse::new(events)
            .keep_alive(KeepAlive::default())
            .into_response();
    }
    let texts = match &asked.segments {
        Some(segments) => segments.iter().map(|(_, t)| t.clone()).collect(),
        None => vec![asked.text.clone()],
    };
    let Translation {
        texts,
        languages,
        flags,
        figures,
        ..
    } = match super::translate(&state, request(texts)).await {
        Ok(translation) => translation,
        Err(refusal) => return refuse(refusal.into()),
    };
    caller.count(chars);
    let content = match &asked.segments {
        Some(segments) => {
            let translations: Vec<Value> = segments
                .iter()
                .zip(texts.iter().zip(&languages))
                .map(|((id, _), (text, language))| {
                    json!({"id": id, "text": text, "sourceLanguage": language.code})
                })
                .collect();
            json!({ "translations": translations }).to_string()
        }
        None => texts.concat(),
    };
    let answer = json!({
        "id": id, "object": "chat.completion", "created": created, "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop",
        }],
        "usage": usage(figures.as_ref()),
        "passerelle_flags": flags.concat(),
    });
    Json(answer).into_response()
}

/// The tokens the job read and wrote (its checks' and repairs' included); none for text given
/// back as it came.
fn usage(figures: Option<&Figures>) -> Value {
    let (read, written) = figures.map_or((0, 0), |f| (f.prompt_tokens, f.generated_tokens));
    json!({"prompt_tokens": read, "completion_tokens": written, "total_tokens": read + written})
}

/// OpenAI's error body, with the status it goes with.
fn error_body(failure: &Failure) -> (StatusCode, Value) {
    let (status, message) = failure.parts(StatusCode::UNAUTHORIZED);
    // OpenAI's types go by what the client can do about it.
    let (kind, code) = match failure {
        Failure::Key(_) => ("invalid_request_error", json!("invalid_api_key")),
        _ if status == StatusCode::TOO_MANY_REQUESTS => {
            ("rate_limit_error", json!("rate_limit_exceeded"))
        }
        _ if status.is_client_error() => ("invalid_request_error", Value::Null),
        _ => ("server_error", Value::Null),
    };
    let body = json!({"error": {"message": message, "type": kind, "param": null, "code": code}});
    (status, body)
}

fn refuse(failure: Failure) -> Response {
    super::refusal(error_body, &failure)
}
