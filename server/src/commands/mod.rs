//! One file per subcommand.

pub mod bench;
pub mod eval;
pub mod history;
pub mod models;
pub mod read;
pub mod serve;

use crate::cli::GlobalArgs;
use ::models::{Backend, CancelToken, Model, ModelError};
use std::time::Duration;

/// The engine the flags name: the inference servers of `--backend`, or else the built-in
/// engine on the model file (loading it takes a few seconds). Waits while no server answers.
pub fn load_backend(global: &GlobalArgs) -> anyhow::Result<Backend> {
    Ok(backend_loader(global)?(&CancelToken::new())?)
}

/// How to make the engine the flags name, to run later on the thread that will own it. Fails
/// at once when the flags are wrong (no model file, a server that is not a URL).
pub fn backend_loader(global: &GlobalArgs) -> anyhow::Result<crate::service::worker::Loader> {
    if let Some(config) = global.backend.remote() {
        return Ok(Box::new(move |stop: &CancelToken| {
            connect_waiting(config, stop)
        }));
    }
    let path = global.existing_model_path()?;
    let engine = global.engine_config();
    let (pace_from, data_dir) = (global.pace, global.data_dir());
    Ok(Box::new(move |_: &CancelToken| {
        tracing::info!(path = %path.display(), "loading model");
        let model = Model::load_with(&path, engine)?;
        let pace = crate::machine_pace::for_machine(pace_from, &model, &path, &data_dir);
        Ok(Backend::built_in(model).with_pace(pace))
    }))
}

/// Connects to the inference servers, trying again every few seconds while none answers (they
/// may be starting), until one does or `stop` is set.
fn connect_waiting(
    config: remote::RemoteConfig,
    stop: &CancelToken,
) -> Result<Backend, ModelError> {
    const RETRY: Duration = Duration::from_secs(2);
    let mut told = false;
    loop {
        match remote::Remote::connect(config.clone()) {
            Ok(engine) => return Ok(Backend::new(std::sync::Arc::new(engine))),
            Err(err) if err.is_retryable() && !stop.is_cancelled() => {
                if !told {
                    tracing::warn!(error = %err, "waiting for an inference server to answer");
                    told = true;
                }
                let until = std::time::Instant::now() + RETRY;
                while std::time::Instant::now() < until && !stop.is_cancelled() {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            Err(err) => return Err(err),
        }
    }
}
