//! SimpleImputer.

use super::common::*;

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

pub(super) fn build_imputer(node: &Node, _ctx: &LoadCtx) -> Result<Estimator, SklearnError> {
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
