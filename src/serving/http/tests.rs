//! The router's decisions, in process: routing, FastAPI's 404/405/307
//! shapes, the API key and the request limits need no socket and no model,
//! so they are asked of the router directly (`tower::ServiceExt::oneshot`).
//! What needs a process (signals, sockets, models) is in tests/serving/.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tokio::sync::Semaphore;
use tower::ServiceExt;

use super::{router, AppState};
use crate::serving::api_key::ApiKey;

fn state(api_key: Option<&str>, permits: usize) -> AppState {
    AppState {
        models: Arc::new(Vec::new()),
        split: None,
        timeout: Duration::from_secs(5),
        max_body_bytes: 1024,
        permits: Arc::new(Semaphore::new(permits)),
        metrics: None,
        api_key: api_key.map(ApiKey::new),
    }
}

/// Status, headers and body of one request.
async fn ask(state: AppState, request: Request<Body>) -> (StatusCode, header::HeaderMap, String) {
    let response = router(state).oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn health_checks_and_version_answer_as_mlflow() {
    for path in ["/ping", "/health"] {
        let (status, headers, body) = ask(state(None, 1), get(path)).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "\n"), "{path}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    }
    let (status, _, body) = ask(state(None, 1), get("/version")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, mlflowrs_protocol::MLFLOW_COMPAT_VERSION)
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_get_fastapis_answers() {
    let (status, _, body) = ask(state(None, 1), get("/nope")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::NOT_FOUND, r#"{"detail":"Not Found"}"#)
    );
    let (status, headers, body) = ask(state(None, 1), get("/invocations")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[header::ALLOW], "POST");
    assert_eq!(body, r#"{"detail":"Method Not Allowed"}"#);
    let request = Request::get("/ping/?a=1")
        .header(header::HOST, "example:5000")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = ask(state(None, 1), request).await;
    assert_eq!(status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(headers[header::LOCATION], "http://example:5000/ping?a=1");
}

#[tokio::test]
async fn the_api_key_guards_all_but_the_health_checks() {
    let keyed = || state(Some("s3cret"), 1);
    let (status, headers, body) = ask(keyed(), get("/version")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        headers[header::WWW_AUTHENTICATE],
        "Bearer realm=\"mlflowrs\""
    );
    assert!(body.contains("UNAUTHENTICATED"), "{body}");
    for wrong in [
        "Bearer s3cre",
        "Bearer s3cret ",
        "bearer s3cret",
        "Basic s3cret",
    ] {
        let request = Request::get("/version")
            .header(header::AUTHORIZATION, wrong)
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            ask(keyed(), request).await.0,
            StatusCode::UNAUTHORIZED,
            "{wrong}"
        );
    }
    let request = Request::get("/version")
        .header(header::AUTHORIZATION, "Bearer s3cret")
        .body(Body::empty())
        .unwrap();
    assert_eq!(ask(keyed(), request).await.0, StatusCode::OK);
    for open in ["/ping", "/health", "/v2/health/live", "/v2/health/ready"] {
        assert_eq!(ask(keyed(), get(open)).await.0, StatusCode::OK, "{open}");
    }
}

#[tokio::test]
async fn a_v2_infer_for_an_unknown_model_is_a_404_even_when_saturated() {
    let (status, _, body) = ask(
        state(None, 0),
        Request::post("/v2/models/absent/infer")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    // The model is looked up first: an unknown one is a 404 whatever the load.
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body.contains("Model absent not found"), "{body}");
}
