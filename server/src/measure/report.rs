//! Where the benchmark's and the evaluation's figures are written.

use anyhow::Context;
use serde::Serialize;
use std::path::Path;

/// Writes `value` as indented JSON, creating the folder first.
pub fn write_json(file: &Path, value: &impl Serialize) -> anyhow::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(file, text + "\n").with_context(|| format!("cannot write {}", file.display()))
}
