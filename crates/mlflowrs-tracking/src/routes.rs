//! The HTTP surface: MLflow's REST paths (and their `/ajax-api` aliases)
//! mapped to store calls, each run in one database transaction on a
//! blocking thread. Unknown paths and methods answer as Flask does (HTML
//! 404/405), so clients see what `mlflow server` would send.

use std::sync::Arc;

use axum::extract::{Request as HttpRequest, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value as Json;

use super::db::Tx;
use super::error::MlflowError;
use super::request::{url_pairs, Request};
use super::{
    artifacts, auth, experiments, logged_models, model_versions, registry, run_data, runs, Server,
    Settings,
};

type Handler = fn(&mut dyn Tx, &Settings, &Request) -> Result<Json, MlflowError>;

/// (path under `…/mlflow/`, methods, handler).
fn table() -> Vec<(&'static str, &'static [Method], Handler)> {
    use Method as M;
    const POST: &[M] = &[M::POST];
    const GET: &[M] = &[M::GET];
    const PATCH: &[M] = &[M::PATCH];
    const DELETE: &[M] = &[M::DELETE];
    const GET_POST: &[M] = &[M::GET, M::POST];
    vec![
        ("experiments/create", POST, |t, s, r| {
            experiments::create(t, s, r)
        }),
        ("experiments/get", GET, |t, _, r| experiments::get(t, r)),
        ("experiments/get-by-name", GET, |t, _, r| {
            experiments::get_by_name(t, r)
        }),
        ("experiments/search", GET_POST, |t, _, r| {
            experiments::search(t, r)
        }),
        ("experiments/update", POST, |t, _, r| {
            experiments::update(t, r)
        }),
        ("experiments/delete", POST, |t, _, r| {
            experiments::delete(t, r)
        }),
        ("experiments/restore", POST, |t, _, r| {
            experiments::restore(t, r)
        }),
        ("experiments/set-experiment-tag", POST, |t, _, r| {
            experiments::set_tag(t, r)
        }),
        ("experiments/delete-experiment-tag", POST, |t, _, r| {
            experiments::delete_tag(t, r)
        }),
        ("runs/create", POST, |t, _, r| runs::create(t, r)),
        ("runs/get", GET, |t, _, r| runs::get(t, r)),
        ("runs/update", POST, |t, _, r| runs::update(t, r)),
        ("runs/delete", POST, |t, _, r| runs::delete(t, r)),
        ("runs/restore", POST, |t, _, r| runs::restore(t, r)),
        ("runs/search", GET_POST, |t, _, r| runs::search(t, r)),
        ("runs/log-metric", POST, |t, _, r| {
            run_data::log_metric(t, r)
        }),
        ("runs/log-parameter", POST, |t, _, r| {
            run_data::log_param(t, r)
        }),
        ("runs/set-tag", POST, |t, _, r| run_data::set_tag(t, r)),
        ("runs/delete-tag", POST, |t, _, r| {
            run_data::delete_tag(t, r)
        }),
        ("runs/log-batch", POST, |t, _, r| run_data::log_batch(t, r)),
        ("runs/log-inputs", POST, |t, _, r| {
            run_data::log_inputs(t, r)
        }),
        ("runs/outputs", POST, |t, _, r| run_data::log_outputs(t, r)),
        ("runs/log-model", POST, |t, _, r| run_data::log_model(t, r)),
        ("metrics/get-history", GET, |t, _, r| {
            runs::metric_history(t, r)
        }),
        ("logged-models", POST, |t, _, r| logged_models::create(t, r)),
        ("logged-models/search", POST, |t, _, r| {
            logged_models::search(t, r)
        }),
        ("registered-models/create", POST, |t, _, r| {
            registry::create_model(t, r)
        }),
        ("registered-models/get", GET, |t, _, r| {
            registry::get_model(t, r)
        }),
        ("registered-models/rename", POST, |t, _, r| {
            registry::rename_model(t, r)
        }),
        ("registered-models/update", PATCH, |t, _, r| {
            registry::update_model(t, r)
        }),
        ("registered-models/delete", DELETE, |t, _, r| {
            registry::delete_model(t, r)
        }),
        ("registered-models/search", GET, |t, _, r| {
            registry::search_models(t, r)
        }),
        (
            "registered-models/get-latest-versions",
            GET_POST,
            |t, _, r| registry::latest_versions(t, r),
        ),
        ("registered-models/set-tag", POST, |t, _, r| {
            registry::set_model_tag(t, r)
        }),
        ("registered-models/delete-tag", DELETE, |t, _, r| {
            registry::delete_model_tag(t, r)
        }),
        ("registered-models/alias", POST, |t, _, r| {
            registry::set_alias(t, r)
        }),
        ("registered-models/alias", DELETE, |t, _, r| {
            registry::delete_alias(t, r)
        }),
        ("registered-models/alias", GET, |t, _, r| {
            registry::get_by_alias(t, r)
        }),
        ("model-versions/create", POST, |t, _, r| {
            model_versions::create_version(t, r)
        }),
        ("model-versions/get", GET, |t, _, r| {
            model_versions::get_version(t, r)
        }),
        ("model-versions/update", PATCH, |t, _, r| {
            model_versions::update_version(t, r)
        }),
        ("model-versions/delete", DELETE, |t, _, r| {
            model_versions::delete_version(t, r)
        }),
        ("model-versions/transition-stage", POST, |t, _, r| {
            model_versions::transition_stage(t, r)
        }),
        ("model-versions/search", GET, |t, _, r| {
            model_versions::search_versions(t, r)
        }),
        ("model-versions/get-download-uri", GET, |t, _, r| {
            model_versions::download_uri(t, r)
        }),
        ("model-versions/set-tag", POST, |t, _, r| {
            model_versions::set_version_tag(t, r)
        }),
        ("model-versions/delete-tag", DELETE, |t, _, r| {
            model_versions::delete_version_tag(t, r)
        }),
    ]
}

fn flask_page(status: StatusCode) -> Response {
    let (title, text) = if status == StatusCode::METHOD_NOT_ALLOWED {
        (
            "405 Method Not Allowed",
            "The method is not allowed for the requested URL.",
        )
    } else {
        ("404 Not Found", "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.")
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

fn json_response(value: Json) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&value).unwrap_or_else(|_| "{}".into()),
    )
        .into_response()
}

/// Runs `f` in one transaction on a blocking thread.
async fn in_tx<F>(server: &Arc<Server>, f: F) -> Result<Json, MlflowError>
where
    F: FnOnce(&mut dyn Tx, &Settings) -> Result<Json, MlflowError> + Send + 'static,
{
    let server = server.clone();
    tokio::task::spawn_blocking(move || {
        let settings = &server.settings;
        server.db.transaction(|tx| f(tx, settings))
    })
    .await
    .map_err(|e| MlflowError::internal(format!("request task failed: {e}")))?
}

/// Flask's HTML 404 page.
pub fn not_found_page() -> Response {
    flask_page(StatusCode::NOT_FOUND)
}

pub async fn dispatch(State(server): State<Arc<Server>>, request: HttpRequest) -> Response {
    let answer = if server.auth.is_some() {
        guarded(server, request).await
    } else {
        route(server, request).await
    };
    match answer {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// Runs blocking work (the auth store, password hashing) off the runtime.
async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, MlflowError> + Send + 'static,
) -> Result<R, MlflowError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| MlflowError::internal(format!("request task failed: {e}")))?
}

/// 413 for a REST body over `--max-request-bytes`.
fn too_large(limit: usize) -> Response {
    let mut r = MlflowError::new(
        super::error::ErrorCode::RequestLimitExceeded,
        format!("Request body exceeds the limit of {limit} bytes (--max-request-bytes)."),
    )
    .into_response();
    *r.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    r
}

/// `(API version, endpoint)` of a REST path: `("2.0", "runs/get")`.
fn api_endpoint(path: &str) -> Option<(&'static str, &str)> {
    [
        ("/api/2.0/mlflow/", "2.0"),
        ("/ajax-api/2.0/mlflow/", "2.0"),
        ("/api/3.0/mlflow/", "3.0"),
        ("/ajax-api/3.0/mlflow/", "3.0"),
    ]
    .iter()
    .find_map(|(prefix, v)| path.strip_prefix(prefix).map(|rest| (*v, rest)))
}

fn artifact_proxy_path(path: &str) -> Option<&str> {
    [
        "/api/2.0/mlflow-artifacts/artifacts",
        "/ajax-api/2.0/mlflow-artifacts/artifacts",
    ]
    .iter()
    .find_map(|p| path.strip_prefix(p))
}

/// The basic-auth app around the REST API (`--app-name basic-auth`):
/// authenticate, check the caller's permission, answer, then record the
/// grants the request made and filter what a search may show.
async fn guarded(server: Arc<Server>, request: HttpRequest) -> Result<Response, MlflowError> {
    let path = request.uri().path().to_string();
    if auth::unprotected(&path) {
        return route(server, request).await;
    }
    let (parts, body) = request.into_parts();
    let headers = parts.headers.clone();
    let s = server.clone();
    let method = parts.method.clone();
    let query = parts.uri.query().map(str::to_string);
    // Downloads and uploads of one artifact are FastAPI routes in MLflow.
    let native = artifact_proxy_path(&path).is_some_and(|rest| {
        !rest.trim_matches('/').is_empty() && (method == Method::GET || method == Method::PUT)
    });
    let Some(caller) =
        blocking(move || s.auth.as_ref().expect("guarded").authenticate(&headers)).await?
    else {
        return Ok(if native {
            auth::unauthenticated_plain()
        } else {
            auth::unauthenticated()
        });
    };
    let caller = Arc::new(caller);

    if let Some(rest) = artifact_proxy_path(&path) {
        if !caller.user.is_admin {
            let rel = if rest.trim_matches('/').is_empty() {
                url_pairs(query.as_deref().unwrap_or(""))
                    .into_iter()
                    .find(|(k, _)| k == "path")
                    .map(|(_, v)| v)
                    .unwrap_or_default()
            } else {
                crate::request::percent_decode_path(rest.trim_start_matches('/'))
            };
            if !auth::policy::artifact_proxy(&caller.grants, &method, &rel) {
                return Ok(if native {
                    auth::forbidden_plain()
                } else {
                    auth::forbidden()
                });
            }
        }
        return route(server, HttpRequest::from_parts(parts, body)).await;
    }

    let limit = server.settings.max_request_bytes;
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return Ok(too_large(limit));
    };
    let Some((version, endpoint)) = api_endpoint(&path) else {
        let open = matches!(path.as_str(), "/" | "/version") && method == Method::GET;
        if !caller.user.is_admin && !open {
            return Ok(auth::forbidden());
        }
        return route(
            server,
            HttpRequest::from_parts(parts, axum::body::Body::from(bytes)),
        )
        .await;
    };
    let endpoint = endpoint.to_string();
    if version != "2.0" && !auth::is_endpoint(&method, version, &endpoint) {
        // Not a route under this version: Flask's 404 for admins, the
        // fail-closed 403 for everyone else, as MLflow answers.
        return Ok(if caller.user.is_admin {
            not_found_page()
        } else {
            auth::forbidden()
        });
    }

    // The auth app's own endpoints.
    if auth::is_endpoint(&method, version, &endpoint) {
        let (s, u, m, e, q, h, b) = (
            server.clone(),
            caller.clone(),
            method.clone(),
            endpoint.clone(),
            query.clone(),
            parts.headers.clone(),
            bytes.clone(),
        );
        let answer = blocking(move || {
            let auth = s.auth.as_ref().expect("guarded");
            Ok(auth::handle(auth, &u, &m, &e, q.as_deref(), &h, &b))
        })
        .await?;
        return Ok(answer);
    }

    let params = auth::Params::read(&method, query.as_deref(), &parts.headers, &bytes);
    let params = Arc::new(params);
    let decision = if caller.user.is_admin {
        auth::Decision::Allow
    } else {
        let (s, u, m, e, p) = (
            server.clone(),
            caller.clone(),
            method.clone(),
            endpoint.clone(),
            params.clone(),
        );
        blocking(move || Ok(auth::before(&s, &u.grants, &m, &e, &p))).await?
    };
    let mut body_bytes = bytes;
    let mut filter = None;
    match decision {
        auth::Decision::Allow => {}
        auth::Decision::Deny => return Ok(auth::forbidden()),
        auth::Decision::Answer(answer) => return answer.map(json_response),
        auth::Decision::Filter(f) => filter = Some(f),
        auth::Decision::Rewrite(body) => {
            body_bytes = bytes::Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
        }
    }
    let req_headers = parts.headers.clone();
    let request = HttpRequest::from_parts(parts, axum::body::Body::from(body_bytes.clone()));
    let response = route(server.clone(), request).await?;
    if response.status().as_u16() >= 400 {
        return Ok(response);
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|c| c.as_bytes().starts_with(b"application/json"));
    let hooked = matches!(
        endpoint.as_str(),
        "experiments/create"
            | "registered-models/create"
            | "registered-models/delete"
            | "registered-models/rename"
    );
    if !is_json || (!hooked && filter.is_none()) {
        return Ok(response);
    }
    let (head, body) = response.into_parts();
    let answer_bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| MlflowError::internal(format!("reading the answer: {e}")))?;
    let answer: Json = serde_json::from_slice(&answer_bytes).unwrap_or(Json::Null);
    let answer = blocking(move || {
        let auth = server.auth.as_ref().expect("guarded");
        if hooked {
            auth::after(auth, &caller.user, &endpoint, &params, &answer)?;
        }
        match filter {
            Some(kind) => {
                let request = Request::parse(&method, query.as_deref(), &req_headers, &body_bytes)?;
                auth::search_filter::filter(&server, &caller.grants, kind, &request, answer)
                    .map(Some)
            }
            None => Ok(None),
        }
    })
    .await?;
    Ok(match answer {
        Some(filtered) => json_response(filtered),
        None => Response::from_parts(head, axum::body::Body::from(answer_bytes)),
    })
}

async fn route(server: Arc<Server>, request: HttpRequest) -> Result<Response, MlflowError> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let method = parts.method.clone();
    let query = parts.uri.query().map(str::to_string);

    match path.as_str() {
        "/health" => return Ok("OK".into_response()),
        "/version" => {
            // Flask's default type for a plain string, as `mlflow server` sends it.
            return Ok((
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                mlflowrs_protocol::MLFLOW_COMPAT_VERSION,
            )
                .into_response());
        }
        _ => {}
    }
    // MLflow registers the tracking and registry routes under 2.0 only.
    let api = api_endpoint(&path)
        .filter(|(version, _)| *version == "2.0")
        .map(|(_, endpoint)| endpoint);
    let artifacts = artifact_proxy_path(&path);

    if let Some(rest) = artifacts {
        if !server.settings.serve_artifacts {
            return Ok(flask_page(StatusCode::NOT_FOUND));
        }
        let root = server.settings.artifacts_destination.clone();
        let rel = &crate::request::percent_decode_path(rest.trim_start_matches('/'));
        return match (method, rel.is_empty()) {
            (Method::GET, true) => {
                let path = url_pairs(query.as_deref().unwrap_or(""))
                    .into_iter()
                    .find(|(k, _)| k == "path")
                    .map(|(_, v)| v)
                    .unwrap_or_default();
                Ok(json_response(artifacts::list(&root, &path)?))
            }
            (Method::GET, false) => artifacts::download(&root, rel).await,
            (Method::PUT, false) => artifacts::upload(&root, rel, body).await,
            (Method::DELETE, false) => Ok(json_response(artifacts::delete(&root, rel).await?)),
            _ => Ok(flask_page(StatusCode::METHOD_NOT_ALLOWED)),
        };
    }

    let Some(endpoint) = api else {
        return Ok(flask_page(StatusCode::NOT_FOUND));
    };
    let endpoint = endpoint.to_string();
    let limit = server.settings.max_request_bytes;
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return Ok(too_large(limit));
    };

    if endpoint == "artifacts/list" && method == Method::GET {
        let req = Request::parse(&method, query.as_deref(), &parts.headers, &bytes)?;
        return list_run_artifacts(&server, req).await.map(json_response);
    }
    if let Some(rest) = endpoint.strip_prefix("logged-models/") {
        if rest != "search" {
            return logged_model_route(
                &server,
                &method,
                rest,
                query.as_deref(),
                &parts.headers,
                &bytes,
            )
            .await;
        }
    }
    let table = table();
    let on_path: Vec<_> = table.iter().filter(|(p, _, _)| *p == endpoint).collect();
    if on_path.is_empty() {
        return Ok(flask_page(StatusCode::NOT_FOUND));
    }
    let Some(entry) = on_path
        .iter()
        .find(|(_, methods, _)| methods.contains(&method))
    else {
        return Ok(flask_page(StatusCode::METHOD_NOT_ALLOWED));
    };
    let handler = entry.2;
    let req = Request::parse(&method, query.as_deref(), &parts.headers, &bytes)?;
    in_tx(&server, move |tx, settings| handler(tx, settings, &req))
        .await
        .map(json_response)
}

async fn logged_model_route(
    server: &Arc<Server>,
    method: &Method,
    rest: &str,
    query: Option<&str>,
    headers: &axum::http::HeaderMap,
    bytes: &[u8],
) -> Result<Response, MlflowError> {
    let req = Request::parse(method, query, headers, bytes)?;
    let parts: Vec<String> = rest
        .split('/')
        .map(super::request::percent_decode)
        .collect();
    let result = match (method.clone(), parts.as_slice()) {
        (Method::GET, [id]) => {
            let id = id.clone();
            in_tx(server, move |tx, _| logged_models::get(tx, &id)).await
        }
        (Method::PATCH, [id]) => {
            let id = id.clone();
            in_tx(server, move |tx, _| logged_models::finalize(tx, &id, &req)).await
        }
        (Method::DELETE, [id]) => {
            let id = id.clone();
            in_tx(server, move |tx, _| logged_models::delete(tx, &id)).await
        }
        (Method::PATCH, [id, tags]) if tags == "tags" => {
            let id = id.clone();
            in_tx(server, move |tx, _| logged_models::set_tags(tx, &id, &req)).await
        }
        (Method::DELETE, [id, tags, key @ ..]) if tags == "tags" && !key.is_empty() => {
            let (id, key) = (id.clone(), key.join("/"));
            in_tx(server, move |tx, _| {
                logged_models::delete_tag(tx, &id, &key)
            })
            .await
        }
        (_, [_] | [_, _] | [_, _, ..]) => return Ok(flask_page(StatusCode::METHOD_NOT_ALLOWED)),
        _ => return Ok(flask_page(StatusCode::NOT_FOUND)),
    };
    result.map(json_response)
}

/// `artifacts/list` for a run: its artifact URI's directory, when it is one
/// this server can read.
async fn list_run_artifacts(server: &Arc<Server>, req: Request) -> Result<Json, MlflowError> {
    let run_id = req.run_id()?;
    let path = req.opt_str("path")?.unwrap_or_default();
    let run = in_tx(server, move |tx, _| {
        Ok(Json::String(runs::load(tx, &run_id)?.artifact_uri))
    })
    .await?;
    let root_uri = run.as_str().unwrap_or_default().to_string();
    let files = match artifacts::local_dir(&server.settings.artifacts_destination, &root_uri)? {
        Some(dir) => {
            let dir = if path.is_empty() {
                dir
            } else {
                artifacts::safe_join(&dir, &path)?
            };
            artifacts::list_dir(&dir, &path)
        }
        None => Vec::new(),
    };
    Ok(super::json::object(vec![
        ("root_uri", Json::String(root_uri)),
        ("files", Json::Array(files)),
    ]))
}

pub fn router(server: Arc<Server>) -> axum::Router {
    axum::Router::new()
        .fallback(dispatch)
        .with_state(server)
        .layer(axum::extract::DefaultBodyLimit::disable())
}
