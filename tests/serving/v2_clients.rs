//! Real V2 clients with their defaults: NVIDIA's `tritonclient` over HTTP
//! (binary tensor data in and out) and over gRPC (`--grpc-port`,
//! raw_input_contents and raw_output_contents) get, for a model of every
//! flavor, the predictions the MLflow route answers for the same input.

use serde_json::{json, Value};

use crate::common::tracking::run_python;
use crate::common::{free_port, post_json_raw, repo_root, Running, Spawn};

/// What the script reports: each transport's outputs and extensions.
fn triton_answers(server: &Running, grpc_port: u16, model: &str, inputs: &Value) -> Value {
    let out = run_python(&[
        "tests/serving/triton_clients.py",
        &server.port.to_string(),
        &grpc_port.to_string(),
        model,
        &inputs.to_string(),
    ]);
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// MLflow's predictions by output name, as the V2 conversion names them.
fn by_name(predictions: &Value) -> Vec<(String, Value)> {
    match predictions {
        Value::Object(outputs) => outputs
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        Value::Array(rows) if rows.iter().all(Value::is_object) => {
            let mut columns: Vec<(String, Value)> = Vec::new();
            for row in rows {
                for (k, v) in row.as_object().unwrap() {
                    match columns.iter_mut().find(|(n, _)| n == k) {
                        Some((_, Value::Array(vs))) => vs.push(v.clone()),
                        _ => columns.push((k.clone(), json!([v]))),
                    }
                }
            }
            columns
        }
        other => vec![("predictions".into(), other.clone())],
    }
}

fn flat(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| flat(i, out)),
        other => out.push(other.clone()),
    }
}

/// The same values, numbers within `tolerance` (FP32 outputs travel as
/// float32 in V2 and as their repr in MLflow's JSON).
fn assert_same(transport: &str, name: &str, got: &Value, want: &Value, tolerance: f64) {
    let (mut g, mut w) = (Vec::new(), Vec::new());
    flat(got, &mut g);
    flat(want, &mut w);
    assert_eq!(g.len(), w.len(), "{transport} {name}: {got} vs {want}");
    for (a, b) in g.iter().zip(&w) {
        match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => assert!(
                (a - b).abs() <= tolerance * b.abs().max(1.0),
                "{transport} {name}: {a} vs {b}"
            ),
            _ => assert_eq!(a, b, "{transport} {name}"),
        }
    }
}

/// Serves `model` with gRPC on, asks both clients and the MLflow route,
/// and compares.
fn assert_clients_agree(
    model: &std::path::Path,
    extra: &[&str],
    inputs: Value,
    mlflow_body: Value,
    tolerance: f64,
) {
    let grpc_port = free_port();
    let grpc = grpc_port.to_string();
    let mut args = vec!["--grpc-port", grpc.as_str()];
    args.extend_from_slice(extra);
    let server = Spawn::serve(model).args(&args).start();
    let name = model.file_name().unwrap().to_str().unwrap();
    let answers = triton_answers(&server, grpc_port, name, &inputs);
    let (status, _, mlflow) = post_json_raw(
        server.port,
        "/invocations",
        mlflow_body.to_string().as_bytes(),
    );
    let mlflow: Value = serde_json::from_slice(&mlflow).unwrap();
    assert_eq!(status, 200, "{mlflow}");
    let want = by_name(&mlflow["predictions"]);
    for transport in ["http", "grpc"] {
        let got = answers[transport].as_object().unwrap();
        assert_eq!(got.len(), want.len(), "{transport}: {answers} vs {mlflow}");
        for (output, value) in &want {
            let answer = got
                .get(output)
                .unwrap_or_else(|| panic!("{transport}: no {output} in {answers}"));
            assert_same(transport, output, answer, value, tolerance);
        }
        assert_eq!(
            answers[format!("{transport}_extensions")],
            json!(["binary_tensor_data"])
        );
    }
}

fn iris_rows() -> Value {
    json!([
        [5.1, 3.5, 1.4, 0.2],
        [6.7, 3.0, 5.2, 2.3],
        [5.9, 3.0, 4.2, 1.5]
    ])
}

/// The iris columns as four FP64 tensors, for column-signature models.
fn iris_columns() -> (Value, Value) {
    let names = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
    let rows = iris_rows();
    let rows = rows.as_array().unwrap();
    let column = |i: usize| json!(rows.iter().map(|r| r[i].clone()).collect::<Vec<_>>());
    let inputs = names
        .iter()
        .enumerate()
        .map(|(i, n)| json!({"name": n, "datatype": "FP64", "data": column(i)}))
        .collect();
    let split = json!({"dataframe_split": {"columns": names, "data": rows}});
    (Value::Array(inputs), split)
}

fn onnx_iris(extra: &[&str]) {
    assert_clients_agree(
        &repo_root().join("examples/iris-onnx"),
        extra,
        json!([{"name": "float_input", "datatype": "FP32", "data": iris_rows()}]),
        json!({"inputs": iris_rows()}),
        1e-6,
    );
}

#[test]
fn triton_clients_agree_with_mlflow_onnx_runtime() {
    onnx_iris(&[]);
}

#[cfg(feature = "tract")]
#[test]
fn triton_clients_agree_with_mlflow_tract() {
    onnx_iris(&["--onnx-backend", "tract"]);
}

fn tabular(fixture: &str) {
    let (inputs, split) = iris_columns();
    assert_clients_agree(
        &repo_root().join("tests/conformance/models").join(fixture),
        &[],
        inputs,
        split,
        0.0,
    );
}

#[test]
fn triton_clients_agree_with_mlflow_sklearn_native() {
    tabular("sk_forest_clf");
}

#[test]
fn triton_clients_agree_with_mlflow_xgboost_native() {
    tabular("xgb_classifier");
}

#[test]
fn triton_clients_agree_with_mlflow_lightgbm_native() {
    tabular("lgb_booster");
}

/// KNeighborsClassifier: not native, so the Python workers answer.
#[test]
fn triton_clients_agree_with_mlflow_python_workers() {
    tabular("py_sklearn_knn");
}

#[cfg(feature = "candle")]
#[test]
fn triton_clients_agree_with_mlflow_candle() {
    let dir = tempfile::tempdir().unwrap();
    let model = crate::candle::assemble(dir.path());
    let sentences = json!(["A man is eating food.", "The sky is blue today."]);
    assert_clients_agree(
        &model,
        &[],
        json!([{"name": "input", "datatype": "BYTES", "data": sentences}]),
        json!({"inputs": sentences}),
        1e-6,
    );
}
