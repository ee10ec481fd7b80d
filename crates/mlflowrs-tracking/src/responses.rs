//! Answers in the shapes `mlflow server` (Flask) gives them.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value as Json;

use crate::error::{ErrorCode, MlflowError};

pub(crate) fn flask_page(status: StatusCode) -> Response {
    let (title, text) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "405 Method Not Allowed",
            "The method is not allowed for the requested URL.",
        ),
        StatusCode::INTERNAL_SERVER_ERROR => (
            "500 Internal Server Error",
            "The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.",
        ),
        StatusCode::BAD_REQUEST => (
            "400 Bad Request",
            "The browser (or proxy) sent a request that this server could not understand.",
        ),
        _ => ("404 Not Found", "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again."),
    };
    let body = format!(
        "<!doctype html>\n<html lang=en>\n<title>{title}</title>\n<h1>{}</h1>\n<p>{text}</p>\n",
        &title[4..]
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

pub(crate) fn json_response(value: Json) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&value).unwrap_or_else(|_| "{}".into()),
    )
        .into_response()
}

/// Flask's HTML 404 page.
pub(crate) fn not_found_page() -> Response {
    flask_page(StatusCode::NOT_FOUND)
}

/// 413 for a REST body over `--max-request-bytes`.
pub(crate) fn too_large(limit: usize) -> Response {
    let mut r = MlflowError::new(
        ErrorCode::RequestLimitExceeded,
        format!("Request body exceeds the limit of {limit} bytes (--max-request-bytes)."),
    )
    .into_response();
    *r.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    r
}

/// 429 when every `--max-concurrent-requests` permit is held; the MLflow
/// client retries it with back-off.
pub(crate) fn too_busy() -> Response {
    MlflowError::new(
        ErrorCode::RequestLimitExceeded,
        "Too many concurrent requests (--max-concurrent-requests); retry later.",
    )
    .into_response()
}

/// Python's `mimetypes.guess_type` for the extensions artifacts and MLflow's
/// UI bundle use; `None` where Python has no answer.
pub(crate) fn python_mime_type(name: &str) -> Option<&'static str> {
    let ext = name.trim_start_matches('.').rsplit_once('.')?.1;
    Some(match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" | "mjs" => "text/javascript",
        "json" => "application/json",
        "txt" => "text/plain",
        "png" => "image/png",
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "tif" | "tiff" => "image/tiff",
        "ico" => "image/vnd.microsoft.icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "eot" => "application/vnd.ms-fontobject",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "tar" => "application/x-tar",
        "wav" => "audio/x-wav",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        _ => return None,
    })
}

/// MLflow's `_content_disposition_attachment`: the name as werkzeug quotes
/// a header value, with an RFC 5987 `filename*` when it is not ASCII.
pub(crate) fn content_disposition(disposition: &str, name: &str) -> String {
    fn quote(value: &str) -> String {
        let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if !value.is_empty() && value.chars().all(token) {
            value.to_string()
        } else {
            format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
        }
    }
    if name.is_ascii() {
        return format!("{disposition}; filename={}", quote(name));
    }
    let fallback: String = name.chars().filter(char::is_ascii).collect();
    let fallback = if fallback.is_empty() {
        "download".to_string()
    } else {
        fallback
    };
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!(
        "{disposition}; filename={}; filename*=UTF-8''{encoded}",
        quote(&fallback)
    )
}
