//! Arbitrary bytes as a LightGBM text model (`model.lgb`): loading must
//! return an error or a model, and a loaded model must answer any input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlflowrs_flavor_api::{Tensor, TensorData};
use mlflowrs_lightgbm::LightGbmModel;

fuzz_target!(|data: &[u8]| {
    let Ok(model) = LightGbmModel::from_model_file(data) else {
        return;
    };
    let nf = model.booster().num_features();
    // Values that take every branch: NaN, zero, tiny, negative, huge, categories.
    let values = [f64::NAN, 0.0, 1e-40, -1.0, 0.5, 3.0, 33.0, 1e300, -1e300, 2.5e9];
    let rows = 12;
    let cells: Vec<f64> = (0..rows * nf).map(|i| values[i % values.len()]).collect();
    if let Ok(t) = Tensor::new(vec![rows, nf], TensorData::F64(cells)) {
        let _ = model.predict_tensor(&[(String::new(), t)]);
    }
    let frame: Vec<_> = (0..nf)
        .map(|j| {
            let col = (0..rows).map(|r| values[(r * 7 + j) % values.len()] as i64).collect();
            (format!("f{j}"), Tensor { shape: vec![rows], data: TensorData::I64(col) })
        })
        .collect();
    let _ = model.predict_tensor(&frame);
});
