use clap::Parser;

use mlflowrs::cli::{Cli, Command, ModelsCommand};
use mlflowrs::config::{ConfigError, ServeConfig};
use mlflowrs::docker::DockerError;
use mlflowrs::resolve::ResolveError;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&cli.log).unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal: not in files, pipes or journald.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(exit_code(&e))
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Models(ModelsCommand::Serve(args)) => {
            let config = ServeConfig::from_args(&args)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(mlflowrs::commands::serve::run(config))
        }
        Command::Models(ModelsCommand::Predict(args)) => mlflowrs::commands::predict::run(&args),
        Command::Models(ModelsCommand::Resolve(args)) => mlflowrs::commands::resolve::run(&args),
        Command::Models(ModelsCommand::BuildDocker(args)) => {
            mlflowrs::commands::docker::build(&args)
        }
        Command::Models(ModelsCommand::GenerateDockerfile(args)) => {
            mlflowrs::commands::docker::generate(&args)
        }
        Command::Healthcheck(args) => mlflowrs::commands::healthcheck::run(&args),
        Command::Server(args) => {
            let (settings, addr) = mlflowrs::config::tracking_settings(&args)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(mlflowrs::commands::server::run(settings, addr))
        }
    }
}

/// A model-URI failure exits with its own code (README, "Exit codes"); anything else with 1.
fn exit_code(e: &anyhow::Error) -> u8 {
    e.chain()
        .find_map(|cause| {
            cause
                .downcast_ref::<ResolveError>()
                .or_else(|| match cause.downcast_ref::<ConfigError>() {
                    Some(ConfigError::Uri(r)) => Some(r),
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
