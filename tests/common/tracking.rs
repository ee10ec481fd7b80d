//! Helpers of the tracking-server tests: a running `mlflowrs server`, the
//! project venv's Python, JSON files.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use super::{build_request, free_port, raw_request, repo_root};

pub fn python() -> PathBuf {
    let p = repo_root().join(".venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run scripts/test.sh, which creates it",
        p.display()
    );
    p
}

/// A running `mlflowrs server`, killed on drop.
pub struct Tracking {
    pub child: Child,
    pub port: u16,
}

impl Tracking {
    pub fn start(store: &str, dir: &Path) -> Tracking {
        Tracking::start_on(store, dir, free_port())
    }

    pub fn start_on(store: &str, dir: &Path, port: u16) -> Tracking {
        Tracking::start_with(store, dir, port, &[])
    }

    /// `mlflowrs server` with `extra` flags, once it answers `/health`.
    pub fn start_with(store: &str, dir: &Path, port: u16, extra: &[&str]) -> Tracking {
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
            .args(extra)
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

    pub fn wait_ready(&mut self) {
        let (status, _, _) = raw_request(
            self.port,
            &build_request("GET", "/health", self.port, &[], b""),
        );
        assert_eq!(status, 200);
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn call(&self, method: &str, path: &str, body: &Json) -> (u16, Json) {
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
