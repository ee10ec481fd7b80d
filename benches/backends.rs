//! tract against ONNX Runtime on the conformance suite's ONNX graphs, at
//! batch 1 and 1000, one thread each, printed as a ratio (time per call of
//! tract / of ORT: above 1 means tract is slower).
//!
//! `ORT_DYLIB_PATH=... cargo bench --features tract --bench backends`

use std::path::Path;
use std::time::{Duration, Instant};

use mlflowrs_flavor_api::{Batch, DType, Flavor, IoSpec, Tensor, TensorData};

/// Distinct graphs among the conformance fixtures (the others share these).
const MODELS: &[&str] = &[
    "iris_unnamed", // LinearClassifier + Normalizer, two outputs
    "iris_columns", // LinearRegressor
    "multi_input",  // ReduceSum + Cast + Add over two inputs
    "mixed_columns",
];

fn feed(spec: &IoSpec, rows: usize) -> (String, Tensor) {
    let shape: Vec<usize> = spec
        .shape
        .iter()
        .enumerate()
        .map(|(i, &d)| match (d < 0, i) {
            (true, 0) => rows,
            (true, _) => 1,
            _ => d as usize,
        })
        .collect();
    let n: usize = shape.iter().product();
    let data = match spec.dtype {
        Some(DType::F32) => TensorData::F32((0..n).map(|i| (i % 7) as f32 * 0.7).collect()),
        Some(DType::F64) => TensorData::F64((0..n).map(|i| (i % 7) as f64 * 0.7).collect()),
        Some(DType::I64) => TensorData::I64((0..n).map(|i| (i % 7) as i64).collect()),
        other => panic!("input {} has dtype {other:?}", spec.name),
    };
    (spec.name.clone(), Tensor { shape, data })
}

/// Mean time per call over at least `min` of calls.
fn time_per_call(model: &dyn Flavor, rows: usize, min: Duration) -> Duration {
    let batch = Batch {
        feeds: model.inputs().iter().map(|s| feed(s, rows)).collect(),
    };
    model.predict(batch.clone()).expect("warm-up call");
    let start = Instant::now();
    let mut calls = 0u32;
    while start.elapsed() < min || calls < 10 {
        std::hint::black_box(model.predict(batch.clone()).unwrap());
        calls += 1;
    }
    start.elapsed() / calls
}

fn main() {
    mlflowrs_onnx_ort::init_runtime(None, None).expect("ONNX Runtime (set ORT_DYLIB_PATH)");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/models");
    let config = mlflowrs_onnx_ort::SessionConfig {
        sessions: 1,
        intra_op_threads: Some(1),
        ..Default::default()
    };
    println!("| model | rows | ONNX Runtime | tract | tract / ORT |");
    println!("|---|---|---|---|---|");
    for name in MODELS {
        let file = root.join(name).join("model.onnx");
        let ort = mlflowrs_onnx_ort::OrtModel::load(&file, &config).unwrap();
        let tract = mlflowrs_onnx_tract::TractModel::load(&file).unwrap();
        for rows in [1, 1000] {
            let min = Duration::from_secs(2);
            let o = time_per_call(&ort, rows, min);
            let t = time_per_call(&tract, rows, min);
            println!(
                "| {name} | {rows} | {:.1} us | {:.1} us | {:.2}x |",
                o.as_secs_f64() * 1e6,
                t.as_secs_f64() * 1e6,
                t.as_secs_f64() / o.as_secs_f64()
            );
        }
    }
}
