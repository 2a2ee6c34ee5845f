//! DeepL's API v2: `POST /v2/translate`, `GET /v2/languages`, `GET /v2/usage`, as its official
//! clients call them (a form with `text` repeated, or JSON with `text` a list; the key in
//! `Authorization: DeepL-Auth-Key KEY`). Errors are `{"message": "..."}` with DeepL's statuses.

use super::{Failure, Fields, Refusal, Request, Source, Translation};
use crate::http::keys;
use crate::http::AppState;
use crate::service::keys::Caller;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// What `/v2/usage` gives as the limit: Passerelle counts characters but sets no quota.
const CHARACTER_LIMIT: u64 = 1_000_000_000_000;

pub async fn translate(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: RawQuery,
    body: Bytes,
) -> Response {
    let work = async move { answer(&state, &headers, query, &body).await };
    super::patiently(work, error_body).await
}

/// The fields and the caller of a request: the key from the header, or the older `auth_key`
/// field.
fn read(
    state: &AppState,
    headers: &HeaderMap,
    query: RawQuery,
    body: &[u8],
) -> Result<(Fields, Caller), Failure> {
    let fields = Fields::read(headers, query.0.as_deref(), body).map_err(Failure::Invalid)?;
    let caller = state
        .keys
        .caller(keys::from_headers(headers).or(fields.str("auth_key")))?;
    Ok((fields, caller))
}

async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    query: RawQuery,
    body: &[u8],
) -> Result<Value, Failure> {
    let (fields, caller) = read(state, headers, query, body)?;
    let (texts, _) = fields
        .strings("text")
        .ok_or_else(|| Failure::Invalid("Parameter 'text' not specified.".into()))?;
    let target = fields
        .str("target_lang")
        .ok_or_else(|| Failure::Invalid("Parameter 'target_lang' not specified.".into()))?;
    if super::language_of(target) != "en" {
        return Err(Refusal::Target(target.to_string()).into());
    }
    let html = match fields
        .str("tag_handling")
        .map(|t| t.trim().to_ascii_lowercase())
    {
        None => false,
        Some(t) if t.is_empty() => false,
        Some(t) if t == "html" => true,
        Some(other) => {
            return Err(Failure::Invalid(format!(
                "Value for 'tag_handling' not supported: {other:?}; Passerelle reads html only."
            )))
        }
    };
    let billed: Vec<usize> = texts.iter().map(|t| t.chars().count()).collect();
    let request = Request {
        texts,
        html,
        source: Source::parse(fields.str("source_lang")),
        owner: caller.owner.clone(),
    };
    let Translation {
        texts,
        flags,
        languages,
        ..
    } = super::translate(state, request).await?;
    caller.count(billed.iter().sum());
    let translations: Vec<Value> = texts
        .into_iter()
        .zip(flags)
        .zip(languages)
        .zip(billed)
        .map(|(((text, flags), language), billed)| {
            json!({
                "detected_source_language": language.code.to_ascii_uppercase(),
                "text": text,
                "billed_characters": billed,
                "passerelle_flags": flags,
            })
        })
        .collect();
    Ok(json!({ "translations": translations }))
}

/// `GET /v2/languages?type=source|target` (the official client sends `type` in a form body,
/// even on a GET).
pub async fn languages(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: RawQuery,
    body: Bytes,
) -> Response {
    let listed = || -> Result<Value, Failure> {
        let (fields, _) = read(&state, &headers, query, &body)?;
        Ok(match fields.str("type").unwrap_or("source") {
            "target" => json!([
                {"language": "EN-GB", "name": "English (British)", "supports_formality": false},
                {"language": "EN-US", "name": "English (American)", "supports_formality": false},
            ]),
            "source" => json!([
                {"language": "EN", "name": "English"},
                {"language": "FR", "name": "French"},
            ]),
            other => {
                return Err(Failure::Invalid(format!(
                    "Value for 'type' not supported: {other:?}; use source or target."
                )))
            }
        })
    };
    match listed() {
        Ok(body) => Json(body).into_response(),
        Err(failure) => refuse(failure),
    }
}

/// `GET /v2/usage`: the characters this key (or, without keys, everyone) had translated
/// since the server started.
pub async fn usage(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: RawQuery,
    body: Bytes,
) -> Response {
    match read(&state, &headers, query, &body) {
        Ok((_, caller)) => Json(json!({
            "character_count": caller.usage.characters(),
            "character_limit": CHARACTER_LIMIT,
        }))
        .into_response(),
        Err(failure) => refuse(failure),
    }
}

/// DeepL's error: `{"message": ...}`, a refused key 403.
fn error_body(failure: &Failure) -> (StatusCode, Value) {
    let (status, message) = failure.parts(StatusCode::FORBIDDEN);
    (status, json!({ "message": message }))
}

fn refuse(failure: Failure) -> Response {
    super::refusal(error_body, &failure)
}
