//! The V2 / Open Inference Protocol routes (`/v2/...`), answered by the
//! same engines as `/invocations` through a conversion of the request.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::response::Response;
use mlflowrs_protocol::Reply;

use super::admission::{permit, read_body};
use super::respond::respond;
use super::state::AppState;
use crate::serving::model_slot::Served;
use crate::serving::v2::{self, http_body};

pub(super) async fn v2_route(state: AppState, route: v2::Route<'_>, req: Request) -> Response {
    let found = match &route {
        v2::Route::ModelMeta(name) | v2::Route::ModelReady(name) | v2::Route::Infer(name) => {
            state.model(name)
        }
        _ => None,
    };
    let served = found.map(|i| state.models[i].current());
    let reply = match (route, served.as_deref()) {
        (v2::Route::Live, _) => Reply::json(200, "{\"live\": true}".into()),
        (v2::Route::Ready, _) => Reply::json(200, "{\"ready\": true}".into()),
        (v2::Route::ServerMeta, _) => v2::server_metadata(),
        (v2::Route::ModelMeta(_), Some(served)) => v2::metadata(&served.info),
        (v2::Route::ModelReady(_), Some(served)) => v2::ready(&served.info),
        (v2::Route::Infer(_), Some(served)) => return infer(&state, served, req).await,
        (
            v2::Route::ModelMeta(name) | v2::Route::ModelReady(name) | v2::Route::Infer(name),
            None,
        ) => v2::error(404, &format!("Model {name} not found")),
    };
    respond(reply)
}

async fn infer(state: &AppState, served: &Served, req: Request) -> Response {
    let Some(_permit) = permit(state) else {
        return respond(v2::error(429, "Too many concurrent requests; retry later."));
    };
    let header_length = req
        .headers()
        .get(http_body::HEADER_LENGTH)
        .map(|v| v.as_bytes().to_vec());
    let body = match read_body(req.into_body(), state.max_body_bytes).await {
        Ok(b) => b,
        Err(e) => {
            return respond(v2::error(
                413,
                &format!("could not read the request body: {}", e.error),
            ))
        }
    };
    let request = match http_body::parse(&body, header_length.as_deref()) {
        Ok(request) => request,
        Err(message) => return respond(v2::error(400, &message)),
    };
    match served.infer_v2(&request).await {
        Ok(outputs) => {
            let answer = http_body::answer(&served.info, &request, outputs);
            let mut response = respond(answer.reply);
            if let Some(length) = answer.header_length {
                response
                    .headers_mut()
                    .insert(http_body::HEADER_LENGTH, HeaderValue::from(length));
            }
            response
        }
        Err(e) => respond(v2::error(e.status, &e.message)),
    }
}
