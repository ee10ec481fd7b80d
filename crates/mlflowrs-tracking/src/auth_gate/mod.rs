//! The basic-auth app in front of the REST API and the artifact proxy:
//! authenticate, check the route's permission (`policy`), answer, then
//! record the grants the request made and filter what a search may show
//! (`search_filter`).

mod policy;
mod search_filter;

use std::sync::Arc;

use axum::extract::Request as HttpRequest;
use axum::http::{header, Method};
use axum::response::Response;
use serde_json::Value as Json;

use crate::auth;
use crate::blocking::blocking;
use crate::endpoints::{api_endpoint, artifact_proxy_path, download_endpoint};
use crate::error::MlflowError;
use crate::request::{url_pairs, Request};
use crate::responses::{json_response, not_found_page, too_large};
use crate::routes::route;
use crate::Server;
use policy::Decision;

/// The basic-auth app around the REST API (`--app-name basic-auth`):
/// authenticate, check the caller's permission, answer, then record the
/// grants the request made and filter what a search may show.
pub(crate) async fn guarded(
    server: Arc<Server>,
    request: HttpRequest,
) -> Result<Response, MlflowError> {
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
            if !policy::artifact_proxy(&caller.grants, &method, &rel) {
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
    // MLflow authorizes GraphQL inside its resolvers: any logged-in user
    // may ask, and sees only what they may read. The UI's telemetry answer
    // is any logged-in user's too.
    if path == "/graphql" || path == "/ajax-api/3.0/mlflow/ui-telemetry" {
        let mut parts = parts;
        parts.extensions.insert(caller.clone());
        return route(
            server,
            HttpRequest::from_parts(parts, axum::body::Body::from(bytes)),
        )
        .await;
    }
    let Some((version, endpoint)) = api_endpoint(&path).or_else(|| download_endpoint(&path)) else {
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
        Decision::Allow
    } else {
        let (s, u, m, e, p) = (
            server.clone(),
            caller.clone(),
            method.clone(),
            endpoint.clone(),
            params.clone(),
        );
        blocking(move || Ok(policy::before(&s, &u.grants, &m, &e, &p))).await?
    };
    let mut body_bytes = bytes;
    let mut filter = None;
    match decision {
        Decision::Allow => {}
        Decision::Deny => return Ok(auth::forbidden()),
        Decision::Answer(answer) => return answer.map(json_response),
        Decision::Filter(f) => filter = Some(f),
        Decision::Rewrite(body) => {
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
            policy::after(auth, &caller.user, &endpoint, &params, &answer)?;
        }
        match filter {
            Some(kind) => {
                let request = Request::parse(&method, query.as_deref(), &req_headers, &body_bytes)?;
                search_filter::filter(&server, &caller.grants, kind, &request, answer).map(Some)
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
