use clap::Parser;

use mlflowrs::cli::{Cli, Command, ModelsCommand, UiCommand};
use mlflowrs::commands;
use mlflowrs::docker::DockerError;
use mlflowrs::resolve::ResolveError;
use mlflowrs::settings::{
    HealthcheckSettings, ImageSettings, PredictSettings, ResolveSettings, ScoringServerSettings,
    SettingsError, TrackingServerSettings, UiFetchSettings,
};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    mlflowrs::telemetry::init_logging(&cli.logging.log);
    if let Command::Run(args) = &cli.command {
        return run_project(args);
    }
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(exit_code(&e))
        }
    }
}

/// `mlflowrs run` answers as `mlflow run` does: click's usage block and
/// exit 2 for a usage error, its own lines and exit codes otherwise.
fn run_project(args: &mlflowrs::cli::RunArgs) -> std::process::ExitCode {
    let settings = match mlflowrs::settings::RunSettings::from_args(args) {
        Ok(s) => s,
        Err(SettingsError::Usage { command, message }) => {
            eprintln!("Usage: mlflowrs {command}\nTry 'mlflowrs run --help' for help.\n\nError: {message}");
            return std::process::ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    std::process::ExitCode::from(runtime.block_on(commands::run::run(settings)))
}

/// Settings are validated before anything starts; then the one runtime
/// runs the command (the healthcheck, run every few seconds inside images,
/// needs none).
fn run(cli: Cli) -> anyhow::Result<()> {
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    };
    match cli.command {
        Command::Models(ModelsCommand::Serve(args)) => {
            let settings = ScoringServerSettings::from_args(&args)?;
            let resolver =
                std::sync::Arc::new(mlflowrs::resolve::Resolver::new(settings.stores.clone()));
            runtime()?.block_on(commands::scoring_server::run(settings, resolver))
        }
        Command::Models(ModelsCommand::Predict(args)) => {
            let settings = PredictSettings::from_args(&args)?;
            runtime()?.block_on(commands::predict::run(settings))
        }
        Command::Models(ModelsCommand::Resolve(args)) => {
            let settings = ResolveSettings::from_args(&args)?;
            runtime()?.block_on(commands::resolve::run(settings))
        }
        Command::Models(ModelsCommand::BuildDocker(args)) => {
            let settings = ImageSettings::build(&args)?;
            runtime()?.block_on(commands::docker::run(settings))
        }
        Command::Models(ModelsCommand::GenerateDockerfile(args)) => {
            let settings = ImageSettings::dockerfile(&args)?;
            runtime()?.block_on(commands::docker::run(settings))
        }
        Command::Healthcheck(args) => {
            commands::healthcheck::run(&HealthcheckSettings::from_args(&args)?)
        }
        Command::Server(args) => {
            let settings = TrackingServerSettings::from_args(&args)?;
            runtime()?.block_on(commands::tracking_server::run(settings))
        }
        Command::Ui(UiCommand::Fetch(args)) => {
            let settings = UiFetchSettings::from_args(&args)?;
            runtime()?.block_on(commands::ui_fetch::run(settings))
        }
        // Answered by run_project before the runtime starts.
        Command::Run(_) => Ok(()),
    }
}

/// A model-URI or Docker failure exits with its own code
/// (docs/exit-codes.md); anything else with 1.
fn exit_code(e: &anyhow::Error) -> u8 {
    e.chain()
        .find_map(|cause| {
            cause
                .downcast_ref::<ResolveError>()
                .or_else(|| match cause.downcast_ref::<SettingsError>() {
                    Some(SettingsError::Uri(r)) => Some(r),
                    _ => None,
                })
                .map(ResolveError::exit_code)
                .or_else(|| {
                    cause
                        .downcast_ref::<DockerError>()
                        .map(DockerError::exit_code)
                })
        })
        .unwrap_or(1)
}
