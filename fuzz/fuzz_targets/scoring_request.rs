//! `/invocations` up to the model call: content-type negotiation, the JSON
//! formats, CSV and Parquet decoding, and schema enforcement, against a
//! tensor-signature model and a column-signature model. The first byte
//! picks the model and the content type. Bad input must be an MLflow error
//! reply, never a panic.
#![no_main]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use mlflowrs::mlmodel::MlModel;
use mlflowrs::scoring::Scorer;
use mlflowrs_flavor_api::{Batch, DType, Flavor, FlavorError, IoSpec, Named};

/// A graph interface without a graph: `prepare` never calls the model.
struct GraphOnly(Vec<IoSpec>);

impl Flavor for GraphOnly {
    fn backend_name(&self) -> &'static str {
        "fuzz"
    }
    fn inputs(&self) -> &[IoSpec] {
        &self.0
    }
    fn outputs(&self) -> &[IoSpec] {
        &[]
    }
    fn predict(&self, _: Batch) -> Result<Vec<Named>, FlavorError> {
        Err(FlavorError::Internal("not called".into()))
    }
}

fn scorer(fixture: &str, inputs: Vec<IoSpec>) -> Scorer {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/conformance/models")
        .join(fixture);
    Scorer::new(
        MlModel::load(&dir).expect("fixture MLmodel"),
        Arc::new(GraphOnly(inputs)),
    )
}

fn scorers() -> &'static [Scorer] {
    static S: OnceLock<Vec<Scorer>> = OnceLock::new();
    S.get_or_init(|| {
        let spec = |name: &str, dtype, shape: Vec<i64>| IoSpec {
            name: name.into(),
            dtype: Some(dtype),
            shape,
        };
        vec![
            scorer(
                "iris_unnamed",
                vec![spec("float_input", DType::F32, vec![-1, 4])],
            ),
            scorer(
                "multi_input",
                vec![
                    spec("x", DType::F64, vec![-1, 2]),
                    spec("y", DType::I64, vec![-1]),
                ],
            ),
            scorer(
                "mixed_columns",
                vec![
                    spec("a", DType::I64, vec![-1]),
                    spec("b", DType::F64, vec![-1]),
                ],
            ),
        ]
    })
}

const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "text/csv",
    "application/vnd.apache.parquet",
    "application/json; charset=utf-8",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let scorers = scorers();
    let scorer = &scorers[usize::from(selector >> 4) % scorers.len()];
    let ct = CONTENT_TYPES[usize::from(selector & 0x0f) % CONTENT_TYPES.len()];
    if let Err(reply) = scorer.prepare(Some(ct), body) {
        assert!(reply.status < 500 || reply.status == 500 && !reply.body.is_empty());
    }
});
