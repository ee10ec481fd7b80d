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

fn post(server: &Running, endpoint: &str, body: Json) -> (u16, Json) {
    let (status, _, answer) = crate::common::post_json_raw(
        server.port,
        &format!("/api/2.0/mlflow/{endpoint}"),
        body.to_string().as_bytes(),
    );
    (
        status,
        serde_json::from_slice(&answer).unwrap_or(Json::Null),
    )
}

fn get(server: &Running, path_and_query: &str) -> (u16, Json) {
    let (status, _, answer) = raw_request(
        server.port,
        &build_request("GET", path_and_query, server.port, &[], b""),
    );
    (
        status,
        serde_json::from_slice(&answer).unwrap_or(Json::Null),
    )
}

/// MLflow resolves a relative experiment artifact location against the
/// server's working directory (`resolve_uri_if_local`) and stores it absolute.
#[test]
fn a_relative_artifact_location_is_stored_absolute() {
    let dir = tempfile::tempdir().unwrap();
    let server = Spawn::server("sqlite:///mlflow.db").dir(dir.path()).start();
    let cwd = dir.path().canonicalize().unwrap();
    for (name, given, want) in [
        (
            "plain",
            "my_location",
            format!("{}/my_location", cwd.display()),
        ),
        ("dotted", "./a/./b/", format!("{}/a/b", cwd.display())),
        (
            "file-uri",
            "file:rel/x",
            format!("file://{}/rel/x", cwd.display()),
        ),
        ("absolute", "/abs/path", "/abs/path".to_string()),
        ("remote", "s3://bucket/p", "s3://bucket/p".to_string()),
    ] {
        let (status, created) = post(
            &server,
            "experiments/create",
            serde_json::json!({"name": name, "artifact_location": given}),
        );
        assert_eq!(status, 200, "{created}");
        let id = created["experiment_id"].as_str().unwrap();
        let (_, got) = get(
            &server,
            &format!("/api/2.0/mlflow/experiments/get?experiment_id={id}"),
        );
        assert_eq!(
            got["experiment"]["artifact_location"],
            Json::from(want),
            "{given}"
        );
    }
    let (status, refused) = post(
        &server,
        "experiments/create",
        serde_json::json!({"name": "runs-uri", "artifact_location": "runs:/abc/x"}),
    );
    assert_eq!(status, 400);
    assert_eq!(
        refused["message"],
        "Artifact location cannot be a runs:/ URI. Given: 'runs:/abc/x'"
    );
}

/// MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX: a source the
/// pattern does not find is refused with MLflow's message, before anything
/// else is checked; one it finds goes through. A pattern that does not
/// compile stops the server at start-up.
#[test]
fn model_version_sources_must_match_the_configured_pattern() {
    let dir = tempfile::tempdir().unwrap();
    let server = Spawn::server("sqlite:///mlflow.db")
        .dir(dir.path())
        .envs(&[(
            "MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX".to_string(),
            r"^s3://allowed-bucket/".to_string(),
        )])
        .start();
    let (status, _) = post(
        &server,
        "registered-models/create",
        serde_json::json!({"name": "m"}),
    );
    assert_eq!(status, 200);
    let (status, refused) = post(
        &server,
        "model-versions/create",
        serde_json::json!({"name": "m", "source": "s3://other-bucket/model"}),
    );
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error_code"], "INVALID_PARAMETER_VALUE");
    assert_eq!(
        refused["message"],
        "Invalid model version source: 's3://other-bucket/model'."
    );
    let (status, created) = post(
        &server,
        "model-versions/create",
        serde_json::json!({"name": "m", "source": "s3://allowed-bucket/model"}),
    );
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["model_version"]["version"], "1");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
        .args([
            "server",
            "--backend-store-uri",
            "sqlite:///x.db",
            "--port",
            "0",
        ])
        .env(
            "MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX",
            "([unclosed",
        )
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--model-version-source-regex"), "{stderr}");
}

/// A default artifact root that is the server's own artifact route over
/// http (`http://host/api/2.0/mlflow-artifacts/artifacts`) is mapped onto
/// --artifacts-destination, as MLflow maps it: artifacts/list sees the
/// files uploaded through the proxy.
#[test]
fn an_http_artifact_root_on_this_server_lists_from_the_destination() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::common::free_port();
    let root = format!("http://127.0.0.1:{port}/api/2.0/mlflow-artifacts/artifacts");
    let server = Spawn::server("sqlite:///mlflow.db")
        .dir(dir.path())
        .port(port)
        .owned_args(&[
            "--default-artifact-root".to_string(),
            root.clone(),
            "--artifacts-destination".to_string(),
            dir.path().join("dest").display().to_string(),
        ])
        .start();
    let (_, exp) = post(
        &server,
        "experiments/create",
        serde_json::json!({"name": "e"}),
    );
    let exp = exp["experiment_id"].as_str().unwrap().to_string();
    let (_, run) = post(
        &server,
        "runs/create",
        serde_json::json!({"experiment_id": exp}),
    );
    let run_id = run["run"]["info"]["run_id"].as_str().unwrap().to_string();
    let artifact_uri = run["run"]["info"]["artifact_uri"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(artifact_uri, format!("{root}/{exp}/{run_id}/artifacts"));
    let (status, _, _) = raw_request(
        port,
        &build_request(
            "PUT",
            &format!("/api/2.0/mlflow-artifacts/artifacts/{exp}/{run_id}/artifacts/dir/a.txt"),
            port,
            &[],
            b"0",
        ),
    );
    assert_eq!(status, 200);
    let (status, listed) = get(
        &server,
        &format!("/api/2.0/mlflow/artifacts/list?run_id={run_id}"),
    );
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["root_uri"], Json::from(artifact_uri));
    assert_eq!(
        listed["files"],
        serde_json::json!([{"path": "dir", "is_dir": true}])
    );
    let (_, nested) = get(
        &server,
        &format!("/api/2.0/mlflow/artifacts/list?run_id={run_id}&path=dir"),
    );
    assert_eq!(
        nested["files"],
        serde_json::json!([{"path": "dir/a.txt", "is_dir": false, "file_size": 1}])
    );
}
