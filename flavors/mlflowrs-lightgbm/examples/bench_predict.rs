//! Times native prediction on the fixture written by tests/bench_lightgbm.py
//! and checks it against LightGBM's output.
//!
//! cargo run --release -p mlflowrs-lightgbm --example bench_predict -- DIR

use std::time::Instant;

use mlflowrs_flavor_api::{Tensor, TensorData};
use mlflowrs_lightgbm::LightGbmModel;

fn read_f64(path: &std::path::Path) -> Vec<f64> {
    std::fs::read(path)
        .expect("read fixture")
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect()
}

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("fixture dir"));
    let model =
        LightGbmModel::from_model_file(&std::fs::read(dir.join("model.lgb")).expect("model"))
            .expect("load");
    let x = read_f64(&dir.join("x.f64"));
    let expected = read_f64(&dir.join("expected.f64"));
    let nf = model.booster().num_features();
    let rows = x.len() / nf;
    let t = Tensor::new(vec![rows, nf], TensorData::F64(x)).expect("tensor");
    let feeds = vec![(String::new(), t)];
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..10 {
        let start = Instant::now();
        let r = model.predict_tensor(&feeds).expect("predict");
        best = best.min(start.elapsed().as_secs_f64());
        out = Some(r);
    }
    let Some(Tensor {
        data: TensorData::F64(p),
        ..
    }) = out
    else {
        panic!("no output")
    };
    let same = p.len() == expected.len()
        && p.iter()
            .zip(&expected)
            .all(|(a, b)| a.to_bits() == b.to_bits());
    println!(
        "native, array input: {:.1} ms for {rows} rows; bit-identical to LightGBM: {same}",
        best * 1000.0
    );
    // The same rows as DataFrame columns, the shape served requests arrive in.
    let TensorData::F64(x) = &feeds[0].1.data else {
        unreachable!()
    };
    let frame: Vec<_> = (0..nf)
        .map(|j| {
            let col: Vec<f64> = x.iter().skip(j).step_by(nf).copied().collect();
            (
                format!("c{j}"),
                Tensor::new(vec![rows], TensorData::F64(col)).expect("column"),
            )
        })
        .collect();
    let mut best = f64::INFINITY;
    for _ in 0..10 {
        let start = Instant::now();
        model.predict_tensor(&frame).expect("predict");
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "native, DataFrame input: {:.1} ms for {rows} rows",
        best * 1000.0
    );
}
