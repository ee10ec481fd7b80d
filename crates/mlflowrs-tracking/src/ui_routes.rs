//! The routes of MLflow's web UI outside its REST calls: the page (`/`), its
//! files (`/static-files/…`), `server-info` and the UI-telemetry answer,
//! as `mlflow server` serves them.

use std::sync::Arc;

use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::request::percent_decode_path;
use crate::responses::{content_disposition, flask_page, json_response, python_mime_type};
use crate::Server;

/// Flask's `max_age` for the hashed files under `/static-files/` (28 days).
const STATIC_MAX_AGE: u32 = 2_419_200;

/// The answer for a UI route, or `None` when `path` is not one.
pub(crate) async fn route(server: &Arc<Server>, method: &Method, path: &str) -> Option<Response> {
    let get = *method == Method::GET || *method == Method::HEAD;
    if path == "/" {
        return Some(if get {
            index(server).await
        } else {
            flask_page(StatusCode::METHOD_NOT_ALLOWED)
        });
    }
    if let Some(rel) = path.strip_prefix("/static-files/") {
        return Some(if get {
            static_file(server, &percent_decode_path(rel)).await
        } else {
            flask_page(StatusCode::METHOD_NOT_ALLOWED)
        });
    }
    match path {
        "/api/3.0/mlflow/server-info" | "/ajax-api/3.0/mlflow/server-info" => Some(if get {
            json_response(server_info())
        } else {
            flask_page(StatusCode::METHOD_NOT_ALLOWED)
        }),
        // mlflowrs sends no telemetry: MLflow's answers with telemetry off.
        "/ajax-api/3.0/mlflow/ui-telemetry" => Some(match *method {
            Method::GET => json_response(json!({
                "disable_ui_events": [],
                "disable_ui_telemetry": true,
                "ui_rollout_percentage": 0,
            })),
            Method::POST => json_response(json!({"status": "disabled"})),
            _ => flask_page(StatusCode::METHOD_NOT_ALLOWED),
        }),
        _ => None,
    }
}

/// What the UI learns about the server before anything else: a SQL store,
/// no workspaces, no trace archival, no multipart artifact transfers, and
/// no AI gateway (without this answer the UI shows a gateway menu).
fn server_info() -> serde_json::Value {
    json!({
        "features_enabled": {"gateway": false},
        "multipart_downloads_enabled": false,
        "multipart_uploads_enabled": false,
        "presigned_upload_model_id_supported": true,
        "presigned_upload_run_id_supported": true,
        "store_type": "SqlStore",
        "trace_archival_enabled": false,
        "workspaces_enabled": false,
    })
}

async fn index(server: &Arc<Server>) -> Response {
    let Some(bundle) = server.settings.ui.clone() else {
        return no_bundle_page();
    };
    match tokio::task::spawn_blocking(move || bundle.file("index.html")).await {
        // The page names the hashed files of this bundle: never reuse a stale one.
        Ok(Some(page)) => file_answer("index.html", page, "no-cache"),
        _ => no_bundle_page(),
    }
}

async fn static_file(server: &Arc<Server>, rel: &str) -> Response {
    let Some(bundle) = server.settings.ui.clone() else {
        return flask_page(StatusCode::NOT_FOUND);
    };
    let name = rel.to_string();
    let Ok(Some(data)) = tokio::task::spawn_blocking(move || bundle.file(&name)).await else {
        return flask_page(StatusCode::NOT_FOUND);
    };
    file_answer(rel, data, &format!("public, max-age={STATIC_MAX_AGE}"))
}

/// A file as werkzeug's `send_file` answers it: its guessed type (with a
/// charset where werkzeug names one), shown inline under its name.
fn file_answer(rel: &str, data: bytes::Bytes, cache_control: &str) -> Response {
    let mime = python_mime_type(rel).unwrap_or("application/octet-stream");
    let textual = mime.starts_with("text/")
        || mime.ends_with("+xml")
        || matches!(
            mime,
            "application/ecmascript"
                | "application/javascript"
                | "application/sql"
                | "application/xml"
                | "application/xml-dtd"
                | "application/xml-external-parsed-entity"
        );
    let content_type = if textual {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let mut answer = (
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_DISPOSITION,
                content_disposition("inline", name),
            ),
        ],
        data,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(cache_control) {
        answer.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    answer
}

/// `/` without a bundle: how to get one, in a page a browser shows.
fn no_bundle_page() -> Response {
    let version = mlflowrs_protocol::MLFLOW_COMPAT_VERSION;
    let body = format!(
        "<!doctype html>\n<html lang=en>\n<title>MLflow UI not installed</title>\n\
<h1>This mlflowrs server has no MLflow UI</h1>\n\
<p>The REST API is up. The web UI is MLflow's own, from the <code>mlflow</code> {version} wheel; \
give the server one of these and restart it:</p>\n<ul>\n\
<li><code>mlflowrs ui fetch</code> downloads the wheel into mlflowrs's cache (about 12 MB), or</li>\n\
<li><code>pip install mlflow=={version}</code> into the Python on PATH, <code>$VIRTUAL_ENV</code> or <code>./.venv</code>, or</li>\n\
<li><code>mlflowrs server --ui-bundle PATH</code> names a wheel or an unpacked <code>mlflow/server/js/build</code> directory.</li>\n\
</ul>\n"
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}
