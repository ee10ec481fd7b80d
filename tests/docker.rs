//! Model images built through the real Docker engine: an ONNX model on
//! `scratch` and a Python model on a base image built here from this
//! machine's Python, each run as a container whose answers must equal
//! `mlflowrs models serve` on the same model. Containers and images are
//! removed afterwards.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::serving::{mlflowrs, post_json};
use common::{build_request, free_port, raw_request, repo_root, Server};

const PYTHON_BASE: &str = "mlflowrs-test-python:3.11";

/// Removes a container and an image however the test ends.
struct Cleanup {
    container: Option<String>,
    image: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(c) = &self.container {
            let _ = Command::new("docker").args(["rm", "-f", c]).output();
        }
        let _ = Command::new("docker")
            .args(["rmi", "-f", &self.image])
            .output();
    }
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn tag(what: &str) -> String {
    format!("mlflowrs-test-{what}:{}", std::process::id())
}

/// Builds `model` into `image`, runs it, and returns the container's answer
/// to `body` (and the cleanup guard).
fn run_image(image: &str, model: &str, extra: &[&str], body: &[u8]) -> ((u16, String), Cleanup) {
    let mut cleanup = Cleanup {
        container: None,
        image: image.to_string(),
    };
    let mut args = vec!["models", "build-docker", "-m", model, "-n", image];
    args.extend(extra);
    let out = mlflowrs(&args, &[]);
    assert!(
        out.status.success(),
        "build-docker: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = free_port();
    let name = format!("{}-c", image.replace([':', '/'], "-"));
    docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "-p",
        &format!("127.0.0.1:{port}:8080"),
        image,
    ]);
    cleanup.container = Some(name.clone());
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if ping_ok(port) {
            break;
        }
        if Instant::now() > deadline {
            let logs = Command::new("docker")
                .args(["logs", &name])
                .output()
                .unwrap();
            panic!(
                "the container did not answer /ping: {}{}",
                String::from_utf8_lossy(&logs.stdout),
                String::from_utf8_lossy(&logs.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    let (status, _, answer) = raw_request(
        port,
        &build_request("POST", "/invocations", port, &headers, body),
    );
    // The HEALTHCHECK's command works inside the image.
    docker(&[
        "exec",
        &name,
        "/usr/local/bin/mlflowrs",
        "healthcheck",
        "--url",
        "http://127.0.0.1:8080/ping",
    ]);
    (
        (status, String::from_utf8_lossy(&answer).into_owned()),
        cleanup,
    )
}

/// docker-proxy accepts connections before the container listens and then
/// closes them, so readiness is a complete 200 answer, not a connect.
fn ping_ok(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /ping HTTP/1.0\r\nHost: x\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && &head[9..12] == b"200"
}

fn local_answer(model: &str, body: &[u8]) -> (u16, String) {
    let server = Server::start(&repo_root().join(model), &[]);
    let (status, json) = post_json(&server, body);
    (status, mlflowrs_protocol::pyjson::to_string(&json))
}

#[test]
fn an_onnx_image_from_scratch_answers_as_serve_does() {
    let body = br#"{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}"#;
    let image = tag("onnx");
    let (answer, _cleanup) = run_image(&image, "examples/iris-onnx", &[], body);
    let want = local_answer("examples/iris-onnx", body);
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(answer, want);
    let inspect = docker(&[
        "inspect",
        "--format",
        "{{.Config.User}}|{{index .Config.Labels \"org.mlflowrs.flavor\"}}|{{index .Config.Labels \"org.mlflowrs.model-uri\"}}|{{.Config.Healthcheck.Test}}",
        &image,
    ]);
    assert_eq!(
        inspect,
        "10001:10001|onnx|examples/iris-onnx|[CMD /usr/local/bin/mlflowrs healthcheck --url http://127.0.0.1:8080/ping]"
    );
    // Nothing but what the server needs: no shell, no package manager.
    let layers = docker(&[
        "history",
        "--no-trunc",
        "--format",
        "{{.CreatedBy}}",
        &image,
    ]);
    assert!(
        !layers.contains("apt-get") && !layers.contains("pip"),
        "{layers}"
    );
}

#[test]
fn a_python_model_image_on_a_python_base_answers_as_serve_does() {
    let out = Command::new(repo_root().join("tests/docker/python-base.sh"))
        .arg(PYTHON_BASE)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python-base.sh: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let model = "tests/conformance/models/py_sklearn_clf";
    let body = br#"{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}}"#;
    let image = tag("python");
    let python = repo_root().join(".venv/bin/python");
    let (answer, _cleanup) = run_image(
        &image,
        model,
        &[
            "--base-image",
            PYTHON_BASE,
            "--python",
            python.to_str().unwrap(),
        ],
        body,
    );
    let want = local_answer(model, body);
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(answer, want);
    assert_eq!(
        docker(&[
            "inspect",
            "--format",
            "{{index .Config.Labels \"org.mlflowrs.flavor\"}}",
            &image
        ]),
        "python_function"
    );
}

#[test]
fn a_missing_base_image_fails_with_its_exit_code() {
    let out = mlflowrs(
        &[
            "models",
            "build-docker",
            "-m",
            "examples/iris-onnx",
            "-n",
            &tag("never"),
            "--base-image",
            "mlflowrs-no-such-base:0",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(33));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mlflowrs-no-such-base:0"), "{err}");
}

#[test]
fn generate_dockerfile_writes_a_context_docker_build_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("ctx");
    let out = mlflowrs(
        &[
            "models",
            "generate-dockerfile",
            "-m",
            "examples/iris-onnx",
            "-d",
            out_dir.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dockerfile = std::fs::read_to_string(out_dir.join("Dockerfile")).unwrap();
    assert!(
        dockerfile.starts_with("# Generated") && dockerfile.contains("FROM scratch"),
        "{dockerfile}"
    );
    assert!(out_dir.join("model/MLmodel").is_file());
    let image = tag("generated");
    let _cleanup = Cleanup {
        container: None,
        image: image.clone(),
    };
    docker(&["build", "-q", "-t", &image, out_dir.to_str().unwrap()]);
    assert_eq!(
        docker(&[
            "inspect",
            "--format",
            "{{index .Config.Labels \"org.mlflowrs.flavor\"}}",
            &image
        ]),
        "onnx"
    );
}
