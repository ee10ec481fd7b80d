//! Random LightGBM models trained and saved by the real libraries
//! (tests/gen_models.py), predicted here and compared bit for bit with
//! `Booster.predict` / the estimators' `predict` and MLflow's pyfunc.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use mlflowrs_flavor_api::{Flavor, Named, Tensor, TensorData};
use mlflowrs_lightgbm::{load, FlavorConf};
use serde_json::Value;

fn python() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    p.exists().then_some(p)
}

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!("mlflowrs-lgb-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn decode(e: &Value) -> Tensor {
    let shape: Vec<usize> = e["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let values = e["values"].as_array().unwrap();
    let data = match e["dtype"].as_str().unwrap() {
        "float64" => TensorData::F64(
            values
                .iter()
                .map(|v| f64::from_bits(v.as_u64().unwrap()))
                .collect(),
        ),
        "float32" => TensorData::F32(
            values
                .iter()
                .map(|v| f64::from_bits(v.as_u64().unwrap()) as f32)
                .collect(),
        ),
        "int64" => TensorData::I64(values.iter().map(|v| v.as_i64().unwrap()).collect()),
        "bool" => TensorData::Bool(values.iter().map(|v| v.as_bool().unwrap()).collect()),
        "str" => TensorData::Str(
            values
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect(),
        ),
        other => panic!("dtype {other}"),
    };
    Tensor::new(shape, data).unwrap()
}

fn same(a: &Tensor, b: &Tensor) -> bool {
    if a.shape != b.shape {
        return false;
    }
    match (&a.data, &b.data) {
        // Bit for bit (NaN payloads included: LightGBM's NaN is the default one too).
        (TensorData::F64(x), TensorData::F64(y)) => x
            .iter()
            .zip(y)
            .all(|(p, q)| p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan())),
        (x, y) => x == y,
    }
}

/// Compares our answer with the library's (a tensor or an error message).
fn check(
    name: &str,
    what: &str,
    ours: Result<Tensor, String>,
    want: &Value,
    failures: &mut Vec<String>,
) {
    match (ours, want.get("ok"), want.get("error")) {
        (Ok(t), Some(ok), _) => {
            let expected = decode(ok);
            if !same(&t, &expected) {
                let diff = match (&t.data, &expected.data) {
                    (TensorData::F64(x), TensorData::F64(y)) => x
                        .iter()
                        .zip(y)
                        .enumerate()
                        .find(|(_, (p, q))| {
                            p.to_bits() != q.to_bits() && !(p.is_nan() && q.is_nan())
                        })
                        .map(|(i, (p, q))| format!("first difference at {i}: {p:e} vs {q:e}"))
                        .unwrap_or_default(),
                    _ => format!("{:?} vs {:?}", t.data, expected.data),
                };
                failures.push(format!(
                    "{name} [{what}]: shape {:?} vs {:?}; {diff}",
                    t.shape, expected.shape
                ));
            }
        }
        (Err(e), _, Some(msg)) => {
            if e != msg.as_str().unwrap() {
                failures.push(format!("{name} [{what}]: error {e:?}, library says {msg}"));
            }
        }
        (Ok(_), None, Some(msg)) => {
            failures.push(format!("{name} [{what}]: answered, library raised {msg}"))
        }
        (Err(e), Some(_), _) => {
            failures.push(format!("{name} [{what}]: error {e}, library answered"))
        }
        _ => unreachable!(),
    }
}

#[test]
fn predictions_equal_lightgbm_and_pyfunc() {
    let Some(py) = python() else {
        panic!("no project venv with lightgbm at ../../.venv: run scripts/test.sh once");
    };
    let dir = TempDir::new();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gen_models.py");
    // A fixed sample: more cases or another seed are a change to these.
    let count = "45";
    let seed = "20240611";
    let t0 = Instant::now();
    let out = Command::new(py)
        .arg(&script)
        .arg(&dir.0)
        .arg(seed)
        .arg(count)
        .output()
        .expect("run gen_models.py");
    assert!(
        out.status.success(),
        "gen_models.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("python: {:?}", t0.elapsed());
    let cases: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.0.join("cases.json")).unwrap()).unwrap();
    assert!(
        cases.len() >= count.parse::<usize>().unwrap() / 2,
        "too few models trained"
    );

    let mut failures = Vec::new();
    let mut compared = 0;
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let conf = FlavorConf::from_json(&case["flavor"]).unwrap();
        let model = match load(Path::new(case["dir"].as_str().unwrap()), &conf) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{name}: load failed: {e}"));
                continue;
            }
        };
        let feeds: Vec<Named> = case["frame"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["name"].as_str().unwrap().to_string(), decode(c)))
            .collect();
        let ours = model.predict_tensor(&feeds).map_err(|e| e.to_string());
        check(
            name,
            "library",
            ours.clone(),
            &case["library"],
            &mut failures,
        );
        check(name, "pyfunc", ours, &case["pyfunc"], &mut failures);
        for (i, f) in case["frames"].as_array().unwrap().iter().enumerate() {
            let feeds: Vec<Named> = f["frame"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c["name"].as_str().unwrap().to_string(), decode(c)))
                .collect();
            let ours = model.predict_tensor(&feeds).map_err(|e| e.to_string());
            check(
                name,
                &format!("frame {i}"),
                ours,
                &f["library"],
                &mut failures,
            );
        }
        for (i, a) in case["arrays"].as_array().unwrap().iter().enumerate() {
            let feeds = vec![(String::new(), decode(&a["input"]))];
            let ours = model.predict_tensor(&feeds).map_err(|e| e.to_string());
            check(
                name,
                &format!("array {i}"),
                ours,
                &a["library"],
                &mut failures,
            );
        }
        // Through the Flavor trait too.
        let batch = mlflowrs_flavor_api::Batch { feeds };
        let _ = model.predict(batch);
        compared += 1;
    }
    eprintln!("{compared} models compared in {:?}", t0.elapsed());
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
