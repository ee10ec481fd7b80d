//! Parity with scikit-learn and MLflow's pyfunc on random models.
//!
//! tests/gen_sklearn_cases.py (run with the project venv) trains random
//! pipelines, saves them with `mlflow.sklearn.save_model` and records what
//! `model.<method>(X)` and `mlflow.pyfunc.load_model(dir).predict(X)` return
//! (or the error sklearn raises). Each answer must be reproduced: labels and
//! error messages exactly, floats bit for bit except where a documented
//! summation-order gap allows a few ulps (see src/blas.rs, src/npfn.rs).
//!
//! Set MLFLOWRS_SKLEARN_CASES to an existing directory of generated cases to
//! skip the Python step.

use std::path::{Path, PathBuf};
use std::process::Command;

use mlflowrs_flavor_api::{Batch, Flavor, FlavorError, Tensor, TensorData};
use mlflowrs_sklearn::{LoadOptions, SklearnModel};
use serde_json::Value;

fn python() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python")
}

fn generate() -> Option<PathBuf> {
    let py = python();
    if !py.exists() {
        panic!(
            "no project venv at {}: run scripts/test.sh once",
            py.display()
        );
    }
    let dir = std::env::temp_dir().join(format!("mlflowrs-sklearn-parity-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gen_sklearn_cases.py");
    // mlflowrs sums linear models in the order of OpenBLAS's Haswell
    // kernels (src/blas.rs), which numpy's OpenBLAS picks on AVX2 CPUs; on
    // AVX-512 CPUs it picks its SkylakeX kernels, whose sums differ by up
    // to ~64 ulps (docs/compatibility.md). The reference is computed with
    // the kernels mlflowrs reproduces, on any CPU.
    let out = Command::new(&py)
        .env("OPENBLAS_CORETYPE", "Haswell")
        .arg(&script)
        .arg(&dir)
        .arg("7")
        .arg("60")
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "case generation failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(dir)
}

fn decode(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data = v["data"].as_array().unwrap();
    let data = match v["dtype"].as_str().unwrap() {
        "float64" => TensorData::F64(
            data.iter()
                .map(|b| f64::from_bits(b.as_u64().unwrap()))
                .collect(),
        ),
        "float32" => TensorData::F32(
            data.iter()
                .map(|b| f32::from_bits(b.as_u64().unwrap() as u32))
                .collect(),
        ),
        "int64" => TensorData::I64(data.iter().map(|b| b.as_i64().unwrap()).collect()),
        "bool" => TensorData::Bool(data.iter().map(|b| b.as_bool().unwrap()).collect()),
        "str" => TensorData::Str(
            data.iter()
                .map(|b| b.as_str().unwrap().to_owned())
                .collect(),
        ),
        other => panic!("dtype {other}"),
    };
    Tensor { shape, data }
}

fn batch(input: &Value) -> Batch {
    if let Some(cols) = input.get("frame") {
        let feeds = cols
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["name"].as_str().unwrap().to_owned(), decode(c)))
            .collect();
        Batch { feeds }
    } else {
        Batch {
            feeds: vec![(String::new(), decode(&input["ndarray"]))],
        }
    }
}

fn ulps(a: f64, b: f64) -> u64 {
    if a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()) {
        return 0;
    }
    if a.is_sign_negative() != b.is_sign_negative() {
        return u64::MAX;
    }
    a.to_bits().abs_diff(b.to_bits())
}

#[derive(Default, Debug)]
struct Stats {
    values: usize,
    inexact: usize,
    max_ulps: u64,
    outputs: usize,
    errors_matched: usize,
    unsupported: usize,
}

/// Compares an answer with the expected one; returns a failure description.
fn compare(got: &Tensor, want: &Tensor, stats: &mut Stats, tolerance: u64) -> Option<String> {
    if got.shape != want.shape {
        return Some(format!("shape {:?} != {:?}", got.shape, want.shape));
    }
    match (&got.data, &want.data) {
        (TensorData::F64(g), TensorData::F64(w)) => {
            for (a, b) in g.iter().zip(w) {
                stats.values += 1;
                let u = ulps(*a, *b);
                if u > 0 {
                    stats.inexact += 1;
                    stats.max_ulps = stats.max_ulps.max(u);
                    if u > tolerance {
                        return Some(format!("{a:e} != {b:e} ({u} ulps)"));
                    }
                }
            }
            None
        }
        (g, w) if g == w => None,
        (g, w) => Some(format!("{g:?} != {w:?}")),
    }
}

#[test]
fn parity_with_sklearn_and_pyfunc() {
    let Some(dir) = generate() else { return };
    let cases: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    let mut stats = Stats::default();
    let mut failures = Vec::new();
    // libm stands in for numpy's SVML exp/log until the shared npmath is
    // wired in; tree/linear sums are otherwise bit-exact (src/blas.rs).
    let tolerance: u64 = 8;
    for case in cases.as_array().unwrap() {
        let path = Path::new(case["path"].as_str().unwrap()).join("model.skops");
        let label = format!("{} [{}]", case["model"].as_str().unwrap(), case["method"]);
        let opts = LoadOptions {
            predict_fn: case["method"].as_str().unwrap().to_owned(),
            skops_trusted_types: case["skops_trusted_types"]
                .as_array()
                .map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect()),
            ..LoadOptions::default()
        };
        let model = match SklearnModel::load_with(&path, &opts) {
            Ok(m) => m,
            // Linear models fitted on float32 data compute in float32 BLAS,
            // which is left to Python on purpose.
            Err(e) if e.is_unsupported() && e.to_string().contains("float32") => {
                stats.unsupported += 1;
                continue;
            }
            Err(e) => {
                failures.push(format!("{label}: load failed: {e}"));
                continue;
            }
        };
        for (k, entry) in case["inputs"].as_array().unwrap().iter().enumerate() {
            let got = model.predict(batch(&entry["input"]));
            let expected = &entry["expected"];
            if let Some(out) = expected.get("output") {
                let want = decode(out);
                if let Some(py) = entry.get("pyfunc").and_then(|p| p.get("output")) {
                    assert_eq!(decode(py), want, "{label}: pyfunc and model disagree");
                }
                match got {
                    Ok(mut outs) => {
                        stats.outputs += 1;
                        let (name, t) = outs.remove(0);
                        assert_eq!(name, "predictions");
                        let before = stats.inexact;
                        let failure = compare(&t, &want, &mut stats, tolerance);
                        if stats.inexact > before {
                            eprintln!("inexact: {label} input {k} rows {:?}", t.shape);
                        }
                        if let Some(f) = failure {
                            failures.push(format!("{label} input {k}: {f}"));
                        }
                    }
                    Err(e) => failures.push(format!("{label} input {k}: unexpected error {e}")),
                }
            } else {
                let want = expected["error"].as_str().unwrap();
                match got {
                    Err(FlavorError::Inference(msg)) if msg == want => stats.errors_matched += 1,
                    Err(e) => failures.push(format!(
                        "{label} input {k}: error {:?} != {want:?}",
                        e.to_string()
                    )),
                    Ok(_) => {
                        failures.push(format!("{label} input {k}: no error, expected {want:?}"))
                    }
                }
            }
        }
    }
    eprintln!("{stats:?}");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
