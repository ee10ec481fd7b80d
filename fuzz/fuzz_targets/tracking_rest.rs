//! `mlflowrs server`'s REST API on a real SQLite store: a method, a path
//! and a body, all from the input. Whatever the client sends, the answer is
//! a 2xx, 3xx or 4xx, never a 5xx or a panic.
#![no_main]

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::Request;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    _dir: std::path::PathBuf,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let dir = std::env::temp_dir().join(format!("mlflowrs-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let settings = mlflowrs_tracking::Settings {
            backend_store_uri: format!("sqlite:///{}/mlflow.db", dir.display()),
            default_artifact_root: "mlflow-artifacts:/".into(),
            artifacts_destination: dir.join("artifacts"),
            serve_artifacts: true,
            max_request_bytes: 1 << 20,
            max_db_connections: 4,
            auth: None,
            header_timeout: std::time::Duration::from_secs(30),
        };
        let server = {
            let _guard = runtime.enter();
            mlflowrs_tracking::Server::open(settings, runtime.handle().clone())
                .expect("open store")
        };
        let router = mlflowrs_tracking::router(Arc::new(server));
        Fixture {
            runtime,
            router,
            _dir: dir,
        }
    })
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
    // The query string is the text up to the first newline, the body the rest.
    let (query, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&rest[..0], rest),
    };
    let Ok(query) = std::str::from_utf8(query) else {
        return;
    };
    let path = PATHS[usize::from(selector) % PATHS.len()];
    let method = METHODS[usize::from(selector / 32) % METHODS.len()];
    let uri = if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    };
    let Ok(request) = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_vec()))
    else {
        return;
    };
    let f = fixture();
    let response = f
        .runtime
        .block_on(f.router.clone().oneshot(request))
        .unwrap();
    let status = response.status();
    if status.is_server_error() {
        let text = f
            .runtime
            .block_on(axum::body::to_bytes(response.into_body(), 1 << 20))
            .unwrap_or_default();
        panic!(
            "{method} {path}: {status} {}",
            String::from_utf8_lossy(&text)
        );
    }
});
