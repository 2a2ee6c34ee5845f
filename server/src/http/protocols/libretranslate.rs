//! LibreTranslate's API: `POST /translate`, `GET /languages`, `POST /detect`, as Mastodon,
//! Discourse and `libretranslatepy` call them (JSON or a form; `q` a string or an array, and
//! the answer the same; the key in the body as `api_key`). Errors are `{"error": "..."}`.

use super::{Failure, Fields, Refusal, Request, Source, Translation};
use crate::http::keys;
use crate::http::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use checks::language::{identify, Identified};
use serde_json::{json, Value};

pub async fn translate(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: RawQuery,
    body: Bytes,
) -> Response {
    let work = async move { answer(&state, &headers, query, &body).await };
    super::patiently(work, error_body).await
}

async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    query: RawQuery,
    body: &[u8],
) -> Result<Value, Failure> {
    let fields = Fields::read(headers, query.0.as_deref(), body).map_err(Failure::Invalid)?;
    let caller = state
        .keys
        .caller(fields.str("api_key").or(keys::from_headers(headers)))?;
    let (texts, many) = match fields.strings("q") {
        None => return Err(Failure::Invalid("missing q parameter".into())),
        Some(q) => q,
    };
    let target = fields
        .str("target")
        .ok_or_else(|| Failure::Invalid("missing target parameter".into()))?;
    if super::language_of(target) != "en" {
        return Err(Refusal::Target(target.to_string()).into());
    }
    let html = match fields.str("format").unwrap_or("text") {
        "text" => false,
        "html" => true,
        other => {
            return Err(Failure::Invalid(format!(
                "{other} format is not supported; use text or html"
            )))
        }
    };
    let source = Source::parse(fields.str("source"));
    let auto = source == Source::Auto;
    let chars = texts.iter().map(|t| t.chars().count()).sum();
    let request = Request {
        texts,
        html,
        source,
        owner: caller.owner.clone(),
    };
    let Translation {
        texts,
        flags,
        languages,
        job,
        ..
    } = super::translate(state, request).await?;
    caller.count(chars);
    let one = |v: Vec<Value>| {
        if many {
            Value::Array(v)
        } else {
            v.into_iter().next().unwrap_or(Value::Null)
        }
    };
    let mut answer = json!({
        "translatedText": one(texts.into_iter().map(Value::String).collect()),
        "flags": one(flags.iter().map(|f| json!(f)).collect()),
        "job": job,
    });
    if auto {
        answer["detectedLanguage"] = one(languages.iter().map(detected).collect());
    }
    Ok(answer)
}

/// A detected language as LibreTranslate writes it (confidence from 0 to 100).
fn detected(language: &Identified) -> Value {
    json!({
        "confidence": (language.confidence * 100.0).round(),
        "language": language.code,
    })
}

/// `GET /languages`: French into English; English has no target (it is given back as it is).
pub async fn languages() -> Json<Value> {
    Json(json!([
        {"code": "en", "name": "English", "targets": []},
        {"code": "fr", "name": "French", "targets": ["en"]},
    ]))
}

/// `POST /detect`: the text's language, with its confidence.
pub async fn detect(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: RawQuery,
    body: Bytes,
) -> Response {
    let found = || -> Result<Value, Failure> {
        let fields = Fields::read(&headers, query.0.as_deref(), &body).map_err(Failure::Invalid)?;
        state
            .keys
            .caller(fields.str("api_key").or(keys::from_headers(&headers)))?;
        let (texts, _) = fields
            .strings("q")
            .ok_or_else(|| Failure::Invalid("missing q parameter".into()))?;
        Ok(json!([detected(&identify(&texts.join("\n")))]))
    };
    match found() {
        Ok(body) => Json(body).into_response(),
        Err(failure) => refuse(failure),
    }
}

/// LibreTranslate's error: `{"error": ...}`; a missing or wrong key is 403, which Mastodon reads
/// so.
fn error_body(failure: &Failure) -> (StatusCode, Value) {
    let (status, message) = failure.parts(StatusCode::FORBIDDEN);
    let message = match failure {
        Failure::Invalid(_) => format!("Invalid request: {message}"),
        _ => message,
    };
    (status, json!({ "error": message }))
}

fn refuse(failure: Failure) -> Response {
    super::refusal(error_body, &failure)
}
