//! The binaries `build-docker` puts into images, `mlflowrs-image-ort` and
//! `mlflowrs-image-tract`: the image's entrypoint (`models serve`) and its
//! health check (`healthcheck`), with only the backends the image serves.
//! Nothing in them reaches the tracking server, projects, the UI, the
//! model stores (an image's model is a local directory: `LocalOnly`) or the
//! backends left out, so the linker drops that code; built on their own
//! (this crate's Cargo.toml), they carry no tract or candle unless asked,
//! whatever features the `mlflowrs` beside them has.

use std::process::ExitCode;

use clap::Parser;

use mlflowrs::cli::{Cli, Command, ModelsCommand};
use mlflowrs::serving::model_load::NativeBackends;
use mlflowrs::settings::{HealthcheckSettings, ScoringServerSettings};

pub fn main(backends: NativeBackends) -> ExitCode {
    let cli = Cli::parse();
    mlflowrs::telemetry::init_logging(&cli.log);
    let result = match cli.command {
        Command::Models(ModelsCommand::Serve(args)) => {
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
        Command::Healthcheck(args) => HealthcheckSettings::from_args(&args)
            .map_err(anyhow::Error::from)
            .and_then(|settings| mlflowrs::commands::healthcheck::run(&settings)),
        _ => Err(anyhow::anyhow!(
            "this is the mlflowrs of a model image: it runs `models serve` and `healthcheck` only"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
