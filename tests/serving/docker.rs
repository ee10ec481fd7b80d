//! Model images built through the real Docker engine: an ONNX model on
//! `scratch` and a Python model on a base image built here from this
//! machine's Python, each run as a container whose answers must equal
//! `mlflowrs models serve` on the same model. Containers and images are
//! removed afterwards.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::serving::{mlflowrs, post_json};
use crate::common::{answers_200, free_port, post_json_raw, repo_root, Spawn};

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
        if !self.image.is_empty() {
            let _ = Command::new("docker")
                .args(["rmi", "-f", &self.image])
                .output();
        }
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

/// The flavor an image says it serves (its `org.mlflowrs.flavor` label).
fn flavor_label(image: &str) -> String {
    docker(&[
        "inspect",
        "--format",
        "{{index .Config.Labels \"org.mlflowrs.flavor\"}}",
        image,
    ])
}

fn tag(what: &str) -> String {
    format!("mlflowrs-test-{what}:{}", std::process::id())
}

/// Builds `model` into `image`, runs it, and returns the container's answer
/// to `body` (and the cleanup guards: the container's, then the image's).
fn run_image(
    image: &str,
    model: &str,
    extra: &[&str],
    body: &[u8],
) -> ((u16, String), (Cleanup, Cleanup)) {
    let image_cleanup = Cleanup {
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
    let (port, cleanup) = run_container(image, 8080, "/ping", &[], &[]);
    let name = cleanup.container.clone().unwrap_or_default();
    let (status, _, answer) = post_json_raw(port, "/invocations", body);
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
        (cleanup, image_cleanup),
    )
}

fn local_answer(model: &str, body: &[u8]) -> (u16, String) {
    let server = Spawn::serve(&repo_root().join(model)).start();
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
    assert_eq!(
        image_files(&image).get("usr/local/bin/mlflowrs"),
        Some(&binary_size("mlflowrs-image-ort")),
        "the image runs the slim image binary"
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

/// A scikit-learn forest, evaluated natively, gets a scratch image with
/// neither Python nor ONNX Runtime in it.
#[test]
fn a_sklearn_forest_image_from_scratch_has_no_python_and_answers_as_serve_does() {
    let model = "tests/conformance/models/sk_forest_clf";
    let body = br#"{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}}"#;
    let image = tag("sklearn");
    let (answer, _cleanup) = run_image(&image, model, &[], body);
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(answer, local_answer(model, body));
    assert_eq!(answer.1, r#"{"predictions": ["setosa", "virginica"]}"#);
    assert_eq!(flavor_label(&image), "sklearn");
    let env = docker(&["inspect", "--format", "{{.Config.Env}}", &image]);
    assert!(
        !env.contains("ORT_DYLIB_PATH") && !env.contains("PYTHONPATH"),
        "{env}"
    );
    let files = image_files(&image);
    assert_eq!(
        files.get("usr/local/bin/mlflowrs"),
        Some(&binary_size("mlflowrs-image-ort")),
        "the image runs the slim image binary"
    );
    let unwanted: Vec<&String> = files
        .keys()
        .filter(|n| {
            let file = n.rsplit('/').next().unwrap_or(n);
            file.starts_with("libonnxruntime")
                || file.starts_with("libpython")
                || file.starts_with("python3")
                || n.contains("site-packages")
        })
        .collect();
    assert!(unwanted.is_empty(), "the image carries {unwanted:?}");
}

/// The files in an image, by path, with their sizes (names, not contents:
/// the mlflowrs binary itself names libonnxruntime, where it looks for it).
fn image_files(image: &str) -> std::collections::BTreeMap<String, u64> {
    let container = docker(&["create", image]);
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("rootfs.tar");
    docker(&["export", "-o", tar.to_str().unwrap(), &container]);
    let _ = Command::new("docker")
        .args(["rm", "-f", &container])
        .output();
    let listing = Command::new("tar").arg("-tvf").arg(&tar).output().unwrap();
    String::from_utf8_lossy(&listing.stdout)
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let size = fields.get(2)?.parse().ok()?;
            Some((fields.get(5..)?.join(" "), size))
        })
        .collect()
}

/// The size of a binary of this build (beside the `mlflowrs` under test).
fn binary_size(name: &str) -> u64 {
    let path = std::path::Path::new(env!("CARGO_BIN_EXE_mlflowrs")).with_file_name(name);
    std::fs::metadata(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .len()
}

/// `--onnx-backend tract`: the image has tract's image binary and no ONNX
/// Runtime, and answers as `serve --onnx-backend tract` does.
#[cfg(feature = "tract")]
#[test]
fn a_tract_onnx_image_has_no_onnx_runtime_and_answers_as_serve_does() {
    let body = br#"{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}"#;
    let image = tag("tract");
    let (answer, _cleanup) = run_image(
        &image,
        "examples/iris-onnx",
        &["--onnx-backend", "tract"],
        body,
    );
    let server = Spawn::serve(&repo_root().join("examples/iris-onnx"))
        .args(&["--onnx-backend", "tract"])
        .start();
    let (status, json) = post_json(&server, body);
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(
        answer,
        (status, mlflowrs_protocol::pyjson::to_string(&json))
    );
    let files = image_files(&image);
    assert_eq!(
        files.get("usr/local/bin/mlflowrs"),
        Some(&binary_size("mlflowrs-image-tract"))
    );
    let ort: Vec<&String> = files
        .keys()
        .filter(|n| n.contains("libonnxruntime"))
        .collect();
    assert!(ort.is_empty(), "the image carries {ort:?}");
}

#[test]
fn a_python_model_image_on_a_python_base_answers_as_serve_does() {
    let out = Command::new(repo_root().join("docker/python-base.sh"))
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
    let model = "tests/conformance/models/py_sklearn_pickle";
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
    assert_eq!(flavor_label(&image), "python_function");
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
    // What the code writes is docker/model.Dockerfile with its holes filled.
    let template = std::fs::read_to_string(repo_root().join("docker/model.Dockerfile")).unwrap();
    let mut rest = dockerfile.as_str();
    for line in template.lines().filter(|l| !l.contains("{{")) {
        let at = rest
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} missing or out of order in\n{dockerfile}"));
        rest = &rest[at + line.len()..];
    }
    assert!(out_dir.join("model/MLmodel").is_file());
    let image = tag("generated");
    let _cleanup = Cleanup {
        container: None,
        image: image.clone(),
    };
    docker(&["build", "-q", "-t", &image, out_dir.to_str().unwrap()]);
    assert_eq!(flavor_label(&image), "onnx");
}

/// Starts `image` with `args` (none: its default command) and waits until
/// `path` on its `inner` port answers 200: docker-proxy accepts connections
/// before the container listens, so a connect alone proves nothing.
fn run_container(
    image: &str,
    inner: u16,
    path: &str,
    args: &[&str],
    volumes: &[String],
) -> (u16, Cleanup) {
    let port = free_port();
    let name = format!("{}-c{inner}", image.replace([':', '/'], "-"));
    let mut run = vec![
        "run".to_string(),
        "-d".into(),
        "--name".into(),
        name.clone(),
    ];
    run.extend(["-p".into(), format!("127.0.0.1:{port}:{inner}")]);
    for v in volumes {
        run.extend(["-v".into(), v.clone()]);
    }
    run.push(image.into());
    run.extend(args.iter().map(|a| a.to_string()));
    docker(&run.iter().map(String::as_str).collect::<Vec<_>>());
    let cleanup = Cleanup {
        container: Some(name.clone()),
        // The image outlives each container; the test removes it.
        image: String::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while !answers_200(port, path) {
        if Instant::now() > deadline {
            let logs = Command::new("docker")
                .args(["logs", &name])
                .output()
                .unwrap();
            panic!(
                "the container did not answer {path}: {}{}",
                String::from_utf8_lossy(&logs.stdout),
                String::from_utf8_lossy(&logs.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    (port, cleanup)
}

#[test]
fn the_mlflowrs_image_runs_server_and_models_serve() {
    let image = tag("mlflowrs");
    let _image = Cleanup {
        container: None,
        image: image.clone(),
    };
    let mut build = Command::new(repo_root().join("docker/mlflowrs-image.sh"));
    build.args([&image, env!("CARGO_BIN_EXE_mlflowrs")]);
    if let Ok(ort) = std::env::var("ORT_DYLIB_PATH") {
        build.env("ORT_LIBRARY", ort);
    }
    let out = build.output().unwrap();
    assert!(
        out.status.success(),
        "mlflowrs-image.sh: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // Its default command is the tracking server.
    let (port, _server) = run_container(&image, 5000, "/health", &[], &[]);
    let body = br#"{"name": "in-a-container"}"#;
    let (status, _, answer) = post_json_raw(port, "/api/2.0/mlflow/experiments/create", body);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("experiment_id"), "{answer}");

    // Given `models serve`, it answers as the binary does outside.
    let model = repo_root().join("examples/iris-onnx");
    let (port, _serve) = run_container(
        &image,
        8080,
        "/ping",
        &[
            "models", "serve", "-m", "/model", "-h", "0.0.0.0", "-p", "8080",
        ],
        &[format!("{}:/model:ro", model.display())],
    );
    let body = br#"{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}"#;
    let (status, _, answer) = post_json_raw(port, "/invocations", body);
    let answer = (status, String::from_utf8_lossy(&answer).into_owned());
    assert_eq!(answer, local_answer("examples/iris-onnx", body));
}
