//! The binaries `build-docker` puts into images, `mlflowrs-image-ort` and
//! `mlflowrs-image-tract`: the image's entrypoint (`models serve`) and its
//! health check (`healthcheck`), with only the backends the image serves.
//! Nothing in them reaches the tracking server, projects, the UI, the
//! model stores (an image's model is a local directory: `LocalOnly`) or the
//! backends left out, so the linker drops that code; built on their own
//! (this crate's Cargo.toml), they carry no tract or candle unless asked,
//! whatever features the `mlflowrs` beside them has.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use mlflowrs::cli::{HealthcheckArgs, LogArgs, ServeArgs};
use mlflowrs::serving::model_load::NativeBackends;
use mlflowrs::settings::{HealthcheckSettings, ScoringServerSettings};

/// The two commands of `mlflowrs`'s CLI an image runs, parsed by the same
/// argument definitions; defined apart so that the definitions, help and
/// parsing of every other command are not linked into the image.
#[derive(Debug, Parser)]
#[command(
    name = "mlflowrs",
    version,
    about = "mlflowrs in a model image: models serve and healthcheck"
)]
struct ImageCli {
    #[command(flatten)]
    logging: LogArgs,
    #[command(subcommand)]
    command: ImageCommand,
}

// Parsed once per process; boxing the big variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum ImageCommand {
    /// Serve the image's model.
    #[command(subcommand)]
    Models(ImageModelsCommand),
    /// Exit 0 when a URL answers 200 (the image's HEALTHCHECK).
    Healthcheck(HealthcheckArgs),
}

#[derive(Debug, Subcommand)]
enum ImageModelsCommand {
    /// Serve a model over MLflow's scoring protocol.
    #[command(disable_help_flag = true)]
    Serve(ServeArgs),
}

pub fn main(backends: NativeBackends) -> ExitCode {
    let cli = ImageCli::parse();
    mlflowrs::telemetry::init_logging(&cli.logging.log);
    let result = match cli.command {
        ImageCommand::Models(ImageModelsCommand::Serve(args)) => {
            ScoringServerSettings::with_backends(&args, backends)
                .map_err(anyhow::Error::from)
                .and_then(|settings| {
                    tokio::runtime::Builder::new_multi_thread()
                        .enable_all()
                        .build()?
                        .block_on(mlflowrs::commands::scoring_server::run(
                            settings,
                            std::sync::Arc::new(mlflowrs::resolve::LocalOnly),
                        ))
                })
        }
        ImageCommand::Healthcheck(args) => HealthcheckSettings::from_args(&args)
            .map_err(anyhow::Error::from)
            .and_then(|settings| mlflowrs::commands::healthcheck::run(&settings)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
