//! The core's feeds -> the X scikit-learn's `predict` receives.
//!
//! DataFrame input arrives as one 1-D feed per column (named by its label);
//! plain array input as one feed named "" holding the whole ndarray.

use mlflowrs_flavor_api::{Batch, FlavorError, Tensor, TensorData};

use crate::table::{Column, IntKind, PyValue, Table, TableKind};

fn column_of(data: TensorData, unicode: bool) -> Result<Column, FlavorError> {
    let widen = |k: IntKind, v: Vec<i64>| Column::Int(k, v);
    Ok(match data {
        TensorData::Bool(v) => Column::Bool(v),
        TensorData::I8(v) => widen(IntKind::I8, v.into_iter().map(i64::from).collect()),
        TensorData::I16(v) => widen(IntKind::I16, v.into_iter().map(i64::from).collect()),
        TensorData::I32(v) => widen(IntKind::I32, v.into_iter().map(i64::from).collect()),
        TensorData::I64(v) => widen(IntKind::I64, v),
        TensorData::U8(v) => widen(IntKind::U8, v.into_iter().map(i64::from).collect()),
        TensorData::U16(v) => widen(IntKind::U16, v.into_iter().map(i64::from).collect()),
        TensorData::U32(v) => widen(IntKind::U32, v.into_iter().map(i64::from).collect()),
        TensorData::U64(v) => widen(
            IntKind::U64,
            v.into_iter()
                .map(|x| {
                    i64::try_from(x).map_err(|_| {
                        FlavorError::InvalidInput(format!(
                            "uint64 value {x} is not supported natively"
                        ))
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        TensorData::F32(v) => Column::F32(v),
        TensorData::F64(v) => Column::F64(v),
        TensorData::Str(v) => {
            if unicode {
                Column::Unicode(v)
            } else {
                Column::Str(v)
            }
        }
    })
}

/// Splits a row-major n-D tensor into the columns of its last axis;
/// `object`: its cells are the core's object-column form.
fn split_columns(t: Tensor, object: bool) -> Result<Table, FlavorError> {
    let shape: Vec<usize> = t.shape.clone();
    let ndim = shape.len();
    let (rows, cols) = match ndim {
        2 => (shape[0], shape[1]),
        // A 1-D or n-D array is kept flat; the first validating estimator
        // rejects it with sklearn's own message.
        _ => (shape.first().copied().unwrap_or(1), 1),
    };
    let data = t.data;
    let n = data.len();
    let expected = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    if expected != Some(n) {
        return Err(FlavorError::Internal(format!(
            "tensor of shape {shape:?} holds {n} values"
        )));
    }
    let col = if object {
        object_column(data)?
    } else {
        column_of(data, true)?
    };
    let columns = if ndim == 2 && cols > 1 {
        (0..cols)
            .map(|j| {
                let idx: Vec<usize> = (0..rows).map(|i| i * cols + j).collect();
                col.take(&idx)
            })
            .collect()
    } else {
        vec![col]
    };
    Ok(Table {
        kind: TableKind::Array,
        rows: if ndim == 2 { rows } else { n },
        columns,
        names: None,
        ndim,
        raw_shape: shape,
        layout: crate::table::Layout::C,
    })
}

/// Builds X from the feeds (see the module docs).
pub(crate) fn table_from_batch(batch: Batch) -> Result<Table, FlavorError> {
    let mut feeds = batch.feeds;
    if feeds.len() == 1 {
        let object = mlflowrs_flavor_api::object_column_label(&feeds[0].0) == Some("");
        if object || feeds[0].0.is_empty() {
            let (_, t) = feeds.remove(0);
            return split_columns(t, object);
        }
    }
    let rows = feeds.first().map_or(0, |(_, t)| t.data.len());
    let mut names = Vec::with_capacity(feeds.len());
    let mut columns = Vec::with_capacity(feeds.len());
    for (name, t) in feeds {
        if t.shape.len() != 1 || t.data.len() != rows {
            return Err(FlavorError::InvalidInput(format!(
                "column {name:?} has shape {:?}, expected [{rows}]",
                t.shape
            )));
        }
        match mlflowrs_flavor_api::object_column_label(&name) {
            Some(label) => {
                columns.push(object_column(t.data)?);
                names.push(label.to_string());
            }
            None => {
                columns.push(column_of(t.data, false)?);
                names.push(name);
            }
        }
    }
    Ok(Table::frame(rows, names, columns))
}

/// An object column (the core's `OBJECT_COLUMN_SUFFIX` form: each cell the
/// JSON text of a Python value) as the Python objects pandas holds.
fn object_column(data: TensorData) -> Result<Column, FlavorError> {
    let TensorData::Str(cells) = data else {
        return Err(FlavorError::Internal(
            "an object column must arrive as strings".into(),
        ));
    };
    let value = |text: &str| -> Result<PyValue, FlavorError> {
        match text {
            "null" => return Ok(PyValue::None),
            "NaN" => return Ok(PyValue::Float(f64::NAN)),
            "Infinity" => return Ok(PyValue::Float(f64::INFINITY)),
            "-Infinity" => return Ok(PyValue::Float(f64::NEG_INFINITY)),
            _ => {}
        }
        let bad =
            |e: serde_json::Error| FlavorError::Internal(format!("object cell {text:?}: {e}"));
        Ok(
            match serde_json::from_str::<serde_json::Value>(text).map_err(bad)? {
                serde_json::Value::Bool(b) => PyValue::Bool(b),
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) if !text.contains(['.', 'e', 'E']) => PyValue::Int(i),
                    _ => PyValue::Float(n.as_f64().unwrap_or(f64::NAN)),
                },
                serde_json::Value::String(s) => PyValue::Str(s),
                serde_json::Value::Null => PyValue::None,
                other => {
                    return Err(FlavorError::Inference(format!(
                        "TypeError: unsupported value in an object column: {other}"
                    )))
                }
            },
        )
    };
    Ok(Column::Object(
        cells.iter().map(|c| value(c)).collect::<Result<_, _>>()?,
    ))
}
