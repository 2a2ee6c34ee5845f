//! `GET /api/glossary` and `PUT /api/glossary`: the reader's terms, read and replaced whole.

use super::error::json_rejection;
use super::{blocking, ApiError, AppState};
use app::api::Glossary;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use std::sync::Arc;

pub async fn show(State(state): State<AppState>) -> Result<Json<Glossary>, ApiError> {
    let glossary = Arc::clone(&state.glossary);
    let terms = blocking(move || glossary.terms()).await??;
    Ok(Json(Glossary { terms }))
}

/// Replaces the glossary; articles submitted from now on use it.
pub async fn replace(
    State(state): State<AppState>,
    body: Result<Json<Glossary>, JsonRejection>,
) -> Result<Json<Glossary>, ApiError> {
    let Json(Glossary { terms }) = body.map_err(|r| json_rejection(r, state.max_chars))?;
    let glossary = Arc::clone(&state.glossary);
    let terms = blocking(move || glossary.replace(terms)).await??;
    Ok(Json(Glossary { terms }))
}
