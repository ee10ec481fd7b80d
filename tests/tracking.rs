//! `mlflowrs server` against what the real `mlflow server` does:
//! - the REST calls recorded from `mlflow server` (tests/tracking/record.py)
//!   replayed against mlflowrs, answers compared field by field (ids and
//!   timestamps aside);
//! - the real mlflow client (tests/tracking/client_scenario.py) run against
//!   mlflowrs with SQLite and with PostgreSQL, observing what it observed
//!   against `mlflow server`, then `mlflowrs models serve -m models:/…@alias`
//!   serving the registered model;
//! - SIGKILL during a burst of log-batch calls loses no acknowledged write.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{build_request, free_port, raw_request, repo_root};
use serde_json::Value as Json;

fn python() -> PathBuf {
    let p = repo_root().join(".venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run scripts/test.sh, which creates it",
        p.display()
    );
    p
}

/// A running `mlflowrs server`, killed on drop.
struct Tracking {
    child: Child,
    port: u16,
}

impl Tracking {
    fn start(store: &str, dir: &Path) -> Tracking {
        Tracking::start_on(store, dir, free_port())
    }

    fn start_on(store: &str, dir: &Path, port: u16) -> Tracking {
        let child = Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
            .current_dir(dir)
            .args([
                "server",
                "--backend-store-uri",
                store,
                "-p",
                &port.to_string(),
                "--log",
                "warn",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start mlflowrs server");
        let mut t = Tracking { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = t.child.try_wait() {
                panic!("mlflowrs server exited before serving: {status}");
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "mlflowrs server did not listen within 60 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        t.wait_ready();
        t
    }

    fn wait_ready(&mut self) {
        let (status, _, _) = raw_request(
            self.port,
            &build_request("GET", "/health", self.port, &[], b""),
        );
        assert_eq!(status, 200);
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn call(&self, method: &str, path: &str, body: &Json) -> (u16, Json) {
        let body = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let headers = [("Content-Type".to_string(), "application/json".to_string())];
        let (status, _, bytes) = raw_request(
            self.port,
            &build_request(method, path, self.port, &headers, &body),
        );
        (status, serde_json::from_slice(&bytes).unwrap_or(Json::Null))
    }
}

impl Drop for Tracking {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_python(args: &[&str]) -> String {
    let out = Command::new(python())
        .current_dir(repo_root())
        .args(args)
        .env("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        .stderr(Stdio::inherit())
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python {args:?} failed: {}",
        out.status
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn read_json(path: &Path) -> Json {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

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
    let mut pg = Command::new(python())
        .arg(repo_root().join("tests/tracking/postgres.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut uri = String::new();
    BufReader::new(pg.stdout.take().unwrap())
        .read_line(&mut uri)
        .unwrap();
    assert!(
        uri.starts_with("postgresql://"),
        "tests/tracking/postgres.py: {uri:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    {
        let server = Tracking::start(uri.trim(), dir.path());
        client_scenario_against(&server, dir.path());
    }
    drop(pg.stdin.take());
    let _ = pg.wait();
}

#[test]
fn sigkill_during_log_batch_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = Tracking::start_on("sqlite:///mlflow.db", dir.path(), port);
    let (status, exp) = server.call(
        "POST",
        "/api/2.0/mlflow/experiments/create",
        &serde_json::json!({"name": "burst"}),
    );
    assert_eq!(status, 200, "{exp}");
    let (_, run) = server.call(
        "POST",
        "/api/2.0/mlflow/runs/create",
        &serde_json::json!({"experiment_id": exp["experiment_id"], "start_time": 1}),
    );
    let run_id = run["run"]["info"]["run_id"].as_str().unwrap().to_string();

    // Four writers, each logging its own steps until the server dies.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let run_id = run_id.clone();
            std::thread::spawn(move || {
                let mut acked = Vec::new();
                for i in 0.. {
                    let step = w * 1_000_000 + i;
                    let metrics: Vec<Json> = (0..20)
                        .map(|k| serde_json::json!({"key": format!("m{k}"), "value": step as f64, "timestamp": 1, "step": step}))
                        .collect();
                    let body = serde_json::json!({"run_id": run_id, "metrics": metrics, "params": [{"key": format!("p{step}"), "value": "x"}]});
                    let headers = [("Content-Type".to_string(), "application/json".to_string())];
                    let request = build_request("POST", "/api/2.0/mlflow/runs/log-batch", port, &headers, body.to_string().as_bytes());
                    let answer = std::panic::catch_unwind(|| raw_request(port, &request));
                    match answer {
                        Ok((200, _, _)) => acked.push(step),
                        _ => break,
                    }
                }
                acked
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let acked: Vec<i64> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert!(
        acked.len() > 20,
        "too few writes before the kill: {}",
        acked.len()
    );

    let server = Tracking::start_on("sqlite:///mlflow.db", dir.path(), free_port());
    for key in ["m0", "m19"] {
        let (status, history) = server.call(
            "GET",
            &format!("/api/2.0/mlflow/metrics/get-history?run_id={run_id}&metric_key={key}"),
            &Json::Null,
        );
        assert_eq!(status, 200);
        let steps: std::collections::HashSet<i64> = history["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["step"].as_i64().unwrap())
            .collect();
        let lost: Vec<&i64> = acked.iter().filter(|s| !steps.contains(s)).collect();
        assert!(
            lost.is_empty(),
            "{} acknowledged steps of {key} lost, e.g. {:?}",
            lost.len(),
            &lost[..lost.len().min(5)]
        );
    }
    let (_, got) = server.call(
        "GET",
        &format!("/api/2.0/mlflow/runs/get?run_id={run_id}"),
        &Json::Null,
    );
    let params = got["run"]["data"]["params"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    assert!(
        params >= acked.len(),
        "{params} params for {} acknowledged batches",
        acked.len()
    );
}

#[test]
fn the_request_body_limit_holds_at_its_edge() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
        .current_dir(dir.path())
        .args([
            "server",
            "-p",
            &port.to_string(),
            "--max-request-bytes",
            "100",
            "--log",
            "warn",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let server = Tracking { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    let headers = [("Content-Type".to_string(), "application/json".to_string())];
    let send = |body: &str| {
        raw_request(
            port,
            &build_request(
                "POST",
                "/api/2.0/mlflow/experiments/create",
                port,
                &headers,
                body.as_bytes(),
            ),
        )
    };
    // Exactly 100 bytes: accepted.
    let at = format!("{{\"name\": \"{}\"}}", "a".repeat(100 - 12));
    assert_eq!(at.len(), 100);
    let (status, _, body) = send(&at);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    // One byte over: 413 in MLflow's error format.
    let over = format!("{{\"name\": \"{}\"}}", "b".repeat(101 - 12));
    let (status, _, body) = send(&over);
    assert_eq!(status, 413);
    let err: Json = serde_json::from_slice(&body).unwrap();
    assert_eq!(err["error_code"], "REQUEST_LIMIT_EXCEEDED");
    drop(server);
}

#[test]
fn artifact_paths_cannot_leave_the_artifact_root() {
    let dir = tempfile::tempdir().unwrap();
    let server = Tracking::start("sqlite:///mlflow.db", dir.path());
    let port = server.port;
    let outside = dir.path().join("outside.txt");
    for path in [
        "/api/2.0/mlflow-artifacts/artifacts/../outside.txt",
        "/api/2.0/mlflow-artifacts/artifacts/1/%2e%2e/%2e%2e/outside.txt",
        "/api/2.0/mlflow-artifacts/artifacts/1/..%2F..%2Foutside.txt",
    ] {
        let put = build_request("PUT", path, port, &[], b"escaped");
        let (status, _, body) = raw_request(port, &put);
        assert!(
            status == 400 || status == 404,
            "PUT {path}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        assert!(
            !outside.exists(),
            "PUT {path} wrote outside the artifact root"
        );
        let (status, _, _) = raw_request(port, &build_request("GET", path, port, &[], b""));
        assert!(status == 400 || status == 404, "GET {path}: {status}");
    }
    let (status, _, body) = raw_request(
        port,
        &build_request(
            "GET",
            "/api/2.0/mlflow-artifacts/artifacts?path=../..",
            port,
            &[],
            b"",
        ),
    );
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    // A normal upload lands under ./mlartifacts and reads back.
    let put = build_request(
        "PUT",
        "/api/2.0/mlflow-artifacts/artifacts/1/r/a.txt",
        port,
        &[],
        b"hello",
    );
    assert_eq!(raw_request(port, &put).0, 200);
    assert_eq!(
        std::fs::read(dir.path().join("mlartifacts/1/r/a.txt")).unwrap(),
        b"hello"
    );
    let (status, _, body) = raw_request(
        port,
        &build_request(
            "GET",
            "/api/2.0/mlflow-artifacts/artifacts/1/r/a.txt",
            port,
            &[],
            b"",
        ),
    );
    assert_eq!((status, body.as_slice()), (200, &b"hello"[..]));
}

#[test]
fn a_database_at_another_schema_revision_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let _server = Tracking::start("sqlite:///mlflow.db", dir.path());
    }
    run_python(&[
        "-c",
        &format!(
            "import sqlite3; c = sqlite3.connect('{}'); c.execute(\"UPDATE alembic_version SET version_num = 'ffffffffffff'\"); c.commit()",
            dir.path().join("mlflow.db").display()
        ),
    ]);
    let out = Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
        .current_dir(dir.path())
        .args(["server", "-p", &free_port().to_string()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ffffffffffff") && err.contains("mlflow db upgrade"),
        "{err}"
    );
}

#[test]
fn database_connections_stay_within_their_limit() {
    let mut pg = Command::new(python())
        .arg(repo_root().join("tests/tracking/postgres.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut uri = String::new();
    BufReader::new(pg.stdout.take().unwrap())
        .read_line(&mut uri)
        .unwrap();
    let uri = uri.trim().to_string();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
        .current_dir(dir.path())
        .args([
            "server",
            "--backend-store-uri",
            &uri,
            "-p",
            &port.to_string(),
            "--max-db-connections",
            "2",
            "--log",
            "warn",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut server = Tracking { child, port };
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "mlflowrs server did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.wait_ready();
    let (_, exp) = server.call(
        "POST",
        "/api/2.0/mlflow/experiments/create",
        &serde_json::json!({"name": "pool"}),
    );
    let (_, run) = server.call(
        "POST",
        "/api/2.0/mlflow/runs/create",
        &serde_json::json!({"experiment_id": exp["experiment_id"], "start_time": 1}),
    );
    let run_id = run["run"]["info"]["run_id"].as_str().unwrap().to_string();

    // A sampler counts the server's sessions while 16 clients write at once.
    let sampler = Command::new(python())
        .args([
            "-c",
            "import sys, time, psycopg2\n\
             c = psycopg2.connect(sys.argv[1]); c.autocommit = True; cur = c.cursor(); top = 0\n\
             end = time.time() + 3\n\
             while time.time() < end:\n\
             \x20   cur.execute(\"SELECT count(*) FROM pg_stat_activity WHERE datname = 'mlflow' AND pid <> pg_backend_pid()\")\n\
             \x20   top = max(top, cur.fetchone()[0]); time.sleep(0.005)\n\
             print(top)",
            &uri,
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let run_id = run_id.clone();
            std::thread::spawn(move || {
                let headers = [("Content-Type".to_string(), "application/json".to_string())];
                (0..25)
                    .map(|i| {
                        let body = serde_json::json!({"run_id": run_id, "metrics": [{"key": "m", "value": 1.0, "timestamp": 1, "step": w * 100 + i}]});
                        raw_request(port, &build_request("POST", "/api/2.0/mlflow/runs/log-batch", port, &headers, body.to_string().as_bytes())).0
                    })
                    .collect::<Vec<u16>>()
            })
        })
        .collect();
    let statuses: Vec<u16> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let top: usize = String::from_utf8_lossy(&sampler.wait_with_output().unwrap().stdout)
        .trim()
        .parse()
        .unwrap();
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    assert!(
        (1..=2).contains(&top),
        "{top} sessions with --max-db-connections 2"
    );
    let (_, history) = server.call(
        "GET",
        &format!("/api/2.0/mlflow/metrics/get-history?run_id={run_id}&metric_key=m"),
        &Json::Null,
    );
    assert_eq!(history["metrics"].as_array().map(Vec::len), Some(400));
    drop(server);
    drop(pg.stdin.take());
    let _ = pg.wait();
}

#[test]
fn a_large_artifact_round_trips_through_the_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let server = Tracking::start("sqlite:///mlflow.db", dir.path());
    let port = server.port;
    // 24 MiB of bytes that are not all alike, streamed in and out.
    let data: Vec<u8> = (0..24u32 * 1024 * 1024)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let path = "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/model/weights.bin";
    let (status, _, _) = raw_request(port, &build_request("PUT", path, port, &[], &data));
    assert_eq!(status, 200);
    let (status, headers, body) = raw_request(port, &build_request("GET", path, port, &[], b""));
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-length") && v == &data.len().to_string()),
        "{headers:?}"
    );
    assert!(
        body == data,
        "downloaded {} bytes, uploaded {}",
        body.len(),
        data.len()
    );
}
