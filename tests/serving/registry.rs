//! Model URIs resolved against real MLflow stores: a file store, SQLite and
//! PostgreSQL read directly, and real `mlflow server`s over HTTP (one with
//! file artifacts, one with S3 artifacts on a moto server, one with the
//! artifact proxy). `tests/registry/stack.py` starts them and fills them
//! with the real mlflow client; this file checks that every URI form serves
//! the right version's predictions from every store.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use crate::common::{repo_root, Spawn};
use serde_json::Value;

pub(super) struct Stack {
    pub(super) manifest: Value,
    // Held so its stdin stays open: the stack stops when this process exits.
    _child: Mutex<Child>,
}

pub(super) fn stack() -> &'static Stack {
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
pub(super) fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    stack();
    guard
}

/// One way of reaching a store: its own URI, or its tracking server.
#[derive(Clone, Copy, Debug)]
pub(super) struct Via {
    pub(super) store: &'static str,
    pub(super) http: bool,
}

pub(super) const EVERY_WAY: [Via; 6] = [
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
    pub(super) fn store(&self) -> &'static Value {
        &stack().manifest["stores"][self.store]
    }

    pub(super) fn tracking_uri(&self) -> String {
        let key = if self.http {
            "http_uri"
        } else {
            "tracking_uri"
        };
        self.store()[key].as_str().unwrap().to_string()
    }

    pub(super) fn run(&self, i: usize) -> &'static Value {
        &self.store()["runs"][i]
    }

    /// The environment an MLflow user would have: the tracking URI, S3
    /// credentials, and a cache of the test's own.
    pub(super) fn env(&self, cache: &std::path::Path) -> Vec<(String, String)> {
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

pub(super) fn mlflowrs(args: &[&str], env: &[(String, String)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
        .current_dir(repo_root())
        .args(args)
        .args(["--log", "warn"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap()
}

/// `mlflowrs models resolve`: the JSON it prints, or (exit code, stderr).
pub(super) fn resolve(uri: &str, env: &[(String, String)]) -> Result<Value, (i32, String)> {
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

pub(super) fn numbers(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Number(n) => out.push(n.as_f64().unwrap()),
        Value::Array(a) => a.iter().for_each(|x| numbers(x, out)),
        Value::Object(o) => o.values().for_each(|x| numbers(x, out)),
        _ => {}
    }
}

pub(super) fn assert_predictions(answer: &Value, version: &str, context: &str) {
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
pub(super) fn predict(uri: &str, env: &[(String, String)]) -> Value {
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
        let server = Spawn::models_serve()
            .owned_args(&["-m".into(), "models:/iris-onnx@champion".into()])
            .envs(&via.env(cache.path()))
            .start();
        let request = serde_json::json!({ "inputs": stack().manifest["input"] }).to_string();
        let (status, headers, body) =
            crate::common::post_json_raw(server.port, "/invocations", request.as_bytes());
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
/// Moves `mover`'s stage, then its alias, to version 2: a watcher that sees
/// the alias move then finds version 2 already in Production (the other
/// order leaves a window where it serves version 2 still marked None).
pub(super) fn move_to_version_2(via: Via) {
    let python = stack().manifest["python"].as_str().unwrap();
    let code = "import sys, warnings, mlflow\n\
        warnings.simplefilter('ignore')\n\
        c = mlflow.MlflowClient(tracking_uri=sys.argv[1])\n\
        c.transition_model_version_stage('mover', '2', 'Production', archive_existing_versions=True)\n\
        c.set_registered_model_alias('mover', 'moving', '2')\n";
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
