//! Model URIs resolved against real MLflow stores: a file store, SQLite and
//! PostgreSQL read directly, and real `mlflow server`s over HTTP (one with
//! file artifacts, one with S3 artifacts on a moto server, one with the
//! artifact proxy). `tests/registry/stack.py` starts them and fills them
//! with the real mlflow client; this file checks that every URI form serves
//! the right version's predictions from every store.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use crate::common::{repo_root, Server};
use serde_json::Value;

struct Stack {
    manifest: Value,
    // Held so its stdin stays open: the stack stops when this process exits.
    _child: Mutex<Child>,
}

fn stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    STACK.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("mlflowrs-registry-")
            .tempdir()
            .unwrap()
            .keep();
        let python = repo_root().join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run scripts/test.sh, which creates it",
            python.display()
        );
        let mut child = Command::new(python)
            .arg(repo_root().join("tests/registry/stack.py"))
            .arg("--dir")
            .arg(&dir)
            .arg("--remove-dir")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tests/registry/stack.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let manifest: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!("tests/registry/stack.py did not start (see its output above): {e}: {line:?}")
        });
        Stack {
            manifest,
            _child: Mutex::new(child),
        }
    })
}

/// The tests share the stores and read their servers' logs: one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    stack();
    guard
}

/// One way of reaching a store: its own URI, or its tracking server.
#[derive(Clone, Copy, Debug)]
struct Via {
    store: &'static str,
    http: bool,
}

const EVERY_WAY: [Via; 6] = [
    Via {
        store: "file",
        http: false,
    },
    Via {
        store: "sqlite",
        http: false,
    },
    Via {
        store: "sqlite",
        http: true,
    },
    Via {
        store: "postgres",
        http: false,
    },
    Via {
        store: "postgres",
        http: true,
    },
    Via {
        store: "proxy",
        http: true,
    },
];

impl Via {
    fn store(&self) -> &'static Value {
        &stack().manifest["stores"][self.store]
    }

    fn tracking_uri(&self) -> String {
        let key = if self.http {
            "http_uri"
        } else {
            "tracking_uri"
        };
        self.store()[key].as_str().unwrap().to_string()
    }

    fn run(&self, i: usize) -> &'static Value {
        &self.store()["runs"][i]
    }

    /// The environment an MLflow user would have: the tracking URI, S3
    /// credentials, and a cache of the test's own.
    fn env(&self, cache: &std::path::Path) -> Vec<(String, String)> {
        let s3 = &stack().manifest["s3"];
        let s = |k: &str| s3[k].as_str().unwrap().to_string();
        vec![
            ("MLFLOW_TRACKING_URI".into(), self.tracking_uri()),
            ("MLFLOW_REGISTRY_URI".into(), String::new()),
            ("MLFLOW_S3_ENDPOINT_URL".into(), s("endpoint_url")),
            ("AWS_ACCESS_KEY_ID".into(), s("access_key_id")),
            ("AWS_SECRET_ACCESS_KEY".into(), s("secret_access_key")),
            ("AWS_DEFAULT_REGION".into(), s("region")),
            (
                "MLFLOWRS_MODEL_CACHE_DIR".into(),
                cache.display().to_string(),
            ),
        ]
    }
}

fn mlflowrs(args: &[&str], env: &[(String, String)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
        .current_dir(repo_root())
        .args(args)
        .args(["--log", "warn"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap()
}

/// `mlflowrs models resolve`: the JSON it prints, or (exit code, stderr).
fn resolve(uri: &str, env: &[(String, String)]) -> Result<Value, (i32, String)> {
    let out = mlflowrs(&["models", "resolve", "-m", uri], env);
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err((
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }
}

fn numbers(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Number(n) => out.push(n.as_f64().unwrap()),
        Value::Array(a) => a.iter().for_each(|x| numbers(x, out)),
        Value::Object(o) => o.values().for_each(|x| numbers(x, out)),
        _ => {}
    }
}

fn assert_predictions(answer: &Value, version: &str, context: &str) {
    let mut got = Vec::new();
    numbers(&answer["predictions"], &mut got);
    let mut want = Vec::new();
    numbers(&stack().manifest["expected"][version], &mut want);
    assert_eq!(got.len(), want.len(), "{context}: {answer}");
    for (g, w) in got.iter().zip(&want) {
        assert!(
            (g - w).abs() <= 1e-4 * w.abs().max(1.0),
            "{context}: got {got:?}, version {version} predicts {want:?}"
        );
    }
}

/// `mlflowrs models predict` on the stack's input.
fn predict(uri: &str, env: &[(String, String)]) -> Value {
    let input = tempfile::NamedTempFile::new().unwrap();
    let body = serde_json::json!({ "inputs": stack().manifest["input"] });
    std::fs::write(input.path(), body.to_string()).unwrap();
    let out = mlflowrs(
        &[
            "models",
            "predict",
            "-m",
            uri,
            "-i",
            input.path().to_str().unwrap(),
        ],
        env,
    );
    assert!(
        out.status.success(),
        "predict {uri}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (URI, expected registry version or None, expected model id or None).
fn uri_forms(via: Via) -> Vec<(String, Option<&'static str>, Option<String>)> {
    let id = |i: usize, key: &str| via.run(i)[key].as_str().unwrap().to_string();
    let run = |i: usize| id(i, "run_id");
    vec![
        (
            "models:/iris-onnx/1".into(),
            Some("1"),
            Some(id(0, "onnx_model_id")),
        ),
        (
            "models:/iris-onnx/2".into(),
            Some("2"),
            Some(id(1, "onnx_model_id")),
        ),
        (
            "models:/iris-onnx@champion".into(),
            Some("2"),
            Some(id(1, "onnx_model_id")),
        ),
        ("models:/iris-onnx/Production".into(), Some("1"), None),
        ("models:/iris-onnx/staging".into(), Some("2"), None),
        ("models:/iris-onnx/latest".into(), Some("2"), None),
        ("models:/iris-legacy/1".into(), Some("1"), None),
        ("models:/iris-legacy@champion".into(), Some("2"), None),
        (
            format!("models:/{}", id(0, "onnx_model_id")),
            None,
            Some(id(0, "onnx_model_id")),
        ),
        (
            format!("runs:/{}/onnx_model", run(1)),
            None,
            Some(id(1, "onnx_model_id")),
        ),
        (format!("runs:/{}/legacy_model", run(0)), None, None),
    ]
}

/// The version whose predictions a URI must give: runs and logged models
/// of run i are version i+1's.
fn predicted_version(uri: &str, registry_version: Option<&str>, via: Via) -> String {
    if let Some(v) = registry_version {
        return v.to_string();
    }
    let from_run1 = [
        via.run(0)["run_id"].as_str().unwrap(),
        via.run(0)["onnx_model_id"].as_str().unwrap(),
    ];
    if from_run1.iter().any(|s| uri.contains(s)) {
        "1".into()
    } else {
        "2".into()
    }
}

fn every_form_from(via: Via) {
    let cache = tempfile::tempdir().unwrap();
    let env = via.env(cache.path());
    for (uri, version, model_id) in uri_forms(via) {
        let context = format!("{uri} via {via:?}");
        let resolved = resolve(&uri, &env).unwrap_or_else(|e| panic!("{context}: {e:?}"));
        if let Some(v) = version {
            assert_eq!(resolved["version"], v, "{context}: {resolved}");
        }
        if let Some(id) = model_id {
            assert_eq!(resolved["model_id"], id.as_str(), "{context}: {resolved}");
        }
        let answer = predict(&uri, &env);
        assert_predictions(&answer, &predicted_version(&uri, version, via), &context);
    }
    // The sklearn versions resolve too, and predict through the Python fallback.
    let answer = predict("models:/iris-sklearn@champion", &env);
    assert_predictions(
        &answer,
        "2",
        &format!("models:/iris-sklearn@champion via {via:?}"),
    );
    let sk = resolve("models:/iris-sklearn@champion", &env).unwrap();
    assert_eq!(sk["version"], "2");
    assert_eq!(sk["model_id"], via.run(1)["sklearn_model_id"]);
    let mlmodel = std::fs::read_to_string(
        std::path::Path::new(sk["local_path"].as_str().unwrap()).join("MLmodel"),
    )
    .unwrap();
    assert!(mlmodel.contains("sklearn:"), "{mlmodel}");
}

#[test]
fn every_uri_form_from_the_file_store() {
    let _serial = serial();
    every_form_from(EVERY_WAY[0]);
}

#[test]
fn every_uri_form_from_sqlite_read_directly() {
    let _serial = serial();
    every_form_from(EVERY_WAY[1]);
}

#[test]
fn every_uri_form_from_a_tracking_server_over_sqlite() {
    let _serial = serial();
    every_form_from(EVERY_WAY[2]);
}

#[test]
fn every_uri_form_from_postgresql_read_directly_with_s3_artifacts() {
    let _serial = serial();
    every_form_from(EVERY_WAY[3]);
}

#[test]
fn every_uri_form_from_a_tracking_server_over_postgresql_with_s3_artifacts() {
    let _serial = serial();
    every_form_from(EVERY_WAY[4]);
}

#[test]
fn every_uri_form_from_a_tracking_server_with_the_artifact_proxy() {
    let _serial = serial();
    every_form_from(EVERY_WAY[5]);
}

#[test]
fn the_served_model_says_what_it_resolved_to() {
    let _serial = serial();
    for via in [EVERY_WAY[1], EVERY_WAY[5]] {
        let cache = tempfile::tempdir().unwrap();
        let server = Server::start_with_env(
            &["-m".into(), "models:/iris-onnx@champion".into()],
            &via.env(cache.path()),
        );
        let (status, headers, body) = crate::common::raw_request(
            server.port,
            &crate::common::build_request(
                "POST",
                "/invocations",
                server.port,
                &[("Content-Type".into(), "application/json".into())],
                serde_json::json!({ "inputs": stack().manifest["input"] })
                    .to_string()
                    .as_bytes(),
            ),
        );
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        assert_predictions(
            &serde_json::from_slice(&body).unwrap(),
            "2",
            "serve @champion",
        );
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        assert_eq!(header("x-mlflowrs-model-version").as_deref(), Some("2"));
        assert_eq!(header("x-mlflowrs-model").as_deref(), Some("iris-onnx"));
        let (status, _, body) = crate::common::raw_request(
            server.port,
            &crate::common::build_request("GET", "/models", server.port, &[], b""),
        );
        assert_eq!(status, 200);
        let models: Value = serde_json::from_slice(&body).unwrap();
        let m = &models["models"][0];
        assert_eq!(m["name"], "iris-onnx");
        assert_eq!(m["version"], "2");
        assert_eq!(m["alias"], "champion");
        assert_eq!(m["stage"], "Staging");
        assert_eq!(m["model_id"], via.run(1)["onnx_model_id"]);
        assert_eq!(m["run_id"], via.run(1)["run_id"]);
        assert_eq!(m["uri"], "models:/iris-onnx@champion");
    }
}

/// Moves `mover`'s alias and Production stage to version 2 with the real client.
fn move_to_version_2(via: Via) {
    let python = stack().manifest["python"].as_str().unwrap();
    let code = "import sys, warnings, mlflow\n\
        warnings.simplefilter('ignore')\n\
        c = mlflow.MlflowClient(tracking_uri=sys.argv[1])\n\
        c.set_registered_model_alias('mover', 'moving', '2')\n\
        c.transition_model_version_stage('mover', '2', 'Production', archive_existing_versions=True)\n";
    let status = Command::new(python)
        .args(["-c", code, &via.tracking_uri()])
        .current_dir(stack().manifest["dir"].as_str().unwrap())
        .env("MLFLOW_TRACKING_URI", via.tracking_uri())
        .env("MLFLOW_ALLOW_FILE_STORE", "true")
        .status()
        .unwrap();
    assert!(status.success(), "moving mover's alias via {via:?}");
}

#[test]
fn alias_and_stage_moves_are_seen_by_a_fresh_start() {
    let _serial = serial();
    // Each store is moved once, through its own writer; every reader sees it.
    let movers = [
        (EVERY_WAY[0], vec![EVERY_WAY[0]]),
        (EVERY_WAY[2], vec![EVERY_WAY[1], EVERY_WAY[2]]),
        (EVERY_WAY[4], vec![EVERY_WAY[3], EVERY_WAY[4]]),
    ];
    for (writer, readers) in movers {
        let cache = tempfile::tempdir().unwrap();
        for via in &readers {
            let env = via.env(cache.path());
            for uri in ["models:/mover@moving", "models:/mover/production"] {
                assert_eq!(
                    resolve(uri, &env).unwrap()["version"],
                    "1",
                    "{uri} via {via:?}"
                );
            }
        }
        move_to_version_2(writer);
        for via in &readers {
            let env = via.env(cache.path());
            for uri in ["models:/mover@moving", "models:/mover/production"] {
                assert_eq!(
                    resolve(uri, &env).unwrap()["version"],
                    "2",
                    "{uri} via {via:?} after the move"
                );
                assert_predictions(&predict(uri, &env), "2", uri);
            }
            let archived = resolve("models:/mover/Archived", &env).unwrap();
            assert_eq!(
                archived["version"], "1",
                "version 1 was archived by the move"
            );
        }
    }
}

#[test]
fn bad_uris_fail_with_a_message_and_exit_code_of_their_own() {
    let _serial = serial();
    for via in EVERY_WAY {
        let cache = tempfile::tempdir().unwrap();
        let env = via.env(cache.path());
        let run = via.run(0)["run_id"].as_str().unwrap();
        let cases: Vec<(String, i32, String)> = vec![
            (
                "models:/nope/1".into(),
                11,
                "Registered Model with name=nope not found".into(),
            ),
            (
                "models:/iris-onnx/99".into(),
                12,
                "Model Version (name=iris-onnx, version=99) not found".into(),
            ),
            (
                "models:/iris-onnx@nope".into(),
                13,
                "Registered model alias nope not found.".into(),
            ),
            (
                "models:/iris-onnx/Archived".into(),
                14,
                "No versions of model with name 'iris-onnx' and stage 'Archived' found".into(),
            ),
            (
                "models:/iris-onnx/Foo".into(),
                10,
                "Invalid Model Version stage: Foo.".into(),
            ),
            ("models:/".into(), 10, "Not a proper models:/ URI".into()),
            (
                "runs:/0123456789abcdef0123456789abcdef/model".into(),
                15,
                "Run with id=0123456789abcdef0123456789abcdef not found".into(),
            ),
            (
                "models:/m-0123456789abcdef0123456789abcdef".into(),
                15,
                "m-0123456789abcdef0123456789abcdef".into(),
            ),
            (
                format!("runs:/{run}/no_such_model"),
                18,
                "no_such_model".into(),
            ),
        ];
        for (uri, code, text) in cases {
            let (got, stderr) = resolve(&uri, &env).expect_err(&uri);
            assert_eq!(got, code, "{uri} via {via:?}: {stderr}");
            assert!(stderr.contains(&text), "{uri} via {via:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
    }
}

#[test]
fn an_unreachable_or_refusing_store_is_named() {
    let _serial = serial();
    let cache = tempfile::tempdir().unwrap();
    let with = |uri: &str| {
        vec![
            ("MLFLOW_TRACKING_URI".to_string(), uri.to_string()),
            (
                "MLFLOWRS_MODEL_CACHE_DIR".to_string(),
                cache.path().display().to_string(),
            ),
        ]
    };
    let closed = crate::common::free_port();
    let (code, stderr) = resolve(
        "models:/iris/1",
        &with(&format!("http://127.0.0.1:{closed}")),
    )
    .unwrap_err();
    assert_eq!(code, 16, "{stderr}");
    assert!(
        stderr.contains("could not reach the tracking store"),
        "{stderr}"
    );
    // `serve` fails the same way, with the same exit code.
    let out = mlflowrs(
        &["models", "serve", "-m", "models:/iris/1", "-p", "0"],
        &with(&format!("http://127.0.0.1:{closed}")),
    );
    assert_eq!(out.status.code(), Some(16));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("could not reach the tracking store"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let (code, stderr) =
        resolve("models:/iris/1", &with("sqlite:////nonexistent/mlflow.db")).unwrap_err();
    assert_eq!(code, 16, "{stderr}");
    assert!(stderr.contains("no SQLite database"), "{stderr}");
    let (code, stderr) = resolve(
        "models:/iris/1",
        &with(&format!(
            "postgresql+psycopg2://postgres@127.0.0.1:{closed}/mlflow"
        )),
    )
    .unwrap_err();
    assert_eq!(code, 16, "{stderr}");

    // A server that refuses the credentials: 401, as an auth proxy answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let _ = std::io::Read::read(&mut stream, &mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\ncontent-length: 12\r\nconnection: close\r\n\r\nUnauthorized",
            );
        }
    });
    let mut env = with(&format!("http://127.0.0.1:{port}"));
    env.push(("MLFLOW_TRACKING_TOKEN".into(), "wrong".into()));
    let (code, stderr) = resolve("models:/iris/1", &env).unwrap_err();
    assert_eq!(code, 17, "{stderr}");
    assert!(stderr.contains("permission denied"), "{stderr}");
}

#[test]
fn mlflow_artifacts_need_a_tracking_server_as_in_mlflow() {
    let _serial = serial();
    // The proxy store's versions live behind its server; its database alone cannot serve them.
    let via = Via {
        store: "proxy",
        http: false,
    };
    let cache = tempfile::tempdir().unwrap();
    let (code, stderr) = resolve("models:/iris-onnx/1", &via.env(cache.path())).unwrap_err();
    assert_eq!(code, 19, "{stderr}");
    assert!(stderr.contains("mlflow-artifacts"), "{stderr}");
}

#[test]
fn local_store_models_are_used_in_place() {
    let _serial = serial();
    for via in [EVERY_WAY[0], EVERY_WAY[1], EVERY_WAY[2]] {
        let cache = tempfile::tempdir().unwrap();
        let resolved = resolve("models:/iris-onnx/1", &via.env(cache.path())).unwrap();
        assert_eq!(resolved["fetch"], "in_place", "{via:?}");
        let dir = resolved["local_path"].as_str().unwrap();
        assert!(
            dir.starts_with(stack().manifest["dir"].as_str().unwrap()),
            "{dir}"
        );
        assert!(
            std::fs::read_dir(cache.path()).unwrap().next().is_none(),
            "nothing may be copied into the cache"
        );
    }
}

/// Lines in a server log that fetched artifact files.
fn artifact_fetches(log: &str, marker: &str) -> usize {
    let path = std::path::Path::new(stack().manifest["dir"].as_str().unwrap())
        .join("logs")
        .join(log);
    std::fs::read_to_string(&path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(marker) && l.contains("GET"))
        .count()
}

#[test]
fn remote_artifacts_are_downloaded_once_then_served_from_the_cache() {
    let _serial = serial();
    for (via, log, marker) in [
        (
            EVERY_WAY[5],
            "mlflow-proxy.log",
            "mlflow-artifacts/artifacts",
        ),
        (EVERY_WAY[3], "moto.log", "/mlflow"),
    ] {
        let cache = tempfile::tempdir().unwrap();
        let env = via.env(cache.path());
        let first = resolve("models:/iris-onnx/2", &env).unwrap();
        assert_eq!(first["fetch"], "downloaded", "{via:?}");
        let dir = first["local_path"].as_str().unwrap();
        assert!(dir.starts_with(cache.path().to_str().unwrap()), "{dir}");
        let before = artifact_fetches(log, marker);
        let second = resolve("models:/iris-onnx/2", &env).unwrap();
        assert_eq!(second["fetch"], "cache_hit", "{via:?}");
        assert_eq!(second["local_path"], first["local_path"]);
        assert_predictions(&predict("models:/iris-onnx/2", &env), "2", "from the cache");
        assert_eq!(
            artifact_fetches(log, marker),
            before,
            "a start from the cache fetched artifacts from {log}"
        );
        // Another version is another entry.
        let other = resolve("models:/iris-onnx/1", &env).unwrap();
        assert_ne!(other["local_path"], first["local_path"]);
        // A damaged entry is not trusted: it is fetched again.
        std::fs::write(std::path::Path::new(dir).join("MLmodel"), "x").unwrap();
        assert_eq!(
            resolve("models:/iris-onnx/2", &env).unwrap()["fetch"],
            "downloaded"
        );
        assert_predictions(&predict("models:/iris-onnx/2", &env), "2", "after repair");
    }
}

/// A gate in front of a tracking server that lets through only connections
/// whose first request carries `expected` as its Authorization header, as
/// an authenticating proxy would; others get 401.
fn auth_gate(upstream: &str, expected: &'static str) -> u16 {
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};
    let upstream = upstream.trim_start_matches("http://").to_string();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let upstream = upstream.clone();
            std::thread::spawn(move || {
                let mut client = client;
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match client.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                let wanted = format!("authorization: {}\r\n", expected.to_ascii_lowercase());
                if !text.contains(&wanted) {
                    let _ = client.write_all(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                    return;
                }
                let mut server = TcpStream::connect(&upstream).unwrap();
                server.write_all(&head).unwrap();
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c2, &mut s2);
                    let _ = s2.shutdown(std::net::Shutdown::Write);
                });
                let _ = std::io::copy(&mut server, &mut client);
            });
        }
    });
    port
}

#[test]
fn tracking_server_credentials_come_from_mlflows_variables() {
    let _serial = serial();
    let upstream = EVERY_WAY[2].tracking_uri();
    let cache = tempfile::tempdir().unwrap();
    let cases: [(&str, &[(&str, &str)]); 2] = [
        ("Bearer s3cret", &[("MLFLOW_TRACKING_TOKEN", "s3cret")]),
        // base64("alice:pw")
        (
            "Basic YWxpY2U6cHc=",
            &[
                ("MLFLOW_TRACKING_USERNAME", "alice"),
                ("MLFLOW_TRACKING_PASSWORD", "pw"),
            ],
        ),
    ];
    for (header, creds) in cases {
        let port = auth_gate(&upstream, header);
        let base = vec![
            (
                "MLFLOW_TRACKING_URI".to_string(),
                format!("http://127.0.0.1:{port}"),
            ),
            (
                "MLFLOWRS_MODEL_CACHE_DIR".to_string(),
                cache.path().display().to_string(),
            ),
        ];
        let mut env = base.clone();
        env.extend(creds.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let resolved =
            resolve("models:/iris-onnx/2", &env).unwrap_or_else(|e| panic!("{header}: {e:?}"));
        assert_eq!(resolved["version"], "2");
        let (code, stderr) = resolve("models:/iris-onnx/2", &base).unwrap_err();
        assert_eq!(code, 17, "without credentials: {stderr}");
        assert!(stderr.contains("permission denied"), "{stderr}");
    }
}

fn wait_for_version_2(ask: &dyn Fn() -> String) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while ask() != "2" {
        assert!(
            std::time::Instant::now() < deadline,
            "still serving version 1 after 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_watched_alias_move_is_served_without_a_restart_or_a_failed_request() {
    let _serial = serial();
    // Only this test moves the proxy store's `mover`.
    let via = EVERY_WAY[5];
    let cache = tempfile::tempdir().unwrap();
    let server = Server::start_with_env(
        &[
            "-m".into(),
            "models:/mover@moving".into(),
            "--watch".into(),
            "1".into(),
        ],
        &via.env(cache.path()),
    );
    let body = serde_json::json!({ "inputs": stack().manifest["input"] }).to_string();
    let ask = || {
        let (status, headers, answer) = crate::common::raw_request(
            server.port,
            &crate::common::build_request(
                "POST",
                "/invocations",
                server.port,
                &[("Content-Type".into(), "application/json".into())],
                body.as_bytes(),
            ),
        );
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        let version = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-mlflowrs-model-version"))
            .map(|(_, v)| v.clone())
            .unwrap();
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        assert_predictions(&answer, &version, "watched model");
        version
    };
    assert_eq!(ask(), "1");
    // A load runs through the swap: every request must be answered.
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let load: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut seen = Vec::new();
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        seen.push(ask());
                    }
                    seen
                })
            })
            .collect();
        move_to_version_2(via);
        wait_for_version_2(&ask);
        std::thread::sleep(std::time::Duration::from_millis(300));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let answered: Vec<String> = load.into_iter().flat_map(|h| h.join().unwrap()).collect();
        assert!(
            answered.iter().any(|v| v == "1") && answered.iter().any(|v| v == "2"),
            "the load did not span the swap"
        );
    });
    let (_, _, models) = crate::common::raw_request(
        server.port,
        &crate::common::build_request("GET", "/models", server.port, &[], b""),
    );
    let models: Value = serde_json::from_slice(&models).unwrap();
    assert_eq!(models["models"][0]["version"], "2");
    assert_eq!(models["models"][0]["stage"], "Production");
}
