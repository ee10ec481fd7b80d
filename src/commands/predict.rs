//! `mlflowrs models predict`: one scoring request read from a file.

use std::io::{Read, Write};

use anyhow::Context;

use crate::cli::{InputType, PredictArgs};
use crate::config::{load_options, store_config};
use mlflowrs_protocol::{CONTENT_TYPE_CSV, CONTENT_TYPE_JSON};

use crate::resolve::Resolver;
use crate::scoring::{BatchScorer as _, Scorer};
use crate::serving::model_load::ModelRuntime;
use crate::serving::python_scorer::PythonScorer;

pub fn run(args: &PredictArgs) -> anyhow::Result<()> {
    let [uri] = args.model.model_uri.as_slice() else {
        anyhow::bail!(
            "predict scores one model; got {} -m values",
            args.model.model_uri.len()
        );
    };
    let resolver = Resolver::new(store_config(&args.model.store));
    let resolved = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(resolver.resolve(uri))?;
    let loaded =
        crate::serving::model_load::load(&resolved.dir, &load_options(&args.model, Some(1))?)?;
    let mut input = Vec::new();
    match &args.input_path {
        Some(p) => {
            input = std::fs::read(p).with_context(|| format!("could not read {}", p.display()))?
        }
        None => {
            std::io::stdin()
                .read_to_end(&mut input)
                .context("could not read standard input")?;
        }
    }
    let content_type = match args.content_type {
        InputType::Json => CONTENT_TYPE_JSON,
        InputType::Csv => CONTENT_TYPE_CSV,
    };
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
    match &args.output_path {
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
