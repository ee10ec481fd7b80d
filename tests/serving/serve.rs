//! End-to-end behaviour of `mlflowrs models serve` / `predict` beyond the
//! recorded conformance cases: the example, bad bodies, start-up errors,
//! session options, `predict`.

use crate::common::serving::*;
use crate::common::{build_request, raw_request, repo_root, Spawn};
use mlflowrs_protocol::pyjson::{self, Json};

#[test]
fn example_answers_the_readme_request() {
    let server = Spawn::serve(&example()).start();
    let (status, body) = post_json(&server, br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#);
    assert_eq!(status, 200);
    let preds = body.get("predictions").unwrap();
    assert_eq!(preds.get("label"), Some(&Json::List(vec![Json::Int(0)])));
}

#[test]
fn random_and_truncated_bodies_get_mlflow_errors() {
    let server = Spawn::serve(&example()).start();
    let mut x: u64 = 42;
    let noise: Vec<u8> = (0..1_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x & 0xff) as u8
        })
        .collect();
    let (status, answer) = post_json(&server, &noise);
    assert_eq!(status, 400);
    assert_eq!(error_code(&answer), "\"BAD_REQUEST\"");
    // MLflow echoes the whole body into its message; mlflowrs at most 4096
    // bytes of it (escaped, so up to 6 characters a byte).
    let size = pyjson::to_string(&answer).len();
    assert!(
        (4096..4096 * 6 + 1024).contains(&size),
        "answer of {size} bytes"
    );
    let (status, answer) = post_json(&server, br#"{"inputs": [[5.1, 3.5"#);
    assert_eq!(status, 400);
    assert!(
        pyjson::to_string(&answer).contains("Ensure that input is a valid JSON formatted string")
    );
}

#[test]
fn a_missing_onnx_runtime_library_says_how_to_get_it() {
    let out = mlflowrs(
        &["models", "serve", "-m", "examples/iris-onnx", "-p", "0"],
        &[("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pip install onnxruntime==1.31.1"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_model_without_a_servable_flavor_names_its_flavors() {
    // Neither onnx nor python_function: nothing, not even mlflow, can serve it.
    let err = start_failure(
        "flavors:\n  sklearn:\n    pickled_model: model.skops\n  spark:\n    model_data: sparkml\n",
    );
    assert!(err.contains("sklearn, spark"), "{err}");
    assert!(err.contains("python_function"), "{err}");
}

#[test]
fn a_malformed_mlmodel_names_the_file_and_field() {
    let err = start_failure(
        "flavors:\n  onnx: {data: model.onnx}\nsignature:\n  inputs: '[{\"type\": \"tensor\"}]'\n",
    );
    assert!(
        err.contains("MLmodel") && err.contains("signature"),
        "{err}"
    );
    let out = mlflowrs(
        &["models", "serve", "-m", "/nonexistent/model", "-p", "0"],
        &[],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn predict_scores_json_and_csv_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.json");
    let output = dir.path().join("out.json");
    std::fs::write(&input, r#"{"inputs": [[6.7, 3.0, 5.2, 2.3]]}"#).unwrap();
    let out = mlflowrs(
        &[
            "models",
            "predict",
            "-m",
            "examples/iris-onnx",
            "-i",
            input.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
            "-t",
            "json",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer = std::fs::read_to_string(&output).unwrap();
    assert!(
        answer.starts_with("{\"predictions\": {\"label\": [2]"),
        "{answer}"
    );

    let model = repo_root().join("tests/conformance/models/iris_columns");
    let csv = dir.path().join("in.csv");
    std::fs::write(
        &csv,
        "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n",
    )
    .unwrap();
    let out = mlflowrs(
        &[
            "models",
            "predict",
            "-m",
            model.to_str().unwrap(),
            "-i",
            csv.to_str().unwrap(),
            "-t",
            "csv",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("{\"predictions\": [{\"variable\": "));
}

#[test]
fn column_signature_classifier_answers_one_record_per_row() {
    // MLflow fails this request (see the README's deviations); mlflowrs keeps
    // the probabilities of each row as a list.
    let server =
        Spawn::serve(&repo_root().join("tests/conformance/models/iris_columns_clf")).start();
    let body = br#"{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}}"#;
    let (status, answer) = post_json(&server, body);
    assert_eq!(status, 200);
    let Some(Json::List(rows)) = answer.get("predictions") else {
        panic!("{answer:?}")
    };
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get("label"), Some(&Json::Int(0)));
    assert_eq!(rows[1].get("label"), Some(&Json::Int(2)));
    let Some(Json::List(p)) = rows[1].get("probabilities") else {
        panic!("{answer:?}")
    };
    assert_eq!(p.len(), 3);
}

#[test]
fn unsupported_signature_types_fail_at_start_with_a_clear_message() {
    let err = start_failure(
        "flavors:\n  onnx: {data: model.onnx}\nsignature:\n  inputs: '[{\"type\": \"array\", \"items\": {\"type\": \"long\"}, \"name\": \"arr\", \"required\": true}]'\n",
    );
    assert!(
        err.contains("'arr'") && err.contains("Array(long)"),
        "{err}"
    );
}

#[test]
fn mutated_requests_always_get_an_answer_in_mlflow_format() {
    // Valid bodies with random bytes changed, inserted or cut off: every
    // answer must be a status MLflow uses, JSON errors must carry an
    // error_code, and the server must still be serving at the end.
    let bodies: [&[u8]; 4] = [
        br#"{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}"#,
        br#"{"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": [[5.1, 3.5, 1.4, 0.2]]}, "params": {"x": 1}}"#,
        br#"{"dataframe_records": [{"a": 5.1, "b": 3.5, "c": 1.4, "d": 0.2}]}"#,
        br#"{"instances": [[5.1, 3.5, 1.4, 0.2]]}"#,
    ];
    let alphabet = b"{}[],:\"0123456789.-eEnulltruefalseNaNInfinity abcd\\";
    let server = Spawn::serve(&example()).start();
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    for round in 0..400 {
        let mut body = bodies[round % bodies.len()].to_vec();
        for _ in 0..(1 + noise.next() % 4) {
            if body.is_empty() {
                break;
            }
            let at = (noise.next() as usize) % body.len();
            match noise.next() % 4 {
                0 => body[at] = alphabet[(noise.next() as usize) % alphabet.len()],
                1 => body.insert(at, alphabet[(noise.next() as usize) % alphabet.len()]),
                2 => body.truncate(at),
                _ => body[at] = noise.next() as u8,
            }
        }
        let (status, answer) = post_json(&server, &body);
        assert!(
            matches!(status, 200 | 400),
            "status {status} for {:?}",
            String::from_utf8_lossy(&body)
        );
        if status == 400 {
            assert!(
                !error_code(&answer).is_empty(),
                "no error_code in {answer:?}"
            );
        }
    }
    assert_eq!(
        post_json(&server, br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#).0,
        200
    );
}

#[test]
fn a_model_with_session_options_is_served() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["model.onnx", "MLmodel"] {
        std::fs::copy(example().join(f), dir.path().join(f)).unwrap();
    }
    let mlmodel = std::fs::read_to_string(dir.path().join("MLmodel")).unwrap().replace(
        "onnx_session_options: null",
        "onnx_session_options: {intra_op_num_threads: 1, execution_mode: sequential, graph_optimization_level: 1}",
    );
    assert!(mlmodel.contains("execution_mode: sequential"));
    std::fs::write(dir.path().join("MLmodel"), mlmodel).unwrap();
    let server = Spawn::serve(dir.path()).start();
    assert_eq!(
        post_json(&server, br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#).0,
        200
    );
}

/// `--api-key`: health checks stay open, everything else wants the bearer
/// token, a wrong or missing one gets 401 in MLflow's format, and the key
/// never reaches the logs.
#[test]
fn an_api_key_guards_every_route_but_the_health_checks() {
    const KEY: &str = "k3y-7f9c2e-only-in-this-test";
    let log = tempfile::NamedTempFile::new().unwrap();
    let port = crate::common::free_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
        .current_dir(repo_root())
        .env("MLFLOWRS_API_KEY", KEY)
        .args([
            "models",
            "serve",
            "-m",
            "examples/iris-onnx",
            "--log",
            "trace",
            "-p",
        ])
        .arg(port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "not listening");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let body = br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#;
    let send = |method: &str, path: &str, auth: Option<&str>| {
        let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        if let Some(a) = auth {
            headers.push(("Authorization".to_string(), a.to_string()));
        }
        let payload: &[u8] = if method == "POST" { body } else { b"" };
        raw_request(port, &build_request(method, path, port, &headers, payload))
    };
    for path in ["/ping", "/health", "/v2/health/live", "/v2/health/ready"] {
        assert_eq!(send("GET", path, None).0, 200, "{path}");
    }
    let good = format!("Bearer {KEY}");
    let wrong = [
        None,
        Some("Bearer".to_string()),
        Some("Bearer ".to_string()),
        Some(format!("Bearer {KEY}x")),
        Some(format!("Bearer {}", &KEY[..KEY.len() - 1])),
        Some(format!("Basic {KEY}")),
        Some(KEY.to_string()),
    ];
    for (method, path) in [
        ("POST", "/invocations"),
        ("GET", "/version"),
        ("GET", "/metrics"),
        ("GET", "/models"),
        ("POST", "/v2/models/iris-onnx/infer"),
    ] {
        for auth in &wrong {
            let (status, headers, answer) = send(method, path, auth.as_deref());
            assert_eq!(status, 401, "{method} {path} with {auth:?}");
            let answer = pyjson::parse(&answer).unwrap();
            assert_eq!(error_code(&answer), "\"UNAUTHENTICATED\"");
            assert!(headers
                .iter()
                .any(|(k, v)| k == "www-authenticate" && v.starts_with("Bearer")));
        }
    }
    let (status, _, answer) = send("POST", "/invocations", Some(&good));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    assert_eq!(send("GET", "/version", Some(&good)).0, 200);
    let _ = child.kill();
    let _ = child.wait();
    let logged = std::fs::read_to_string(log.path()).unwrap();
    assert!(!logged.is_empty());
    assert!(!logged.contains(KEY), "the API key was logged");

    let out = mlflowrs(
        &["models", "serve", "-m", "examples/iris-onnx", "-p", "0"],
        &[("MLFLOWRS_API_KEY", "")],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
}

/// `--python` names the interpreter whose `onnxruntime` package supplies
/// ONNX Runtime: given as a flag (not only as MLFLOWRS_PYTHON), the
/// library search uses it.
#[test]
fn the_python_flag_is_where_onnx_runtime_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.json");
    std::fs::write(&input, r#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#).unwrap();
    // No ./.venv, no virtualenv, no python3 on PATH, no library path: only
    // the flag can lead to the library.
    let predict = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
            .current_dir(dir.path())
            .env("PATH", dir.path())
            .env_remove("ORT_DYLIB_PATH")
            .env_remove("VIRTUAL_ENV")
            .env_remove("MLFLOWRS_PYTHON")
            .args(["models", "predict", "--onnx-backend", "ort", "-m"])
            .arg(repo_root().join("examples/iris-onnx"))
            .arg("-i")
            .arg(&input)
            .args(extra)
            .output()
            .unwrap()
    };
    let without = predict(&[]);
    let err = String::from_utf8_lossy(&without.stderr);
    assert!(
        !without.status.success() && err.contains("ONNX Runtime library not found"),
        "{err}"
    );
    let python = repo_root().join(".venv/bin/python");
    let with = predict(&["--python", python.to_str().unwrap()]);
    assert!(
        with.status.success(),
        "{}",
        String::from_utf8_lossy(&with.stderr)
    );
    assert!(String::from_utf8_lossy(&with.stdout).contains("\"predictions\""));
}

/// `models predict` evaluates scikit-learn, XGBoost and LightGBM models
/// natively too (no interpreter in reach), with mlflow's answer from CSV.
#[test]
fn predict_scores_tabular_models_without_python() {
    let input = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        input.path(),
        "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n",
    )
    .unwrap();
    for (model, want) in [
        (
            "sk_forest_clf",
            r#"{"predictions": ["setosa", "virginica"]}"#,
        ),
        ("xgb_classifier", r#"{"predictions": [0, 2]}"#),
        ("lgb_classifier", r#"{"predictions": ["setosa", "other"]}"#),
    ] {
        let dir = repo_root().join("tests/conformance/models").join(model);
        let out = mlflowrs(
            &[
                "models",
                "predict",
                "-m",
                dir.to_str().unwrap(),
                "-i",
                input.path().to_str().unwrap(),
                "-t",
                "csv",
                "--python",
                "/nonexistent/mlflowrs-test/python3",
            ],
            &[],
        );
        assert!(
            out.status.success(),
            "{model}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), want, "{model}");
    }
}
