//! `ColumnTransformer` (sklearn/compose/_column_transformer.py) and the
//! identity `FunctionTransformer` it uses for "passthrough" columns.

use std::collections::BTreeSet;

use mlflowrs_flavor_api::DType;
use mlflowrs_skops::{Node, NodeKind};

use crate::error::{EvalError, SklearnError};
use crate::estimator::{Estimator, Transformer};
use crate::linear::fitted_features;
use crate::preprocessing::check_output_config;
use crate::pyrepr::py_str_repr;
use crate::registry::{LoadCtx, Registry};
use crate::table::{Column, Layout, NpDType, Table, TableKind};
use crate::validate::check_n_features;

pub(crate) fn register(r: &mut Registry) {
    r.add(
        "sklearn.compose._column_transformer.ColumnTransformer",
        build_ct,
    );
    r.add(
        "sklearn.preprocessing._function_transformer.FunctionTransformer",
        build_identity,
    );
}

/// `FunctionTransformer()` without a function and without validation: X
/// passes through unchanged (a DataFrame stays a DataFrame).
#[derive(Debug)]
struct Identity {
    names: Option<Vec<String>>,
    n: Option<usize>,
}

fn build_identity(node: &Node, _ctx: &LoadCtx) -> Result<Estimator, SklearnError> {
    check_output_config(node)?;
    if !node.attr("func")?.is_none() {
        return Err(SklearnError::unsupported(
            "FunctionTransformer with a function is not served natively",
        ));
    }
    if node
        .get("validate")
        .is_some_and(|v| v.bool().unwrap_or(true))
    {
        return Err(SklearnError::unsupported(
            "FunctionTransformer(validate=True) is not served natively",
        ));
    }
    let (names, n) = fitted_features(node)?;
    Ok(Estimator::Transformer(Box::new(Identity { names, n })))
}

impl Transformer for Identity {
    fn name(&self) -> &str {
        "FunctionTransformer"
    }

    fn transform(&self, x: &Table) -> Result<Table, EvalError> {
        Ok(x.clone())
    }

    fn feature_names_in(&self) -> Option<&[String]> {
        self.names.as_deref()
    }

    fn n_features_in(&self) -> Option<usize> {
        self.n
    }
}

/// One fitted entry of `transformers_`.
#[derive(Debug)]
struct Part {
    name: String,
    transformer: Box<dyn Transformer>,
    /// Input column positions (`_transformer_to_input_indices`).
    indices: Vec<usize>,
    /// The selection was given by column names (needs a DataFrame when
    /// columns cannot be matched by label).
    by_name: bool,
}

#[derive(Debug)]
struct ColumnTransformer {
    names: Option<Vec<String>>,
    n_features: usize,
    parts: Vec<Part>,
    /// Names of all non-dropped input columns, for the "columns are
    /// missing" check.
    used_names: Vec<String>,
    sparse_output: bool,
}

fn build_ct(node: &Node, ctx: &LoadCtx) -> Result<Estimator, SklearnError> {
    check_output_config(node)?;
    let (names, n) = fitted_features(node)?;
    let n_features =
        n.ok_or_else(|| SklearnError::invalid("ColumnTransformer has no n_features_in_"))?;
    if !node.attr("transformer_weights")?.is_none() {
        return Err(SklearnError::unsupported(
            "ColumnTransformer(transformer_weights=...) is not served natively",
        ));
    }
    let sparse_output = node.attr("sparse_output_")?.bool()?;
    let index_map = node.attr("_transformer_to_input_indices")?;
    let mut parts = Vec::new();
    let mut used = BTreeSet::new();
    for entry in node.attr("transformers_")?.seq()? {
        let (name, trans, cols) = match entry.seq()? {
            [a, b, c] => (a.str()?.to_owned(), b, c),
            _ => {
                return Err(SklearnError::invalid(
                    "ColumnTransformer.transformers_ entry",
                ))
            }
        };
        let indices: Vec<usize> = index_map
            .get(&name)
            .ok_or_else(|| SklearnError::invalid(format!("no input indices for {name:?}")))?
            .seq()?
            .iter()
            .map(|i| {
                usize::try_from(i.i64()?)
                    .ok()
                    .filter(|&i| i < n_features)
                    .ok_or_else(|| SklearnError::invalid("column index out of range"))
            })
            .collect::<Result<_, SklearnError>>()?;
        if matches!(trans.as_json(), Some(mlflowrs_skops::JsonValue::Str(s)) if s == "drop") {
            continue;
        }
        if let Some(j) = trans.as_json() {
            return Err(SklearnError::unsupported(format!(
                "ColumnTransformer transformer {j:?} is not served natively"
            )));
        }
        let by_name = match cols.kind() {
            NodeKind::Json(mlflowrs_skops::JsonValue::Str(_)) => {
                return Err(SklearnError::unsupported(
                    "ColumnTransformer with a scalar column selection is not served natively",
                ))
            }
            NodeKind::Json(mlflowrs_skops::JsonValue::Int(_)) => {
                return Err(SklearnError::unsupported(
                    "ColumnTransformer with a scalar column selection is not served natively",
                ))
            }
            NodeKind::List(v) | NodeKind::Tuple(v) => v.first().is_some_and(|c| c.str().is_ok()),
            NodeKind::ObjectArray { .. } => true,
            NodeKind::Array(a) => a.as_str().is_some(),
            NodeKind::Slice { .. } => false,
            _ => {
                return Err(SklearnError::unsupported(format!(
                    "ColumnTransformer column selection {}",
                    cols.describe()
                )))
            }
        };
        // skip_empty_columns: an empty list or an all-False mask.
        let empty = match cols.kind() {
            NodeKind::List(v) | NodeKind::Tuple(v) => {
                v.is_empty() || v.iter().all(|c| c.bool().is_ok_and(|b| !b))
            }
            NodeKind::Array(a) => a.is_empty() || a.as_bool().is_some_and(|b| b.iter().all(|x| !x)),
            _ => false,
        };
        if empty {
            continue;
        }
        let transformer = ctx.build_transformer(trans)?;
        used.extend(indices.iter().copied());
        parts.push(Part {
            name,
            transformer,
            indices,
            by_name,
        });
    }
    let used_names = match &names {
        Some(n) => used.iter().filter_map(|&i| n.get(i).cloned()).collect(),
        None => Vec::new(),
    };
    Ok(Estimator::Transformer(Box::new(ColumnTransformer {
        names,
        n_features,
        parts,
        used_names,
        sparse_output,
    })))
}

/// Whether an output block is C- and/or F-contiguous, as numpy sees it.
fn flags(t: &Table) -> (bool, bool) {
    if t.n_cols() <= 1 || t.rows <= 1 {
        return (true, true);
    }
    match (t.kind, t.layout) {
        (TableKind::DataFrame, _) | (_, Layout::F) => (false, true),
        _ => (true, false),
    }
}

impl Transformer for ColumnTransformer {
    fn name(&self) -> &str {
        "ColumnTransformer"
    }

    fn transform(&self, x: &Table) -> Result<Table, EvalError> {
        let by_label = self.names.is_some() && x.kind == TableKind::DataFrame;
        if by_label {
            let given = x.names.as_deref().unwrap_or(&[]);
            let missing: Vec<&String> = self
                .used_names
                .iter()
                .filter(|n| !given.contains(n))
                .collect();
            if !missing.is_empty() {
                let set: Vec<String> = missing.iter().map(|s| py_str_repr(s)).collect();
                return Err(EvalError(format!(
                    "columns are missing: {{{}}}",
                    set.join(", ")
                )));
            }
        } else {
            crate::validate::check_2d(x, "ColumnTransformer")?;
            check_n_features(x.n_cols(), "ColumnTransformer", Some(self.n_features))?;
        }
        let mut outputs = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            let sub = if by_label {
                // Select by label: the fitted names of this part's columns.
                let fitted = self.names.as_deref().unwrap_or(&[]);
                let given = x.names.as_deref().unwrap_or(&[]);
                let idx: Vec<usize> = part
                    .indices
                    .iter()
                    .filter_map(|&i| fitted.get(i))
                    .filter_map(|n| given.iter().position(|g| g == n))
                    .collect();
                x.select(&idx)
            } else {
                if part.by_name && x.kind != TableKind::DataFrame {
                    return Err(EvalError(
                        "Specifying the columns using strings is only supported for dataframes."
                            .into(),
                    ));
                }
                x.select(&part.indices)
            };
            let out = part.transformer.transform(&sub)?;
            if out.ndim != 2 {
                return Err(EvalError(format!(
                    "The output of the '{}' transformer should be 2D (numpy array, scipy sparse array, dataframe).",
                    part.name
                )));
            }
            outputs.push(out);
        }
        if outputs.is_empty() {
            return Ok(Table::array(x.rows, Vec::new()));
        }
        if self.sparse_output {
            let mut cols = Vec::new();
            for t in outputs {
                let dt = t.common_dtype();
                let numeric = t
                    .columns
                    .iter()
                    .all(|c| !matches!(c, Column::Str(_) | Column::Unicode(_) | Column::Object(_)));
                if !numeric {
                    // check_array(dtype="numeric") converts object to float64.
                    let m = crate::validate::to_columns(&t, crate::validate::FloatTarget::F64, "")
                        .map_err(|_| {
                            EvalError(
                                "For a sparse output, all columns should be a numeric or convertible to a numeric."
                                    .into(),
                            )
                        })?;
                    cols.extend(m.into_table().columns);
                } else {
                    let _ = dt;
                    cols.extend(t.columns);
                }
            }
            return Ok(
                Table::hstack(x.rows, vec![Table::array(x.rows, cols)]).with_layout(Layout::Sparse)
            );
        }
        let all_f = outputs.iter().all(|t| flags(t).1);
        let all_c = outputs.iter().all(|t| flags(t).0);
        let layout = if all_f && !all_c {
            Layout::F
        } else {
            Layout::C
        };
        let parts: Vec<Table> = outputs
            .into_iter()
            .map(|t| {
                // np.asarray of a DataFrame: one dtype for its columns.
                if t.kind == TableKind::DataFrame {
                    let dt = t.common_dtype().unwrap_or(NpDType::Object);
                    let cols = t.columns.iter().map(|c| c.cast(dt)).collect();
                    Table::array(t.rows, cols)
                } else {
                    t
                }
            })
            .collect();
        Ok(Table::hstack(x.rows, parts).with_layout(layout))
    }

    fn feature_names_in(&self) -> Option<&[String]> {
        self.names.as_deref()
    }

    fn n_features_in(&self) -> Option<usize> {
        Some(self.n_features)
    }

    fn feature_dtypes(&self) -> Option<Vec<DType>> {
        let mut out = vec![DType::F64; self.n_features];
        for p in &self.parts {
            if let Some(d) = p.transformer.feature_dtypes() {
                for (&i, dt) in p.indices.iter().zip(d) {
                    if let Some(slot) = out.get_mut(i) {
                        *slot = dt;
                    }
                }
            }
        }
        Some(out)
    }
}
