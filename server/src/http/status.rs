//! `GET /api/health` and `GET /api/info`.

use super::{ApiError, AppState};
use crate::service::worker::ModelStatus;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

pub async fn health(State(state): State<AppState>) -> Json<Value> {
    let model = match &*state.model.borrow() {
        ModelStatus::Loading => "loading",
        ModelStatus::Ready(_) => "ready",
        ModelStatus::Failed(_) => "failed",
    };
    Json(json!({ "status": "ok", "model": model, "queued": state.queue.len() }))
}

pub async fn info(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let status = state.model.borrow().clone();
    match status {
        ModelStatus::Loading => Err(ApiError::ModelLoading),
        ModelStatus::Failed(message) => Err(ApiError::ModelUnavailable(message)),
        ModelStatus::Ready(info) => Ok(Json(json!({
            "name": info.name,
            "family": info.family.name(),
            "quantization": info.quantization,
            "file": info.path.file_name().map(|f| f.to_string_lossy().into_owned()),
            "file_size": info.file_size,
            "context": info.context_limit,
            "threads": models::cpu_threads(),
            "load_seconds": info.load_time.as_secs_f64(),
        }))),
    }
}
