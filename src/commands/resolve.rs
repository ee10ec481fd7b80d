//! `mlflowrs models resolve`: what a model URI names, and where its files are.

use crate::cli::ResolveArgs;
use crate::config::store_config;
use crate::resolve::Resolver;

pub fn run(args: &ResolveArgs) -> anyhow::Result<()> {
    crate::resolve::uri::parse(&args.model_uri)?;
    let resolver = Resolver::new(store_config(&args.store));
    let resolved = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(resolver.resolve(&args.model_uri))?;
    println!("{}", serde_json::to_string_pretty(&resolved.to_json())?);
    Ok(())
}
