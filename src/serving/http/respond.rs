//! Turning answers into HTTP responses, in the shapes MLflow's FastAPI
//! server gives them.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use mlflowrs_protocol::Reply;

pub(super) fn respond(reply: Reply) -> Response {
    let mut resp = Response::new(Body::from(reply.body));
    *resp.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    resp
}

/// FastAPI's `{"detail": ...}` answer, with `Allow` for a 405.
pub(super) fn detail(status: u16, text: &str, allow: Option<&'static str>) -> Response {
    let mut resp = respond(Reply::json(status, format!("{{\"detail\":\"{text}\"}}")));
    if let Some(allow) = allow {
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    resp
}

/// 401 in MLflow's error format, with the challenge RFC 6750 asks for.
pub(super) fn unauthenticated() -> Response {
    let mut resp = respond(Reply::json(
        401,
        "{\"error_code\": \"UNAUTHENTICATED\", \"message\": \"This server requires an API key: send it as 'Authorization: Bearer <key>'.\"}".into(),
    ));
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"mlflowrs\""),
    );
    resp
}

/// Starlette's 307 to the path without its trailing slash.
pub(super) fn redirect(req: &Request, to: &str) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let location = format!("http://{host}{to}{query}");
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}
