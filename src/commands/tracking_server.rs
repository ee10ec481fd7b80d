//! `mlflowrs server`.

use std::sync::Arc;

use anyhow::Context;

use mlflowrs_tracking::Server;

use crate::settings::TrackingServerSettings;

pub async fn run(settings: TrackingServerSettings) -> anyhow::Result<()> {
    let TrackingServerSettings {
        tracking: settings,
        addr,
    } = settings;
    let header_timeout = settings.header_timeout;
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
    crate::listener::serve(
        listener,
        mlflowrs_tracking::router(Arc::new(server)),
        header_timeout,
        crate::listener::shutdown_signal(),
    )
    .await;
    Ok(())
}
