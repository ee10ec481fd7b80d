//! Helpers shared by the tests that run the project's Python.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use mlflowrs_flavor_api::{Tensor, TensorData};
use serde_json::Value;

/// The project venv's Python, if it exists.
pub fn python() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    p.exists().then_some(p)
}

/// A fresh directory under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "mlflowrs-xgboost-{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// Runs a script from this crate's tests/ directory with `args`.
pub fn run_script(python: &Path, script: &str, args: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(script);
    let out = Command::new(python)
        .arg(&script)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{} failed:\n{}\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A float as the scripts write it: a number, null for NaN, "inf"/"-inf".
fn f64_or_nan(v: &Value) -> f64 {
    match v.as_str() {
        Some("inf") => f64::INFINITY,
        Some("-inf") => f64::NEG_INFINITY,
        _ => v.as_f64().unwrap_or(f64::NAN),
    }
}

/// A column or array payload written by the Python scripts.
pub fn tensor_from(dtype: &str, shape: Vec<usize>, values: &[Value]) -> Tensor {
    let data = match dtype {
        "float64" => TensorData::F64(values.iter().map(f64_or_nan).collect()),
        "float32" => TensorData::F32(values.iter().map(|v| f64_or_nan(v) as f32).collect()),
        "int64" => TensorData::I64(values.iter().map(|v| v.as_i64().unwrap()).collect()),
        "int32" => TensorData::I32(values.iter().map(|v| v.as_i64().unwrap() as i32).collect()),
        "bool" => TensorData::Bool(values.iter().map(|v| v.as_bool().unwrap()).collect()),
        "str" => TensorData::Str(
            values
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect(),
        ),
        other => panic!("dtype {other}"),
    };
    Tensor::new(shape, data).unwrap()
}

/// Exact equality (floats bit for bit, any NaN equal to any NaN).
pub fn assert_same(got: &Tensor, expected: &Tensor, what: &str) {
    assert_eq!(got.shape, expected.shape, "{what}: shape");
    assert_eq!(got.dtype(), expected.dtype(), "{what}: dtype");
    let n = got.data.len();
    for i in 0..n {
        let (a, b) = (got.data.get_f64(i), expected.data.get_f64(i));
        let same = match (&got.data, &expected.data) {
            (TensorData::F32(x), TensorData::F32(y)) => {
                x[i].to_bits() == y[i].to_bits() || (x[i].is_nan() && y[i].is_nan())
            }
            _ => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
        };
        assert!(same, "{what}: element {i}: got {a:?}, expected {b:?}");
    }
}
