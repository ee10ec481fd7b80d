//! `mlflowrs models build-docker` and `generate-dockerfile`.

use std::path::PathBuf;

use anyhow::Context;

use crate::docker::{self, ContextOptions};
use crate::resolve::Resolver;
use crate::settings::{ImageSettings, ImageTarget};

pub async fn run(settings: ImageSettings) -> anyhow::Result<()> {
    let resolved = Resolver::new(settings.stores)
        .resolve(&settings.model_uri)
        .await?;
    let opts = ContextOptions {
        model_dir: resolved.dir.clone(),
        model_uri: settings.model_uri.clone(),
        model_version: resolved.version.clone(),
        base_image: settings.base_image,
        ort_library: settings.ort_library,
        python: settings.python,
        onnx_backend: settings.onnx_backend,
    };
    match settings.target {
        ImageTarget::Build { name } => build(&opts, &name).await,
        ImageTarget::Dockerfile { output_directory } => dockerfile(&opts, &output_directory),
    }
}

async fn build(opts: &ContextOptions, name: &str) -> anyhow::Result<()> {
    let dir = scratch_dir();
    let result = async {
        let started = std::time::Instant::now();
        let info = docker::context::write(opts, &dir)?;
        let id = docker::build(&dir, name, &info.base_image, &mut std::io::stderr()).await?;
        tracing::info!(image = %name, id = %id, flavor = info.flavor, base = %info.base_image, seconds = started.elapsed().as_secs_f64(), "image built");
        println!("{id}");
        anyhow::Ok(())
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn dockerfile(opts: &ContextOptions, output_directory: &std::path::Path) -> anyhow::Result<()> {
    let info = docker::context::write(opts, output_directory)
        .with_context(|| format!("writing {}", output_directory.display()))?;
    eprintln!(
        "wrote {}/Dockerfile ({} model, FROM {}); build it with: docker build -t NAME {}",
        output_directory.display(),
        info.flavor,
        info.base_image,
        output_directory.display()
    );
    Ok(())
}

fn scratch_dir() -> PathBuf {
    std::env::temp_dir().join(format!(
        "mlflowrs-image-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ))
}
