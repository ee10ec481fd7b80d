//! The two download routes outside the REST API, as `mlflow server` serves
//! them to its web UI and to clients: `/get-artifact?run_id=…&path=…` (a
//! run's file) and `/model-versions/get-artifact?name=…&version=…&path=…`
//! (a file of a registered version), with MLflow's path check and headers.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value as Json;

use crate::artifacts;
use crate::blocking::in_tx;
use crate::error::MlflowError;
use crate::model_versions;
use crate::request::{url_pairs, Request};
use crate::responses::flask_page;
use crate::runs;
use crate::Server;

/// The answer when `path` is one of the two routes, else None.
pub(crate) async fn route(
    server: &Arc<Server>,
    path: &str,
    query: Option<&str>,
) -> Option<Result<Response, MlflowError>> {
    if !matches!(path, "/get-artifact" | "/model-versions/get-artifact") {
        return None;
    }
    let args = url_pairs(query.unwrap_or(""));
    let arg = |name: &str| args.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let answer = match path {
        "/get-artifact" => {
            let run_id = arg("run_id")
                .filter(|v| !v.is_empty())
                .or_else(|| arg("run_uuid"))
                .unwrap_or_default();
            let Some(rel) = arg("path") else {
                // request.args["path"]: werkzeug's 400 page.
                return Some(Ok(flask_page(StatusCode::BAD_REQUEST)));
            };
            send(server, rel, move |tx| {
                Ok(runs::load(tx, &run_id)?.artifact_uri)
            })
            .await
        }
        "/model-versions/get-artifact" => {
            let Some(rel) = arg("path") else {
                return Some(Ok(flask_page(StatusCode::BAD_REQUEST)));
            };
            let mut fields = serde_json::Map::new();
            for key in ["name", "version"] {
                if let Some(v) = arg(key) {
                    fields.insert(key.to_string(), Json::String(v));
                }
            }
            let req = Request { fields };
            send(server, rel, move |tx| {
                let uri = model_versions::download_uri(tx, &req)?;
                Ok(uri["artifact_uri"].as_str().unwrap_or_default().to_string())
            })
            .await
        }
        _ => return None,
    };
    Some(answer)
}

/// Checks `rel`, finds the root URI, and streams the file from the local
/// directory behind it.
async fn send(
    server: &Arc<Server>,
    rel: String,
    root: impl FnOnce(&mut dyn crate::db::Tx) -> Result<String, MlflowError> + Send + 'static,
) -> Result<Response, MlflowError> {
    artifacts::safe_join(std::path::Path::new("/"), &rel)?;
    let uri = in_tx(server, move |tx, _| root(tx).map(Json::String)).await?;
    send_artifact(server, uri.as_str().unwrap_or_default(), &rel).await
}

/// The file `rel` under the artifact root `uri`, as MLflow's `_send_artifact`
/// sends it; a proxied root is read through the destination, so a missing
/// file is named by its path there, as in MLflow.
pub(crate) async fn send_artifact(
    server: &Arc<Server>,
    uri: &str,
    rel: &str,
) -> Result<Response, MlflowError> {
    let destination = &server.settings.artifacts_destination;
    if let Some(under) = artifacts::proxied_path(uri) {
        let joined = if under.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{rel}", under.trim_end_matches('/'))
        };
        return artifacts::download(destination, &joined).await;
    }
    let Some(dir) = artifacts::local_dir(destination, uri)? else {
        return Err(MlflowError::internal(format!(
            "mlflowrs server cannot read the artifact location {uri}"
        )));
    };
    artifacts::download(&dir, rel).await
}
