//! Random tree models (trees, forests, gradient boosting, histogram gradient
//! boosting) trained and saved by the real scikit-learn + MLflow
//! (tests/trees_props.py), loaded natively and compared bit for bit with
//! what sklearn and `mlflow.pyfunc` answered.
//!
//! Needs the project venv (`../../.venv/bin/python`; scripts/test.sh makes it).
//! `TREES_PROPS_CASES` / `TREES_PROPS_SEED` change the sample.

use std::path::{Path, PathBuf};
use std::process::Command;

use mlflowrs_flavor_api::{Batch, Flavor, FlavorError, Tensor, TensorData};
use mlflowrs_sklearn::SklearnModel;
use serde_json::Value;

fn python() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    p.exists().then_some(p)
}

fn scratch_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("trees_props_{}_{nanos}", std::process::id()))
}

fn f64_of(hex: &Value) -> f64 {
    let s = hex.as_str().expect("float as hex");
    let mut b = [0u8; 8];
    for (i, byte) in b.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex");
    }
    f64::from_le_bytes(b)
}

/// The DataFrame of a case as one 1-D feed per column, as the core passes
/// a DataFrame request.
fn feeds(frame: &Value) -> Batch {
    let mut feeds = Vec::new();
    for col in frame.as_array().expect("columns") {
        let name = col["name"].as_str().expect("name").to_owned();
        let values = col["values"].as_array().expect("values");
        let data = match col["dtype"].as_str() {
            Some("float64") => TensorData::F64(values.iter().map(f64_of).collect()),
            Some("int64") => {
                TensorData::I64(values.iter().map(|v| v.as_i64().expect("int")).collect())
            }
            Some("bool") => {
                TensorData::Bool(values.iter().map(|v| v.as_bool().expect("bool")).collect())
            }
            _ => TensorData::Str(
                values
                    .iter()
                    .map(|v| v.as_str().expect("str").to_owned())
                    .collect(),
            ),
        };
        let n = data.len();
        feeds.push((name, Tensor::new(vec![n], data).expect("shape")));
    }
    Batch { feeds }
}

/// Compares our answer with one recorded outcome; `None` when they agree.
fn compare(got: &Result<Tensor, FlavorError>, want: &Value) -> Option<String> {
    if let Some(err) = want.get("error").and_then(Value::as_str) {
        return match got {
            Err(e) => {
                let ours = e.to_string();
                // "ValueError: <message>": the message is what MLflow answers.
                let theirs = err.split_once(": ").map_or(err, |(_, m)| m);
                (ours != theirs)
                    .then(|| format!("error text differs:\n  ours:   {ours}\n  theirs: {theirs}"))
            }
            Ok(t) => Some(format!("expected error {err:?}, got {:?}", t.shape)),
        };
    }
    let want = &want["ok"];
    let got = match got {
        Ok(t) => t,
        Err(e) => return Some(format!("unexpected error: {e}")),
    };
    let shape: Vec<usize> = want["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|d| d.as_u64().expect("dim") as usize)
        .collect();
    if got.shape != shape {
        return Some(format!("shape {:?}, expected {shape:?}", got.shape));
    }
    let values = want["values"].as_array().expect("values");
    let mismatch = match (&got.data, want["dtype"].as_str()) {
        (TensorData::F64(v), Some("float64")) => v
            .iter()
            .zip(values)
            .position(|(a, b)| {
                a.to_bits() != f64_of(b).to_bits() && !(a.is_nan() && f64_of(b).is_nan())
            })
            .map(|i| format!("value {i}: {:e} vs {:e}", v[i], f64_of(&values[i]))),
        (TensorData::I64(v), Some("int64")) => v
            .iter()
            .zip(values)
            .position(|(a, b)| Some(*a) != b.as_i64())
            .map(|i| format!("value {i}: {} vs {}", v[i], values[i])),
        (TensorData::Bool(v), Some("bool")) => v
            .iter()
            .zip(values)
            .position(|(a, b)| Some(*a) != b.as_bool())
            .map(|i| format!("value {i}: {} vs {}", v[i], values[i])),
        (TensorData::Str(v), Some("str")) => v
            .iter()
            .zip(values)
            .position(|(a, b)| Some(a.as_str()) != b.as_str())
            .map(|i| format!("value {i}: {} vs {}", v[i], values[i])),
        (d, w) => Some(format!("dtype {:?}, expected {w:?}", d.dtype())),
    };
    mismatch
}

#[test]
fn random_tree_models_match_sklearn_and_pyfunc() {
    let Some(python) = python() else {
        panic!("no project venv: run scripts/test.sh once");
    };
    let dir = scratch_dir();
    // A fixed sample: more cases or another seed are a change to these.
    let n_cases = "36";
    let seed = "20240611";
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/trees_props.py");
    let status = Command::new(&python)
        .arg(&script)
        .arg(&dir)
        .arg(n_cases)
        .arg(seed)
        .status()
        .expect("run trees_props.py");
    assert!(status.success(), "trees_props.py failed");
    let text = std::fs::read_to_string(dir.join("cases.json")).expect("cases.json");
    let cases: Value = serde_json::from_str(&text).expect("json");
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().unwrap_or("?");
        let path = Path::new(case["path"].as_str().expect("path")).join("model.skops");
        let method = case["method"].as_str().expect("method");
        let model = match SklearnModel::load(&path, method) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{name} ({}): load failed: {e}", case["class"]));
                continue;
            }
        };
        let got = model
            .predict(feeds(&case["frame"]))
            .map(|mut out| out.remove(0).1);
        for which in ["expect", "pyfunc"] {
            if let Some(why) = compare(&got, &case[which]) {
                failures.push(format!(
                    "{name} ({} {method}) vs {which}: {why}",
                    case["class"]
                ));
            }
        }
        checked += 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("{checked} models checked");
    assert!(checked > 0, "no case ran");
    assert!(
        failures.is_empty(),
        "{} of {checked} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
