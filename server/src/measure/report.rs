//! Where the benchmark's and the evaluation's figures are written.

use anyhow::Context;
use models::{ModelInfo, Source};
use serde::Serialize;
use serde_json::{json, Value};
use std::path::Path;

/// The model as the reports and `/api/info` name it: what it is and where it runs.
pub fn model_json(info: &ModelInfo) -> Value {
    let mut body = json!({
        "name": info.name,
        "engine": info.engine(),
        "context": info.context_limit,
        "load_seconds": info.load_time.as_secs_f64(),
    });
    match &info.source {
        Source::File {
            path,
            family,
            quantization,
            file_size,
        } => {
            body["family"] = json!(family.name());
            body["quantization"] = json!(quantization);
            body["file"] = json!(path.file_name().map(|f| f.to_string_lossy().into_owned()));
            body["file_size"] = json!(file_size);
            body["threads"] = json!(models::cpu_threads());
        }
        Source::Remote { backends, weights } => {
            body["backends"] = json!(backends);
            body["weights"] = json!(weights);
        }
    }
    body
}

/// Writes `value` as indented JSON, creating the folder first.
pub fn write_json(file: &Path, value: &impl Serialize) -> anyhow::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(file, text + "\n").with_context(|| format!("cannot write {}", file.display()))
}
