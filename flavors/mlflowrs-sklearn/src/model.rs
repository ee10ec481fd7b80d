//! [`SklearnModel`]: the [`Flavor`] the serving core loads.

use std::path::Path;

use mlflowrs_flavor_api::{Batch, DType, Flavor, FlavorError, IoSpec, Named, Tensor};
use mlflowrs_skops::{Archive, Limits};

use crate::error::SklearnError;
use crate::estimator::{Method, Predictor};
use crate::input::table_from_batch;
use crate::registry::LoadCtx;

/// How to load a model, from the MLmodel file's flavors.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    /// `flavors.python_function.predict_fn` (default `predict`).
    pub predict_fn: String,
    /// `flavors.sklearn.serialization_format`; MLflow reads a missing value
    /// as `pickle`.
    pub serialization_format: Option<String>,
    /// `flavors.sklearn.skops_trusted_types` (`None` for YAML null).
    pub skops_trusted_types: Option<Vec<String>>,
    /// Whether to reproduce skops's trust audit: a file skops would refuse
    /// with `skops_trusted_types` is then [`SklearnError::Unsupported`], so
    /// the Python fallback reports skops's own error.
    pub check_trusted_types: bool,
    pub limits: Limits,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            predict_fn: "predict".into(),
            serialization_format: Some("skops".into()),
            skops_trusted_types: None,
            check_trusted_types: true,
            limits: Limits::default(),
        }
    }
}

/// Refuses the formats only Python can read: `pickle` and `cloudpickle`
/// (also a missing format, which MLflow reads as pickle).
pub fn check_serialization_format(format: Option<&str>) -> Result<(), SklearnError> {
    match format {
        Some("skops") => Ok(()),
        Some(f @ ("pickle" | "cloudpickle")) => Err(SklearnError::unsupported(format!(
            "serialization_format {f:?} needs Python to unpickle the model"
        ))),
        None => Err(SklearnError::unsupported(
            "no serialization_format: MLflow reads the model as a pickle",
        )),
        Some(f) => Err(SklearnError::unsupported(format!(
            "serialization_format {f:?} is not served natively"
        ))),
    }
}

/// A scikit-learn model evaluated natively.
#[derive(Debug)]
pub struct SklearnModel {
    root: Box<dyn Predictor>,
    method: Method,
    inputs: Vec<IoSpec>,
    outputs: Vec<IoSpec>,
}

impl SklearnModel {
    /// Loads `model.skops` for `predict_fn`, without the trusted-types audit
    /// (see [`SklearnModel::load_with`]).
    pub fn load(model_file: &Path, predict_fn: &str) -> Result<SklearnModel, SklearnError> {
        SklearnModel::load_with(
            model_file,
            &LoadOptions {
                predict_fn: predict_fn.to_owned(),
                check_trusted_types: false,
                ..LoadOptions::default()
            },
        )
    }

    /// Loads `model.skops` with the MLmodel's options.
    pub fn load_with(model_file: &Path, opts: &LoadOptions) -> Result<SklearnModel, SklearnError> {
        check_serialization_format(opts.serialization_format.as_deref())?;
        let method = Method::from_predict_fn(&opts.predict_fn).ok_or_else(|| {
            SklearnError::unsupported(format!(
                "predict_fn {:?} is not served natively",
                opts.predict_fn
            ))
        })?;
        let meta = std::fs::metadata(model_file)
            .map_err(|e| SklearnError::Io(format!("{}: {e}", model_file.display())))?;
        if meta.len() > opts.limits.max_total_bytes {
            return Err(SklearnError::invalid(format!(
                "{} is larger than the size limit",
                model_file.display()
            )));
        }
        let bytes = std::fs::read(model_file)
            .map_err(|e| SklearnError::Io(format!("{}: {e}", model_file.display())))?;
        SklearnModel::from_bytes(&bytes, method, opts)
    }

    /// Loads a skops archive held in memory.
    pub fn from_bytes(
        bytes: &[u8],
        method: Method,
        opts: &LoadOptions,
    ) -> Result<SklearnModel, SklearnError> {
        let archive = Archive::from_bytes_with_limits(bytes, &opts.limits)?;
        let registry = crate::catalog::registry();
        if let Some(reason) = registry.first_unknown(&archive.types()) {
            return Err(SklearnError::Unsupported(reason));
        }
        if opts.check_trusted_types {
            let trusted = opts.skops_trusted_types.clone().unwrap_or_default();
            let untrusted = archive.untrusted_types(&trusted);
            if !untrusted.is_empty() {
                return Err(SklearnError::unsupported(format!(
                    "skops refuses the untrusted types {untrusted:?} (not in skops_trusted_types)"
                )));
            }
        }
        let ctx = LoadCtx::new(registry);
        let root = ctx.build_predictor(archive.root())?;
        if !root.supports(method) {
            return Err(SklearnError::unsupported(format!(
                "{} has no {} method",
                root.name(),
                method.name()
            )));
        }
        let dtypes = root.feature_dtypes();
        let inputs = match (root.feature_names_in(), root.n_features_in()) {
            (Some(names), _) => names
                .iter()
                .enumerate()
                .map(|(i, n)| IoSpec {
                    name: n.clone(),
                    dtype: Some(
                        dtypes
                            .as_ref()
                            .and_then(|d| d.get(i).copied())
                            .unwrap_or(DType::F64),
                    ),
                    shape: vec![-1],
                })
                .collect(),
            (None, n) => vec![IoSpec {
                name: String::new(),
                dtype: Some(DType::F64),
                shape: vec![-1, n.map_or(-1, |n| n as i64)],
            }],
        };
        let outputs = vec![IoSpec {
            name: "predictions".into(),
            dtype: root.output_dtype(method),
            shape: vec![-1],
        }];
        tracing::debug!(
            estimator = root.name(),
            method = method.name(),
            "sklearn model loaded natively"
        );
        Ok(SklearnModel {
            root,
            method,
            inputs,
            outputs,
        })
    }

    /// The method `predict` runs.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The final estimator (for diagnostics).
    pub fn estimator(&self) -> &dyn Predictor {
        self.root.as_ref()
    }

    /// Runs the model on X given as a [`crate::Table`].
    pub fn predict_table(&self, x: &crate::Table) -> Result<Tensor, FlavorError> {
        self.root.call(self.method, x).map_err(FlavorError::from)
    }
}

impl Flavor for SklearnModel {
    fn backend_name(&self) -> &'static str {
        "sklearn-native"
    }

    fn inputs(&self) -> &[IoSpec] {
        &self.inputs
    }

    fn outputs(&self) -> &[IoSpec] {
        &self.outputs
    }

    fn predict(&self, batch: Batch) -> Result<Vec<Named>, FlavorError> {
        let x = table_from_batch(batch)?;
        let out = self.predict_table(&x)?;
        Ok(vec![("predictions".to_owned(), out)])
    }
}
