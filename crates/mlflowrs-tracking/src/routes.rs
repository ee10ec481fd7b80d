//! MLflow's REST paths (and their `/ajax-api` aliases) mapped to store
//! calls, each run in one database transaction on a blocking thread.
//! Unknown paths and methods answer as Flask does (HTML 404/405), so
//! clients see what `mlflow server` would send.

use std::sync::{Arc, LazyLock};

use axum::extract::Request as HttpRequest;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value as Json;

use crate::blocking::in_tx;
use crate::db::Tx;
use crate::endpoints::{api_endpoint, artifact_proxy_path};
use crate::error::MlflowError;
use crate::logged_model_artifacts;
use crate::request::{url_pairs, Request};
use crate::request_schema;
use crate::responses::{flask_page, json_response, too_large};
use crate::{
    artifacts, experiments, logged_models, model_versions, registry, run_data, runs, Server,
    Settings,
};

type Handler = fn(&mut dyn Tx, &Settings, &Request) -> Result<Json, MlflowError>;

/// (path under `…/mlflow/`, methods, handler), built once.
static TABLE: LazyLock<Vec<Route>> = LazyLock::new(table);

type Route = (&'static str, &'static [Method], Handler);

fn table() -> Vec<Route> {
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
        ("metrics/get-history-bulk-interval", GET, |t, _, r| {
            runs::metric_history_bulk_interval(t, r)
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
        ("model-versions/create", POST, |t, s, r| {
            model_versions::create_version(t, s, r)
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

pub(crate) async fn route(
    server: Arc<Server>,
    request: HttpRequest,
) -> Result<Response, MlflowError> {
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
    // Flask merges repeated slashes (`//model-versions/get-artifact`).
    let path = if path.starts_with("//") {
        format!("/{}", path.trim_start_matches('/'))
    } else {
        path
    };
    if let Some(answer) = crate::ui_routes::route(&server, &method, &path).await {
        return Ok(answer);
    }
    if path == "/graphql" {
        let limit = server.settings.max_request_bytes;
        let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
            return Ok(too_large(limit));
        };
        let caller = parts.extensions.get::<Arc<crate::auth::Caller>>().cloned();
        return crate::graphql::route(
            &server,
            &method,
            query.as_deref(),
            &parts.headers,
            &bytes,
            caller,
        )
        .await;
    }
    if let Some(answer) = crate::artifact_downloads::route(&server, &path, query.as_deref()).await {
        return answer;
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

    if path.starts_with("/ajax-api/") {
        let answer = crate::ajax_routes::route(
            &server,
            &method,
            &endpoint,
            query.as_deref(),
            &parts.headers,
            &bytes,
        )
        .await;
        if let Some(answer) = answer {
            return answer;
        }
    }
    if endpoint == "artifacts/list" && method == Method::GET {
        let mut req = Request::parse(&method, query.as_deref(), &parts.headers, &bytes)?;
        request_schema::validate(&endpoint, &method, &bytes, &mut req)?;
        return list_run_artifacts(&server, req).await.map(json_response);
    }
    if let Some(rest) = endpoint.strip_prefix("logged-models/") {
        if rest != "search" {
            let ajax = path.starts_with("/ajax-api/");
            return logged_model_route(
                &server,
                &method,
                rest,
                ajax,
                query.as_deref(),
                &parts.headers,
                &bytes,
            )
            .await;
        }
    }
    let on_path: Vec<_> = TABLE.iter().filter(|(p, _, _)| *p == endpoint).collect();
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
    let mut req = Request::parse(&method, query.as_deref(), &parts.headers, &bytes)?;
    request_schema::validate(&endpoint, &method, &bytes, &mut req)?;
    in_tx(&server, move |tx, settings| handler(tx, settings, &req))
        .await
        .map(json_response)
}

async fn logged_model_route(
    server: &Arc<Server>,
    method: &Method,
    rest: &str,
    ajax: bool,
    query: Option<&str>,
    headers: &axum::http::HeaderMap,
    bytes: &[u8],
) -> Result<Response, MlflowError> {
    let mut req = Request::parse(method, query, headers, bytes)?;
    let parts: Vec<String> = rest
        .split('/')
        .map(super::request::percent_decode)
        .collect();
    // MLflow's route pattern for the schema: the id (and tag key) as placeholders.
    let pattern = match parts.as_slice() {
        [_] => "logged-models/<model_id>".to_string(),
        [_, sub @ ..] => format!("logged-models/<model_id>/{}", sub.join("/")),
        _ => String::new(),
    };
    request_schema::validate(&pattern, method, bytes, &mut req)?;
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
        (Method::GET, [id, a, d]) if a == "artifacts" && d == "directories" => {
            logged_model_artifacts::list(server, id, &req).await
        }
        // MLflow registers the file download for the UI only.
        (Method::GET, [id, a, f]) if ajax && a == "artifacts" && f == "files" => {
            return logged_model_artifacts::download(server, id, &url_pairs(query.unwrap_or("")))
                .await;
        }
        (_, [_, a, f]) if a == "artifacts" && f == "files" => {
            return Ok(flask_page(StatusCode::NOT_FOUND))
        }
        (Method::POST, [id, params]) if params == "params" => {
            let id = id.clone();
            in_tx(server, move |tx, _| {
                logged_models::log_params(tx, &id, &req)
            })
            .await
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
    let root_uri = run.as_str().unwrap_or_default();
    artifacts::listing(&server.settings.artifacts_destination, root_uri, &path)
}
