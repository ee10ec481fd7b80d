//! What the tracking fuzz targets drive: `mlflowrs server` on a real
//! SQLite store in a temporary directory, its router and the runtime that
//! runs it, and the reading of an input into a request.
// Each target includes this file and uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use mlflowrs_tracking::auth::config::AuthSettings;
use tower::ServiceExt;

pub struct Fixture {
    pub runtime: tokio::runtime::Runtime,
    pub router: axum::Router,
    _dir: PathBuf,
}

impl Fixture {
    /// A server whose store lives in a fresh directory; `auth` makes the
    /// basic-auth settings from that directory, or none.
    pub fn open(name: &str, auth: impl FnOnce(&Path) -> Option<AuthSettings>) -> Fixture {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let dir = std::env::temp_dir().join(format!("mlflowrs-fuzz-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let settings = mlflowrs_tracking::Settings {
            backend_store_uri: format!("sqlite:///{}/mlflow.db", dir.display()),
            default_artifact_root: "mlflow-artifacts:/".into(),
            artifacts_destination: dir.join("artifacts"),
            serve_artifacts: true,
            max_request_bytes: 1 << 20,
            max_db_connections: 4,
            auth: auth(&dir),
            max_concurrent_requests: 512,
            model_version_source_regex: None,
            ui: None,
            static_prefix: String::new(),
            graphql_limits: Default::default(),
        };
        let server = {
            let _guard = runtime.enter();
            mlflowrs_tracking::Server::open(settings, runtime.handle().clone()).expect("open store")
        };
        Fixture {
            router: mlflowrs_tracking::router(Arc::new(server)),
            runtime,
            _dir: dir,
        }
    }

    /// The answer's status; a 5xx panics with its body, the oracle both
    /// targets share.
    pub fn status_of(&self, request: Request<Body>, what: &str) -> axum::http::StatusCode {
        let response = self
            .runtime
            .block_on(self.router.clone().oneshot(request))
            .unwrap();
        let status = response.status();
        if status.is_server_error() {
            let text = self
                .runtime
                .block_on(axum::body::to_bytes(response.into_body(), 1 << 20))
                .unwrap_or_default();
            panic!("{what}: {status} {}", String::from_utf8_lossy(&text));
        }
        status
    }
}

/// An input's query string (the text up to the first newline) and body (the
/// rest), and the URI of `path` with that query; `None` when the query is
/// not text.
pub fn query_and_body<'a>(path: &str, rest: &'a [u8]) -> Option<(String, &'a str, &'a [u8])> {
    let (query, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&rest[..0], rest),
    };
    let query = std::str::from_utf8(query).ok()?;
    let uri = if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    };
    Some((uri, query, body))
}
