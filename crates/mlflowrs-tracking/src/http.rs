//! The tracking server's HTTP entry: every request goes through the
//! basic-auth gate when the auth app is on, then to the routes.

use std::sync::Arc;

use axum::extract::{Request as HttpRequest, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::{auth_gate, routes, Server};

pub fn router(server: Arc<Server>) -> axum::Router {
    axum::Router::new()
        .fallback(dispatch)
        .with_state(server)
        .layer(axum::extract::DefaultBodyLimit::disable())
}

async fn dispatch(State(server): State<Arc<Server>>, request: HttpRequest) -> Response {
    let Some(request) = without_static_prefix(&server.settings.static_prefix, request) else {
        return crate::responses::not_found_page();
    };
    // Health checks are answered however busy the server is, so that an
    // orchestrator does not restart a server that is merely loaded.
    let _permit = match request.uri().path() {
        "/health" | "/version" => None,
        _ => match server.permits.clone().try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => return crate::responses::too_busy(),
        },
    };
    let artifact_proxy = crate::endpoints::artifact_proxy_path(request.uri().path()).is_some();
    // MLflow lets notebooks frame its trace renderer.
    let frameable = request
        .uri()
        .path()
        .starts_with("/static-files/lib/notebook-trace-renderer/");
    let answer = if server.auth.is_some() {
        auth_gate::guarded(server, request).await
    } else {
        routes::route(server, request).await
    };
    let mut response = match answer {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    // MLflow's security headers on every answer: no content sniffing (an
    // HTML artifact must not run as a page of this origin), no framing by
    // other origins.
    // MLflow's auth app refuses an artifact upload through the proxy (its
    // plain-text 403) before its security middleware sees the answer: that
    // one goes out bare.
    let plain_text = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/plain"));
    if artifact_proxy && response.status() == axum::http::StatusCode::FORBIDDEN && plain_text {
        return response;
    }
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !frameable {
        headers.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
    }
    response
}

/// `--static-prefix /mlflow`: MLflow registers every route under the
/// prefix, so `/mlflow/api/...` is `/api/...` and anything outside it is
/// not found.
fn without_static_prefix(prefix: &str, mut request: HttpRequest) -> Option<HttpRequest> {
    if prefix.is_empty() {
        return Some(request);
    }
    let uri = request.uri();
    let rest = uri.path().strip_prefix(prefix)?;
    if !rest.starts_with('/') {
        return None;
    }
    let path_and_query = match uri.query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_string(),
    };
    *request.uri_mut() = path_and_query.parse().ok()?;
    Some(request)
}

/// The router's decisions in process, on a real SQLite store: no socket is
/// needed to check routing, Flask's answers, the body limit and the
/// basic-auth gate (the process-level suites are in tests/tracking/).
#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{header, Request, StatusCode};
    use tower::ServiceExt;

    use crate::auth::config::{settings, AuthInputs};
    use crate::{Server, Settings};

    async fn open(dir: &std::path::Path, basic_auth: bool) -> axum::Router {
        let auth = basic_auth.then(|| {
            settings(&AuthInputs {
                database_uri: Some(&format!("sqlite:///{}/basic_auth.db", dir.display())),
                admin_password: Some("admin-password-1"),
                max_db_connections: 2,
                ..Default::default()
            })
            .unwrap()
        });
        let settings = Settings {
            backend_store_uri: format!("sqlite:///{}/mlflow.db", dir.display()),
            default_artifact_root: "mlflow-artifacts:/".into(),
            artifacts_destination: dir.join("artifacts"),
            serve_artifacts: true,
            max_request_bytes: 1024,
            max_db_connections: 2,
            auth,
            max_concurrent_requests: 512,
            model_version_source_regex: None,
            ui: None,
            static_prefix: String::new(),
            graphql_limits: Default::default(),
        };
        let handle = tokio::runtime::Handle::current();
        let server = tokio::task::spawn_blocking(move || Server::open(settings, handle))
            .await
            .unwrap()
            .unwrap();
        super::router(std::sync::Arc::new(server))
    }

    async fn ask(router: &axum::Router, request: Request<Body>) -> (StatusCode, String, String) {
        let response = router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (
            parts.status,
            content_type,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }

    fn post(path: &str, body: &str) -> Request<Body> {
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn routes_answer_as_flask_and_write_through_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let router = open(dir.path(), false).await;
        let get = |p: &str| Request::get(p).body(Body::empty()).unwrap();
        assert_eq!(ask(&router, get("/health")).await.2, "OK");
        let (status, content_type, page) = ask(&router, get("/api/2.0/mlflow/nope")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(content_type, "text/html; charset=utf-8");
        assert!(page.contains("<title>404 Not Found</title>"), "{page}");
        let (status, _, _) = ask(&router, get("/api/2.0/mlflow/experiments/create")).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);

        let (status, _, created) = ask(
            &router,
            post(
                "/api/2.0/mlflow/experiments/create",
                r#"{"name": "in-process"}"#,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{created}");
        let id = serde_json::from_str::<serde_json::Value>(&created).unwrap()["experiment_id"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, _, found) = ask(
            &router,
            get("/ajax-api/2.0/mlflow/experiments/get-by-name?experiment_name=in-process"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            found.contains(&format!("\"experiment_id\":\"{id}\"")),
            "{found}"
        );

        // --max-request-bytes: 1024 here; one byte over is refused.
        let name = "x".repeat(1024 - r#"{"name": ""}"#.len() + 1);
        let (status, _, answer) = ask(
            &router,
            post(
                "/api/2.0/mlflow/experiments/create",
                &format!(r#"{{"name": "{name}"}}"#),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_basic_auth_gate_asks_for_credentials_first() {
        let dir = tempfile::tempdir().unwrap();
        let router = open(dir.path(), true).await;
        let response = router
            .clone()
            .oneshot(post(
                "/api/2.0/mlflow/experiments/create",
                r#"{"name": "a"}"#,
            ))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Basic realm=\"mlflow\""
        );
        // admin:admin-password-1
        let mut request = post("/api/2.0/mlflow/experiments/create", r#"{"name": "a"}"#);
        request.headers_mut().insert(
            header::AUTHORIZATION,
            "Basic YWRtaW46YWRtaW4tcGFzc3dvcmQtMQ==".parse().unwrap(),
        );
        let (status, _, answer) = ask(&router, request).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        // /health needs no credentials.
        let health = Request::get("/health").body(Body::empty()).unwrap();
        assert_eq!(ask(&router, health).await.0, StatusCode::OK);
    }
}
