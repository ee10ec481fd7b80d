//! The XGBoost model loader (JSON and UBJSON): arbitrary bytes must load or
//! fail with an error, and a model that loads must evaluate without panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlflowrs_flavor_api::{Batch, Flavor, Tensor, TensorData};
use mlflowrs_xgboost::{ModelClass, ModelFormat, XgbModel};

fuzz_target!(|data: &[u8]| {
    let _ = ModelFormat::detect("model.bin", data);
    for (format, class) in [
        (ModelFormat::Json, ModelClass::Booster),
        (ModelFormat::Ubj, ModelClass::Classifier),
    ] {
        let Ok(model) = XgbModel::from_bytes(data, format, class) else {
            continue;
        };
        let n = model.inputs().len();
        if n > 4096 {
            continue;
        }
        let rows = 3;
        let values: Vec<f64> = (0..rows * n)
            .map(|i| match i % 4 {
                0 => f64::NAN,
                1 => -1.5,
                2 => 0.0,
                _ => 1e6,
            })
            .collect();
        let Ok(array) = Tensor::new(vec![rows, n], TensorData::F64(values)) else {
            continue;
        };
        let _ = model.predict(Batch {
            feeds: vec![(String::new(), array)],
        });
    }
});
