//! `mlflowrs server`.

use std::sync::Arc;

use anyhow::Context;

use mlflowrs_tracking::Server;

use crate::settings::TrackingServerSettings;

pub async fn run(settings: TrackingServerSettings) -> anyhow::Result<()> {
    let TrackingServerSettings {
        tracking: mut settings,
        addr,
        ui_bundle,
        virtual_env,
        ui_cache_dir,
        connection,
    } = settings;
    settings.ui = ui_bundle_to_serve(ui_bundle.as_deref(), virtual_env.as_deref(), &ui_cache_dir)?;
    let prefix = settings.static_prefix.clone();
    let has_ui = settings.ui.is_some();
    let started = std::time::Instant::now();
    if settings.serve_artifacts {
        std::fs::create_dir_all(&settings.artifacts_destination).with_context(|| {
            format!(
                "artifacts destination {}",
                settings.artifacts_destination.display()
            )
        })?;
    }
    let runtime = tokio::runtime::Handle::current();
    let store = mlflowrs_protocol::display::redact(&settings.backend_store_uri);
    let server = tokio::task::spawn_blocking(move || Server::open(settings, runtime))
        .await?
        .with_context(|| format!("backend store {store}"))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(%addr, store = %store, startup_ms = started.elapsed().as_millis() as u64, "tracking server ready");
    let host = match addr.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    if has_ui {
        tracing::info!("MLflow UI at http://{host}:{}{prefix}/", addr.port());
    }
    crate::listener::serve(
        listener,
        mlflowrs_tracking::router(Arc::new(server)),
        connection,
        crate::listener::shutdown_signal(),
    )
    .await;
    Ok(())
}

/// The UI to serve, with a log line naming where it came from and its MLflow
/// version, or saying how to get one.
fn ui_bundle_to_serve(
    named: Option<&std::path::Path>,
    virtual_env: Option<&std::path::Path>,
    cache_dir: &std::path::Path,
) -> anyhow::Result<Option<Arc<mlflowrs_ui::Bundle>>> {
    let located = mlflowrs_ui::locate(named, virtual_env, cache_dir).context("--ui-bundle")?;
    let Some(located) = located else {
        tracing::warn!(
            "no MLflow UI found: `/` explains how to get one (`mlflowrs ui fetch`, `pip install mlflow=={}`, or --ui-bundle)",
            mlflowrs_ui::MLFLOW_VERSION
        );
        return Ok(None);
    };
    let version = located.bundle.version().unwrap_or("unknown");
    tracing::info!(
        source = %located.origin,
        path = %located.bundle.path().display(),
        mlflow_version = version,
        "serving MLflow's web UI"
    );
    if version != mlflowrs_ui::MLFLOW_VERSION {
        tracing::warn!(
            "this UI is MLflow {version}'s; mlflowrs answers the calls of MLflow {}'s UI, so some pages may not work",
            mlflowrs_ui::MLFLOW_VERSION
        );
    }
    Ok(Some(Arc::new(located.bundle)))
}
