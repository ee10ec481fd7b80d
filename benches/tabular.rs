//! mlflowrs's native scikit-learn, XGBoost and LightGBM flavors on the
//! 100,000-row batch of benches/tabular_models.py, one thread: prints
//! `name best_ms` per model, which benches/tabular.sh sets against the
//! libraries' own predict (benches/tabular_inprocess.py).
//!
//! `TABULAR_MODELS=DIR cargo bench --bench tabular`

use std::path::Path;
use std::time::Instant;

use mlflowrs::mlmodel::MlModel;
use mlflowrs_flavor_api::{Batch, Tensor, TensorData};

const FEATURES: usize = 20;

fn columns(x: &[f64]) -> Vec<(String, Tensor)> {
    let rows = x.len() / FEATURES;
    (0..FEATURES)
        .map(|c| {
            let col: Vec<f64> = (0..rows).map(|r| x[r * FEATURES + c]).collect();
            let t = Tensor::new(vec![rows], TensorData::F64(col)).expect("a column");
            (format!("f{c}"), t)
        })
        .collect()
}

fn main() {
    let root =
        std::env::var("TABULAR_MODELS").expect("TABULAR_MODELS=dir of benches/tabular_models.py");
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let bytes = std::fs::read(Path::new(&root).join("X.f64")).expect("X.f64");
    let x: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect();
    for name in ["rf_100", "xgb_300", "lgb_300"] {
        let dir = Path::new(&root).join(name);
        let mlmodel = MlModel::load(&dir).expect("MLmodel");
        let flavor = mlflowrs::serving::model_load::load_tabular(&mlmodel)
            .expect("a tabular model")
            .expect("loads natively");
        let feeds = columns(&x);
        let mut best = f64::INFINITY;
        for round in 0..=rounds {
            let batch = Batch {
                feeds: feeds.clone(),
            };
            let t0 = Instant::now();
            let out = flavor.predict(batch).expect("predicts");
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(out[0].1.shape[0], x.len() / FEATURES);
            if round > 0 {
                best = best.min(ms);
            }
        }
        println!("{name} {best:.1}");
    }
}
