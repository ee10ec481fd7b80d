//! Micro-benchmarks of the request path without HTTP or a model call:
//! JSON decoding, parsing plus schema enforcement (`Scorer::prepare`), and
//! answer encoding. `cargo bench --bench scoring`; compare runs to catch
//! regressions.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use mlflowrs::mlmodel::MlModel;
use mlflowrs::scoring::Scorer;
use mlflowrs_flavor_api::{Batch, DType, Flavor, FlavorError, IoSpec, Named, Tensor, TensorData};
use mlflowrs_protocol::pyjson;

/// The example model's graph interface; `prepare` never calls the model.
struct GraphOnly {
    inputs: Vec<IoSpec>,
}

impl Flavor for GraphOnly {
    fn backend_name(&self) -> &'static str {
        "bench"
    }
    fn inputs(&self) -> &[IoSpec] {
        &self.inputs
    }
    fn outputs(&self) -> &[IoSpec] {
        &[]
    }
    fn predict(&self, _: Batch) -> Result<Vec<Named>, FlavorError> {
        Err(FlavorError::Internal("not used in benchmarks".into()))
    }
}

fn body(rows: usize) -> Vec<u8> {
    let row = "[5.1, 3.5, 1.4, 0.2]";
    format!("{{\"inputs\": [{}]}}", vec![row; rows].join(", ")).into_bytes()
}

fn benches(c: &mut Criterion) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/iris-onnx");
    let model = MlModel::load(&dir).expect("example model");
    let flavor = GraphOnly {
        inputs: vec![IoSpec {
            name: "float_input".into(),
            dtype: Some(DType::F32),
            shape: vec![-1, 4],
        }],
    };
    let scorer = Scorer::new(model, Arc::new(flavor));
    for rows in [1, 1000] {
        let b = body(rows);
        c.bench_function(&format!("decode json, {rows} rows"), |bench| {
            bench.iter(|| pyjson::parse(black_box(&b)).unwrap())
        });
        c.bench_function(&format!("parse + enforce, {rows} rows"), |bench| {
            bench.iter(|| {
                scorer
                    .prepare(Some("application/json"), black_box(&b))
                    .ok()
                    .unwrap()
            })
        });
        let label = Tensor::new(vec![rows], TensorData::I64(vec![0; rows])).unwrap();
        let probs =
            Tensor::new(vec![rows, 3], TensorData::F32(vec![0.981_579_4; rows * 3])).unwrap();
        c.bench_function(&format!("encode answer, {rows} rows"), |bench| {
            bench.iter(|| {
                let mut out = String::new();
                mlflowrs::scoring::encode::write_tensor(black_box(&label), &mut out);
                mlflowrs::scoring::encode::write_tensor(black_box(&probs), &mut out);
                out
            })
        });
    }
}

criterion_group!(scoring, benches);
criterion_main!(scoring);
