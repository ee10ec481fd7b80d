//! `POST /invocations` and `/models/{name}/invocations`: MLflow's scoring
//! protocol, answered by the model's engine.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::response::Response;
use mlflowrs_protocol::{ErrorCode, MlflowError, Reply};

use super::admission::{permit, read_body};
use super::respond::respond;
use super::state::{AnsweredBy, AppState};
use crate::serving::model_slot::Served;
use crate::telemetry;

pub(super) async fn invocations(state: AppState, index: usize, req: Request) -> Response {
    let served = state.models[index].current();
    let mut resp = score(&state, &served, req).await;
    resp.extensions_mut()
        .insert(AnsweredBy(Arc::clone(&served.meters)));
    for (name, value) in &served.headers {
        resp.headers_mut().insert(name.clone(), value.clone());
    }
    resp
}

async fn score(state: &AppState, served: &Served, req: Request) -> Response {
    debug_assert_eq!(req.method(), Method::POST);
    let _in_flight = telemetry::InFlight::start(&served.meters.in_flight);
    let Some(_permit) = permit(state) else {
        let err = MlflowError::new(
            ErrorCode::RequestLimitExceeded,
            "Too many concurrent requests (--max-concurrent-requests); retry later.",
        );
        return respond(Reply::error(&err));
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let limit = state.max_body_bytes;
    let body = match read_body(req.into_body(), limit).await {
        Ok(b) => b,
        Err(e) if e.too_large => {
            let err = MlflowError::new(
                ErrorCode::RequestLimitExceeded,
                format!("Request body exceeds the limit of {limit} bytes (--max-body-bytes)."),
            );
            let mut r = respond(Reply::error(&err));
            *r.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            return r;
        }
        Err(e) => {
            return respond(Reply::error(&MlflowError::invalid_input(format!(
                "Could not read the request body: {}",
                e.error
            ))))
        }
    };
    match served.engine.score(content_type, body).await {
        Ok(reply) => respond(reply),
        Err(e) => {
            tracing::error!(error = %e, "prediction failed");
            respond(Reply::error(&MlflowError::new(
                ErrorCode::InternalError,
                e.to_string(),
            )))
        }
    }
}
