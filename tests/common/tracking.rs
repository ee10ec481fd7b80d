//! Helpers of the tracking-server tests: a running `mlflowrs server`, the
//! project venv's Python, JSON files.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value as Json;

use super::{repo_root, Running};

pub fn python() -> PathBuf {
    let p = repo_root().join(".venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run scripts/test.sh, which creates it",
        p.display()
    );
    p
}

pub fn run_python(args: &[&str]) -> String {
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

pub fn read_json(path: &Path) -> Json {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A throwaway PostgreSQL server (tests/tracking/postgres.py), stopped on drop.
pub struct Postgres {
    child: Child,
    pub uri: String,
}

impl Postgres {
    pub fn start() -> Postgres {
        let mut child = Command::new(python())
            .arg(repo_root().join("tests/tracking/postgres.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tests/tracking/postgres.py");
        let mut uri = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut uri)
            .unwrap();
        assert!(
            uri.starts_with("postgresql://"),
            "tests/tracking/postgres.py: {uri:?}"
        );
        Postgres {
            child,
            uri: uri.trim().to_string(),
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // Its standard input closing is the script's signal to stop.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

// ---- replaying recorded REST calls ----

/// Where two answers may differ and still be the same answer: ids (the
/// captured values), "now" timestamps, SQLAlchemy's text inside messages,
/// and the order of unordered lists.
pub fn normalize(v: &mut Json, key: &str) {
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
        // GraphQL writes int64 as strings, under camelCase keys.
        Json::String(s) => {
            let lower = key.to_ascii_lowercase();
            let is_time = lower.ends_with("time") || lower.ends_with("timestamp");
            if is_time && s.parse::<f64>().is_ok_and(|t| t > 1.75e12) {
                *v = Json::from("0");
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

pub fn captured(cases: &[Json]) -> Vec<(String, String)> {
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

pub fn comparable(answer: &Json, env: &[(String, String)]) -> Json {
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
        let page = v["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("<!doctype html>"));
        if ct == "text/html" && page {
            // Flask's HTML error pages: the status and the type are the answer.
            v["text"] = Json::Null;
        }
    }
    normalize(&mut v, "");
    v
}

/// Runs `script --replay` against `server` and compares each answer with
/// the one recorded in `recorded` (paths from the repository root); the
/// differences, one per case, or none.
pub fn replay_recorded(script: &str, recorded: &str, server: &Running, dir: &Path) -> Vec<String> {
    let recorded = read_json(&repo_root().join(recorded));
    let out = dir.join("replayed.json");
    run_python(&[script, "--replay", &server.url(), out.to_str().unwrap()]);
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
    if !failures.is_empty() {
        failures.insert(
            0,
            format!("{} of {} cases differ:", failures.len(), want_cases.len()),
        );
    }
    failures
}

/// The test virtualenv's installed `mlflow` package, whose UI the servers
/// under test serve (`--ui-bundle`).
pub fn mlflow_package() -> PathBuf {
    let lib = repo_root().join(".venv/lib");
    std::fs::read_dir(&lib)
        .expect("the test virtualenv (scripts/test.sh makes it)")
        .flatten()
        .map(|e| e.path().join("site-packages/mlflow"))
        .find(|p| p.is_dir())
        .expect("the test virtualenv holds mlflow")
}
