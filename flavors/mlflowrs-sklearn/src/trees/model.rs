//! The [`Predictor`] every tree model is served through: input validation
//! as the estimator's own `predict` does it, the evaluator, and the output
//! in sklearn's shape and dtype.

use mlflowrs_flavor_api::{DType, Tensor, TensorData};

use super::forest::TreeEnsemble;
use super::gb::{GbLoss, GradientBoosting};
use super::hgb::HistGradientBoosting;
use super::hgb_pre::HgbPreprocessor;
use super::npmath;
use crate::classes::Classes;
use crate::error::EvalError;
use crate::estimator::{Method, Predictor};
use crate::table::Table;
use crate::validate::{validate, InputSpec};

#[derive(Debug)]
pub(crate) enum Evaluator {
    Ensemble(TreeEnsemble),
    Gb(GradientBoosting),
    Hgb(HistGradientBoosting),
}

/// The labels of a classifier, one [`Classes`] per output.
#[derive(Debug)]
pub(crate) struct Labels {
    pub per_output: Vec<Classes>,
    /// numpy `<U{n}` width of `classes_[0]`: a multi-output `predict` writes
    /// every output's labels into an array of that dtype, which truncates.
    pub unicode_width: Option<usize>,
}

#[derive(Debug)]
pub(crate) struct TreeModel {
    pub name: String,
    pub spec: InputSpec,
    pub eval: Evaluator,
    pub labels: Option<Labels>,
    pub pre: Option<HgbPreprocessor>,
    /// Input dtypes to advertise (string columns of a categorical model).
    pub feature_dtypes: Option<Vec<DType>>,
}

fn tensor(shape: Vec<usize>, data: TensorData) -> Result<Tensor, EvalError> {
    Tensor::new(shape, data).map_err(EvalError::new)
}

impl TreeModel {
    fn n_outputs(&self) -> usize {
        match &self.eval {
            Evaluator::Ensemble(e) => e.n_outputs(),
            _ => 1,
        }
    }

    fn is_classifier(&self) -> bool {
        self.labels.is_some()
    }

    /// `classes_[idx]` per output, `[rows]` or `[rows, n_outputs]`.
    fn labels_for(&self, idx: &[usize], rows: usize) -> Result<Tensor, EvalError> {
        let labels = self
            .labels
            .as_ref()
            .ok_or_else(|| EvalError::new("not a classifier"))?;
        let k = labels.per_output.len();
        if k == 1 {
            return tensor(vec![rows], labels.per_output[0].take(idx));
        }
        let columns: Vec<TensorData> = labels
            .per_output
            .iter()
            .enumerate()
            .map(|(o, c)| {
                let col: Vec<usize> = idx.iter().skip(o).step_by(k).copied().collect();
                c.take(&col)
            })
            .collect();
        let data = interleave(columns, rows, labels.unicode_width)
            .ok_or_else(|| EvalError::new("outputs have labels of different dtypes"))?;
        tensor(vec![rows, k], data)
    }

    fn proba(&self, x: &Table) -> Result<(Vec<f64>, usize, usize), EvalError> {
        let (rows, width, p) = match &self.eval {
            Evaluator::Ensemble(e) => {
                let m = validate(x, &self.spec)?;
                let p = e.combined(&m.to_f32());
                (m.rows, e.n_classes().map_or(0, |c| c.iter().sum()), p)
            }
            Evaluator::Gb(g) => {
                let m = validate(x, &self.spec)?;
                let raw = g.raw(&m.to_f32());
                let p = g.proba(&raw);
                (m.rows, p.len() / m.rows.max(1), p)
            }
            Evaluator::Hgb(h) => {
                let (rows, data) = self.hgb_input(x)?;
                let raw = h.raw(&data);
                let p = h.proba(&raw);
                (rows, p.len() / rows.max(1), p)
            }
        };
        Ok((p, rows, width))
    }

    /// X for a HistGradientBoosting model: through its categorical
    /// preprocessor, or `validate_data(dtype=[float64],
    /// ensure_all_finite=False)`.
    fn hgb_input(&self, x: &Table) -> Result<(usize, Vec<f64>), EvalError> {
        match &self.pre {
            Some(pre) => Ok((x.rows, pre.transform(x)?)),
            None => {
                let m = validate(x, &self.spec)?;
                Ok((m.rows, m.data))
            }
        }
    }

    fn predict(&self, x: &Table) -> Result<Tensor, EvalError> {
        match &self.eval {
            Evaluator::Ensemble(e) => {
                let m = validate(x, &self.spec)?;
                let out = e.combined(&m.to_f32());
                if self.is_classifier() {
                    self.labels_for(&e.class_indices(&out), m.rows)
                } else if e.n_outputs() == 1 {
                    tensor(vec![m.rows], TensorData::F64(out))
                } else {
                    tensor(vec![m.rows, e.n_outputs()], TensorData::F64(out))
                }
            }
            Evaluator::Gb(g) => {
                let m = validate(x, &self.spec)?;
                let raw = g.raw(&m.to_f32());
                if g.loss() == GbLoss::Regression {
                    tensor(vec![m.rows], TensorData::F64(raw))
                } else {
                    self.labels_for(&g.class_indices(&raw), m.rows)
                }
            }
            Evaluator::Hgb(h) => {
                let (rows, data) = self.hgb_input(x)?;
                let raw = h.raw(&data);
                if self.is_classifier() {
                    self.labels_for(&h.class_indices(&raw), rows)
                } else {
                    tensor(vec![rows], TensorData::F64(h.regress(raw)))
                }
            }
        }
    }
}

impl Predictor for TreeModel {
    fn name(&self) -> &str {
        &self.name
    }

    fn supports(&self, method: Method) -> bool {
        match method {
            Method::Predict => true,
            // Several outputs give a list of arrays, which is not one tensor.
            Method::PredictProba => self.is_classifier() && self.n_outputs() == 1,
            // HistGradientBoostingClassifier has no predict_log_proba.
            Method::PredictLogProba => {
                self.is_classifier()
                    && self.n_outputs() == 1
                    && !matches!(self.eval, Evaluator::Hgb(_))
            }
        }
    }

    fn call(&self, method: Method, x: &Table) -> Result<Tensor, EvalError> {
        if !self.supports(method) {
            return Err(EvalError::new(format!(
                "'{}' object has no attribute '{}'",
                self.name,
                method.name()
            )));
        }
        match method {
            Method::Predict => self.predict(x),
            Method::PredictProba | Method::PredictLogProba => {
                let (mut p, rows, width) = self.proba(x)?;
                if method == Method::PredictLogProba {
                    npmath::np_log(&mut p);
                }
                tensor(vec![rows, width], TensorData::F64(p))
            }
        }
    }

    fn feature_names_in(&self) -> Option<&[String]> {
        match &self.pre {
            Some(pre) => pre.feature_names_in(),
            None => self.spec.feature_names_in.as_deref(),
        }
    }

    fn n_features_in(&self) -> Option<usize> {
        match &self.pre {
            Some(pre) => Some(pre.n_features_in()),
            None => self.spec.n_features_in,
        }
    }

    fn feature_dtypes(&self) -> Option<Vec<DType>> {
        self.feature_dtypes.clone()
    }

    fn output_dtype(&self, method: Method) -> Option<DType> {
        match (method, &self.labels) {
            (Method::Predict, Some(l)) => l.per_output.first().map(|c| c.labels().dtype()),
            _ => Some(DType::F64),
        }
    }
}

/// Row-major `[rows, outputs]` labels from one column per output, all of
/// one dtype (`None` otherwise). Strings are cut to `width` characters, as
/// numpy does when it stores them into a `<U{width}` array.
fn interleave(columns: Vec<TensorData>, rows: usize, width: Option<usize>) -> Option<TensorData> {
    macro_rules! zip_columns {
        ($var:ident, $fix:expr) => {{
            let cols: Vec<&Vec<_>> = columns
                .iter()
                .map(|c| match c {
                    TensorData::$var(v) if v.len() == rows => Some(v),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            let mut out = Vec::with_capacity(rows * cols.len());
            for r in 0..rows {
                for c in &cols {
                    out.push($fix(c[r].clone()));
                }
            }
            TensorData::$var(out)
        }};
    }
    fn keep<T>(v: T) -> T {
        v
    }
    Some(match columns.first()? {
        TensorData::Bool(_) => zip_columns!(Bool, keep),
        TensorData::I8(_) => zip_columns!(I8, keep),
        TensorData::I16(_) => zip_columns!(I16, keep),
        TensorData::I32(_) => zip_columns!(I32, keep),
        TensorData::I64(_) => zip_columns!(I64, keep),
        TensorData::U8(_) => zip_columns!(U8, keep),
        TensorData::U16(_) => zip_columns!(U16, keep),
        TensorData::U32(_) => zip_columns!(U32, keep),
        TensorData::U64(_) => zip_columns!(U64, keep),
        TensorData::F32(_) => zip_columns!(F32, keep),
        TensorData::F64(_) => zip_columns!(F64, keep),
        TensorData::Str(_) => zip_columns!(Str, |s: String| match width {
            Some(w) => s.chars().take(w).collect(),
            None => s,
        }),
    })
}
