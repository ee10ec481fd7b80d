//! `mlflowrs server`'s REST API on a real SQLite store: a method, a path
//! and a body, all from the input. Whatever the client sends, the answer is
//! a 2xx, 3xx or 4xx, never a 5xx or a panic.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::Request;
use libfuzzer_sys::fuzz_target;

#[path = "tracking_fixture.rs"]
mod tracking_fixture;

use tracking_fixture::{query_and_body, Fixture};

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| Fixture::open("rest", |_| None))
}

/// The REST API's paths, so that inputs reach handlers, not only the 404.
const PATHS: &[&str] = &[
    "/api/2.0/mlflow/experiments/create",
    "/api/2.0/mlflow/experiments/get",
    "/api/2.0/mlflow/experiments/get-by-name",
    "/api/2.0/mlflow/experiments/search",
    "/api/2.0/mlflow/experiments/update",
    "/api/2.0/mlflow/experiments/delete",
    "/api/2.0/mlflow/runs/create",
    "/api/2.0/mlflow/runs/get",
    "/api/2.0/mlflow/runs/update",
    "/api/2.0/mlflow/runs/search",
    "/api/2.0/mlflow/runs/log-metric",
    "/api/2.0/mlflow/runs/log-batch",
    "/api/2.0/mlflow/runs/log-parameter",
    "/api/2.0/mlflow/runs/set-tag",
    "/api/2.0/mlflow/metrics/get-history",
    "/api/2.0/mlflow/registered-models/create",
    "/api/2.0/mlflow/registered-models/get",
    "/api/2.0/mlflow/registered-models/search",
    "/api/2.0/mlflow/registered-models/alias",
    "/api/2.0/mlflow/model-versions/create",
    "/api/2.0/mlflow/model-versions/get",
    "/api/2.0/mlflow/model-versions/search",
    "/api/2.0/mlflow/model-versions/transition-stage",
    "/api/2.0/mlflow-artifacts/artifacts",
    "/api/2.0/mlflow-artifacts/artifacts/a/b.txt",
    "/api/2.0/mlflow/logged-models",
    "/ajax-api/2.0/mlflow/experiments/search",
    "/health",
];

const METHODS: &[&str] = &["GET", "POST", "PATCH", "DELETE", "PUT"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let path = PATHS[usize::from(selector) % PATHS.len()];
    let method = METHODS[usize::from(selector / 32) % METHODS.len()];
    let Some((uri, _, body)) = query_and_body(path, rest) else {
        return;
    };
    let Ok(request) = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_vec()))
    else {
        return;
    };
    fixture().status_of(request, &format!("{method} {path}"));
});
