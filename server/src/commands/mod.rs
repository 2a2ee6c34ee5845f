//! One file per subcommand.

pub mod bench;
pub mod eval;
pub mod history;
pub mod models;
pub mod read;
pub mod serve;

use crate::cli::GlobalArgs;
use ::models::Model;

/// Loads the model named by the flags, saying what it loads (it takes a few seconds).
pub fn load_model(global: &GlobalArgs) -> anyhow::Result<Model> {
    let path = global.existing_model_path()?;
    tracing::info!(path = %path.display(), "loading model");
    Ok(Model::load_with(&path, global.engine_config())?)
}
