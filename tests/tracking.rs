//! `mlflowrs server` against what the real `mlflow server` does:
//! - the REST calls recorded from `mlflow server` (tests/tracking/record.py)
//!   replayed against mlflowrs, answers compared field by field (ids and
//!   timestamps aside);
//! - the real mlflow client (tests/tracking/client_scenario.py) run against
//!   mlflowrs with SQLite and with PostgreSQL, observing what it observed
//!   against `mlflow server`, then `mlflowrs models serve -m models:/…@alias`
//!   serving the registered model;
//!
//! Its limits, durability and safety are in tests/tracking_limits.rs.

mod common;

use std::path::Path;

use common::tracking::{read_json, run_python, Postgres, Tracking};
use common::{build_request, raw_request, repo_root};
use serde_json::Value as Json;

/// Where two answers may differ and still be the same answer: ids (the
/// captured values), "now" timestamps, SQLAlchemy's text inside messages,
/// and the order of unordered lists.
fn normalize(v: &mut Json, key: &str) {
    match v {
        Json::Object(map) => {
            for (k, child) in map.iter_mut() {
                normalize(child, k);
            }
            if let Some(Json::String(m)) = map.get_mut("message") {
                for cut in [" Error: (", " not one of '{"] {
                    if let Some(i) = m.find(cut) {
                        m.truncate(i);
                    }
                }
            }
        }
        Json::Array(items) => {
            for item in items.iter_mut() {
                normalize(item, key);
            }
            if [
                "tags",
                "params",
                "metrics",
                "latest_versions",
                "aliases",
                "files",
            ]
            .contains(&key)
            {
                items.sort_by_key(|i| i.to_string());
            }
        }
        Json::Number(n) => {
            let is_time =
                key.ends_with("time") || key.ends_with("timestamp") || key.ends_with("_ms");
            // Times the cases set themselves (1.7e12) are compared; "now" is not.
            if is_time && n.as_f64().is_some_and(|t| t > 1.75e12) {
                *v = Json::from(0);
            }
        }
        _ => {}
    }
}

fn captured(cases: &[Json]) -> Vec<(String, String)> {
    let mut env = Vec::new();
    for case in cases {
        let Some(capture) = case.get("capture").and_then(Json::as_object) else {
            continue;
        };
        for (var, path) in capture {
            let mut v = case["answer"].get("json").cloned().unwrap_or(Json::Null);
            for part in path.as_str().unwrap().split('.') {
                v = v.get(part).cloned().unwrap_or(Json::Null);
            }
            if let Some(s) = v.as_str() {
                env.push((var.clone(), s.to_string()));
            }
        }
    }
    env
}

fn comparable(answer: &Json, env: &[(String, String)]) -> Json {
    let mut text = answer.to_string();
    // Longest first: a page token may contain a shorter id's text.
    let mut env = env.to_vec();
    env.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    for (var, value) in &env {
        if value.len() >= 8 {
            text = text.replace(value, &format!("<{var}>"));
        }
    }
    let mut v: Json = serde_json::from_str(&text).unwrap();
    if let Some(Json::String(ct)) = v.get("content_type") {
        if ct == "text/html" {
            // Flask's HTML error pages: the status and the type are the answer.
            v["text"] = Json::Null;
        }
    }
    normalize(&mut v, "");
    v
}

#[test]
fn recorded_rest_answers_match_mlflow_server() {
    let recorded = read_json(&repo_root().join("tests/tracking/recorded/cases.json"));
    let dir = tempfile::tempdir().unwrap();
    let server = Tracking::start("sqlite:///mlflow.db", dir.path());
    let out = dir.path().join("replayed.json");
    run_python(&[
        "tests/tracking/record.py",
        "--replay",
        &server.url(),
        out.to_str().unwrap(),
    ]);
    let replayed = read_json(&out);
    let want_cases = recorded["cases"].as_array().unwrap();
    let got_cases = replayed["cases"].as_array().unwrap();
    assert_eq!(want_cases.len(), got_cases.len());
    let want_env = captured(want_cases);
    let got_env = captured(got_cases);
    let mut failures = Vec::new();
    for (want, got) in want_cases.iter().zip(got_cases) {
        let name = want["name"].as_str().unwrap();
        let mut w = comparable(&want["answer"], &want_env);
        let mut g = comparable(&got["answer"], &got_env);
        // Where MLflow pastes SQLAlchemy's or the driver's text into the
        // message, the status and error code are the answer.
        let driver_text = [
            "(sqlite3.",
            "(psycopg2.",
            "Query-invoked autoflush",
            "sqlalche.me",
        ];
        if let Some(m) = w["json"]["message"].as_str() {
            if driver_text.iter().any(|t| m.contains(t)) {
                w["json"]["message"] = Json::Null;
                g["json"]["message"] = Json::Null;
            }
        }
        if w != g {
            failures.push(format!("{name}:\n  mlflow:   {w}\n  mlflowrs: {g}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        want_cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_comparison_sees_a_changed_answer() {
    let recorded = read_json(&repo_root().join("tests/tracking/recorded/cases.json"));
    let cases = recorded["cases"].as_array().unwrap();
    let env = captured(cases);
    let case = cases.iter().find(|c| c["name"] == "rm_get").unwrap();
    let mut changed = case["answer"].clone();
    changed["json"]["registered_model"]["description"] = Json::from("other");
    assert_ne!(
        comparable(&case["answer"], &env),
        comparable(&changed, &env)
    );
    let mut later = case["answer"].clone();
    later["json"]["registered_model"]["creation_timestamp"] = Json::from(1_900_000_000_000_i64);
    assert_eq!(comparable(&case["answer"], &env), comparable(&later, &env));
}

/// Runs the client scenario against `server`, compares what it saw with
/// what it saw against `mlflow server`, then serves the champion.
fn client_scenario_against(server: &Tracking, dir: &Path) {
    let out = dir.join("scenario.json");
    run_python(&[
        "tests/tracking/client_scenario.py",
        &server.url(),
        out.to_str().unwrap(),
    ]);
    let got = read_json(&out);
    let want = read_json(&repo_root().join("tests/tracking/recorded/scenario.json"));
    assert_eq!(got, want);

    // `models serve` resolves the alias through this server and downloads
    // the model through its artifact proxy.
    let serve = common::Server::start_with_env(
        &["-m".to_string(), "models:/scn-sk@champion".to_string()],
        &[
            ("MLFLOW_TRACKING_URI".to_string(), server.url()),
            (
                "MLFLOWRS_MODEL_CACHE_DIR".to_string(),
                dir.join("cache").display().to_string(),
            ),
        ],
    );
    let body = br#"{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}"#;
    let headers = [("Content-Type".to_string(), "application/json".to_string())];
    let (status, _, answer) = raw_request(
        serve.port,
        &build_request("POST", "/invocations", serve.port, &headers, body),
    );
    let answer: Json = serde_json::from_slice(&answer).unwrap_or(Json::Null);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, serde_json::json!({"predictions": [0, 2]}));
}

#[test]
fn the_mlflow_client_works_against_it_with_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let server = Tracking::start("sqlite:///mlflow.db", dir.path());
    client_scenario_against(&server, dir.path());
    // MLflow's own schema: the database is one the real mlflow opens.
    let check = run_python(&[
        "-c",
        &format!(
            "from mlflow.tracking import MlflowClient; c = MlflowClient('sqlite:///{}'); print(c.get_model_version_by_alias('scn-sk', 'champion').version)",
            dir.path().join("mlflow.db").display()
        ),
    ]);
    assert_eq!(check.trim(), "2");
}

#[test]
fn the_mlflow_client_works_against_it_with_postgresql() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let server = Tracking::start(&pg.uri, dir.path());
    client_scenario_against(&server, dir.path());
}
