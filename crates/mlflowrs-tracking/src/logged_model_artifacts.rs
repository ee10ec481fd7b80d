//! A logged model's artifacts: the directory listing
//! (`logged-models/<id>/artifacts/directories`) and the UI's file download
//! (`ajax-api/…/logged-models/<id>/artifacts/files`), read from the model's
//! artifact location when it is one this server can read.

use std::sync::Arc;

use axum::response::Response;
use serde_json::Value as Json;

use crate::artifacts;
use crate::blocking::in_tx;
use crate::error::{ErrorCode, MlflowError};
use crate::logged_models;
use crate::request::Request;
use crate::Server;

async fn location(server: &Arc<Server>, id: &str) -> Result<String, MlflowError> {
    let id = id.to_string();
    let location = in_tx(server, move |tx, _| {
        Ok(Json::String(
            logged_models::load(tx, &id)?.artifact_location,
        ))
    })
    .await?;
    Ok(location.as_str().unwrap_or_default().to_string())
}

pub(crate) async fn list(
    server: &Arc<Server>,
    id: &str,
    req: &Request,
) -> Result<Json, MlflowError> {
    let path = req.opt_str("artifact_directory_path")?;
    if let Some(p) = &path {
        artifacts::safe_join(std::path::Path::new("/"), p)?;
    }
    let root_uri = location(server, id).await?;
    artifacts::listing(
        &server.settings.artifacts_destination,
        &root_uri,
        &path.unwrap_or_default(),
    )
}

pub(crate) async fn download(
    server: &Arc<Server>,
    id: &str,
    query: &[(String, String)],
) -> Result<Response, MlflowError> {
    let path = query
        .iter()
        .find(|(k, _)| k == "artifact_file_path")
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            MlflowError::new(
                ErrorCode::BadRequest,
                "Request must include the \"artifact_file_path\" query parameter.",
            )
        })?;
    artifacts::safe_join(std::path::Path::new("/"), &path)?;
    let root_uri = location(server, id).await?;
    crate::artifact_downloads::send_artifact(server, &root_uri, &path).await
}
