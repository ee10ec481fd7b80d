//! The V2 / Open Inference Protocol routes (`/v2/...`), answered by the
//! same engines as `/invocations` through a conversion of the request.

use axum::extract::Request;
use axum::response::Response;
use mlflowrs_protocol::Reply;

use super::admission::{permit, read_body};
use super::respond::respond;
use super::state::AppState;
use crate::serving::model_slot::Served;
use crate::serving::v2;

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
        (v2::Route::ServerMeta, _) => Reply::json(
            200,
            format!(
                "{{\"name\": \"mlflowrs\", \"version\": \"{}\", \"extensions\": []}}",
                env!("CARGO_PKG_VERSION")
            ),
        ),
        (v2::Route::ModelMeta(_), Some(served)) => v2::metadata(&served.info),
        (v2::Route::ModelReady(_), Some(served)) => v2::ready(&served.info),
        (v2::Route::Infer(_), Some(served)) => infer(&state, served, req).await,
        (
            v2::Route::ModelMeta(name) | v2::Route::ModelReady(name) | v2::Route::Infer(name),
            None,
        ) => v2::error(404, &format!("Model {name} not found")),
    };
    respond(reply)
}

async fn infer(state: &AppState, served: &Served, req: Request) -> Reply {
    let Some(_permit) = permit(state) else {
        return v2::error(429, "Too many concurrent requests; retry later.");
    };
    let info = &served.info;
    let body = match read_body(req.into_body(), state.max_body_bytes).await {
        Ok(b) => b,
        Err(e) => {
            return v2::error(
                413,
                &format!("could not read the request body: {}", e.error),
            )
        }
    };
    match v2::to_mlflow(&body, info) {
        Err(message) => v2::error(400, &message),
        Ok(infer) => match served
            .engine
            .score(Some("application/json".into()), infer.body.into())
            .await
        {
            Ok(reply) => v2::from_mlflow(&reply, info, infer.id, infer.outputs),
            Err(e) => v2::error(500, &e.to_string()),
        },
    }
}
