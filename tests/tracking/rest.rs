//! `mlflowrs server` against what the real `mlflow server` does:
//! - the REST calls recorded from `mlflow server` (tests/tracking/record.py)
//!   replayed against mlflowrs, answers compared field by field (ids and
//!   timestamps aside);
//! - the real mlflow client (tests/tracking/client_scenario.py) run against
//!   mlflowrs with SQLite and with PostgreSQL, observing what it observed
//!   against `mlflow server`, then `mlflowrs models serve -m models:/…@alias`
//!   serving the registered model;
//!
//! Its limits, durability and safety are in tests/tracking/limits.rs.

use std::path::Path;

use crate::common::tracking::{
    captured, comparable, read_json, replay_recorded, run_python, Postgres,
};
use crate::common::{build_request, raw_request, repo_root, Running, Spawn};
use serde_json::Value as Json;

#[test]
fn recorded_rest_answers_match_mlflow_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Spawn::server("sqlite:///mlflow.db").dir(dir.path()).start();
    let failures = replay_recorded(
        "tests/tracking/record.py",
        "tests/tracking/recorded/cases.json",
        &server,
        dir.path(),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
fn client_scenario_against(server: &Running, dir: &Path) {
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
    let serve = crate::common::Spawn::models_serve()
        .owned_args(&["-m".to_string(), "models:/scn-sk@champion".to_string()])
        .envs(&[
            ("MLFLOW_TRACKING_URI".to_string(), server.url()),
            (
                "MLFLOWRS_MODEL_CACHE_DIR".to_string(),
                dir.join("cache").display().to_string(),
            ),
        ])
        .start();
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
    let server = Spawn::server("sqlite:///mlflow.db").dir(dir.path()).start();
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
    let server = Spawn::server(&pg.uri).dir(dir.path()).start();
    client_scenario_against(&server, dir.path());
}
