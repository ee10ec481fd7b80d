//! `/graphql`, as `mlflow server` answers it: the operations of MLflow's
//! schema that its web UI sends (the experiment page's header and the run
//! page read through it), parsed by a real GraphQL parser, checked against
//! MLflow's query limits and schema, then run against the store.

mod authorize;
mod document;
mod execute;
mod introspection;
mod limits;
mod schema;
mod suggest;
mod validate;
mod variables;

use std::sync::Arc;

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value as Json};

use crate::auth::Caller;
use crate::blocking::blocking;
use crate::error::MlflowError;
use crate::request::Request;
use crate::responses::{flask_page, json_response};
use crate::Server;

/// Brackets nested deeper than this are refused before parsing; MLflow's
/// own limit on a query's depth (10) is far below it.
const MAX_NESTING: usize = 256;

/// `GET|POST /graphql`. `caller` is the basic-auth caller: fields a user
/// may not read resolve to null; for an admin, MLflow's auth middleware
/// turns a protected field's failure into null without an error.
pub(crate) async fn route(
    server: &Arc<Server>,
    method: &Method,
    query_string: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
    caller: Option<Arc<Caller>>,
) -> Result<Response, MlflowError> {
    if *method != Method::GET && *method != Method::POST {
        return Ok(flask_page(StatusCode::METHOD_NOT_ALLOWED));
    }
    // MLflow's content-type check first, then `get_json(silent=True)`:
    // a body that is not a JSON object fails in the handler (a 500).
    Request::parse(method, None, headers, body)?;
    let Ok(Json::Object(request)) = serde_json::from_slice::<Json>(body) else {
        return Ok(flask_page(StatusCode::INTERNAL_SERVER_ERROR));
    };
    let Some(Json::String(query)) = request.get("query") else {
        return Ok(flask_page(StatusCode::INTERNAL_SERVER_ERROR));
    };
    let given = match request.get("variables") {
        Some(Json::Object(v)) => v.clone(),
        None | Some(Json::Null) => Map::new(),
        // graphql-core's execute refuses it with a TypeError: Flask's 500.
        Some(_) => return Ok(flask_page(StatusCode::INTERNAL_SERVER_ERROR)),
    };

    let operation_name = request
        .get("operationName")
        .and_then(Json::as_str)
        .map(str::to_string);
    // graphql-core's syntax error escapes MLflow's handler: Flask's 500.
    // So does its parser's recursion error on absurd nesting, which must
    // not reach this parser's recursion either.
    if document::nesting_depth(query) > MAX_NESTING {
        return Ok(flask_page(StatusCode::INTERNAL_SERVER_ERROR));
    }
    let Ok(document) = async_graphql_parser::parse_query(query) else {
        return Ok(flask_page(StatusCode::INTERNAL_SERVER_ERROR));
    };
    if let Err(message) = limits::check(&document, &server.settings.graphql_limits) {
        return Ok(answer(Json::Null, vec![message]));
    }
    let (name, operation) = match validate::select_operation(&document, operation_name.as_deref()) {
        Ok((name, op)) => (name.map(|n| n.to_string()), op.clone()),
        Err(message) => return Ok(answer(Json::Null, vec![message])),
    };
    let problems = validate::check(name.as_deref(), &operation, &document.fragments);
    if !problems.is_empty() {
        return Ok(answer(Json::Null, problems));
    }
    let variables = match variables::coerce(&operation, &given, None) {
        Ok(v) => v,
        Err(_) => {
            // Again with the variables in document order, so that the
            // messages print them as Python would.
            let in_order = mlflowrs_protocol::pyjson::parse(body)
                .ok()
                .and_then(|doc| doc.get("variables").cloned());
            let problems = variables::coerce(&operation, &given, in_order.as_ref())
                .err()
                .unwrap_or_default();
            return Ok(answer(Json::Null, problems));
        }
    };
    let url_args = crate::request::url_pairs(query_string.unwrap_or(""));
    let fragments = document.fragments;
    let server = server.clone();
    let (data, errors) = blocking(move || {
        server.db.transaction(|tx| {
            let admin = caller.as_ref().is_some_and(|c| c.user.is_admin);
            let mut run = execute::Execution {
                tx,
                settings: &server.settings,
                variables: &variables,
                fragments: &fragments,
                grants: caller
                    .as_ref()
                    .filter(|c| !c.user.is_admin)
                    .map(|c| &c.grants),
                quiet_failures: admin,
                url_args: &url_args,
                errors: Vec::new(),
                experiments: Default::default(),
            };
            let data = run.operation(&operation);
            Ok((data, run.errors))
        })
    })
    .await?;
    Ok(answer(data, errors))
}

/// MLflow's shape: `{"data": …, "errors": [messages] | null}`, always 200.
fn answer(data: Json, errors: Vec<String>) -> Response {
    let errors = if errors.is_empty() {
        Json::Null
    } else {
        Json::Array(errors.into_iter().map(Json::String).collect())
    };
    json_response(json!({"data": data, "errors": errors}))
}

#[cfg(test)]
mod tests {
    /// The deepest query let through parses on a thread with a small
    /// stack (tokio's workers have 2 MiB).
    #[test]
    fn the_deepest_query_let_through_parses_on_a_small_stack() {
        let depth = super::MAX_NESTING / 2;
        let query = format!("{}x{}", "{ a ".repeat(depth), " }".repeat(depth));
        assert!(super::document::nesting_depth(&query) <= super::MAX_NESTING);
        let values = format!(
            "{{ test(inputString: {}1{}) }}",
            "[".repeat(250),
            "]".repeat(250)
        );
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let _ = async_graphql_parser::parse_query(&query);
                let _ = async_graphql_parser::parse_query(&values);
            })
            .unwrap()
            .join()
            .expect("the parser overflowed its stack");
    }
}
