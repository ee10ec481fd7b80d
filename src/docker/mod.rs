//! `models build-docker` and `models generate-dockerfile`: small model
//! images, built through the Docker Engine API (no `docker` CLI needed).

pub mod context;

use std::io::Write;
use std::path::Path;

use bollard::query_parameters::BuildImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;

pub use context::{ContextInfo, ContextOptions};

#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error("cannot reach the Docker engine ({0}); is it running, and is DOCKER_HOST right?")]
    NoDaemon(String),
    #[error("the model cannot be packaged: {0}")]
    Model(String),
    #[error("could not assemble the build context: {0}")]
    Context(String),
    #[error("the base image {0} is not available to the Docker engine (it cannot be pulled here); build or load it first, or pass another --base-image")]
    NoBaseImage(String),
    #[error("the image build failed: {0}")]
    Build(String),
}

impl DockerError {
    /// Exit codes of `build-docker` (README, "Docker images").
    pub fn exit_code(&self) -> u8 {
        match self {
            DockerError::NoDaemon(_) => 30,
            DockerError::Model(_) => 31,
            DockerError::Context(_) => 32,
            DockerError::NoBaseImage(_) => 33,
            DockerError::Build(_) => 34,
        }
    }
}

/// Packs a context directory as the tar stream the engine builds from.
fn tar_context(dir: &Path) -> Result<Vec<u8>, DockerError> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    builder
        .append_dir_all(".", dir)
        .and_then(|()| builder.finish())
        .map_err(|e| DockerError::Context(format!("packing {}: {e}", dir.display())))?;
    builder
        .into_inner()
        .map_err(|e| DockerError::Context(e.to_string()))
}

/// Builds `tag` from a context directory, streaming the engine's output to
/// `progress` as `docker build` shows it. Returns the image id.
pub async fn build(
    dir: &Path,
    tag: &str,
    base_image: &str,
    progress: &mut dyn Write,
) -> Result<String, DockerError> {
    let docker = Docker::connect_with_local_defaults()
        .map_err(|e| DockerError::NoDaemon(e.to_string()))?
        .negotiate_version()
        .await
        .map_err(|e| DockerError::NoDaemon(e.to_string()))?;
    docker
        .version()
        .await
        .map_err(|e| DockerError::NoDaemon(e.to_string()))?;
    if base_image != "scratch" && docker.inspect_image(base_image).await.is_err() {
        return Err(DockerError::NoBaseImage(base_image.to_string()));
    }
    let body = tar_context(dir)?;
    let opts = BuildImageOptionsBuilder::default()
        .dockerfile("Dockerfile")
        .t(tag)
        .rm(true)
        .forcerm(true)
        .build();
    let mut stream = docker.build_image(opts, None, Some(bollard::body_full(body.into())));
    let mut id = None;
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| DockerError::Build(e.to_string()))?;
        if let Some(detail) = info.error_detail.and_then(|d| d.message) {
            return Err(DockerError::Build(detail));
        }
        if let Some(text) = info.stream {
            let _ = progress.write_all(text.as_bytes());
            let _ = progress.flush();
        }
        if let Some(aux) = info.aux.and_then(|a| a.id) {
            id = Some(aux);
        }
    }
    match id {
        Some(id) => Ok(id),
        None => docker
            .inspect_image(tag)
            .await
            .ok()
            .and_then(|i| i.id)
            .ok_or_else(|| DockerError::Build("the engine reported no image".into())),
    }
}
