//! `/graphql` of `mlflowrs server` on a real SQLite store: the query text
//! from the input (its first line, if the input has two or more, is the
//! `variables` JSON). Whatever the query, the server answers: 200, the 400
//! of a bad content type, or the 500 page MLflow's handler gives a query
//! its GraphQL parser refuses; never a panic, a stack overflow or a hang.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::Request;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

#[path = "tracking_fixture.rs"]
mod tracking_fixture;

use tracking_fixture::Fixture;

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| Fixture::open("graphql", |_| None))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (variables, query) = match text.split_once('\n') {
        Some((first, rest)) if first.trim_start().starts_with('{') => (first, rest),
        _ => ("null", text),
    };
    let variables: serde_json::Value = serde_json::from_str(variables).unwrap_or_default();
    let body = serde_json::json!({"query": query, "variables": variables});
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("a valid request");
    let f = fixture();
    let response = f
        .runtime
        .block_on(f.router.clone().oneshot(request))
        .expect("an answer");
    let status = response.status().as_u16();
    assert!(matches!(status, 200 | 500), "{status} for {query:?}");
});
