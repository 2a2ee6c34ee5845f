//! `GET /api/health` and `GET /api/info`.

use super::{ApiError, AppState};
use crate::measure::report::model_json;
use crate::service::worker::ModelStatus;
use axum::extract::State;
use axum::Json;
use models::{Backend, Source};
use serde_json::{json, Value};

pub async fn health(State(state): State<AppState>) -> Json<Value> {
    let status = state.model.borrow().clone();
    let (model, engine, backends) = match &status {
        ModelStatus::Loading => ("loading", Value::Null, Vec::new()),
        ModelStatus::Ready(backend) => ("ready", json!(backend.info().engine()), states(backend)),
        ModelStatus::Failed(_) => ("failed", Value::Null, Vec::new()),
    };
    Json(json!({
        "status": "ok",
        "model": model,
        "engine": engine,
        "backends": backends,
        "queued": state.queue.len(),
    }))
}

/// Each inference server's state; empty for the built-in engine.
fn states(backend: &Backend) -> Vec<Value> {
    backend
        .backends()
        .into_iter()
        .map(|b| {
            let down_since = b.down_since.map(|t| {
                time::OffsetDateTime::from(t)
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default()
            });
            json!({
                "url": b.url,
                "state": if b.up { "up" } else { "down" },
                "down_since": down_since,
                "in_flight": b.in_flight,
                "last_error": b.last_error,
            })
        })
        .collect()
}

pub async fn info(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let status = state.model.borrow().clone();
    match status {
        ModelStatus::Loading => Err(ApiError::ModelLoading),
        ModelStatus::Failed(message) => Err(ApiError::ModelUnavailable(message)),
        ModelStatus::Ready(backend) => {
            let mut body = model_json(backend.info());
            if matches!(backend.info().source, Source::Remote { .. }) {
                body["backends"] = json!(states(&backend));
            }
            Ok(Json(body))
        }
    }
}
