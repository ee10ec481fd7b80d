//! The `_preprocessor` a HistGradientBoosting model builds when it has
//! categorical features (gradient_boosting.py `_preprocess_X`): a
//! ColumnTransformer of an `OrdinalEncoder(handle_unknown="use_encoded_value",
//! unknown_value=nan, encoded_missing_value=nan)` over the categorical
//! columns, first, and `FunctionTransformer(partial(check_array,
//! dtype=[float64], ensure_all_finite=False))` over the rest.

use std::collections::HashMap;

use mlflowrs_flavor_api::DType;
use mlflowrs_skops::{ArrayData, JsonValue, Node, NodeKind};

use super::read::{feature_names, invalid, object_items, str_attr, usize_attr};
use crate::error::{EvalError, SklearnError};
use crate::table::{Column, PyValue, Table, TableKind};
use crate::validate::{check_2d, check_n_features, to_matrix, FloatTarget};

/// The fitted categories of one encoded column.
#[derive(Debug, Clone)]
enum Categories {
    /// String categories and their codes.
    Str(HashMap<String, usize>),
    /// Numeric categories (sorted, NaN dropped) and codes by position.
    Num(Vec<f64>),
}

#[derive(Debug, Clone)]
pub(crate) struct HgbPreprocessor {
    n_features_in: usize,
    feature_names_in: Option<Vec<String>>,
    /// Input positions of the encoded columns, in output order.
    categorical: Vec<usize>,
    categories: Vec<Categories>,
    /// Input positions of the numeric columns, in output order.
    numeric: Vec<usize>,
}

fn unsupported(what: &str) -> SklearnError {
    SklearnError::unsupported(format!(
        "HistGradientBoosting _preprocessor with {what} is not served natively"
    ))
}

/// A boolean column mask over the input features.
fn mask(node: &Node, n: usize) -> Result<Vec<usize>, SklearnError> {
    let a = node.array()?;
    let ArrayData::Bool(v) = a.data() else {
        return Err(unsupported("a column selection that is not a boolean mask"));
    };
    if v.len() != n {
        return Err(invalid("a column mask does not cover every input feature"));
    }
    Ok(v.iter()
        .enumerate()
        .filter(|(_, &b)| b)
        .map(|(i, _)| i)
        .collect())
}

fn is_nan_json(n: &Node) -> bool {
    matches!(n.as_json(), Some(JsonValue::Float(f)) if f.is_nan())
}

fn categories(node: &Node) -> Result<Categories, SklearnError> {
    if let Some(a) = node.as_array() {
        let mut v = a
            .data()
            .to_f64()
            .ok_or_else(|| unsupported("categories that are neither numbers nor strings"))?;
        // OrdinalEncoder keeps NaN last when it saw missing values.
        v.retain(|x| !x.is_nan());
        if v.windows(2)
            .any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
        {
            return Err(invalid("numeric categories are not sorted and unique"));
        }
        return Ok(Categories::Num(v));
    }
    let (items, _) = object_items(node)?;
    let mut map = HashMap::new();
    for (code, item) in items.iter().enumerate() {
        if is_nan_json(item) {
            continue;
        }
        let s = item
            .str()
            .map_err(|_| unsupported("categories mixing strings and other objects"))?;
        map.insert(s.to_owned(), code);
    }
    Ok(Categories::Str(map))
}

fn check_nan_param(node: &Node, name: &str) -> Result<(), SklearnError> {
    match node.attr(name)?.f64() {
        Ok(v) if v.is_nan() => Ok(()),
        _ => Err(unsupported(&format!(
            "OrdinalEncoder {name} other than nan"
        ))),
    }
}

impl HgbPreprocessor {
    /// Reads the `_preprocessor` ColumnTransformer; anything but the layout
    /// HistGradientBoosting itself builds is unsupported.
    pub(crate) fn from_node(ct: &Node) -> Result<HgbPreprocessor, SklearnError> {
        if ct.type_name() != "sklearn.compose._column_transformer.ColumnTransformer" {
            return Err(unsupported(&ct.type_name()));
        }
        let n_features_in = usize_attr(ct, "n_features_in_")?;
        let feature_names_in = feature_names(ct)?;
        if feature_names_in
            .as_ref()
            .is_some_and(|f| f.len() != n_features_in)
        {
            return Err(invalid("feature_names_in_ does not match n_features_in_"));
        }
        let mut categorical = Vec::new();
        let mut cats = Vec::new();
        let mut numeric = Vec::new();
        let mut order = Vec::new();
        for t in ct.attr("transformers_")?.seq()? {
            let parts = t.seq()?;
            let [name, est, cols] = parts else {
                return Err(invalid(
                    "a transformers_ entry is not (name, transformer, columns)",
                ));
            };
            let name = name.str()?;
            order.push(name.to_owned());
            match name {
                "encoder" => {
                    if est.type_name() != "sklearn.preprocessing._encoders.OrdinalEncoder" {
                        return Err(unsupported(&est.type_name()));
                    }
                    if str_attr(est, "handle_unknown")? != "use_encoded_value" {
                        return Err(unsupported("an OrdinalEncoder not using encoded unknowns"));
                    }
                    check_nan_param(est, "unknown_value")?;
                    check_nan_param(est, "encoded_missing_value")?;
                    if est
                        .get("_infrequent_enabled")
                        .is_some_and(|n| n.bool().unwrap_or(true))
                    {
                        return Err(unsupported("infrequent categories"));
                    }
                    categorical = mask(cols, n_features_in)?;
                    let (items, _) = object_items(est.attr("categories_")?)?;
                    cats = items
                        .into_iter()
                        .map(categories)
                        .collect::<Result<_, _>>()?;
                    if cats.len() != categorical.len() {
                        return Err(invalid(
                            "categories_ does not match the categorical columns",
                        ));
                    }
                }
                "numerical" => {
                    if est.type_name()
                        != "sklearn.preprocessing._function_transformer.FunctionTransformer"
                    {
                        return Err(unsupported(&est.type_name()));
                    }
                    let func = est.attr("func")?;
                    let NodeKind::Partial {
                        func: f,
                        args,
                        kwds,
                        ..
                    } = func.kind()
                    else {
                        return Err(unsupported(
                            "a numerical transformer other than check_array",
                        ));
                    };
                    let allow_nan = kwds
                        .get("ensure_all_finite")
                        .is_some_and(|v| matches!(v.as_json(), Some(JsonValue::Bool(false))));
                    if f.type_name() != "sklearn.utils.validation.check_array"
                        || !args.seq().map(|a| a.is_empty()).unwrap_or(false)
                        || !allow_nan
                    {
                        return Err(unsupported(
                            "a numerical transformer other than check_array",
                        ));
                    }
                    numeric = mask(cols, n_features_in)?;
                }
                "remainder" => {
                    if est.str().ok() != Some("drop") {
                        return Err(unsupported("a remainder that is not dropped"));
                    }
                }
                other => return Err(unsupported(&format!("a transformer named {other:?}"))),
            }
        }
        if order.first().map(String::as_str) != Some("encoder") {
            return Err(unsupported("a layout without the encoder first"));
        }
        Ok(HgbPreprocessor {
            n_features_in,
            feature_names_in,
            categorical,
            categories: cats,
            numeric,
        })
    }

    /// Columns the trees see: the encoded ones, then the numeric ones.
    pub(crate) fn n_features_out(&self) -> usize {
        self.categorical.len() + self.numeric.len()
    }

    pub(crate) fn n_categorical(&self) -> usize {
        self.categorical.len()
    }

    /// Per input column: `Str` for a column of string categories, else F64.
    pub(crate) fn input_dtypes(&self) -> Vec<DType> {
        let mut out = vec![DType::F64; self.n_features_in];
        for (&c, cats) in self.categorical.iter().zip(&self.categories) {
            if let (Some(slot), Categories::Str(_)) = (out.get_mut(c), cats) {
                *slot = DType::Str;
            }
        }
        out
    }

    pub(crate) fn feature_names_in(&self) -> Option<&[String]> {
        self.feature_names_in.as_deref()
    }

    pub(crate) fn n_features_in(&self) -> usize {
        self.n_features_in
    }

    /// `ColumnTransformer.transform`: row-major float64, `n_features_out`
    /// columns.
    pub(crate) fn transform(&self, x: &Table) -> Result<Vec<f64>, EvalError> {
        check_2d(x, "ColumnTransformer")?;
        // Fitted on a DataFrame and given one: columns are picked by name
        // (order and extra columns do not matter).
        let position: Vec<usize> = match (&self.feature_names_in, x.kind, x.names.as_ref()) {
            (Some(fitted), TableKind::DataFrame, Some(given)) => {
                let mut missing = Vec::new();
                let mut pos = Vec::with_capacity(fitted.len());
                for name in fitted {
                    match given.iter().position(|g| g == name) {
                        Some(p) => pos.push(p),
                        None => {
                            missing.push(format!("'{name}'"));
                            pos.push(usize::MAX);
                        }
                    }
                }
                if !missing.is_empty() {
                    return Err(EvalError::new(format!(
                        "columns are missing: {{{}}}",
                        missing.join(", ")
                    )));
                }
                pos
            }
            _ => {
                check_n_features(x.n_cols(), "ColumnTransformer", Some(self.n_features_in))?;
                (0..self.n_features_in).collect()
            }
        };
        let pick = |cols: &[usize]| -> Vec<usize> { cols.iter().map(|&c| position[c]).collect() };
        let rows = x.rows;
        let width = self.n_features_out();
        let mut out = vec![0.0; rows * width];
        for (j, (&col, cats)) in pick(&self.categorical)
            .iter()
            .zip(&self.categories)
            .enumerate()
        {
            let column = x
                .columns
                .get(col)
                .ok_or_else(|| EvalError::new("column index out of range"))?;
            for i in 0..rows {
                out[i * width + j] = encode(column, i, cats)?;
            }
        }
        let numeric = pick(&self.numeric);
        if !numeric.is_empty() {
            let m = to_matrix(&x.select(&numeric), FloatTarget::F64, "FunctionTransformer")?;
            let off = self.categorical.len();
            for i in 0..rows {
                for (j, v) in m.row(i).iter().enumerate() {
                    out[i * width + off + j] = *v;
                }
            }
        }
        Ok(out)
    }
}

/// One value through `OrdinalEncoder.transform`: its category code, NaN for
/// missing or unknown values.
fn encode(column: &Column, i: usize, cats: &Categories) -> Result<f64, EvalError> {
    let value = column
        .py_value(i)
        .ok_or_else(|| EvalError::new("row index out of range"))?;
    let code = match (&value, cats) {
        (PyValue::None, _) => None,
        (PyValue::Float(f), _) if f.is_nan() => None,
        (PyValue::Float(f), _) if f.is_infinite() => {
            let dtype = if matches!(column, Column::F32(_)) {
                "float32"
            } else {
                "float64"
            };
            return Err(EvalError::new(format!(
                "Input contains infinity or a value too large for dtype('{dtype}')."
            )));
        }
        (PyValue::Str(s), Categories::Str(map)) => map.get(s).copied(),
        (PyValue::Str(_), Categories::Num(_)) | (_, Categories::Str(_))
            if !matches!(column, Column::Object(_)) =>
        {
            return Err(EvalError::new(
                "the column's values cannot be compared with the fitted categories \
                 (strings against numbers)",
            ))
        }
        (PyValue::Str(_), Categories::Num(_)) | (_, Categories::Str(_)) => None,
        (v, Categories::Num(sorted)) => {
            let f = match v {
                PyValue::Int(n) => *n as f64,
                PyValue::Bool(b) => f64::from(u8::from(*b)),
                PyValue::Float(f) => *f,
                PyValue::Str(_) | PyValue::None => f64::NAN,
            };
            sorted
                .binary_search_by(|c| c.total_cmp(&f))
                .ok()
                .or_else(|| {
                    // -0.0 equals 0.0 for numpy, not for total_cmp.
                    (f == 0.0)
                        .then(|| sorted.iter().position(|&c| c == 0.0))
                        .flatten()
                })
        }
    };
    Ok(code.map_or(f64::NAN, |c| c as f64))
}
