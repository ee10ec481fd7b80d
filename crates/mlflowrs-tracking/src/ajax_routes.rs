//! The routes MLflow registers only under `/ajax-api/2.0/mlflow/` (its web
//! UI's calls, which its REST tests use too): a metric's history for many
//! runs, and a run artifact uploaded in the request body.

use std::sync::Arc;

use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value as Json;

use crate::artifacts;
use crate::blocking::in_tx;
use crate::error::MlflowError;
use crate::request::{url_pairs, Request};
use crate::responses::{flask_page, json_response};
use crate::run_data;
use crate::runs;
use crate::Server;

/// MLflow's limit on an artifact sent to `upload-artifact`.
const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The answer for an ajax-only endpoint, or None when `endpoint` is not one.
pub(crate) async fn route(
    server: &Arc<Server>,
    method: &Method,
    endpoint: &str,
    query: Option<&str>,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Option<Result<Response, MlflowError>> {
    const AJAX_ONLY: &[&str] = &[
        "metrics/get-history-bulk",
        "upload-artifact",
        "experiments/search-datasets",
    ];
    if !AJAX_ONLY.contains(&endpoint) {
        return None;
    }
    let args = url_pairs(query.unwrap_or(""));
    match (endpoint, method) {
        ("metrics/get-history-bulk", &Method::GET) => Some(
            in_tx(server, move |tx, _| runs::metric_history_bulk(tx, &args))
                .await
                .map(json_response),
        ),
        ("upload-artifact", &Method::POST) => Some(upload(server, &args, body).await),
        ("experiments/search-datasets", &Method::POST) => {
            Some(match Request::parse(method, query, headers, body) {
                Ok(req) => in_tx(server, move |tx, _| run_data::search_datasets(tx, &req))
                    .await
                    .map(json_response),
                Err(e) => Err(e),
            })
        }
        _ => Some(Ok(flask_page(StatusCode::METHOD_NOT_ALLOWED))),
    }
}

/// `upload-artifact?run_uuid=…&path=…`: the body becomes the file at `path`
/// under the run's artifact directory, with MLflow's checks in its order.
async fn upload(
    server: &Arc<Server>,
    args: &[(String, String)],
    body: &[u8],
) -> Result<Response, MlflowError> {
    let arg = |name: &str| {
        args.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let run_id = arg("run_uuid")
        .ok_or_else(|| MlflowError::invalid_parameter("Request must specify run_uuid."))?;
    let path =
        arg("path").ok_or_else(|| MlflowError::invalid_parameter("Request must specify path."))?;
    // validate_path_is_safe: checked against a root before the run is read.
    artifacts::safe_join(std::path::Path::new("/"), &path)?;
    if body.len() > MAX_UPLOAD_BYTES {
        return Err(MlflowError::invalid_parameter(
            "Artifact size is too large. Max size is 10MB.",
        ));
    }
    if body.is_empty() {
        return Err(MlflowError::invalid_parameter("Request must specify data."));
    }
    let uri = in_tx(server, move |tx, _| {
        Ok(Json::String(runs::load(tx, &run_id)?.artifact_uri))
    })
    .await?;
    let uri = uri.as_str().unwrap_or_default();
    let Some(dir) = artifacts::local_dir(&server.settings.artifacts_destination, uri)? else {
        return Err(MlflowError::internal(format!(
            "mlflowrs server cannot write to the artifact location {uri}"
        )));
    };
    let target = artifacts::safe_join(&dir, &path)?;
    if let Some(parent) = target.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(|e| {
            MlflowError::internal(format!("cannot create {}: {e}", parent.display()))
        })?;
    }
    tokio::fs::write(&target, body)
        .await
        .map_err(|e| MlflowError::internal(format!("cannot write artifact {path}: {e}")))?;
    // MLflow answers with an empty JSON-typed body.
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        "",
    )
        .into_response())
}
