//! The Python fallback under faults and load: workers that crash, hang, are
//! killed from outside or cannot load; missing packages; batching across
//! requests split back per request. Answers for good and bad requests are
//! checked against the real `mlflow models serve` in tests/serving/conformance.rs.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use mlflowrs_protocol::pyjson::{self, Json};

use crate::common::serving::{error_code, mlflowrs, post_json};
use crate::common::{repo_root, Running, Spawn};

fn python() -> PathBuf {
    repo_root().join(".venv/bin/python")
}

/// Models written once per test run by tests/pyfunc/make_models.py.
fn fault_models() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(python())
            .arg(repo_root().join("tests/pyfunc/make_models.py"))
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
    .path()
}

fn sklearn_model() -> PathBuf {
    repo_root().join("tests/conformance/models/py_sklearn_pickle")
}

/// Pids of the python workers under a server (its direct children).
fn workers_of(server: &Running) -> Vec<u32> {
    let pid = server.child.id();
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        out.extend(
            children
                .split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok()),
        );
    }
    out.sort();
    out
}

fn wait_for_workers(server: &Running, n: usize, limit: Duration) -> Vec<u32> {
    let deadline = Instant::now() + limit;
    loop {
        let w = workers_of(server);
        if w.len() == n || Instant::now() > deadline {
            return w;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether a process has ended within 5 s (a zombie not yet reaped counts).
fn gone(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if stat.is_empty() || stat.contains(") Z ") {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn x_body(x: f64) -> Vec<u8> {
    format!(r#"{{"dataframe_split": {{"columns": ["x"], "data": [[{x}]]}}}}"#).into_bytes()
}

#[test]
fn a_crash_mid_request_answers_500_and_the_worker_comes_back() {
    let server = Spawn::serve(&fault_models().join("faulty"))
        .args(&["-w", "1"])
        .start();
    let before = wait_for_workers(&server, 1, Duration::from_secs(5));
    assert_eq!(before.len(), 1);
    let (status, body) = post_json(&server, &x_body(666.0));
    assert_eq!(status, 500, "{body:?}");
    assert_eq!(error_code(&body), "\"INTERNAL_ERROR\"");
    let msg = pyjson::to_string(body.get("message").unwrap());
    assert!(msg.contains("died"), "{msg}");
    // The next request waits for the replacement and succeeds.
    let (status, body) = post_json(&server, &x_body(1.5));
    assert_eq!(status, 200, "{body:?}");
    assert_eq!(pyjson::to_string(&body), r#"{"predictions": [{"x": 3.0}]}"#);
    let after = wait_for_workers(&server, 1, Duration::from_secs(5));
    assert_eq!(after.len(), 1);
    assert_ne!(before, after, "the worker was replaced");
}

#[test]
fn a_request_past_the_timeout_gets_504_and_its_worker_is_killed() {
    let server = Spawn::serve(&fault_models().join("faulty"))
        .args(&["-w", "1", "-t", "2"])
        .start();
    let stuck = wait_for_workers(&server, 1, Duration::from_secs(5));
    let started = Instant::now();
    let (status, body) = post_json(&server, &x_body(777.0));
    assert_eq!(status, 504, "{body:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // MLflow leaves the stuck worker running; mlflowrs kills it.
    assert!(gone(stuck[0]), "stuck worker {} still running", stuck[0]);
    // The replacement loads the model (seconds on a busy machine); until it
    // is ready, requests wait in the queue and may themselves pass `-t 2`.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = post_json(&server, &x_body(2.0));
        if status == 200 {
            assert_eq!(pyjson::to_string(&body), r#"{"predictions": [{"x": 4.0}]}"#);
            break;
        }
        assert_eq!(status, 504, "{body:?}");
        assert!(
            Instant::now() < deadline,
            "no replacement worker within 60 s"
        );
    }
    assert!(!workers_of(&server).contains(&stuck[0]));
}

#[test]
fn sigkill_during_a_load_loses_only_in_flight_requests() {
    let server = Arc::new(Spawn::serve(&sklearn_model()).args(&["-w", "2"]).start());
    let workers = wait_for_workers(&server, 2, Duration::from_secs(5));
    assert_eq!(workers.len(), 2);
    let body = br#"{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.1, 3.5, 1.4, 0.2]]}}"#;
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed, wrong) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    const CLIENTS: usize = 4;
    let threads: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (server, stop, ok, failed, wrong) = (
                Arc::clone(&server),
                Arc::clone(&stop),
                Arc::clone(&ok),
                Arc::clone(&failed),
                Arc::clone(&wrong),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let (status, answer) = post_json(&server, body);
                    match status {
                        200 if pyjson::to_string(&answer) == r#"{"predictions": [0]}"# => {
                            ok.fetch_add(1, Ordering::Relaxed)
                        }
                        500 if error_code(&answer) == "\"INTERNAL_ERROR\"" => {
                            failed.fetch_add(1, Ordering::Relaxed)
                        }
                        _ => wrong.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let before_kill = ok.load(Ordering::Relaxed);
    assert!(before_kill > 0, "no request succeeded before the kill");
    // SAFETY: sends a signal to a worker pid read from /proc; no memory access.
    unsafe {
        libc_kill(workers[0] as i32, 9);
    }
    std::thread::sleep(Duration::from_millis(500));
    let replaced = wait_for_workers(&server, 2, Duration::from_secs(20));
    let at_replacement = ok.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(1000));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let (ok, failed, wrong) = (
        ok.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        wrong.load(Ordering::Relaxed),
    );
    assert_eq!(wrong, 0, "answers that were neither right nor an error");
    assert!(
        failed <= CLIENTS,
        "{failed} requests failed; at most the {CLIENTS} in flight may"
    );
    assert!(ok > at_replacement, "requests succeed after the kill");
    assert_eq!(replaced.len(), 2, "the killed worker was replaced");
    assert!(!replaced.contains(&workers[0]));
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

#[test]
fn a_model_that_fails_to_load_fails_startup_with_pythons_error() {
    let model = fault_models().join("broken_load");
    let out = mlflowrs(
        &["models", "serve", "-m", model.to_str().unwrap(), "-p", "0"],
        &[],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ValueError: broken-load-3141"), "{stderr}");
}

#[test]
fn a_missing_requirement_is_named_at_startup() {
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(sklearn_model()).unwrap().flatten() {
        std::fs::copy(f.path(), dir.path().join(f.file_name())).unwrap();
    }
    let req = dir.path().join("requirements.txt");
    let mut text = std::fs::read_to_string(&req).unwrap();
    text.push_str("\nmlflowrs-surely-absent-pkg==1.2.3\n");
    std::fs::write(&req, text).unwrap();
    let out = mlflowrs(
        &[
            "models",
            "serve",
            "-m",
            dir.path().to_str().unwrap(),
            "-p",
            "0",
            "--env-manager",
            "local",
        ],
        &[],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("mlflowrs-surely-absent-pkg==1.2.3"),
        "{stderr}"
    );
}

#[test]
fn no_mlflow_in_the_chosen_python_is_a_clear_error() {
    let out = mlflowrs(
        &[
            "models",
            "serve",
            "-m",
            sklearn_model().to_str().unwrap(),
            "-p",
            "0",
            "--python",
            "/usr/bin/python3",
        ],
        &[],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("mlflow cannot be imported"), "{stderr}");
}

/// Concurrent requests of 1 to 5 rows against a row-wise model: whatever
/// batches they were gathered into, each gets exactly its own rows' answer.
#[test]
fn batched_requests_get_exactly_their_own_rows() {
    let server = Arc::new(Spawn::serve(&sklearn_model()).args(&["-w", "1"]).start());
    const ROWS: [[f64; 4]; 5] = [
        [5.1, 3.5, 1.4, 0.2],
        [6.7, 3.0, 5.2, 2.3],
        [5.9, 3.0, 4.2, 1.5],
        [4.9, 3.1, 1.5, 0.1],
        [6.3, 2.5, 5.0, 1.9],
    ];
    fn body(i: usize) -> Vec<u8> {
        let n = i % 5 + 1;
        let data: Vec<String> = (0..n)
            .map(|k| {
                let r = ROWS[(i + k) % ROWS.len()];
                format!("[{}, {}, {}, {}]", r[0], r[1], r[2], r[3])
            })
            .collect();
        format!(
            r#"{{"dataframe_split": {{"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [{}]}}}}"#,
            data.join(", ")
        )
        .into_bytes()
    }
    // Alone, one by one: the answers to compare with.
    let alone: Vec<String> = (0..5)
        .map(|i| {
            let (status, j) = post_json(&server, &body(i));
            assert_eq!(status, 200);
            pyjson::to_string(&j)
        })
        .collect();
    let alone = Arc::new(alone);
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let (server, alone) = (Arc::clone(&server), Arc::clone(&alone));
            std::thread::spawn(move || {
                for k in 0..25 {
                    let i = t * 25 + k;
                    let (status, j) = post_json(&server, &body(i));
                    assert_eq!(status, 200);
                    assert_eq!(pyjson::to_string(&j), alone[i % 5], "request {i}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // Some of those 400 requests must have shared a predict call.
    let (_, _, metrics) = crate::common::raw_request(
        server.port,
        &crate::common::build_request("GET", "/metrics", server.port, &[], b""),
    );
    let batches = metric_sum(
        &String::from_utf8_lossy(&metrics),
        "mlflowrs_batch_requests_count",
    );
    assert!(
        batches > 0.0 && batches < 405.0,
        "{batches} batches for 405 requests"
    );
}

fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[test]
fn predict_command_runs_python_models() {
    let input = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        input.path(),
        r#"{"dataframe_split": {"columns": ["x", "text"], "data": [[1.5, "a"]]}, "params": {"scale": 3.0}}"#,
    )
    .unwrap();
    let model = repo_root().join("tests/conformance/models/py_custom_params");
    let out = mlflowrs(
        &[
            "models",
            "predict",
            "-m",
            model.to_str().unwrap(),
            "-i",
            input.path().to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Json = pyjson::parse(&out.stdout).unwrap();
    assert_eq!(
        pyjson::to_string(&got),
        r#"{"predictions": [{"y": 5.5, "label": "row-a"}]}"#
    );
}

/// `--env-manager virtualenv` builds the model's environment from its
/// python_env.yaml + requirements.txt (from PyPI, starting from a Python
/// without mlflow), once; the second start reuses it.
#[test]
fn virtualenv_builds_the_environment_once_and_reuses_it() {
    let cache = tempfile::tempdir().unwrap();
    let model = repo_root().join("tests/conformance/models/py_custom_params");
    let start = || {
        let port = crate::common::free_port();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
            .args(["models", "serve", "-m", model.to_str().unwrap()])
            .args([
                "-p",
                &port.to_string(),
                "-w",
                "1",
                "--env-manager",
                "virtualenv",
            ])
            .arg("--env-cache-dir")
            .arg(cache.path())
            .args(["--python", "/usr/bin/python3", "--log", "info"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Drained all along: pip's progress would fill the pipe and block.
        let mut stderr = child.stderr.take().unwrap();
        let log = std::thread::spawn(move || {
            let mut log = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut log);
            log
        });
        let deadline = Instant::now() + Duration::from_secs(900);
        let body = br#"{"dataframe_split": {"columns": ["x", "text"], "data": [[1.5, "a"]]}}"#;
        let answer = loop {
            assert!(Instant::now() < deadline, "not serving within 15 min");
            if let Ok(Some(status)) = child.try_wait() {
                panic!("mlflowrs exited ({status}): {}", log.join().unwrap());
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
                let (status, _, out) = crate::common::raw_request(
                    port,
                    &crate::common::build_request("POST", "/invocations", port, &headers, body),
                );
                break (status, String::from_utf8_lossy(&out).into_owned());
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let _ = child.kill();
        let _ = child.wait();
        (answer, log.join().unwrap())
    };
    let (first, log) = start();
    assert_eq!(first.0, 200, "{}", first.1);
    assert_eq!(
        first.1,
        r#"{"predictions": [{"y": 4.0, "label": "row-a"}]}"#
    );
    assert!(log.contains("building the model environment"), "{log}");
    let envs: Vec<_> = std::fs::read_dir(cache.path()).unwrap().flatten().collect();
    assert_eq!(envs.len(), 1);
    let python = envs[0].path().join("bin/python");
    let out = std::process::Command::new(&python)
        .args([
            "-c",
            "import mlflow, pandas; print(mlflow.__version__, pandas.__version__)",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "3.17.2 3.1.1");
    let (second, log) = start();
    assert_eq!(second, first);
    assert!(
        log.contains("reusing the cached model environment"),
        "{log}"
    );
    assert!(!log.contains("building the model environment"), "{log}");
}

#[test]
fn sigterm_stops_the_workers_even_mid_predict() {
    let mut server = Spawn::serve(&fault_models().join("faulty"))
        .args(&["-w", "1", "--shutdown-timeout", "1"])
        .start();
    let workers = wait_for_workers(&server, 1, Duration::from_secs(5));
    assert_eq!(workers.len(), 1);
    let port = server.port;
    // A request the worker will never finish (it sleeps 600 s).
    let stuck = std::thread::spawn(move || {
        let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        let req =
            crate::common::build_request("POST", "/invocations", port, &headers, &x_body(777.0));
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        std::io::Write::write_all(&mut s, &req).unwrap();
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut s, &mut buf);
    });
    std::thread::sleep(Duration::from_millis(500));
    server.terminate();
    let status = server
        .wait_exit(Duration::from_secs(10))
        .expect("mlflowrs exits");
    assert!(status.success(), "{status}");
    assert!(
        gone(workers[0]),
        "worker {} outlived the server",
        workers[0]
    );
    stuck.join().unwrap();
}

/// skl2onnx's default ZipMap output is a list of dicts, which the ONNX
/// Runtime backend does not serve; such a model goes to the Python fallback
/// and answers exactly as mlflow's scoring code does.
#[test]
fn an_onnx_model_with_zipmap_is_served_through_python_as_mlflow_answers() {
    let dir = fault_models();
    let server = Spawn::serve(&dir.join("zipmap_onnx"))
        .args(&["-w", "1"])
        .start();
    let body = br#"{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}"#;
    let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    let (status, _, answer) = crate::common::raw_request(
        server.port,
        &crate::common::build_request("POST", "/invocations", server.port, &headers, body),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    let want = std::fs::read(dir.join("zipmap_onnx.expected.json")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&answer),
        String::from_utf8_lossy(&want)
    );
    assert!(String::from_utf8_lossy(&answer).contains("output_probability"));
}

/// What mlflowrs does not evaluate natively (an estimator outside the
/// native set, a model saved with cloudpickle) is served through Python
/// workers, and the log names the exact reason.
#[test]
fn sklearn_models_outside_the_native_set_fall_back_to_python_with_the_reason() {
    for (model, reason) in [
        ("py_sklearn_knn", "KNeighborsClassifier"),
        ("py_sklearn_pickle", "\"cloudpickle\" needs Python"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("stderr.log");
        let server = Spawn::serve(&repo_root().join("tests/conformance/models").join(model))
            .args(&["-w", "1"])
            .log("info")
            .stderr_to(&log)
            .start();
        let workers = wait_for_workers(&server, 1, Duration::from_secs(60));
        assert_eq!(workers.len(), 1, "{model}: one Python worker");
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            text.contains("serving this model through the Python fallback")
                && text.contains(reason),
            "{model}: the log does not give the reason '{reason}':\n{text}"
        );
    }
}
