//! Speed against XGBoost's own single-threaded predict (100k rows × 20
//! features, 300 trees of depth 6). Run in release mode:
//!
//! cargo test --release -p mlflowrs-xgboost --test bench -- --ignored --nocapture

mod common;

/// CPU time of the calling thread (Linux), so that other processes on a
/// shared machine barely disturb the measurement; wall time elsewhere.
fn thread_cpu_seconds() -> f64 {
    if let Ok(s) = std::fs::read_to_string("/proc/thread-self/schedstat") {
        if let Some(ns) = s
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
        {
            return ns as f64 / 1e9;
        }
    }
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
}

use mlflowrs_flavor_api::{Tensor, TensorData};

use common::{python, run_script, temp_dir};

fn read_f64(path: &std::path::Path) -> Vec<f64> {
    std::fs::read(path)
        .unwrap()
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

#[test]
#[ignore = "benchmark: run with --release --ignored"]
fn bench_against_xgboost_single_thread() {
    let Some(python) = python() else {
        eprintln!("SKIPPED: no project venv");
        return;
    };
    let dir = temp_dir("bench");
    run_script(&python, "bench_model.py", &[dir.to_str().unwrap()]);
    let timing: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("timing.json")).unwrap()).unwrap();
    let (rows, nf) = (100_000usize, 20usize);
    let x = read_f64(&dir.join("x.f64"));
    let want: Vec<f32> = std::fs::read(dir.join("pred.f32"))
        .unwrap()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let flavor = serde_json::json!({"data": "model.ubj", "model_class": "xgboost.core.Booster"});
    let model = mlflowrs_xgboost::load(&dir.join("model"), &flavor).unwrap();
    // One feed per DataFrame column, as the core sends them.
    let feeds: Vec<(String, Tensor)> = (0..nf)
        .map(|f| {
            let col: Vec<f64> = (0..rows).map(|r| x[r * nf + f]).collect();
            (
                format!("f{f}"),
                Tensor::new(vec![rows], TensorData::F64(col)).unwrap(),
            )
        })
        .collect();
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..7 {
        let t = thread_cpu_seconds();
        out = Some(model.predict_feeds(&feeds).unwrap());
        best = best.min(thread_cpu_seconds() - t);
    }
    let out = out.unwrap();
    let TensorData::F32(got) = &out.data else {
        panic!("dtype")
    };
    assert!(got
        .iter()
        .zip(&want)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
    let xgb = timing["predict_prebuilt_dmatrix_s"].as_f64().unwrap();
    let xgb_dm = timing["predict_with_dmatrix_s"].as_f64().unwrap();
    let inplace = timing["inplace_predict_s"].as_f64().unwrap();
    eprintln!(
        "thread CPU time: mlflowrs-xgboost {best:.4} s; xgboost nthread=1: predict(DMatrix) alone {xgb:.4} s, \
         predict(DMatrix(df)) {xgb_dm:.4} s, inplace_predict {inplace:.4} s; \
         ratio vs fastest = {:.2}",
        best / xgb.min(inplace)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
