//! Model outputs to JSON the way MLflow's `NumpyEncoder` and pandas'
//! `to_dict(orient="records")` write them.

use std::fmt::Write as _;

use mlflowrs_flavor_api::{Tensor, TensorData};

use super::ndarray::NdArray;
use mlflowrs_protocol::pyjson::{write_float, write_str, Json};

/// Writes element `i` as JSON, as `NumpyEncoder` would.
fn write_scalar(data: &TensorData, i: usize, out: &mut String) {
    match data {
        TensorData::F32(v) => write_float(f64::from(v[i]), out),
        TensorData::F64(v) => write_float(v[i], out),
        TensorData::Bool(v) => out.push_str(if v[i] { "true" } else { "false" }),
        TensorData::Str(v) => write_str(&v[i], out),
        TensorData::U64(v) => {
            let _ = write!(out, "{}", v[i]);
        }
        other => {
            let _ = write!(out, "{}", other.get_i64(i));
        }
    }
}

/// `tolist()` of elements `start..` with `shape`, written straight to `out`.
pub fn write_nested(data: &TensorData, shape: &[usize], start: usize, out: &mut String) {
    let Some((&dim, inner)) = shape.split_first() else {
        write_scalar(data, start, out);
        return;
    };
    let stride: usize = inner.iter().product();
    out.push('[');
    for k in 0..dim {
        if k > 0 {
            out.push_str(", ");
        }
        write_nested(data, inner, start + k * stride, out);
    }
    out.push(']');
}

/// `ndarray.tolist()` as JSON text.
pub fn write_tensor(t: &Tensor, out: &mut String) {
    write_nested(&t.data, &t.shape, 0, out);
}

/// Row `row` of a tensor (its first dimension) as JSON text.
pub fn write_tensor_row(t: &Tensor, row: usize, out: &mut String) {
    let inner = t.shape.get(1..).unwrap_or(&[]);
    let stride: usize = inner.iter().product();
    write_nested(&t.data, inner, row * stride, out);
}

/// The elements of a tensor as JSON scalars, in row-major order.
pub fn flat_json(t: &Tensor) -> Vec<Json> {
    let n = t.data.len();
    match &t.data {
        TensorData::F32(v) => v.iter().map(|&x| Json::Float(f64::from(x))).collect(),
        TensorData::F64(v) => v.iter().map(|&x| Json::Float(x)).collect(),
        TensorData::Bool(v) => v.iter().map(|&x| Json::Bool(x)).collect(),
        TensorData::Str(v) => v.iter().map(|x| Json::Str(x.clone())).collect(),
        TensorData::U64(v) => v
            .iter()
            .map(|&x| {
                i64::try_from(x)
                    .map(Json::Int)
                    .unwrap_or_else(|_| Json::BigInt(x.to_string()))
            })
            .collect(),
        other => (0..n).map(|i| Json::Int(other.get_i64(i))).collect(),
    }
}

/// `ndarray.tolist()`.
pub fn tensor_json(t: &Tensor) -> Json {
    nest(flat_json(t), &t.shape)
}

pub fn ndarray_json(a: &NdArray) -> Json {
    match a {
        NdArray::Typed(t) => tensor_json(t),
        NdArray::Object { shape, cells } => nest(cells.clone(), shape),
    }
}

fn nest(flat: Vec<Json>, shape: &[usize]) -> Json {
    if shape.is_empty() {
        return flat.into_iter().next().unwrap_or(Json::Null);
    }
    let mut level = flat;
    for &dim in shape[1..].iter().rev() {
        if dim == 0 {
            level = Vec::new();
            break;
        }
        let mut grouped = Vec::with_capacity(level.len() / dim);
        let mut it = level.into_iter();
        loop {
            let chunk: Vec<Json> = it.by_ref().take(dim).collect();
            if chunk.is_empty() {
                break;
            }
            grouped.push(Json::List(chunk));
        }
        level = grouped;
    }
    if level.is_empty() && shape[0] > 0 {
        // Inner dimension of size zero: each row is an empty (nested) list.
        let mut empty = Json::List(Vec::new());
        for _ in 2..shape.len() {
            empty = Json::List(Vec::new());
        }
        return Json::List(vec![empty; shape[0]]);
    }
    Json::List(level)
}
