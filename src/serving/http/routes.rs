//! Which handler answers a request: the API key check, then the path and
//! method, as MLflow's scoring server routes them.

use axum::extract::Request;
use axum::http::{HeaderValue, Method};
use axum::response::Response;
use mlflowrs_protocol::Reply;

use super::metrics_routes::metrics_response;
use super::respond::{detail, redirect, respond, unauthenticated};
use super::state::AppState;
use super::{invocations, v2_routes};
use crate::serving::api_key::is_health_check;
use crate::serving::v2;

/// The OpenAPI document of every route, served at `/openapi.json` as
/// MLflow's FastAPI server serves its own there.
const OPENAPI: &str = include_str!("openapi.json");

pub(super) const ROUTES: [(&str, &str); 7] = [
    ("/ping", "GET"),
    ("/health", "GET"),
    ("/version", "GET"),
    ("/invocations", "POST"),
    ("/metrics", "GET"),
    ("/openapi.json", "GET"),
    ("/models", "GET"),
];

pub(super) async fn route_request(state: AppState, req: Request) -> Response {
    if let Some(key) = &state.api_key {
        if !is_health_check(req.uri().path()) && !key.admits(req.headers()) {
            return unauthenticated();
        }
    }
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    if let Some((route, allowed)) = v2::parse_route(&path) {
        if method.as_str() != allowed {
            return detail(405, "Method Not Allowed", Some(allowed));
        }
        return v2_routes::v2_route(state, route, req).await;
    }
    if let Some(name) = path
        .strip_prefix("/models/")
        .and_then(|r| r.strip_suffix("/invocations"))
    {
        let Some(index) = state.model(name) else {
            return detail(404, "Not Found", None);
        };
        if method != Method::POST {
            return detail(405, "Method Not Allowed", Some("POST"));
        }
        return invocations::invocations(state, index, req).await;
    }
    let Some((_, allowed)) = ROUTES.iter().find(|(p, _)| *p == path) else {
        if let Some(trimmed) = path
            .strip_suffix('/')
            .filter(|t| ROUTES.iter().any(|(p, _)| p == t))
        {
            return redirect(&req, trimmed);
        }
        return detail(404, "Not Found", None);
    };
    if method.as_str() != *allowed {
        return detail(405, "Method Not Allowed", Some(allowed));
    }
    match path.as_str() {
        "/ping" | "/health" => respond(Reply::json(200, "\n".into())),
        "/version" => respond(Reply::json(
            200,
            mlflowrs_protocol::MLFLOW_COMPAT_VERSION.into(),
        )),
        "/openapi.json" => respond(Reply::json(200, OPENAPI.into())),
        "/models" => {
            let models: Vec<serde_json::Value> = state
                .models
                .iter()
                .map(|m| m.current().origin.clone())
                .collect();
            respond(Reply::json(
                200,
                serde_json::json!({ "models": models }).to_string(),
            ))
        }
        "/metrics" => match &state.metrics {
            Some(handle) => metrics_response(handle),
            None => detail(404, "Not Found", None),
        },
        _ => {
            let index = match &state.split {
                Some(split) => split.pick(
                    req.headers()
                        .get(&split.sticky_header)
                        .map(HeaderValue::as_bytes),
                ),
                None => 0,
            };
            invocations::invocations(state, index, req).await
        }
    }
}
