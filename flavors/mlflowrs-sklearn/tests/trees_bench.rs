//! Speed of native tree evaluation against scikit-learn's own
//! single-threaded `predict` on 100k rows (RandomForest of 100 trees, plus
//! GradientBoosting and HistGradientBoosting), with the answers compared.
//!
//! Ignored by default (it trains models for ~1-2 minutes):
//! `cargo test --release -p mlflowrs-sklearn --test trees_bench -- --ignored --nocapture`

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use mlflowrs_flavor_api::{Batch, Flavor, Tensor, TensorData};
use mlflowrs_sklearn::SklearnModel;
use mlflowrs_skops::{parse_npy, ArrayData, Limits};

fn python() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    p.exists().then_some(p)
}

fn npy(path: &Path) -> (Vec<usize>, ArrayData) {
    let bytes = std::fs::read(path).expect("read npy");
    let a = parse_npy("x.npy", &bytes, &Limits::default()).expect("parse npy");
    (a.shape().to_vec(), a.into_data())
}

/// CPU time of this thread (Linux; NaN elsewhere), the fair measure on a
/// shared machine.
fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e9)
}

#[test]
#[ignore]
fn tree_models_against_sklearn_speed() {
    let Some(python) = python() else {
        eprintln!("skipped: no project venv");
        return;
    };
    let dir = std::env::temp_dir().join(format!("trees_bench_{}", std::process::id()));
    if !dir.join("report.json").exists() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/trees_bench.py");
        let status = Command::new(&python)
            .arg(script)
            .arg(&dir)
            .env("OMP_NUM_THREADS", "1")
            .status()
            .expect("run trees_bench.py");
        assert!(status.success());
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).expect("report"))
            .expect("json");
    let (shape, data) = npy(&dir.join("x_test.npy"));
    let ArrayData::F64(x) = data else {
        panic!("x_test is not float64")
    };
    let batch = || Batch {
        feeds: vec![(
            String::new(),
            Tensor::new(shape.clone(), TensorData::F64(x.clone())).expect("tensor"),
        )],
    };
    for (name, _) in report.as_object().expect("report") {
        let model =
            SklearnModel::load(&dir.join(name).join("model.skops"), "predict").expect("load");
        let (mut best, mut best_cpu) = (f64::INFINITY, f64::INFINITY);
        let mut out = None;
        for _ in 0..5 {
            let b = batch();
            let (t, c) = (Instant::now(), thread_cpu());
            let r = model.predict(b).expect("predict");
            best = best.min(t.elapsed().as_secs_f64());
            best_cpu = best_cpu.min(thread_cpu() - c);
            out = Some(r);
        }
        let sk = report[name]["sklearn_seconds"].as_f64().expect("seconds");
        let sk_cpu = report[name]["sklearn_cpu_seconds"]
            .as_f64()
            .unwrap_or(f64::NAN);
        let got = out.expect("ran").remove(0).1;
        let (_, want) = npy(&dir.join(format!("{name}_pred.npy")));
        let same = match (&got.data, &want) {
            (TensorData::F64(a), ArrayData::F64(b)) => {
                a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
            }
            (TensorData::I64(a), ArrayData::I64(b)) => a == b,
            _ => false,
        };
        println!(
            "{name}: native {best:.3} s wall / {best_cpu:.3} s cpu, sklearn {sk:.3} s / {sk_cpu:.3} s, \
             ratio wall {:.2} cpu {:.2}, identical: {same}",
            best / sk,
            best_cpu / sk_cpu
        );
        assert!(same, "{name}: answers differ from sklearn");
    }
}
