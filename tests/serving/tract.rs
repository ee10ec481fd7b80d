//! `--onnx-backend`: tract chosen explicitly or by `auto` when no ONNX
//! Runtime library can be found, ONNX Runtime under `auto` when it can, and
//! a graph tract cannot run refused at start-up by operator name. The
//! conformance replay under tract is in tests/serving/conformance.rs. Built only
//! with `--features tract`.
#![cfg(feature = "tract")]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{free_port, repo_root};

const IRIS: &str = "tests/conformance/models/iris_unnamed";
const ROWS: &str = r#"{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}"#;

/// `mlflowrs models serve` with info logs in `log`, run from `cwd`, with the
/// ways of finding ONNX Runtime it would inherit from the test removed.
fn spawn(cwd: &Path, log: &Path, args: &[&str], port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
        .current_dir(cwd)
        .env_remove("ORT_DYLIB_PATH")
        .env_remove("VIRTUAL_ENV")
        .args(["models", "serve", "--log", "info", "-p", &port.to_string()])
        .args(args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

fn wait_listening(child: &mut Child, port: u16, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("exited {status}: {}", std::fs::read_to_string(log).unwrap());
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("not listening after 30 s");
}

fn predict(port: u16) -> String {
    let req = crate::common::build_request(
        "POST",
        "/invocations",
        port,
        &[("Content-Type".into(), "application/json".into())],
        ROWS.as_bytes(),
    );
    let (status, _, body) = crate::common::raw_request(port, &req);
    assert_eq!(status, 200);
    String::from_utf8(body).unwrap()
}

/// Serves the iris model with `args` from `cwd`; returns the log and answer.
fn serve(cwd: &Path, args: &[&str]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let port = free_port();
    let model = repo_root().join(IRIS);
    let mut all = vec!["-m", model.to_str().unwrap()];
    all.extend_from_slice(args);
    let mut child = spawn(cwd, &log, &all, port);
    wait_listening(&mut child, port, &log);
    let answer = predict(port);
    let _ = child.kill();
    let _ = child.wait();
    (std::fs::read_to_string(&log).unwrap(), answer)
}

fn label(answer: &str) -> &str {
    answer
        .split("\"label\": ")
        .nth(1)
        .unwrap()
        .split(']')
        .next()
        .unwrap()
}

#[test]
fn auto_picks_onnx_runtime_when_found_and_tract_when_not() {
    // The repository's .venv holds onnxruntime; an empty directory with no
    // ORT_DYLIB_PATH, no VIRTUAL_ENV and a python3 without onnxruntime
    // offers none.
    let (log, with_ort) = serve(&repo_root(), &[]);
    assert!(log.contains("ONNX Runtime found"), "{log}");
    assert!(log.contains("backend=\"onnx-ort\""), "{log}");

    let empty = tempfile::tempdir().unwrap();
    let (log, without) = serve(empty.path(), &["--onnx-backend", "auto"]);
    assert!(log.contains("ONNX Runtime not found"), "{log}");
    assert!(log.contains("backend=\"onnx-tract\""), "{log}");
    assert_eq!(label(&with_ort), "[0, 2");
    assert_eq!(label(&without), label(&with_ort));
}

#[test]
fn explicit_ort_without_the_library_fails_and_explicit_tract_needs_none() {
    let empty = tempfile::tempdir().unwrap();
    let model = repo_root().join(IRIS);
    let out = Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
        .current_dir(empty.path())
        .env_remove("ORT_DYLIB_PATH")
        .env_remove("VIRTUAL_ENV")
        .args(["models", "serve", "--onnx-backend", "ort", "-p"])
        .arg(free_port().to_string())
        .arg("-m")
        .arg(&model)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("onnxruntime"), "{err}");

    let (log, answer) = serve(empty.path(), &["--onnx-backend", "tract"]);
    assert!(log.contains("backend=\"onnx-tract\""), "{log}");
    assert_eq!(label(&answer), "[0, 2");
}

#[test]
fn a_graph_tract_cannot_run_is_refused_naming_the_operator() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::tracking::run_python(&[
        "tests/tract/make_models.py",
        dir.path().to_str().unwrap(),
    ]);
    let model = dir.path().join("tree_regressor");
    let out = Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
        .args(["models", "serve", "--onnx-backend", "tract", "-p"])
        .arg(free_port().to_string())
        .arg("-m")
        .arg(&model)
        .output()
        .unwrap();
    assert!(!out.status.success(), "tract served TreeEnsembleRegressor");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("TreeEnsembleRegressor") && err.contains("--onnx-backend ort"),
        "{err}"
    );
    // ONNX Runtime serves the same model.
    let server = crate::common::Spawn::serve(&model)
        .args(&["--onnx-backend", "ort"])
        .start();
    let req = crate::common::build_request(
        "POST",
        "/invocations",
        server.port,
        &[("Content-Type".into(), "application/json".into())],
        br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#,
    );
    assert_eq!(crate::common::raw_request(server.port, &req).0, 200);
}
