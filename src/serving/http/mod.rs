//! The scoring server's HTTP front: MLflow's routes and FastAPI's answers
//! for everything else (404/405 JSON, 307 for a trailing slash), the API
//! key, the concurrency and body limits, and the request timeout.
//!
//! A request goes `handle` (timeout, metrics) → `routes::route_request`
//! (API key, path and method) → `invocations` or `v2_routes` (permit, body)
//! → the model's engine.

mod admission;
mod invocations;
mod metrics_routes;
mod respond;
mod routes;
mod state;
mod v2_routes;

use axum::extract::{Request, State};
use axum::response::Response;
use axum::Router;
use mlflowrs_protocol::Reply;

pub use metrics_routes::metrics_router;
pub use state::AppState;

use crate::serving::v2;
use crate::telemetry;
use respond::respond;
use state::AnsweredBy;

pub fn router(state: AppState) -> Router {
    Router::new().fallback(handle).with_state(state)
}

async fn handle(State(state): State<AppState>, req: Request) -> Response {
    let started = std::time::Instant::now();
    // Unknown paths share one label so that scanners cannot grow the series.
    let route: &'static str = match v2::parse_route(req.uri().path()) {
        Some((v2::Route::Infer(_), _)) => "/v2/infer",
        Some(_) => "/v2",
        None if req.uri().path().starts_with("/models/") => "/models/{name}/invocations",
        None => routes::ROUTES
            .iter()
            .find(|(p, _)| *p == req.uri().path())
            .map_or("other", |(p, _)| p),
    };
    let timeout = state.timeout;
    let resp = match tokio::time::timeout(timeout, routes::route_request(state, req)).await {
        Ok(resp) => resp,
        Err(_) => respond(Reply::json(
            504,
            "Request processing time exceeded limit".into(),
        )),
    };
    let status = resp.status().as_u16();
    match resp.extensions().get::<AnsweredBy>() {
        Some(AnsweredBy(meters)) => meters.record(route, status, started.elapsed()),
        None => telemetry::record_request(route, status, &[], started.elapsed()),
    }
    resp
}

#[cfg(test)]
mod tests;
