//! `mlflowrs models build-docker` and `generate-dockerfile`.

use std::path::PathBuf;

use anyhow::Context;

use crate::cli::{BuildDockerArgs, GenerateDockerfileArgs, ImageArgs};
use crate::config::store_config;
use crate::docker::{self, ContextOptions};
use crate::resolve::Resolver;

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

async fn context_options(args: &ImageArgs) -> anyhow::Result<ContextOptions> {
    let resolved = Resolver::new(store_config(&args.store))
        .resolve(&args.model_uri)
        .await?;
    Ok(ContextOptions {
        model_dir: resolved.dir.clone(),
        model_uri: args.model_uri.clone(),
        model_version: resolved.version.clone(),
        base_image: args.base_image.clone(),
        ort_library: args.ort_library.clone(),
        python: args.python.clone(),
    })
}

pub fn build(args: &BuildDockerArgs) -> anyhow::Result<()> {
    let rt = runtime()?;
    rt.block_on(async {
        let opts = context_options(&args.image).await?;
        let dir = scratch_dir();
        let result = async {
            let started = std::time::Instant::now();
            let info = docker::context::write(&opts, &dir)?;
            let id = docker::build(&dir, &args.name, &info.base_image, &mut std::io::stderr())
                .await?;
            tracing::info!(image = %args.name, id = %id, flavor = info.flavor, base = %info.base_image, seconds = started.elapsed().as_secs_f64(), "image built");
            println!("{id}");
            anyhow::Ok(())
        }
        .await;
        let _ = std::fs::remove_dir_all(&dir);
        result
    })
}

pub fn generate(args: &GenerateDockerfileArgs) -> anyhow::Result<()> {
    let rt = runtime()?;
    let opts = rt.block_on(context_options(&args.image))?;
    let info = docker::context::write(&opts, &args.output_directory)
        .with_context(|| format!("writing {}", args.output_directory.display()))?;
    eprintln!(
        "wrote {}/Dockerfile ({} model, FROM {}); build it with: docker build -t NAME {}",
        args.output_directory.display(),
        info.flavor,
        info.base_image,
        args.output_directory.display()
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
