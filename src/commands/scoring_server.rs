//! `mlflowrs models serve`.

use std::sync::Arc;

use anyhow::Context;

use crate::resolve::ResolveModel;
use crate::scoring::Scorer;
use crate::serving::engine::Engine;
use crate::serving::http::{router, AppState};
use crate::serving::model_load::ModelRuntime;
use crate::serving::model_slot::{ModelSlot, Served};
use crate::serving::python_scorer::{io_specs, PythonScorer};
use crate::serving::split::Split;
use crate::settings::{ModelSpec, ScoringServerSettings};

/// Serves `settings`' models, their URIs resolved by `resolver` (every
/// store in `mlflowrs`, local directories only in image binaries).
pub async fn run(
    settings: ScoringServerSettings,
    resolver: Arc<dyn ResolveModel>,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let metrics = match crate::telemetry::install() {
        Ok(handle) => {
            crate::telemetry::spawn_upkeep(handle.clone(), std::time::Duration::from_millis(200));
            Some(handle)
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics recorder not installed; /metrics disabled");
            None
        }
    };
    let mut models = Vec::with_capacity(settings.models.len());
    for spec in &settings.models {
        let resolved = resolver
            .resolve(&spec.uri)
            .await
            .with_context(|| format!("model '{}'", spec.name))?;
        models.push(ModelSlot::new(
            load(spec, resolved, &settings)
                .await
                .with_context(|| format!("model '{}'", spec.name))?,
        ));
    }
    let models = Arc::new(models);
    if let Some(interval) = settings.watch_interval {
        tokio::spawn(watch(
            Arc::clone(&models),
            resolver,
            settings.clone(),
            interval,
        ));
    }
    // On its own port, metrics stay off the scoring port (often public).
    let metrics = match (settings.metrics_addr, metrics) {
        (Some(addr), Some(handle)) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("could not listen on {addr} (--metrics-port)"))?;
            tracing::info!(%addr, "serving /metrics");
            let app = crate::serving::http::metrics_router(handle);
            // The same accept loop as the scoring port: slow clients are cut
            // off by --header-timeout here too.
            tokio::spawn(crate::listener::serve(
                listener,
                app,
                settings.connection,
                std::future::pending(),
            ));
            None
        }
        (_, handle) => handle,
    };
    let state = AppState {
        models,
        split: settings
            .split
            .as_ref()
            .map(|weights| Arc::new(Split::new(weights, settings.split_header.clone()))),
        timeout: settings.timeout,
        max_body_bytes: settings.max_body_bytes,
        permits: Arc::new(tokio::sync::Semaphore::new(
            settings.max_concurrent_requests,
        )),
        metrics,
        api_key: settings.api_key.clone(),
    };
    // gRPC stops accepting with the HTTP port.
    let (stop_grpc, grpc_stopping) = tokio::sync::watch::channel(());
    if let Some(addr) = settings.grpc_addr {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("could not listen on {addr} (--grpc-port)"))?;
        tracing::info!(%addr, "serving the V2 inference protocol over gRPC");
        let state = state.clone();
        let mut stopping = grpc_stopping.clone();
        tokio::spawn(async move {
            let stop = async move {
                let _ = stopping.changed().await;
            };
            if let Err(e) = crate::serving::grpc::serve(listener, state, stop).await {
                tracing::error!(error = %e, "the gRPC server stopped");
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .with_context(|| format!("could not listen on {}", settings.addr))?;
    // What start-up touched once (ONNX Runtime's kernel registry among it)
    // need not stay resident; a moment after the server is up, so that the
    // page-out does not delay the first answers.
    tokio::task::spawn_blocking(|| {
        std::thread::sleep(crate::serving::resident::PAGE_OUT_AFTER);
        let advised = crate::serving::resident::page_out_loaded_code();
        tracing::debug!(mib = advised >> 20, "start-up code paged out");
    });
    crate::serving::resident::spawn_idle_trimmer();
    let names: Vec<&str> = settings.models.iter().map(|m| m.name.as_str()).collect();
    tracing::info!(addr = %settings.addr, models = ?names, startup_ms = started.elapsed().as_millis() as u64, "serving");
    // On SIGTERM/SIGINT: stop accepting, let in-flight requests finish, but
    // not for longer than the shutdown timeout.
    let (signalled, deadline_starts) = tokio::sync::oneshot::channel::<()>();
    let server = crate::listener::serve(listener, router(state), settings.connection, async move {
        crate::listener::shutdown_signal().await;
        let _ = stop_grpc.send(());
        let _ = signalled.send(());
    });
    let deadline = async move {
        if deadline_starts.await.is_ok() {
            tokio::time::sleep(settings.shutdown_timeout).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        _ = server => {}
        _ = deadline => tracing::warn!(timeout_s = settings.shutdown_timeout.as_secs(), "shutdown timeout passed with requests in flight; exiting"),
    }
    // Python workers still busy (a stuck predict) go with the server.
    mlflowrs_pyfunc::kill_all();
    tracing::info!("stopped");
    Ok(())
}

/// Re-resolves every model URI each `interval` and swaps in the model a
/// URI now names (an alias or stage moved, a newer latest version). Requests
/// in flight finish on the model they started with; a failure to resolve or
/// load keeps the current model serving.
async fn watch(
    models: Arc<Vec<ModelSlot>>,
    resolver: Arc<dyn ResolveModel>,
    settings: ScoringServerSettings,
    interval: std::time::Duration,
) {
    loop {
        tokio::time::sleep(interval).await;
        for (slot, spec) in models.iter().zip(&settings.models) {
            let resolved = match resolver.resolve(&spec.uri).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(model = %spec.name, error = %e, "could not re-resolve; still serving the loaded model");
                    continue;
                }
            };
            let current = slot.current();
            let same = current.origin["source"].as_str() == Some(resolved.source.as_str())
                && current.origin["version"].as_str() == resolved.version.as_deref();
            if same {
                continue;
            }
            let (from, to) = (current.info.version.clone(), resolved.version.clone());
            drop(current);
            match load(spec, resolved, &settings).await {
                Ok(served) => {
                    slot.replace(served);
                    tracing::info!(model = %spec.name, from = %from, to = ?to, "reloaded: the model URI names another model now");
                }
                Err(e) => {
                    tracing::warn!(model = %spec.name, error = %format!("{e:#}"), "could not load the new model; still serving the old one")
                }
            }
        }
    }
}

/// Loads one resolved model and starts its inference threads. Its
/// version is the registry version, else the MLmodel's model id or uuid.
async fn load(
    spec: &ModelSpec,
    resolved: crate::resolve::Resolved,
    settings: &ScoringServerSettings,
) -> anyhow::Result<Served> {
    let load = settings.load.clone();
    let dir = resolved.dir.clone();
    let loaded = tokio::task::spawn_blocking(move || crate::serving::model_load::load(&dir, &load))
        .await
        .context("model loading task failed")??;
    let version = resolved
        .version
        .clone()
        .or_else(|| loaded.mlmodel.model_id.clone())
        .or_else(|| loaded.mlmodel.model_uuid.clone())
        .unwrap_or_else(|| "unknown".into());
    let labels = crate::telemetry::model_labels(&spec.name, &version);
    let (platform, inputs, outputs) = match &loaded.runtime {
        ModelRuntime::Native(f) => (f.backend_name(), f.inputs().to_vec(), f.outputs().to_vec()),
        ModelRuntime::Python(_) => (
            "python_function",
            io_specs(loaded.mlmodel.input_schema()),
            io_specs(
                loaded
                    .mlmodel
                    .signature
                    .as_ref()
                    .and_then(|s| s.outputs.as_ref()),
            ),
        ),
    };
    let info = crate::serving::v2::ModelInfo {
        name: spec.name.clone(),
        version,
        platform,
        named_inputs: match loaded.mlmodel.input_schema() {
            Some(schema) => schema.has_names(),
            None => inputs.len() > 1,
        },
        inputs,
        outputs,
    };
    let engine = match loaded.runtime {
        ModelRuntime::Native(flavor) => Engine::start(
            Arc::new(
                Scorer::new(loaded.mlmodel, flavor)
                    .with_max_rows(settings.max_rows)
                    .with_labels(labels.clone()),
            ),
            settings.load.sessions,
            settings.queue_len,
            settings.batching,
        ),
        ModelRuntime::Python(pool) => {
            let workers = pool.workers();
            Engine::start(
                Arc::new(PythonScorer {
                    pool,
                    labels: labels.clone(),
                }),
                workers,
                settings.queue_len,
                settings.batching,
            )
        }
    }
    .context("could not start inference threads")?;
    let mut origin = resolved.to_json();
    origin["served_as"] = spec.name.clone().into();
    Ok(Served::new(info, engine, labels, origin))
}
