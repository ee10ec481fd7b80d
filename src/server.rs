//! The HTTP front: MLflow's routes and FastAPI's answers for everything
//! else (404/405 JSON, 307 for a trailing slash), a body limit and the
//! request timeout.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::Semaphore;

use crate::{telemetry, v2};

use crate::engine::Engine;
use crate::scoring::{ErrorCode, MlflowError, Reply};
use axum::http::HeaderName;

/// One served model: its engine, its V2 description and its metric labels.
pub struct Served {
    pub info: v2::ModelInfo,
    pub engine: Engine,
    pub labels: Vec<metrics::Label>,
    /// What the model URI resolved to (`GET /models`).
    pub origin: serde_json::Value,
    meters: Arc<telemetry::ModelMeters>,
    /// `x-mlflowrs-model` / `-version` values, made once.
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Served {
    pub fn new(
        info: v2::ModelInfo,
        engine: Engine,
        labels: Vec<metrics::Label>,
        origin: serde_json::Value,
    ) -> Served {
        let headers = [(MODEL_HEADER, &info.name), (VERSION_HEADER, &info.version)]
            .into_iter()
            .filter_map(|(name, value)| Some((name, HeaderValue::from_str(value).ok()?)))
            .collect();
        Served {
            meters: Arc::new(telemetry::ModelMeters::new(&labels)),
            info,
            engine,
            labels,
            origin,
            headers,
        }
    }
}

/// One served model, replaceable while requests run (`--watch-interval`):
/// a request keeps the model it started with until it is answered.
pub struct ModelSlot(std::sync::RwLock<Arc<Served>>);

impl ModelSlot {
    pub fn new(served: Served) -> ModelSlot {
        ModelSlot(std::sync::RwLock::new(Arc::new(served)))
    }

    pub fn current(&self) -> Arc<Served> {
        Arc::clone(&self.0.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Puts `served` in place; the old model finishes what it holds and stops.
    pub fn replace(&self, served: Served) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(served);
    }
}

/// Weighted routing of `/invocations` between served models (`--split`).
pub struct Split {
    /// (index into the served models, cumulative weight).
    pub cumulative: Vec<(usize, u64)>,
    /// A request carrying this header always goes to the same model.
    pub sticky_header: header::HeaderName,
}

impl Split {
    pub fn new(weights: &[(usize, u32)], sticky_header: header::HeaderName) -> Split {
        let mut total = 0;
        let cumulative = weights
            .iter()
            .map(|&(i, w)| {
                total += u64::from(w);
                (i, total)
            })
            .collect();
        Split {
            cumulative,
            sticky_header,
        }
    }

    fn pick(&self, key: Option<&[u8]>) -> usize {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let total = self.cumulative.last().map_or(1, |(_, c)| *c).max(1);
        let draw = match key {
            Some(k) => fnv1a(k),
            None => splitmix(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)),
        } % total;
        self.cumulative
            .iter()
            .find(|(_, c)| draw < *c)
            .map_or(0, |(i, _)| *i)
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A well-mixed sequence from a counter: an even spread without a RNG dependency.
fn splitmix(n: u64) -> u64 {
    let mut z = n
        .wrapping_add(0x9e37_79b9_7f4a_7c15)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[derive(Clone)]
pub struct AppState {
    /// The served models; the first answers `/invocations` without `--split`.
    pub models: Arc<Vec<ModelSlot>>,
    pub split: Option<Arc<Split>>,
    pub timeout: Duration,
    pub max_body_bytes: usize,
    /// One permit per request being handled (`--max-concurrent-requests`).
    pub permits: Arc<Semaphore>,
    /// Renders `/metrics`; `None` when no recorder is installed.
    pub metrics: Option<PrometheusHandle>,
    /// `--api-key`: the bearer token requests must carry.
    pub api_key: Option<ApiKey>,
}

/// A secret bearer token. It never prints: `Debug` shows `***`.
#[derive(Clone)]
pub struct ApiKey(Arc<[u8]>);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl ApiKey {
    pub fn new(key: &str) -> ApiKey {
        ApiKey(Arc::from(key.as_bytes()))
    }

    /// Whether the request's `Authorization` header carries the key. The
    /// comparison takes the same time wherever the bytes differ, so that
    /// timing does not reveal a prefix of the key.
    fn admits(&self, headers: &axum::http::HeaderMap) -> bool {
        let Some(given) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
        else {
            return false;
        };
        given.len() == self.0.len()
            && given
                .iter()
                .zip(self.0.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// Routes orchestrators probe without credentials.
fn is_health_check(path: &str) -> bool {
    matches!(
        path,
        "/ping" | "/health" | "/v2/health/live" | "/v2/health/ready"
    )
}

/// 401 in MLflow's error format, with the challenge RFC 6750 asks for.
fn unauthenticated() -> Response {
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

impl AppState {
    fn model(&self, name: &str) -> Option<usize> {
        self.models
            .iter()
            .position(|m| m.current().info.name == name)
    }
}

pub fn router(state: AppState) -> Router {
    Router::new().fallback(handle).with_state(state)
}

/// `/metrics` alone, for `--metrics-port`.
pub fn metrics_router(handle: PrometheusHandle) -> Router {
    Router::new().fallback(move |req: Request| {
        let handle = handle.clone();
        async move {
            if req.uri().path() != "/metrics" {
                return detail(404, "Not Found", None);
            }
            if req.method() != Method::GET {
                return detail(405, "Method Not Allowed", Some("GET"));
            }
            metrics_response(&handle)
        }
    })
}

fn metrics_response(handle: &PrometheusHandle) -> Response {
    let mut resp = Response::new(Body::from(handle.render()));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}

fn respond(reply: Reply) -> Response {
    let mut resp = Response::new(Body::from(reply.body));
    *resp.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    resp
}

fn detail(status: u16, text: &str, allow: Option<&'static str>) -> Response {
    let mut resp = respond(Reply::json(status, format!("{{\"detail\":\"{text}\"}}")));
    if let Some(allow) = allow {
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    resp
}

/// The OpenAPI document of every route, served at `/openapi.json` as
/// MLflow's FastAPI server serves its own there.
const OPENAPI: &str = include_str!("openapi.json");

const ROUTES: [(&str, &str); 7] = [
    ("/ping", "GET"),
    ("/health", "GET"),
    ("/version", "GET"),
    ("/invocations", "POST"),
    ("/metrics", "GET"),
    ("/openapi.json", "GET"),
    ("/models", "GET"),
];

async fn handle(State(state): State<AppState>, req: Request) -> Response {
    let started = std::time::Instant::now();
    // Unknown paths share one label so that scanners cannot grow the series.
    let route: &'static str = match v2::parse_route(req.uri().path()) {
        Some((v2::Route::Infer(_), _)) => "/v2/infer",
        Some(_) => "/v2",
        None if req.uri().path().starts_with("/models/") => "/models/{name}/invocations",
        None => ROUTES
            .iter()
            .find(|(p, _)| *p == req.uri().path())
            .map_or("other", |(p, _)| p),
    };
    let timeout = state.timeout;
    let resp = match tokio::time::timeout(timeout, route_request(state, req)).await {
        Ok(resp) => resp,
        Err(_) => respond(Reply::json(
            504,
            "Request processing time exceeded limit".into(),
        )),
    };
    let status = resp.status().as_u16();
    match resp.extensions().get::<AnsweredBy>() {
        Some(AnsweredBy(meters)) => meters.record(route, status, started.elapsed()),
        None => telemetry::record_request(route, status, &[], started.elapsed()),
    }
    resp
}

/// Marks a response with the meters of the model that answered it.
#[derive(Clone)]
struct AnsweredBy(Arc<telemetry::ModelMeters>);

async fn route_request(state: AppState, req: Request) -> Response {
    if let Some(key) = &state.api_key {
        if !is_health_check(req.uri().path()) && !key.admits(req.headers()) {
            return unauthenticated();
        }
    }
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    if let Some((route, allowed)) = v2::parse_route(&path) {
        if method.as_str() != allowed {
            return detail(405, "Method Not Allowed", Some(allowed));
        }
        return v2_route(state, route, req).await;
    }
    if let Some(name) = path
        .strip_prefix("/models/")
        .and_then(|r| r.strip_suffix("/invocations"))
    {
        let Some(index) = state.model(name) else {
            return detail(404, "Not Found", None);
        };
        if method != Method::POST {
            return detail(405, "Method Not Allowed", Some("POST"));
        }
        return invocations(state, index, req).await;
    }
    let Some((_, allowed)) = ROUTES.iter().find(|(p, _)| *p == path) else {
        if let Some(trimmed) = path
            .strip_suffix('/')
            .filter(|t| ROUTES.iter().any(|(p, _)| p == t))
        {
            return redirect(&req, trimmed);
        }
        return detail(404, "Not Found", None);
    };
    if method.as_str() != *allowed {
        return detail(405, "Method Not Allowed", Some(allowed));
    }
    match path.as_str() {
        "/ping" | "/health" => respond(Reply::json(200, "\n".into())),
        "/version" => respond(Reply::json(200, crate::MLFLOW_COMPAT_VERSION.into())),
        "/openapi.json" => respond(Reply::json(200, OPENAPI.into())),
        "/models" => {
            let models: Vec<serde_json::Value> = state
                .models
                .iter()
                .map(|m| m.current().origin.clone())
                .collect();
            respond(Reply::json(
                200,
                serde_json::json!({ "models": models }).to_string(),
            ))
        }
        "/metrics" => match &state.metrics {
            Some(handle) => metrics_response(handle),
            None => detail(404, "Not Found", None),
        },
        _ => {
            let index = match &state.split {
                Some(split) => split.pick(
                    req.headers()
                        .get(&split.sticky_header)
                        .map(HeaderValue::as_bytes),
                ),
                None => 0,
            };
            invocations(state, index, req).await
        }
    }
}

async fn v2_route(state: AppState, route: v2::Route<'_>, req: Request) -> Response {
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
        (v2::Route::Infer(_), Some(served)) => {
            let info = &served.info;
            let body = match axum::body::to_bytes(req.into_body(), state.max_body_bytes).await {
                Ok(b) => b,
                Err(e) => {
                    return respond(v2::error(
                        413,
                        &format!("could not read the request body: {e}"),
                    ))
                }
            };
            match v2::to_mlflow(&body, info) {
                Err(message) => v2::error(400, &message),
                Ok(infer) => {
                    let _permit = match state.permits.clone().try_acquire_owned() {
                        Ok(p) => p,
                        Err(_) => {
                            return respond(v2::error(
                                429,
                                "Too many concurrent requests; retry later.",
                            ))
                        }
                    };
                    match served
                        .engine
                        .score(Some("application/json".into()), infer.body.into())
                        .await
                    {
                        Ok(reply) => v2::from_mlflow(&reply, info, infer.id, infer.outputs),
                        Err(e) => v2::error(500, &e.to_string()),
                    }
                }
            }
        }
        (
            v2::Route::ModelMeta(name) | v2::Route::ModelReady(name) | v2::Route::Infer(name),
            None,
        ) => v2::error(404, &format!("Model {name} not found")),
    };
    respond(reply)
}

fn redirect(req: &Request, to: &str) -> Response {
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

/// Names the model that answered, so A/B clients can tell.
const MODEL_HEADER: HeaderName = HeaderName::from_static("x-mlflowrs-model");
const VERSION_HEADER: HeaderName = HeaderName::from_static("x-mlflowrs-model-version");

async fn invocations(state: AppState, index: usize, req: Request) -> Response {
    let served = state.models[index].current();
    let mut resp = score(&state, &served, req).await;
    resp.extensions_mut()
        .insert(AnsweredBy(Arc::clone(&served.meters)));
    for (name, value) in &served.headers {
        resp.headers_mut().insert(name.clone(), value.clone());
    }
    resp
}

async fn score(state: &AppState, served: &Served, req: Request) -> Response {
    debug_assert_eq!(req.method(), Method::POST);
    let _in_flight = telemetry::InFlight::start(&served.meters.in_flight);
    // Taken before the body is read, so a flood cannot buffer bodies either.
    let Ok(_permit) = state.permits.clone().try_acquire_owned() else {
        let err = MlflowError::new(
            ErrorCode::RequestLimitExceeded,
            "Too many concurrent requests (--max-concurrent-requests); retry later.",
        );
        return respond(Reply::error(&err));
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let limit = state.max_body_bytes;
    let body = match axum::body::to_bytes(req.into_body(), limit).await {
        Ok(b) => b,
        Err(e) => {
            let too_big = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            return if too_big {
                let err = MlflowError::new(
                    ErrorCode::RequestLimitExceeded,
                    format!("Request body exceeds the limit of {limit} bytes (--max-body-bytes)."),
                );
                let mut r = respond(Reply::error(&err));
                *r.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
                r
            } else {
                respond(Reply::error(&MlflowError::invalid_input(format!(
                    "Could not read the request body: {e}"
                ))))
            };
        }
    };
    match served.engine.score(content_type, body).await {
        Ok(reply) => respond(reply),
        Err(e) => {
            tracing::error!(error = %e, "prediction failed");
            respond(Reply::error(&MlflowError::new(
                ErrorCode::InternalError,
                e.to_string(),
            )))
        }
    }
}
