//! Scalers, the simple imputer and the one-hot encoder
//! (sklearn/preprocessing/_data.py, _encoders.py; sklearn/impute/_base.py).

use std::collections::HashMap;

use mlflowrs_flavor_api::DType;
use mlflowrs_skops::{ArrayData, JsonValue, Node, NodeKind};

use crate::error::{EvalError, SklearnError};
use crate::estimator::{Estimator, Transformer};
use crate::linear::{f64_array, fitted_features};
use crate::pyrepr::{py_float_repr, py_str_repr};
use crate::registry::{LoadCtx, Registry};
use crate::table::{Column, IntKind, Layout, NpDType, PyValue, Table, TableKind};
use crate::validate::{
    check_feature_names, check_finite, check_min_samples, check_n_features, validate_columns,
    FloatTarget, InputSpec, NanPolicy,
};

pub(crate) fn register(r: &mut Registry) {
    r.add("sklearn.preprocessing._data.StandardScaler", build_standard);
    r.add("sklearn.preprocessing._data.MinMaxScaler", build_minmax);
    r.add("sklearn.impute._base.SimpleImputer", build_imputer);
    r.add(
        "sklearn.preprocessing._encoders.OneHotEncoder",
        build_onehot,
    );
}

/// Refuses `set_output(transform="pandas")` and friends: sklearn would then
/// hand DataFrames between steps, which this crate does not model.
pub(crate) fn check_output_config(node: &Node) -> Result<(), SklearnError> {
    if let Some(cfg) = node.get("_sklearn_output_config") {
        if let Some(t) = cfg.get("transform") {
            if !t.str().is_ok_and(|s| s == "default") {
                return Err(SklearnError::unsupported(format!(
                    "{} with set_output(transform=...) is not served natively",
                    node.class()
                )));
            }
        }
    }
    Ok(())
}

fn float_spec(node: &Node, nan: NanPolicy) -> Result<InputSpec, SklearnError> {
    let (names, n) = fitted_features(node)?;
    Ok(InputSpec {
        estimator: node.class().to_owned(),
        feature_names_in: names,
        n_features_in: n,
        dtype: FloatTarget::Float64Or32,
        nan,
    })
}

/// An optional per-feature float64 vector (`None` for Python None).
fn opt_vec(node: &Node, attr: &str, n: usize) -> Result<Option<Vec<f64>>, SklearnError> {
    match node.get(attr) {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => {
            let (vals, shape) = f64_array(v, attr)?;
            if shape.as_slice() != [n] {
                return Err(SklearnError::invalid(format!(
                    "{}.{attr} has shape {shape:?}, expected [{n}]",
                    node.class()
                )));
            }
            Ok(Some(vals))
        }
    }
}

fn n_features(spec: &InputSpec, node: &Node) -> Result<usize, SklearnError> {
    spec.n_features_in
        .ok_or_else(|| SklearnError::invalid(format!("{} has no n_features_in_", node.class())))
}

/// Rounds to float32 when the array is float32 (numpy stores each result).
fn store(v: f64, f32: bool) -> f64 {
    if f32 {
        f64::from(v as f32)
    } else {
        v
    }
}

// ---- StandardScaler ------------------------------------------------------

#[derive(Debug)]
struct StandardScaler {
    spec: InputSpec,
    mean: Option<Vec<f64>>,
    scale: Option<Vec<f64>>,
}

fn build_standard(node: &Node, _ctx: &LoadCtx) -> Result<Estimator, SklearnError> {
    check_output_config(node)?;
    let spec = float_spec(node, NanPolicy::AllowNan)?;
    let n = n_features(&spec, node)?;
    let with_mean = node.attr("with_mean")?.bool()?;
    let with_std = node.attr("with_std")?.bool()?;
    let mean = if with_mean {
        opt_vec(node, "mean_", n)?
    } else {
        None
    };
    let scale = if with_std {
        opt_vec(node, "scale_", n)?
    } else {
        None
    };
    if with_mean && mean.is_none() {
        return Err(SklearnError::invalid("StandardScaler.mean_ is missing"));
    }
    Ok(Estimator::Transformer(Box::new(StandardScaler {
        spec,
        mean,
        scale,
    })))
}

impl Transformer for StandardScaler {
    fn name(&self) -> &str {
        "StandardScaler"
    }

    fn transform(&self, x: &Table) -> Result<Table, EvalError> {
        let mut m = validate_columns(x, &self.spec)?;
        let rows = m.rows;
        let f32 = m.f32;
        if m.layout == Layout::Sparse {
            if self.mean.is_some() {
                return Err(EvalError(
                    "Cannot center sparse matrices: pass `with_mean=False` instead. See \
                     docstring for motivation and alternatives."
                        .into(),
                ));
            }
            // inplace_column_scale(X, 1 / scale_): a multiplication.
            if let Some(scale) = &self.scale {
                for (j, col) in m.data.chunks_exact_mut(rows.max(1)).enumerate() {
                    let inv = 1.0 / scale[j];
                    for v in col.iter_mut().filter(|v| **v != 0.0) {
                        *v = store(*v * inv, f32);
                    }
                }
            }
            return Ok(m.into_table());
        }
        // `X -= mean_.astype(X.dtype)`; `X /= scale_.astype(X.dtype)`.
        for (j, col) in m.data.chunks_exact_mut(rows.max(1)).enumerate() {
            if let Some(mean) = &self.mean {
                let mj = store(mean[j], f32);
                col.iter_mut().for_each(|v| *v = store(*v - mj, f32));
            }
            if let Some(scale) = &self.scale {
                let sj = store(scale[j], f32);
                col.iter_mut().for_each(|v| *v = store(*v / sj, f32));
            }
        }
        Ok(m.into_table())
    }

    fn feature_names_in(&self) -> Option<&[String]> {
        self.spec.feature_names_in.as_deref()
    }

    fn n_features_in(&self) -> Option<usize> {
        self.spec.n_features_in
    }
}

// ---- MinMaxScaler --------------------------------------------------------

#[derive(Debug)]
struct MinMaxScaler {
    spec: InputSpec,
    scale: Vec<f64>,
    min: Vec<f64>,
    clip: Option<(f64, f64)>,
}

fn build_minmax(node: &Node, _ctx: &LoadCtx) -> Result<Estimator, SklearnError> {
    check_output_config(node)?;
    let spec = float_spec(node, NanPolicy::AllowNan)?;
    let n = n_features(&spec, node)?;
    let scale = opt_vec(node, "scale_", n)?
        .ok_or_else(|| SklearnError::invalid("MinMaxScaler.scale_ is missing"))?;
    let min = opt_vec(node, "min_", n)?
        .ok_or_else(|| SklearnError::invalid("MinMaxScaler.min_ is missing"))?;
    let clip = if node.get("clip").is_some_and(|c| c.bool().unwrap_or(false)) {
        let fr = node.attr("feature_range")?.seq()?;
        match fr {
            [lo, hi] => Some((lo.f64()?, hi.f64()?)),
            _ => return Err(SklearnError::invalid("MinMaxScaler.feature_range")),
        }
    } else {
        None
    };
    Ok(Estimator::Transformer(Box::new(MinMaxScaler {
        spec,
        scale,
        min,
        clip,
    })))
}

impl Transformer for MinMaxScaler {
    fn name(&self) -> &str {
        "MinMaxScaler"
    }

    fn transform(&self, x: &Table) -> Result<Table, EvalError> {
        if x.layout == Layout::Sparse && x.kind == TableKind::Array {
            return Err(EvalError(
                "Sparse data was passed for MinMaxScaler, but dense data is required. Use \
                 '.toarray()' to convert to a dense numpy array."
                    .into(),
            ));
        }
        let mut m = validate_columns(x, &self.spec)?;
        let rows = m.rows;
        let f32 = m.f32;
        for (j, col) in m.data.chunks_exact_mut(rows.max(1)).enumerate() {
            // In-place ops on a float32 X compute in float64 (the
            // attribute's dtype) and store float32.
            let (s, mn) = (self.scale[j], self.min[j]);
            for v in col.iter_mut() {
                *v = store(store(*v * s, f32) + mn, f32);
                if let Some((lo, hi)) = self.clip {
                    let (lo, hi) = (store(lo, f32), store(hi, f32));
                    if !v.is_nan() {
                        *v = v.max(lo).min(hi);
                    }
                }
            }
        }
        Ok(m.into_table())
    }

    fn feature_names_in(&self) -> Option<&[String]> {
        self.spec.feature_names_in.as_deref()
    }

    fn n_features_in(&self) -> Option<usize> {
        self.spec.n_features_in
    }
}

// ---- SimpleImputer -------------------------------------------------------

/// `missing_values` of a SimpleImputer.
#[derive(Debug, Clone, PartialEq)]
enum Missing {
    Nan,
    Number(f64),
    Str(String),
}

impl Missing {
    fn matches_f64(&self, v: f64) -> bool {
        match self {
            Missing::Nan => v.is_nan(),
            Missing::Number(m) => v == *m,
            Missing::Str(_) => false,
        }
    }

    /// `X == missing_values` (or `X != X` for NaN) on a Python object.
    fn matches_obj(&self, v: &PyValue) -> bool {
        match (self, v) {
            (Missing::Nan, PyValue::Float(f)) => f.is_nan(),
            (Missing::Nan, _) => false,
            (Missing::Number(m), PyValue::Float(f)) => f == m,
            (Missing::Number(m), PyValue::Int(i)) => (*i as f64) == *m,
            (Missing::Number(m), PyValue::Bool(b)) => f64::from(u8::from(*b)) == *m,
            (Missing::Str(s), PyValue::Str(t)) => s == t,
            _ => false,
        }
    }
}

#[derive(Debug)]
enum Statistics {
    /// Fitted on numeric data: one float64 per feature (NaN = no value seen,
    /// the feature is dropped), cast to the fit dtype.
    Numeric { values: Vec<f64>, fill: NpDType },
    /// Fitted on object data: one Python object per feature (`None` = no
    /// value seen).
    Object(Vec<Option<PyValue>>),
}

#[derive(Debug)]
struct SimpleImputer {
    names: Option<Vec<String>>,
    n_features: usize,
    strategy: String,
    missing: Missing,
    stats: Statistics,
    keep_empty: bool,
}

/// The dtype of a `DTypeNode` (`_fit_dtype`, `_fill_dtype`).
fn dtype_of(node: &Node) -> Result<NpDType, SklearnError> {
    let NodeKind::DType(content) = node.kind() else {
        return Err(SklearnError::unsupported(format!(
            "expected a dtype, found {}",
            node.describe()
        )));
    };
    if content.object_array().is_some() {
        return Ok(NpDType::Object);
    }
    let a = content
        .as_array()
        .ok_or_else(|| SklearnError::unsupported("dtype without array"))?;
    use mlflowrs_skops::ScalarType as S;
    Ok(match a.scalar_type() {
        Some(S::F64) => NpDType::F64,
        Some(S::F32) => NpDType::F32,
        Some(S::I64) => NpDType::Int(IntKind::I64),
        Some(S::I32) => NpDType::Int(IntKind::I32),
        Some(S::I16) => NpDType::Int(IntKind::I16),
        Some(S::I8) => NpDType::Int(IntKind::I8),
        Some(S::U64) => NpDType::Int(IntKind::U64),
        Some(S::U32) => NpDType::Int(IntKind::U32),
        Some(S::U16) => NpDType::Int(IntKind::U16),
        Some(S::U8) => NpDType::Int(IntKind::U8),
        Some(S::Bool) => NpDType::Bool,
        other => return Err(SklearnError::unsupported(format!("dtype {other:?}"))),
    })
}

fn py_of_json(v: &JsonValue) -> Option<PyValue> {
    Some(match v {
        JsonValue::Str(s) => PyValue::Str(s.clone()),
        JsonValue::Float(f) => PyValue::Float(*f),
        JsonValue::Int(i) => PyValue::Int(*i),
        JsonValue::Bool(b) => PyValue::Bool(*b),
        JsonValue::Null => PyValue::None,
        _ => return None,
    })
}

fn build_imputer(node: &Node, _ctx: &LoadCtx) -> Result<Estimator, SklearnError> {
    check_output_config(node)?;
    let (names, n) = fitted_features(node)?;
    let n_features =
        n.ok_or_else(|| SklearnError::invalid("SimpleImputer has no n_features_in_"))?;
    if node.attr("add_indicator")?.bool()? {
        return Err(SklearnError::unsupported(
            "SimpleImputer(add_indicator=True) is not served natively",
        ));
    }
    let strategy = node.attr("strategy")?.str()?.to_owned();
    if !matches!(
        strategy.as_str(),
        "mean" | "median" | "most_frequent" | "constant"
    ) {
        return Err(SklearnError::unsupported(format!(
            "SimpleImputer(strategy={strategy:?}) is not served natively"
        )));
    }
    let mv = node.attr("missing_values")?;
    let missing = match mv.as_json() {
        Some(JsonValue::Float(f)) if f.is_nan() => Missing::Nan,
        Some(JsonValue::Float(f)) => Missing::Number(*f),
        Some(JsonValue::Int(i)) => Missing::Number(*i as f64),
        Some(JsonValue::Str(s)) => Missing::Str(s.clone()),
        _ => {
            return Err(SklearnError::unsupported(format!(
                "SimpleImputer missing_values {}",
                mv.describe()
            )))
        }
    };
    let keep_empty = node
        .get("keep_empty_features")
        .is_some_and(|k| k.bool().unwrap_or(false));
    let fit_dtype = dtype_of(node.attr("_fit_dtype")?)?;
    let stats_node = node.attr("statistics_")?;
    let stats = if fit_dtype == NpDType::Object {
        let (items, shape) = stats_node.object_array().ok_or_else(|| {
            SklearnError::unsupported("SimpleImputer.statistics_ is not an object array")
        })?;
        if shape != [n_features] || items.len() != n_features {
            return Err(SklearnError::invalid(
                "SimpleImputer.statistics_ has the wrong length",
            ));
        }
        let vals = items
            .iter()
            .map(|it| {
                let v = it.as_json().and_then(py_of_json).ok_or_else(|| {
                    SklearnError::unsupported(format!("SimpleImputer statistic {}", it.describe()))
                })?;
                Ok(if v.is_nan_like() && !matches!(v, PyValue::None) {
                    None
                } else {
                    Some(v)
                })
            })
            .collect::<Result<Vec<_>, SklearnError>>()?;
        Statistics::Object(vals)
    } else {
        let fill = dtype_of(node.attr("_fill_dtype")?)?;
        // strategy="constant" keeps its statistics in an object array.
        let (values, shape) = match stats_node.object_array() {
            Some((items, shape)) => (
                items
                    .iter()
                    .map(|it| it.f64())
                    .collect::<Result<Vec<f64>, _>>()?,
                shape.to_vec(),
            ),
            None => f64_array(stats_node, "statistics_")?,
        };
        if shape != [n_features] {
            return Err(SklearnError::invalid(
                "SimpleImputer.statistics_ has the wrong length",
            ));
        }
        if fill == NpDType::Object || fill == NpDType::Bool {
            return Err(SklearnError::unsupported("SimpleImputer fill dtype"));
        }
        Statistics::Numeric { values, fill }
    };
    if let (Missing::Str(_), Statistics::Numeric { .. }) = (&missing, &stats) {
        return Err(SklearnError::unsupported(
            "string missing_values on numeric data",
        ));
    }
    Ok(Estimator::Transformer(Box::new(SimpleImputer {
        names,
        n_features,
        strategy,
        missing,
        stats,
        keep_empty,
    })))
}

impl SimpleImputer {
    fn nan_policy(&self) -> NanPolicy {
        if self.missing == Missing::Nan {
            NanPolicy::AllowNan
        } else {
            NanPolicy::Reject
        }
    }

    fn transform_numeric(
        &self,
        x: &Table,
        values: &[f64],
        fill: NpDType,
    ) -> Result<Table, EvalError> {
        let name = "SimpleImputer";
        check_feature_names(x, name, self.names.as_deref())?;
        crate::validate::check_2d(x, name)?;
        let orig = x.common_dtype();
        let mean_like = matches!(self.strategy.as_str(), "mean" | "median");
        // mean/median validate to FLOAT_DTYPES; the others keep X's dtype.
        let dtype = match (mean_like, orig) {
            (true, Some(NpDType::F32)) => NpDType::F32,
            (true, _) => NpDType::F64,
            (false, Some(NpDType::Object)) | (false, None) => {
                // dtype=None keeps an object array: NaN cells take the
                // statistic, strings stay for the next step to refuse.
                let stats: Vec<Option<PyValue>> = values
                    .iter()
                    .map(|&v| {
                        if v.is_nan() {
                            None
                        } else {
                            Some(PyValue::Float(match fill {
                                NpDType::F32 => store(v, true),
                                _ => v,
                            }))
                        }
                    })
                    .collect();
                return self.transform_object(x, &stats);
            }
            (false, Some(d)) => d,
        };
        if x.kind == TableKind::Array && orig == Some(NpDType::Unicode) && !mean_like {
            return Err(EvalError(
                "dtype='numeric' is not compatible with arrays of bytes/strings.Convert your data \
                 to numeric values explicitly instead."
                    .into(),
            ));
        }
        let m = crate::validate::to_matrix(x, FloatTarget::F64, name).map_err(|e| {
            if e.0.contains("could not convert") {
                EvalError(format!(
                    "Cannot use {} strategy with non-numeric data:\n{}",
                    self.strategy, e.0
                ))
            } else {
                e
            }
        })?;
        let f32 = dtype == NpDType::F32;
        let data: Vec<f64> = if f32 {
            m.data.iter().map(|&v| store(v, true)).collect()
        } else {
            m.data
        };
        check_finite(&data, f32, self.nan_policy(), name)?;
        check_min_samples(x, name)?;
        check_n_features(m.cols, name, Some(self.n_features))?;
        if dtype == NpDType::Bool {
            return Err(EvalError(
                "SimpleImputer does not support data with dtype bool. Please provide either a \
                 numeric array (with a floating point or integer dtype) or categorical data \
                 represented either as an array with integer dtype or an array of string values \
                 with an object dtype."
                    .into(),
            ));
        }
        let rows = m.rows;
        let cols = m.cols;
        let keep: Vec<usize> = (0..cols)
            .filter(|&j| self.keep_empty || !values[j].is_nan())
            .collect();
        // `statistics.astype(_fill_dtype)`, then stored into X's dtype.
        let cast_fill = |v: f64| -> f64 {
            match fill {
                NpDType::F32 => store(v, true),
                NpDType::Int(_) => {
                    if v.is_finite() {
                        v.trunc()
                    } else {
                        i64::MIN as f64
                    }
                }
                _ => v,
            }
        };
        let is_int = matches!(dtype, NpDType::Int(_));
        let columns = keep
            .iter()
            .map(|&j| {
                let stat = cast_fill(values[j]);
                let col = (0..rows).map(|i| {
                    let v = data[i * cols + j];
                    if self.missing.matches_f64(v) {
                        store(stat, f32)
                    } else {
                        v
                    }
                });
                match dtype {
                    NpDType::Int(k) if is_int => Column::Int(k, col.map(|v| v as i64).collect()),
                    NpDType::F32 => Column::F32(col.map(|v| v as f32).collect()),
                    _ => Column::F64(col.collect()),
                }
            })
            .collect();
        Ok(Table::array(rows, columns).with_layout(m.layout))
    }

    fn transform_object(&self, x: &Table, stats: &[Option<PyValue>]) -> Result<Table, EvalError> {
        let name = "SimpleImputer";
        check_feature_names(x, name, self.names.as_deref())?;
        crate::validate::check_2d(x, name)?;
        if self.missing != Missing::Nan {
            // ensure_all_finite=True on an object array: NaN is an error.
            for c in &x.columns {
                for i in 0..c.len() {
                    if c.py_value(i)
                        .is_some_and(|v| matches!(v, PyValue::Float(f) if f.is_nan()))
                    {
                        return Err(EvalError("Input contains NaN".into()));
                    }
                }
            }
        }
        check_min_samples(x, name)?;
        check_n_features(x.n_cols(), name, Some(self.n_features))?;
        let keep: Vec<usize> = (0..x.n_cols())
            .filter(|&j| self.keep_empty || stats.get(j).is_some_and(Option::is_some))
            .collect();
        let mut columns = Vec::with_capacity(keep.len());
        for &j in &keep {
            let c = &x.columns[j];
            let stat = stats
                .get(j)
                .cloned()
                .flatten()
                .unwrap_or(PyValue::Float(f64::NAN));
            let vals: Vec<PyValue> = (0..x.rows)
                .map(|i| {
                    let v = c.py_value(i).unwrap_or(PyValue::None);
                    if self.missing.matches_obj(&v) {
                        stat.clone()
                    } else {
                        v
                    }
                })
                .collect();
            columns.push(if vals.iter().all(|v| matches!(v, PyValue::Str(_))) {
                Column::Str(
                    vals.into_iter()
                        .map(|v| match v {
                            PyValue::Str(s) => s,
                            _ => String::new(),
                        })
                        .collect(),
                )
            } else {
                Column::Object(vals)
            });
        }
        let layout = if x.kind == TableKind::DataFrame {
            Layout::F
        } else {
            x.layout
        };
        Ok(Table::array(x.rows, columns).with_layout(layout))
    }
}

impl Transformer for SimpleImputer {
    fn name(&self) -> &str {
        "SimpleImputer"
    }

    fn transform(&self, x: &Table) -> Result<Table, EvalError> {
        match &self.stats {
            Statistics::Numeric { values, fill } => self.transform_numeric(x, values, *fill),
            Statistics::Object(stats) => self.transform_object(x, stats),
        }
    }

    fn feature_names_in(&self) -> Option<&[String]> {
        self.names.as_deref()
    }

    fn n_features_in(&self) -> Option<usize> {
        Some(self.n_features)
    }

    fn feature_dtypes(&self) -> Option<Vec<DType>> {
        match &self.stats {
            Statistics::Object(_) => Some(vec![DType::Str; self.n_features]),
            Statistics::Numeric { .. } => None,
        }
    }
}

// ---- OneHotEncoder -------------------------------------------------------

/// The categories of one feature.
#[derive(Debug, Clone)]
enum Categories {
    /// Sorted numbers (NaN last, if seen at fit).
    Numeric { values: Vec<f64>, int: bool },
    /// Python objects (strings; None/NaN last, if seen at fit).
    Object(Vec<PyValue>),
}

impl Categories {
    fn len(&self) -> usize {
        match self {
            Categories::Numeric { values, .. } => values.len(),
            Categories::Object(v) => v.len(),
        }
    }
}

/// Output element type (`OneHotEncoder(dtype=...)`).
#[derive(Debug, Clone, Copy)]
enum OutType {
    F64,
    F32,
    Int(IntKind),
    Bool,
}

#[derive(Debug)]
struct OneHotEncoder {
    names: Option<Vec<String>>,
    categories: Vec<Categories>,
    /// Index of each feature's category lookups for object categories.
    lookup: Vec<HashMap<String, usize>>,
    /// Per feature: the dropped category index (after grouping), if any.
    drop: Vec<Option<usize>>,
    /// Per feature: the output width.
    widths: Vec<usize>,
    ignore_unknown: bool,
    sparse: bool,
    out: OutType,
}

fn read_categories(node: &Node) -> Result<Categories, SklearnError> {
    if let Some((items, shape)) = node.object_array() {
        if shape.len() != 1 {
            return Err(SklearnError::invalid("categories_ entry is not 1-D"));
        }
        let vals = items
            .iter()
            .map(|it| {
                it.as_json().and_then(py_of_json).ok_or_else(|| {
                    SklearnError::unsupported(format!("OneHotEncoder category {}", it.describe()))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if vals
            .iter()
            .any(|v| matches!(v, PyValue::Int(_) | PyValue::Bool(_)))
        {
            return Err(SklearnError::unsupported(
                "OneHotEncoder object categories mixing numbers",
            ));
        }
        return Ok(Categories::Object(vals));
    }
    let a = node.array()?;
    if a.ndim() != 1 {
        return Err(SklearnError::invalid("categories_ entry is not 1-D"));
    }
    Ok(match a.data() {
        ArrayData::Str(v) => Categories::Object(v.iter().cloned().map(PyValue::Str).collect()),
        ArrayData::F64(v) => Categories::Numeric {
            values: v.clone(),
            int: false,
        },
        ArrayData::F32(v) => Categories::Numeric {
            values: v.iter().map(|&x| f64::from(x)).collect(),
            int: false,
        },
        ArrayData::Bool(_) => {
            return Err(SklearnError::unsupported(
                "OneHotEncoder with boolean categories",
            ))
        }
        other => Categories::Numeric {
            values: other
                .to_i64()
                .ok_or_else(|| SklearnError::unsupported(format!("categories_ {}", a.describe())))?
                .into_iter()
                .map(|i| i as f64)
                .collect(),
            int: true,
        },
    })
}

fn build_onehot(node: &Node, _ctx: &LoadCtx) -> Result<Estimator, SklearnError> {
    check_output_config(node)?;
    let (names, n) = fitted_features(node)?;
    if node
        .get("_infrequent_enabled")
        .is_some_and(|v| v.bool().unwrap_or(true))
    {
        return Err(SklearnError::unsupported(
            "OneHotEncoder with infrequent categories (min_frequency/max_categories) is not served natively",
        ));
    }
    let handle = node.attr("handle_unknown")?.str()?;
    let ignore_unknown = match handle {
        "error" => false,
        "ignore" | "infrequent_if_exist" | "warn" => true,
        other => {
            return Err(SklearnError::unsupported(format!(
                "OneHotEncoder(handle_unknown={other:?})"
            )))
        }
    };
    let categories = node
        .attr("categories_")?
        .seq()?
        .iter()
        .map(|c| read_categories(c))
        .collect::<Result<Vec<_>, _>>()?;
    let nf = categories.len();
    if n.is_some_and(|n| n != nf) {
        return Err(SklearnError::invalid(
            "OneHotEncoder.categories_ does not match n_features_in_",
        ));
    }
    let drop: Vec<Option<usize>> = match node.get("_drop_idx_after_grouping") {
        None => vec![None; nf],
        Some(d) if d.is_none() => vec![None; nf],
        Some(d) => {
            let vals: Vec<Option<usize>> = if let Some((items, _)) = d.object_array() {
                items
                    .iter()
                    .map(|it| {
                        if it.is_none() {
                            Ok(None)
                        } else {
                            usize::try_from(it.i64()?)
                                .map(Some)
                                .map_err(|_| SklearnError::invalid("negative drop index"))
                        }
                    })
                    .collect::<Result<_, SklearnError>>()?
            } else {
                d.array()?
                    .to_i64()?
                    .into_iter()
                    .map(|i| {
                        usize::try_from(i)
                            .map(Some)
                            .map_err(|_| SklearnError::invalid("negative drop index"))
                    })
                    .collect::<Result<_, _>>()?
            };
            if vals.len() != nf {
                return Err(SklearnError::invalid("OneHotEncoder drop indices length"));
            }
            vals
        }
    };
    for (c, d) in categories.iter().zip(&drop) {
        if d.is_some_and(|d| d >= c.len()) {
            return Err(SklearnError::invalid(
                "OneHotEncoder drop index out of range",
            ));
        }
    }
    let widths: Vec<usize> = categories
        .iter()
        .zip(&drop)
        .map(|(c, d)| c.len() - usize::from(d.is_some()))
        .collect();
    if let Some(w) = node.get("_n_features_outs") {
        let w: Vec<i64> = w.seq()?.iter().map(|v| v.i64()).collect::<Result<_, _>>()?;
        if w.len() != nf || w.iter().zip(&widths).any(|(a, &b)| *a != b as i64) {
            return Err(SklearnError::invalid(
                "OneHotEncoder._n_features_outs disagrees",
            ));
        }
    }
    let sparse = node.attr("sparse_output")?.bool()?;
    let dt = node.attr("dtype")?;
    let out = match dt.type_name().as_str() {
        "numpy.float64" | "builtins.float" => OutType::F64,
        "numpy.float32" => OutType::F32,
        "numpy.int64" | "builtins.int" => OutType::Int(IntKind::I64),
        "numpy.int32" => OutType::Int(IntKind::I32),
        "numpy.uint8" => OutType::Int(IntKind::U8),
        "numpy.bool" | "builtins.bool" => OutType::Bool,
        other => {
            return Err(SklearnError::unsupported(format!(
                "OneHotEncoder(dtype={other})"
            )))
        }
    };
    let lookup = categories
        .iter()
        .map(|c| match c {
            Categories::Object(v) => v
                .iter()
                .enumerate()
                .filter_map(|(i, p)| match p {
                    PyValue::Str(s) => Some((s.clone(), i)),
                    _ => None,
                })
                .collect(),
            Categories::Numeric { .. } => HashMap::new(),
        })
        .collect();
    Ok(Estimator::Transformer(Box::new(OneHotEncoder {
        names,
        categories,
        lookup,
        drop,
        widths,
        ignore_unknown,
        sparse,
        out,
    })))
}

/// numpy's repr of a float64 scalar inside a list: `np.float64(1.5)`.
fn np_float_repr(v: f64) -> String {
    format!("np.float64({})", py_float_repr(v))
}

impl OneHotEncoder {
    /// The category index of each row of feature `i`, `None` when unknown.
    fn encode(&self, i: usize, col: &Column, rows: usize) -> Result<Vec<Option<usize>>, EvalError> {
        let cats = &self.categories[i];
        let mut out = Vec::with_capacity(rows);
        let mut unknown_num: Vec<f64> = Vec::new();
        let mut unknown_obj: Vec<String> = Vec::new();
        let numeric_col = !matches!(col, Column::Str(_) | Column::Unicode(_) | Column::Object(_));
        for r in 0..rows {
            let idx = match (cats, numeric_col) {
                (Categories::Numeric { values, .. }, true) => {
                    let v = col.f64_at(r).map_err(EvalError)?;
                    let found = if v.is_nan() {
                        values.iter().position(|c| c.is_nan())
                    } else {
                        values.iter().position(|&c| c == v)
                    };
                    if found.is_none()
                        && !unknown_num
                            .iter()
                            .any(|u| u == &v || (u.is_nan() && v.is_nan()))
                    {
                        unknown_num.push(v);
                    }
                    found
                }
                (Categories::Object(values), false) => {
                    let v = col.py_value(r).unwrap_or(PyValue::None);
                    let found = match &v {
                        PyValue::Str(s) => self.lookup[i].get(s).copied(),
                        PyValue::Float(f) if f.is_nan() => values
                            .iter()
                            .position(|c| matches!(c, PyValue::Float(x) if x.is_nan())),
                        PyValue::None => values.iter().position(|c| matches!(c, PyValue::None)),
                        other => values.iter().position(|c| c == other),
                    };
                    if found.is_none() {
                        let repr = match &v {
                            PyValue::Str(s) => py_str_repr(s),
                            PyValue::Float(f) => py_float_repr(*f),
                            PyValue::Int(i) => i.to_string(),
                            PyValue::Bool(b) => {
                                if *b {
                                    "True".into()
                                } else {
                                    "False".into()
                                }
                            }
                            PyValue::None => "None".into(),
                        };
                        if !unknown_obj.contains(&repr) {
                            unknown_obj.push(repr);
                        }
                    }
                    found
                }
                _ => {
                    // A string column against numeric categories (or the
                    // reverse) only ever yields unknowns.
                    let repr = match col.py_value(r) {
                        Some(PyValue::Str(s)) => py_str_repr(&s),
                        Some(PyValue::Float(f)) => np_float_repr(f),
                        Some(PyValue::Int(i)) => format!("np.int64({i})"),
                        other => format!("{other:?}"),
                    };
                    if !unknown_obj.contains(&repr) {
                        unknown_obj.push(repr);
                    }
                    None
                }
            };
            out.push(idx);
        }
        if !self.ignore_unknown && (!unknown_num.is_empty() || !unknown_obj.is_empty()) {
            let diff = if unknown_obj.is_empty() {
                // np.unique order: sorted, NaN last.
                unknown_num.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Greater));
                let int = matches!(cats, Categories::Numeric { int: true, .. })
                    && matches!(col, Column::Int(..));
                unknown_num
                    .iter()
                    .map(|&v| {
                        if int {
                            format!("np.int64({})", v as i64)
                        } else {
                            np_float_repr(v)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                unknown_obj.join(", ")
            };
            return Err(EvalError(format!(
                "Found unknown categories [{diff}] in column {i} during transform"
            )));
        }
        Ok(out)
    }
}

impl Transformer for OneHotEncoder {
    fn name(&self) -> &str {
        "OneHotEncoder"
    }

    fn transform(&self, x: &Table) -> Result<Table, EvalError> {
        let name = "OneHotEncoder";
        crate::validate::check_2d(x, name)?;
        // _check_X: a DataFrame is checked column by column (allow-nan).
        for c in &x.columns {
            match c {
                Column::F64(v) if v.iter().any(|f| f.is_infinite()) => {
                    return Err(EvalError(
                        "Input contains infinity or a value too large for dtype('float64').".into(),
                    ))
                }
                Column::F32(v) if v.iter().any(|f| f.is_infinite()) => {
                    return Err(EvalError(
                        "Input contains infinity or a value too large for dtype('float32').".into(),
                    ))
                }
                _ => {}
            }
        }
        check_min_samples(x, name)?;
        check_feature_names(x, name, self.names.as_deref())?;
        check_n_features(x.n_cols(), name, Some(self.categories.len()))?;
        let rows = x.rows;
        let total: usize = self.widths.iter().sum();
        let mut hot: Vec<Vec<bool>> = vec![vec![false; rows]; total];
        let mut offset = 0;
        for (i, col) in x.columns.iter().enumerate() {
            let codes = self.encode(i, col, rows)?;
            let drop = self.drop[i];
            for (r, code) in codes.into_iter().enumerate() {
                if let Some(mut c) = code {
                    if drop == Some(c) {
                        continue;
                    }
                    if drop.is_some_and(|d| c > d) {
                        c -= 1;
                    }
                    if let Some(cell) = hot.get_mut(offset + c).and_then(|col| col.get_mut(r)) {
                        *cell = true;
                    }
                }
            }
            offset += self.widths[i];
        }
        let columns = hot
            .into_iter()
            .map(|h| match self.out {
                OutType::F64 => {
                    Column::F64(h.into_iter().map(|b| f64::from(u8::from(b))).collect())
                }
                OutType::F32 => {
                    Column::F32(h.into_iter().map(|b| f32::from(u8::from(b))).collect())
                }
                OutType::Int(k) => Column::Int(k, h.into_iter().map(i64::from).collect()),
                OutType::Bool => Column::Bool(h),
            })
            .collect();
        let layout = if self.sparse {
            Layout::Sparse
        } else {
            Layout::C
        };
        Ok(Table::array(rows, columns).with_layout(layout))
    }

    fn feature_names_in(&self) -> Option<&[String]> {
        self.names.as_deref()
    }

    fn n_features_in(&self) -> Option<usize> {
        Some(self.categories.len())
    }

    fn feature_dtypes(&self) -> Option<Vec<DType>> {
        Some(
            self.categories
                .iter()
                .map(|c| match c {
                    Categories::Object(_) => DType::Str,
                    Categories::Numeric { int: true, .. } => DType::I64,
                    Categories::Numeric { .. } => DType::F64,
                })
                .collect(),
        )
    }
}
