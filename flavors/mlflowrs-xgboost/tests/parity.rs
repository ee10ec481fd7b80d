//! Random models trained and saved by the real XGBoost 3.2 / MLflow 3.17
//! (tests/gen_cases.py) must predict bit for bit what the library and
//! MLflow's pyfunc predict, and refuse what they refuse with their message.

mod common;

use mlflowrs_flavor_api::{Batch, Flavor, FlavorError, Named, Tensor};
use serde_json::Value;

use common::{assert_same, python, run_script, temp_dir, tensor_from};

fn shape(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect()
}

fn expected(v: &Value) -> Tensor {
    tensor_from(
        v["dtype"].as_str().unwrap(),
        shape(&v["shape"]),
        v["values"].as_array().unwrap(),
    )
}

fn frame_feeds(frame: &Value) -> Vec<Named> {
    frame
        .as_array()
        .unwrap()
        .iter()
        .map(|col| {
            let values = col["values"].as_array().unwrap();
            (
                col["name"].as_str().unwrap().to_owned(),
                tensor_from(col["dtype"].as_str().unwrap(), vec![values.len()], values),
            )
        })
        .collect()
}

fn array_feeds(arr: &Value) -> Vec<Named> {
    let t = tensor_from(
        arr["dtype"].as_str().unwrap(),
        shape(&arr["shape"]),
        arr["values"].as_array().unwrap(),
    );
    vec![(String::new(), t)]
}

fn load(case: &Value, name: &str) -> mlflowrs_xgboost::XgbModel {
    let model_dir = std::path::Path::new(case["dir"].as_str().unwrap());
    mlflowrs_xgboost::load(model_dir, &case["flavor"])
        .unwrap_or_else(|e| panic!("{name}: load failed: {e}"))
}

fn predict(model: &mlflowrs_xgboost::XgbModel, feeds: Vec<Named>) -> Result<Tensor, FlavorError> {
    model
        .predict(Batch { feeds })
        .map(|mut out| out.remove(0).1)
}

#[test]
fn random_models_match_xgboost_and_mlflow_pyfunc() {
    let Some(python) = python() else {
        panic!("no project venv (.venv/bin/python) to train reference models: run scripts/test.sh once");
    };
    let dir = temp_dir("parity");
    // A fixed sample: more cases or another seed are a change to these.
    let n_cases = "40";
    let seed = "20240611";
    run_script(
        &python,
        "gen_cases.py",
        &[dir.to_str().unwrap(), n_cases, seed],
    );
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    let mut checked = 0;
    for case in all["cases"].as_array().unwrap() {
        let name = format!(
            "{} ({})",
            case["name"].as_str().unwrap(),
            case["desc"].as_str().unwrap_or("")
        );
        let model = load(case, &name);
        if let Some(frame) = case.get("frame") {
            let out = predict(&model, frame_feeds(frame))
                .unwrap_or_else(|e| panic!("{name}: predict failed: {e}"));
            assert_same(&out, &expected(&case["expected"]), &format!("{name} frame"));
            checked += 1;
        }
        if let Some(arr) = case.get("array") {
            let want = case
                .get("expected_array")
                .unwrap_or_else(|| &case["expected"]);
            let out = predict(&model, array_feeds(arr))
                .unwrap_or_else(|e| panic!("{name}: predict failed: {e}"));
            assert_same(&out, &expected(want), &format!("{name} array"));
            checked += 1;
        }
    }
    assert!(checked > 0, "no case checked");

    for case in all["errors"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let model = load(case, name);
        let feeds = match case.get("frame") {
            Some(frame) => frame_feeds(frame),
            None => array_feeds(&case["array"]),
        };
        let got = predict(&model, feeds);
        match (case.get("error"), got) {
            (Some(msg), Err(FlavorError::Inference(m))) => {
                assert_eq!(m, msg.as_str().unwrap(), "{name}: error message")
            }
            (Some(msg), other) => panic!("{name}: expected error {msg}, got {other:?}"),
            (None, Ok(out)) => assert_same(&out, &expected(&case["expected"]), name),
            (None, Err(e)) => panic!("{name}: unexpected error {e}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
