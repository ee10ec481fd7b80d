//! ONNX models through tract: pure Rust, so a binary serves them with no
//! ONNX Runtime library on the machine.
//!
//! tract's optimised plan is immutable and shared: every call spawns its own
//! cheap run state, so concurrent requests need no lock and no session pool.

mod convert;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlflowrs_flavor_api::{Batch, Flavor, FlavorError, IoSpec, Named};
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;
use tract_onnx::tract_hir::internal::{GenericFactoid, InferenceFact};
use tract_onnx::tract_hir::ops::unimpl::UnimplementedOp;

type Plan = Arc<TypedRunnableModel>;

/// Errors of this crate: a model tract cannot load or run.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TractError {
    /// Operators missing from tract's registry (ZipMap, TreeEnsembleRegressor, ...).
    #[error("could not load ONNX model '{path}' with tract: it uses operator(s) tract cannot run: {ops}; serve it with --onnx-backend ort (ONNX Runtime) instead")]
    Unsupported { path: PathBuf, ops: String },
    #[error("could not load ONNX model '{path}' with tract: {message}")]
    Load { path: PathBuf, message: String },
}

impl From<TractError> for FlavorError {
    fn from(e: TractError) -> Self {
        FlavorError::Load(e.to_string())
    }
}

/// An ONNX model as one optimised tract plan.
pub struct TractModel {
    plan: Plan,
    inputs: Vec<IoSpec>,
    outputs: Vec<IoSpec>,
}

impl TractModel {
    pub fn load(model_file: &Path) -> Result<TractModel, TractError> {
        let load_err = |e: TractError_| TractError::Load {
            path: model_file.to_path_buf(),
            message: format!("{e:#}"),
        };
        let mut model = tract_onnx::onnx()
            .model_for_path(model_file)
            .map_err(load_err)?;
        let unsupported = unsupported_ops(&model);
        if !unsupported.is_empty() {
            return Err(TractError::Unsupported {
                path: model_file.to_path_buf(),
                ops: unsupported.join(", "),
            });
        }
        let inputs = symbolic_inputs(&mut model).map_err(load_err)?;
        let typed = model.into_optimized().map_err(load_err)?;
        let outputs = typed
            .output_outlets()
            .map_err(load_err)?
            .iter()
            .map(|&o| {
                let fact = typed.outlet_fact(o)?;
                Ok(IoSpec {
                    name: typed
                        .outlet_label(o)
                        .unwrap_or(&typed.node(o.node).name)
                        .to_string(),
                    dtype: convert::dtype_of(fact.datum_type),
                    shape: fact
                        .shape
                        .iter()
                        .map(|d| d.to_i64().unwrap_or(-1))
                        .collect(),
                })
            })
            .collect::<TractResult<Vec<IoSpec>>>()
            .map_err(load_err)?;
        let plan = typed.into_runnable().map_err(load_err)?;
        Ok(TractModel {
            plan,
            inputs,
            outputs,
        })
    }
}

type TractError_ = tract_onnx::prelude::TractError;

/// The distinct operator types tract loaded as placeholders it cannot run.
fn unsupported_ops(model: &InferenceModel) -> Vec<String> {
    let mut ops: Vec<String> = model
        .nodes()
        .iter()
        .filter(|n| n.op_is::<UnimplementedOp>())
        .map(|n| {
            let name = n.op.name();
            name.strip_prefix("Unimplemented(")
                .and_then(|s| s.strip_suffix(')'))
                .unwrap_or(&name)
                .to_string()
        })
        .collect();
    ops.sort();
    ops.dedup();
    ops
}

/// Gives every unknown input dimension its own symbol so that one optimised
/// plan serves any batch size. Inputs do not share a batch symbol: ONNX
/// Runtime broadcasts a 1-row input against an N-row one, and so must tract.
fn symbolic_inputs(model: &mut InferenceModel) -> TractResult<Vec<IoSpec>> {
    let mut specs = Vec::new();
    for ix in 0..model.input_outlets()?.len() {
        let outlet = model.input_outlets()?[ix];
        let name = model
            .outlet_label(outlet)
            .unwrap_or(&model.node(outlet.node).name)
            .to_string();
        let fact = model.input_fact(ix)?.clone();
        let dt = fact.datum_type.concretize();
        if fact.shape.is_open() {
            return anyhow_bail(format!("input '{name}' has no known rank"));
        }
        let dims: Vec<TDim> = fact
            .shape
            .dims()
            .enumerate()
            .map(|(axis, d)| match d {
                GenericFactoid::Only(d) => d.clone(),
                GenericFactoid::Any if axis == 0 => model.symbols.new_with_prefix("N").into(),
                GenericFactoid::Any => model.symbols.new_with_prefix("d").into(),
            })
            .collect();
        let shape = dims.iter().map(|d| d.to_i64().unwrap_or(-1)).collect();
        let new_fact = match dt {
            Some(dt) => InferenceFact::dt_shape(dt, dims),
            None => InferenceFact::shape(dims),
        };
        model.set_input_fact(ix, new_fact)?;
        specs.push(IoSpec {
            name,
            dtype: dt.and_then(convert::dtype_of),
            shape,
        });
    }
    Ok(specs)
}

fn anyhow_bail<T>(message: String) -> TractResult<T> {
    Err(TractError_::msg(message))
}

impl Flavor for TractModel {
    fn backend_name(&self) -> &'static str {
        "onnx-tract"
    }

    fn inputs(&self) -> &[IoSpec] {
        &self.inputs
    }

    fn outputs(&self) -> &[IoSpec] {
        &self.outputs
    }

    fn predict(&self, batch: Batch) -> Result<Vec<Named>, FlavorError> {
        // tract takes its inputs by position; requests name them.
        let mut values: TVec<TValue> = TVec::with_capacity(self.inputs.len());
        for spec in &self.inputs {
            let (_, t) = batch
                .feeds
                .iter()
                .find(|(n, _)| *n == spec.name)
                .ok_or_else(|| FlavorError::Inference(format!("Missing Input: {}", spec.name)))?;
            values.push(convert::to_tract(&spec.name, spec, t)?.into_tvalue());
        }
        let outputs = self
            .plan
            .run(values)
            .map_err(|e| FlavorError::Inference(format!("{e:#}")))?;
        self.outputs
            .iter()
            .zip(outputs)
            .map(|(spec, v)| Ok((spec.name.clone(), convert::from_tract(&spec.name, &v)?)))
            .collect()
    }
}
