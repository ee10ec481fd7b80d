//! OneHotEncoder.

use super::common::*;

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

pub(super) fn build_onehot(node: &Node, _ctx: &LoadCtx) -> Result<Estimator, SklearnError> {
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
