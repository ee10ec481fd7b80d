use clap::Parser;

use mlflowrs::cli::{Cli, Command, ModelsCommand};
use mlflowrs::config::ServeConfig;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&cli.log).unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
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
    }
}
