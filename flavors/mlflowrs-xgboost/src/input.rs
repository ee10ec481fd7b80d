//! Maps the core's feeds onto the model's features the way XGBoost 3.2's
//! Python package maps a pandas DataFrame or a numpy array, including the
//! errors it raises (xgboost/core.py, xgboost/data.py and the C++ checks).
//!
//! Two call paths exist, matching MLflow's `_XGBModelWrapper`:
//! - a `Booster` is called as `booster.predict(xgb.DMatrix(data))`;
//! - a scikit-learn wrapper calls `booster.inplace_predict(data, missing=nan)`.

use mlflowrs_flavor_api::{FlavorError, Named, TensorData};

use crate::booster::Booster;
use crate::pyrepr::py_str_list;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallPath {
    /// `Booster.predict(DMatrix(data), validate_features=True)`.
    DMatrix,
    /// `XGBModel.predict` → `inplace_predict`; `ranker` drops a `qid` column.
    Inplace { ranker: bool },
}

/// Where model feature `f`'s values come from: element `offset + r * stride`
/// of `data` for row `r`, or nothing (missing for every row).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ColumnRef<'a> {
    pub data: &'a TensorData,
    pub offset: usize,
    pub stride: usize,
}

/// The input as the model sees it: one optional source per model feature.
#[derive(Debug)]
pub(crate) struct Features<'a> {
    pub rows: usize,
    pub columns: Vec<Option<ColumnRef<'a>>>,
}

fn err(msg: impl Into<String>) -> FlavorError {
    FlavorError::Inference(msg.into())
}

/// XGBoost's C++ CHECK failures, as their message reads after the timestamp.
pub(crate) fn xgb_check(location: &str, text: &str) -> FlavorError {
    err(format!("{location}: {text}"))
}

const INF_IN_DATA: &str =
    "Input data contains `inf` or a value too large, while `missing` is not set to `inf`";

pub(crate) fn map_feeds<'a>(
    booster: &Booster,
    feeds: &'a [Named],
    path: CallPath,
) -> Result<Features<'a>, FlavorError> {
    let plain = feeds.len() == 1 && feeds[0].0.is_empty();
    let features = if plain {
        from_array(booster, &feeds[0].1, path)?
    } else {
        from_frame(booster, feeds, path)?
    };
    if path == CallPath::DMatrix {
        check_no_inf(&features)?;
    }
    Ok(features)
}

/// A numpy array: `DMatrix(array)` or `inplace_predict(array)`.
fn from_array<'a>(
    booster: &Booster,
    t: &'a mlflowrs_flavor_api::Tensor,
    path: CallPath,
) -> Result<Features<'a>, FlavorError> {
    let nf = booster.num_feature;
    let (rows, cols) = match path {
        CallPath::DMatrix => {
            if t.shape.len() != 2 {
                return Err(err(
                    "Please reshape the input data into 2-dimensional matrix.",
                ));
            }
            (t.shape[0], t.shape[1])
        }
        CallPath::Inplace { .. } => {
            if t.shape.len() >= 2 && t.shape[1] != nf {
                return Err(err(format!(
                    "Feature shape mismatch, expected: {nf}, got {}",
                    t.shape[1]
                )));
            }
            match t.shape.len() {
                // A 1-D array is read as one column.
                1 => (t.shape[0], 1),
                2 => (t.shape[0], t.shape[1]),
                _ => {
                    return Err(xgb_check(
                        "/__w/xgboost/xgboost/src/c_api/../data/array_interface.h:245",
                        &format!(
                            "Check failed: i < D ({} vs. 2) : Only 2 dimensional array is valid.",
                            t.shape.len().min(2)
                        ),
                    ))
                }
            }
        }
    };
    if let TensorData::Str(values) = &t.data {
        // numpy turns a list of strings into a fixed-width unicode array.
        let width = values.iter().map(|s| s.chars().count()).max().unwrap_or(0);
        return Err(xgb_check(
            "/__w/xgboost/xgboost/src/c_api/../data/array_interface.h:501",
            &format!("Unicode-{width} is not supported."),
        ));
    }
    if rows.checked_mul(cols) != Some(t.data.len()) {
        return Err(err(format!(
            "input array of shape {} holds {} values",
            t.shape_repr(),
            t.data.len()
        )));
    }
    match path {
        CallPath::DMatrix => {
            if let Some(names) = &booster.feature_names {
                return Err(err(format!(
                    "data did not contain feature names, but the following fields are expected: {}",
                    names.join(", ")
                )));
            }
            if cols > nf {
                return Err(num_col_check(nf, cols));
            }
        }
        CallPath::Inplace { .. } => {
            if cols != nf {
                return Err(xgb_check(
                    "/__w/xgboost/xgboost/src/predictor/utils.h:20",
                    &format!(
                        "Check failed: n_features_data == n_features_model ({cols} vs. {nf}) : Number of columns in data must equal to the trained model."
                    ),
                ));
            }
        }
    }
    let columns = (0..nf)
        .map(|f| {
            (f < cols).then_some(ColumnRef {
                data: &t.data,
                offset: f,
                stride: cols,
            })
        })
        .collect();
    Ok(Features { rows, columns })
}

fn num_col_check(nf: usize, cols: usize) -> FlavorError {
    xgb_check(
        "/__w/xgboost/xgboost/src/learner.cc:1289",
        &format!(
            "Check failed: learner_model_param_.num_feature >= p_fmat->Info().num_col_ ({nf} vs. {cols}) : Number of columns does not match number of features in booster."
        ),
    )
}

/// A pandas DataFrame, one feed per column.
fn from_frame<'a>(
    booster: &Booster,
    feeds: &'a [Named],
    path: CallPath,
) -> Result<Features<'a>, FlavorError> {
    // XGBRanker.predict drops the special `qid` column first.
    let feeds: Vec<&Named> = feeds
        .iter()
        .filter(|(name, _)| !(matches!(path, CallPath::Inplace { ranker: true }) && name == "qid"))
        .collect();
    let rows = feeds.first().map_or(0, |(_, t)| t.data.len());
    for (name, t) in &feeds {
        if t.data.len() != rows {
            return Err(err(format!(
                "column {name:?} has {} values for {rows} rows",
                t.data.len()
            )));
        }
    }
    // pandas_feature_info: every column's dtype must be numeric or bool.
    let bad: Vec<String> = feeds
        .iter()
        .filter(|(_, t)| matches!(t.data, TensorData::Str(_)))
        .map(|(name, _)| format!("{name}: str"))
        .collect();
    if !bad.is_empty() {
        return Err(err(format!(
            "DataFrame.dtypes for data must be int, float, bool or category. When categorical type is supplied, the experimental DMatrix parameter`enable_categorical` must be set to `True`.  Invalid columns:{}",
            bad.join(", ")
        )));
    }
    let names: Vec<&str> = feeds.iter().map(|(n, _)| n.as_str()).collect();
    if let Some(expected) = &booster.feature_names {
        validate_names(expected, &names)?;
    }
    let nf = booster.num_feature;
    let cols = feeds.len();
    match path {
        CallPath::DMatrix => {
            if cols > nf {
                return Err(num_col_check(nf, cols));
            }
        }
        CallPath::Inplace { .. } => {
            if cols != nf {
                return Err(err(format!(
                    "Feature shape mismatch, expected: {nf}, got {cols}"
                )));
            }
            // The DataFrame's (empty) category encoding is checked against the
            // one recorded at training (enc::Recode): a feature trained as a
            // pandas category cannot be fed as numbers.
            if let Some(&f) = booster.categorical_inputs.first() {
                return Err(xgb_check(
                    "/__w/xgboost/xgboost/src/data/../data/cat_container.h:29",
                    &format!(
                        "Invalid new DataFrame input for the: {f}th feature (0-based). The data type doesn't match the one used in the training dataset. Both should be either numeric or categorical. For a categorical feature, the index type must match between the training and test set."
                    ),
                ));
            }
        }
    }
    let columns = (0..nf)
        .map(|f| {
            feeds.get(f).map(|(_, t)| ColumnRef {
                data: &t.data,
                offset: 0,
                stride: 1,
            })
        })
        .collect();
    Ok(Features { rows, columns })
}

/// `Booster._validate_features`.
fn validate_names(expected: &[String], got: &[&str]) -> Result<(), FlavorError> {
    if expected.len() == got.len() && expected.iter().zip(got).all(|(a, b)| a == b) {
        return Ok(());
    }
    let mut msg = format!(
        "feature_names mismatch: {} {}",
        py_str_list(expected.iter().map(String::as_str)),
        py_str_list(got.iter().copied())
    );
    // Python lists these from sets, in hash order; model/column order here.
    let dat_missing: Vec<&str> = expected
        .iter()
        .map(String::as_str)
        .filter(|e| !got.contains(e))
        .collect();
    let my_missing: Vec<&str> = got
        .iter()
        .copied()
        .filter(|g| !expected.iter().any(|e| e == g))
        .collect();
    if !dat_missing.is_empty() {
        msg.push_str(&format!(
            "\nexpected {} in input data",
            dat_missing.join(", ")
        ));
    }
    if !my_missing.is_empty() {
        msg.push_str(&format!(
            "\ntraining data did not have the following fields: {}",
            my_missing.join(", ")
        ));
    }
    Err(err(msg))
}

/// A DMatrix refuses infinities (after the float32 cast) unless `missing`
/// is infinite; `inplace_predict` takes them as ordinary values.
fn check_no_inf(features: &Features<'_>) -> Result<(), FlavorError> {
    for col in features.columns.iter().flatten() {
        let any_inf = match col.data {
            TensorData::F64(v) => strided(v, col, features.rows).any(|x| (x as f32).is_infinite()),
            TensorData::F32(v) => strided(v, col, features.rows).any(|x| x.is_infinite()),
            _ => false,
        };
        if any_inf {
            return Err(xgb_check(
                "/__w/xgboost/xgboost/src/data/data.cc:1196",
                &format!("Check failed: valid: {INF_IN_DATA}"),
            ));
        }
    }
    Ok(())
}

fn strided<'v, T: Copy>(
    v: &'v [T],
    col: &ColumnRef<'_>,
    rows: usize,
) -> impl Iterator<Item = T> + 'v {
    v.iter()
        .skip(col.offset)
        .step_by(col.stride.max(1))
        .take(rows)
        .copied()
}

/// Writes rows `start..start + n` of every feature into `block` (row-major,
/// `stride` floats per row), converting as pandas/numpy do before XGBoost
/// reads float32: integers straight to float32 (one rounding), float64
/// rounded to nearest, bool to 0/1; NaN marks a missing value.
pub(crate) fn fill_block(
    features: &Features<'_>,
    start: usize,
    n: usize,
    block: &mut [f32],
    stride: usize,
) {
    for (f, col) in features.columns.iter().enumerate() {
        let Some(col) = col else {
            for r in 0..n {
                if let Some(slot) = block.get_mut(r * stride + f) {
                    *slot = f32::NAN;
                }
            }
            continue;
        };
        macro_rules! copy {
            ($v:expr, $conv:expr) => {{
                let v = $v;
                for r in 0..n {
                    let idx = col.offset + (start + r) * col.stride;
                    let x = v.get(idx).map_or(f32::NAN, $conv);
                    if let Some(slot) = block.get_mut(r * stride + f) {
                        *slot = x;
                    }
                }
            }};
        }
        match col.data {
            TensorData::F64(v) => copy!(v, |&x: &f64| x as f32),
            TensorData::F32(v) => copy!(v, |&x: &f32| x),
            TensorData::I64(v) => copy!(v, |&x: &i64| x as f32),
            TensorData::I32(v) => copy!(v, |&x: &i32| x as f32),
            TensorData::I16(v) => copy!(v, |&x: &i16| f32::from(x)),
            TensorData::I8(v) => copy!(v, |&x: &i8| f32::from(x)),
            TensorData::U64(v) => copy!(v, |&x: &u64| x as f32),
            TensorData::U32(v) => copy!(v, |&x: &u32| x as f32),
            TensorData::U16(v) => copy!(v, |&x: &u16| f32::from(x)),
            TensorData::U8(v) => copy!(v, |&x: &u8| f32::from(x)),
            TensorData::Bool(v) => copy!(v, |&x: &bool| if x { 1.0 } else { 0.0 }),
            // Refused by `map_feeds`.
            TensorData::Str(_) => copy!(&[] as &[f32], |&x: &f32| x),
        }
    }
}
