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
