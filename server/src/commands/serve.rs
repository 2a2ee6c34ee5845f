//! `passerelle serve`: the reading page and the API, until Ctrl-C or SIGTERM.

use crate::cli::{GlobalArgs, ServeArgs};
use crate::history::Store;
use crate::http::service::{Service, ServiceConfig};
use crate::service::keys::Keys;
use anyhow::Context;
use std::process::ExitCode;
use std::sync::Arc;

pub fn run(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let keys = keys(&args)?;
    let loader = super::backend_loader(global)?;
    let history = if args.no_history {
        tracing::info!("history is off: nothing is kept on disk");
        None
    } else {
        let store = Store::open(&global.data_dir())?;
        tracing::info!(file = %store.path().display(), "articles are kept in");
        Some(Arc::new(store))
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr).await.with_context(|| {
            format!("cannot listen on {}; is another passerelle running? Choose another address with --addr", args.addr)
        })?;
        let config = ServiceConfig {
            method: global.method(),
            history,
            remote: global.backend.remote().is_some(),
            keys: Arc::new(keys),
            ..ServiceConfig::from(&args)
        };
        let service = Service::start(listener, config, loader).await?;
        tracing::info!("Passerelle is serving on http://{}", service.addr);
        let failure = tokio::select! {
            () = shutdown_signal() => None,
            message = service.model_failure() => Some(message),
        };
        tracing::info!("stopping");
        service.stop().await?;
        match failure {
            None => Ok(ExitCode::SUCCESS),
            Some(message) => anyhow::bail!("the model could not be loaded: {message}"),
        }
    })
}

/// The API keys, and whether the server may be reached without them: only on loopback, unless
/// `--allow-anyone` says so.
fn keys(args: &ServeArgs) -> anyhow::Result<Keys> {
    let keys = match &args.api_key_file {
        Some(path) => Keys::load(path)?,
        None => Keys::open(),
    };
    if keys.required() {
        tracing::info!(keys = keys.len(), "every API asks for a key");
    } else if !args.addr.ip().is_loopback() {
        if !args.allow_anyone {
            anyhow::bail!(
                "{} is reachable from other machines, and no API keys are set: anyone who can reach it could use the server. \
                 Write keys into a file (one a line, for example from `openssl rand -hex 24`, a label may follow after a space) \
                 and pass it with --api-key-file (PASSERELLE_API_KEY_FILE); or serve on 127.0.0.1; \
                 or, to let anyone in, add --allow-anyone",
                args.addr
            );
        }
        tracing::warn!(addr = %args.addr, "serving beyond this machine without keys (--allow-anyone): anyone who can reach it may use it");
    }
    Ok(keys)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
