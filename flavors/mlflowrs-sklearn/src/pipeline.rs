//! `Pipeline` (sklearn/pipeline.py): transforms through every step but the
//! last, then calls the last step's method.

use mlflowrs_flavor_api::{DType, Tensor};
use mlflowrs_skops::Node;

use crate::error::{EvalError, SklearnError};
use crate::estimator::{Estimator, Method, Predictor, Transformer};
use crate::preprocessing::check_output_config;
use crate::registry::{LoadCtx, Registry};
use crate::table::Table;

pub(crate) fn register(r: &mut Registry) {
    r.add("sklearn.pipeline.Pipeline", build_pipeline);
}

#[derive(Debug)]
struct Pipeline {
    transforms: Vec<Box<dyn Transformer>>,
    last: Box<dyn Predictor>,
}

/// True for a 'passthrough' or None step.
fn is_passthrough(node: &Node) -> bool {
    node.is_none() || node.str().is_ok_and(|s| s == "passthrough")
}

fn build_pipeline(node: &Node, ctx: &LoadCtx) -> Result<Estimator, SklearnError> {
    check_output_config(node)?;
    let steps = node.attr("steps")?.seq()?;
    let mut estimators = Vec::new();
    for step in steps {
        let est = match step.seq()? {
            [_, e] => e,
            _ => {
                return Err(SklearnError::invalid(
                    "Pipeline step is not a (name, estimator) pair",
                ))
            }
        };
        if !is_passthrough(est) {
            check_output_config(est)?;
        }
        estimators.push(est);
    }
    let Some((last, init)) = estimators.split_last() else {
        return Err(SklearnError::invalid("Pipeline without steps"));
    };
    let mut transforms = Vec::new();
    for est in init {
        if !is_passthrough(est) {
            transforms.push(ctx.build_transformer(est)?);
        }
    }
    if is_passthrough(last) {
        // Only `transform` exists (a predict on it fails in sklearn too).
        return Ok(Estimator::Transformer(Box::new(TransformPipeline {
            transforms,
        })));
    }
    match ctx.build(last)? {
        Estimator::Predictor(last) => Ok(Estimator::Predictor(Box::new(Pipeline {
            transforms,
            last,
        }))),
        Estimator::Transformer(last) => {
            transforms.push(last);
            Ok(Estimator::Transformer(Box::new(TransformPipeline {
                transforms,
            })))
        }
    }
}

/// A Pipeline of transformers only (e.g. inside a ColumnTransformer):
/// `transform` chains every step.
#[derive(Debug)]
struct TransformPipeline {
    transforms: Vec<Box<dyn Transformer>>,
}

impl Transformer for TransformPipeline {
    fn name(&self) -> &str {
        "Pipeline"
    }

    fn transform(&self, x: &Table) -> Result<Table, EvalError> {
        let mut out = x.clone();
        for t in &self.transforms {
            out = t.transform(&out)?;
        }
        Ok(out)
    }

    fn feature_names_in(&self) -> Option<&[String]> {
        self.transforms.first().and_then(|t| t.feature_names_in())
    }

    fn n_features_in(&self) -> Option<usize> {
        self.transforms.first().and_then(|t| t.n_features_in())
    }

    fn feature_dtypes(&self) -> Option<Vec<DType>> {
        self.transforms.first().and_then(|t| t.feature_dtypes())
    }
}

impl Predictor for Pipeline {
    fn name(&self) -> &str {
        "Pipeline"
    }

    fn supports(&self, method: Method) -> bool {
        self.last.supports(method)
    }

    fn call(&self, method: Method, x: &Table) -> Result<Tensor, EvalError> {
        let mut owned;
        let mut xt = x;
        for t in &self.transforms {
            owned = t.transform(xt)?;
            xt = &owned;
        }
        self.last.call(method, xt)
    }

    fn feature_names_in(&self) -> Option<&[String]> {
        match self.transforms.first() {
            Some(t) => t.feature_names_in(),
            None => self.last.feature_names_in(),
        }
    }

    fn n_features_in(&self) -> Option<usize> {
        match self.transforms.first() {
            Some(t) => t.n_features_in(),
            None => self.last.n_features_in(),
        }
    }

    fn feature_dtypes(&self) -> Option<Vec<DType>> {
        match self.transforms.first() {
            Some(t) => t.feature_dtypes(),
            None => self.last.feature_dtypes(),
        }
    }

    fn output_dtype(&self, method: Method) -> Option<DType> {
        self.last.output_dtype(method)
    }
}
