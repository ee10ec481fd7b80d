//! `mlflowrs models predict`: one scoring request read from a file.

use std::io::{Read, Write};

use anyhow::Context;

use crate::resolve::Resolver;
use crate::scoring::{BatchScorer as _, Scorer};
use crate::serving::model_load::ModelRuntime;
use crate::serving::python_scorer::PythonScorer;
use crate::settings::PredictSettings;

pub async fn run(settings: PredictSettings) -> anyhow::Result<()> {
    let resolved = Resolver::new(settings.stores)
        .resolve(&settings.model_uri)
        .await?;
    let loaded = crate::serving::model_load::load(&resolved.dir, &settings.load)?;
    let mut input = Vec::new();
    match &settings.input_path {
        Some(p) => {
            input = std::fs::read(p).with_context(|| format!("could not read {}", p.display()))?
        }
        None => {
            std::io::stdin()
                .read_to_end(&mut input)
                .context("could not read standard input")?;
        }
    }
    let content_type = settings.content_type;
    let reply = match loaded.runtime {
        ModelRuntime::Native(flavor) => {
            Scorer::new(loaded.mlmodel, flavor).invocations(Some(content_type), &input)
        }
        ModelRuntime::Python(pool) => {
            let scorer = PythonScorer {
                pool,
                labels: Vec::new(),
            };
            match scorer.prepare(Some(content_type), &bytes::Bytes::from(input)) {
                Ok(request) => scorer.run_batch(vec![request]).remove(0),
                Err(reply) => reply,
            }
        }
    };
    if reply.status != 200 {
        anyhow::bail!(
            "prediction failed ({}): {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
    }
    match &settings.output_path {
        Some(p) => std::fs::write(p, &reply.body)
            .with_context(|| format!("could not write {}", p.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&reply.body)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}
