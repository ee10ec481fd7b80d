//! `/metrics` in Prometheus' text format, on the main port or alone on
//! `--metrics-port`.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::response::Response;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;

use super::respond::detail;

/// `/metrics` alone, for `--metrics-port`.
pub fn metrics_router(handle: PrometheusHandle) -> Router {
    Router::new().fallback(move |req: Request| {
        let handle = handle.clone();
        async move {
            if req.uri().path() != "/metrics" {
                return detail(404, "Not Found", None);
            }
            if req.method() != Method::GET {
                return detail(405, "Method Not Allowed", Some("GET"));
            }
            metrics_response(&handle)
        }
    })
}

pub(super) fn metrics_response(handle: &PrometheusHandle) -> Response {
    let mut resp = Response::new(Body::from(handle.render()));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}
