//! `mlflowrs models serve`.

use std::sync::Arc;

use std::future::IntoFuture;

use anyhow::Context;

use crate::config::ServeConfig;
use crate::engine::Engine;
use crate::scoring::Scorer;
use crate::server::{router, AppState};

pub async fn run(config: ServeConfig) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let load = config.load.clone();
    let dir = config.model_dir.clone();
    let loaded = tokio::task::spawn_blocking(move || crate::loader::load(&dir, &load))
        .await
        .context("model loading task failed")??;
    let (model_name, version) = model_labels(&config.model_dir, &loaded.mlmodel);
    let metrics = match crate::telemetry::install(&model_name, &version) {
        Ok(handle) => {
            crate::telemetry::spawn_upkeep(handle.clone(), std::time::Duration::from_millis(200));
            Some(handle)
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics recorder not installed; /metrics disabled");
            None
        }
    };
    let model = Arc::new(crate::v2::ModelInfo {
        name: model_name,
        version,
        platform: loaded.flavor.backend_name(),
        inputs: loaded.flavor.inputs().to_vec(),
        outputs: loaded.flavor.outputs().to_vec(),
        named_inputs: match loaded.mlmodel.input_schema() {
            Some(schema) => schema.has_names(),
            None => loaded.flavor.inputs().len() > 1,
        },
    });
    let scorer =
        Arc::new(Scorer::new(loaded.mlmodel, loaded.flavor).with_max_rows(config.max_rows));
    let engine = Engine::start(
        scorer,
        config.load.sessions,
        config.queue_len,
        config.batching,
    )
    .context("could not start inference threads")?;
    let state = AppState {
        engine,
        timeout: config.timeout,
        max_body_bytes: config.max_body_bytes,
        permits: Arc::new(tokio::sync::Semaphore::new(config.max_concurrent_requests)),
        metrics,
        model,
    };
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("could not listen on {}", config.addr))?;
    tracing::info!(addr = %config.addr, model = %config.model_dir.display(), startup_ms = started.elapsed().as_millis() as u64, "serving");
    // On SIGTERM/SIGINT: stop accepting, let in-flight requests finish, but
    // not for longer than the shutdown timeout.
    let (signalled, deadline_starts) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, router(state)).with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = signalled.send(());
    });
    let deadline = async move {
        if deadline_starts.await.is_ok() {
            tokio::time::sleep(config.shutdown_timeout).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        r = server.into_future() => r.context("server failed")?,
        _ = deadline => tracing::warn!(timeout_s = config.shutdown_timeout.as_secs(), "shutdown timeout passed with requests in flight; exiting"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// The model's name and version for metric labels: the directory name and,
/// lacking a registry version, the MLmodel's model id or uuid.
fn model_labels(dir: &std::path::Path, mlmodel: &crate::mlmodel::MlModel) -> (String, String) {
    let name = std::fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "model".into());
    let version = mlmodel
        .model_id
        .clone()
        .or_else(|| mlmodel.model_uuid.clone())
        .unwrap_or_else(|| "unknown".into());
    (name, version)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
