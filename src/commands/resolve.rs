//! `mlflowrs models resolve`: what a model URI names, and where its files are.

use crate::resolve::Resolver;
use crate::settings::ResolveSettings;

pub async fn run(settings: ResolveSettings) -> anyhow::Result<()> {
    let resolved = Resolver::new(settings.stores)
        .resolve(&settings.model_uri)
        .await?;
    println!("{}", serde_json::to_string_pretty(&resolved.to_json())?);
    Ok(())
}
