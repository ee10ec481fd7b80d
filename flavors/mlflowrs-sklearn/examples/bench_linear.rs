//! Times native predictions against a model directory's inputs:
//! `cargo run --release --example bench_linear -- DIR METHOD X.npy [C.npy]`
//! where X.npy holds float64 features x0.., and C.npy an optional `<U`
//! column "c". Prints the best of 5 runs.

use std::time::Instant;

use mlflowrs_flavor_api::{Batch, Flavor, Tensor, TensorData};
use mlflowrs_sklearn::SklearnModel;
use mlflowrs_skops::{parse_npy, Limits};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: bench_linear DIR METHOD X.npy [C.npy]");
        std::process::exit(2);
    }
    let model = SklearnModel::load(
        &std::path::Path::new(&args[1]).join("model.skops"),
        &args[2],
    )
    .expect("load");
    let x = parse_npy("X", &std::fs::read(&args[3]).unwrap(), &Limits::default()).unwrap();
    let (n, d) = (x.shape()[0], x.shape()[1]);
    let vals = x.as_f64().unwrap();
    let mut feeds: Vec<(String, Tensor)> = (0..d)
        .map(|j| {
            let col: Vec<f64> = (0..n).map(|i| vals[i * d + j]).collect();
            (
                format!("x{j}"),
                Tensor {
                    shape: vec![n],
                    data: TensorData::F64(col),
                },
            )
        })
        .collect();
    if let Some(c) = args.get(4) {
        let c = parse_npy("c", &std::fs::read(c).unwrap(), &Limits::default()).unwrap();
        let col = c.as_str().unwrap().to_vec();
        feeds.push((
            "c".into(),
            Tensor {
                shape: vec![n],
                data: TensorData::Str(col),
            },
        ));
    }
    let wanted: Vec<String> = model.inputs().iter().map(|s| s.name.clone()).collect();
    feeds.retain(|(name, _)| wanted.contains(name));
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let batch = Batch {
            feeds: feeds.clone(),
        };
        let t = Instant::now();
        let out = model.predict(batch).expect("predict");
        best = best.min(t.elapsed().as_secs_f64());
        std::hint::black_box(out);
    }
    println!("{} {}: {:.1} ms for {n} rows", args[1], args[2], best * 1e3);
}
