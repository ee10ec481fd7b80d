//! Arbitrary bytes as a skops archive (`model.skops`): the reader and the
//! scikit-learn loader must return an error or a model, and a loaded model
//! must answer (or refuse) any input without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlflowrs_flavor_api::{Batch, Flavor, Tensor, TensorData};
use mlflowrs_sklearn::{LoadOptions, Method, SklearnModel};
use mlflowrs_skops::{Archive, Limits};

fuzz_target!(|data: &[u8]| {
    // Small limits keep each run fast; the bounds themselves are under test.
    let limits = Limits {
        max_member_bytes: 1 << 20,
        max_total_bytes: 4 << 20,
        max_array_elements: 1 << 16,
        max_members: 64,
    };
    if let Ok(archive) = Archive::from_bytes_with_limits(data, &limits) {
        let _ = archive.types();
        let _ = archive.untrusted_types(&[]);
    }
    let opts = LoadOptions {
        check_trusted_types: false,
        limits,
        ..LoadOptions::default()
    };
    for method in [Method::Predict, Method::PredictProba] {
        let Ok(model) = SklearnModel::from_bytes(data, method, &opts) else {
            continue;
        };
        let values = [f64::NAN, 0.0, -1.0, 0.5, 3.0, 1e300, f64::INFINITY];
        let rows = 5;
        let inputs = model.inputs().to_vec();
        let frame: Vec<_> = inputs
            .iter()
            .enumerate()
            .map(|(j, spec)| {
                let col = (0..rows)
                    .map(|r| values[(r * 3 + j) % values.len()])
                    .collect();
                (
                    spec.name.clone(),
                    Tensor {
                        shape: vec![rows],
                        data: TensorData::F64(col),
                    },
                )
            })
            .collect();
        let _ = model.predict(Batch { feeds: frame });
        let strings: Vec<_> = inputs
            .iter()
            .map(|spec| {
                let col = (0..rows)
                    .map(|r| ["red", "1.5", "", "zzz", "nan"][r % 5].to_owned())
                    .collect();
                (
                    spec.name.clone(),
                    Tensor {
                        shape: vec![rows],
                        data: TensorData::Str(col),
                    },
                )
            })
            .collect();
        let _ = model.predict(Batch { feeds: strings });
        let nf = inputs.len().max(1);
        let cells: Vec<f64> = (0..rows * nf).map(|i| values[i % values.len()]).collect();
        if let Ok(t) = Tensor::new(vec![rows, nf], TensorData::F64(cells)) {
            let _ = model.predict(Batch {
                feeds: vec![(String::new(), t)],
            });
        }
    }
});
