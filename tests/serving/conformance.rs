//! Replays the answers the real `mlflow models serve` gave (recorded by
//! tests/conformance/record.py) against mlflowrs (tests/common/replay.rs).
//! Floats may differ by 1e-5 relative. The deviations listed in the README
//! are listed there too, with what mlflowrs answers.

use std::path::PathBuf;

use crate::common::replay::{compare_body, replay_with, Replay, Tolerance};
use crate::common::repo_root;

const ONNX: Tolerance = Tolerance::Relative(1e-5);

fn recorded_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join("tests/conformance/recorded"))
        .expect("tests/conformance/recorded exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn model_of(file: &std::path::Path) -> PathBuf {
    let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
    repo_root().join("tests/conformance/models").join(stem)
}

#[test]
fn the_comparison_catches_differences() {
    let want =
        serde_json::json!({"body": "{\"predictions\": {\"label\": [0], \"p\": [[0.5, 1e-08]]}}"});
    assert!(compare_body(
        &want,
        b"{\"predictions\": {\"label\": [0], \"p\": [[0.5000001, 1e-08]]}}",
        ONNX
    )
    .is_ok());
    assert!(compare_body(
        &want,
        b"{\"predictions\": {\"label\": [0], \"p\": [[0.51, 1e-08]]}}",
        ONNX
    )
    .is_err());
    assert!(compare_body(
        &want,
        b"{\"predictions\": {\"label\": [1], \"p\": [[0.5, 1e-08]]}}",
        ONNX
    )
    .is_err());
    assert!(compare_body(
        &want,
        b"{\"predictions\": {\"label\": [0.0], \"p\": [[0.5, 1e-08]]}}",
        ONNX
    )
    .is_err());
    assert!(compare_body(
        &want,
        b"{\"predictions\": {\"p\": [[0.5, 1e-08]], \"label\": [0]}}",
        ONNX
    )
    .is_err());
    let err = serde_json::json!({"body": "{\"error_code\": \"BAD_REQUEST\", \"message\": \"x\", \"sqlstate\": \"KAM00\", \"error_class\": \"INVALID_PARAMETER_VALUE\"}"});
    assert!(compare_body(&err, b"{\"error_code\": \"BAD_REQUEST\", \"message\": \"other words\", \"sqlstate\": \"KAM00\", \"error_class\": \"INVALID_PARAMETER_VALUE\"}", ONNX).is_ok());
    assert!(compare_body(&err, b"{\"error_code\": \"INVALID_PARAMETER_VALUE\", \"message\": \"x\", \"sqlstate\": \"KAM00\", \"error_class\": \"INVALID_PARAMETER_VALUE\"}", ONNX).is_err());
    assert!(compare_body(&err, b"{\"error_code\": \"BAD_REQUEST\", \"message\": \"x\", \"sqlstate\": \"KAM00\", \"error_class\": \"INVALID_PARAMETER_VALUE\", \"stack_trace\": \"t\"}", ONNX).is_err());
    let text = serde_json::json!({"body": "The scoring server only supports UTF-8"});
    assert!(compare_body(&text, b"The scoring server only supports UTF-8", ONNX).is_ok());
    assert!(compare_body(&text, b"The scoring server supports UTF-8", ONNX).is_err());
}

#[test]
fn recorded_mlflow_answers_replay_identically() {
    let files = recorded_files();
    assert!(!files.is_empty(), "no recorded fixtures");
    replay_all(&files, &[], &[], &[], 80, |_| {});
}

/// Replays `files` with these flags, removed variables and ignored cases;
/// fails listing every differing case, or when fewer than `min_cases` ran.
fn replay_all(
    files: &[PathBuf],
    extra_args: &[&str],
    env_remove: &[&str],
    ignore: &[(&str, &str)],
    min_cases: usize,
    inspect: impl Fn(&crate::common::Running),
) {
    let mut total = 0;
    let mut failures = Vec::new();
    for f in files {
        let how = Replay {
            model: model_of(f),
            extra_args,
            env_remove,
            tolerance: ONNX,
            ignore,
        };
        let (n, mut fails) = replay_with(f, &how, &inspect);
        total += n;
        failures.append(&mut fails);
    }
    assert!(total >= min_cases, "only {total} recorded cases");
    assert!(
        failures.is_empty(),
        "{} of {total} cases differ (flags {extra_args:?}):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// What tract answers differently from ONNX Runtime, case by case.
#[cfg(feature = "tract")]
const TRACT_IGNORE: &[(&str, &str)] = &[
    // 1e300 becomes inf in float32 and every probability NaN; the label is
    // then the arg-max over NaNs, which ONNX Runtime answers 1 and tract 0.
    ("inputs_float_overflow", "arg-max over NaN probabilities"),
];

/// The ONNX fixtures served by tract, with no ONNX Runtime library in reach:
/// `ORT_DYLIB_PATH` is unset and the server's memory map is checked for it.
#[cfg(feature = "tract")]
#[test]
fn tract_backend_answers_as_mlflow_without_onnx_runtime() {
    let files: Vec<PathBuf> = recorded_files()
        .into_iter()
        .filter(|f| !f.file_stem().unwrap().to_string_lossy().starts_with("py_"))
        .collect();
    assert!(files.len() >= 6, "ONNX fixtures missing: {files:?}");
    replay_all(
        &files,
        &["--onnx-backend", "tract"],
        &["ORT_DYLIB_PATH"],
        TRACT_IGNORE,
        300,
        |server| {
            let maps = std::fs::read_to_string(format!("/proc/{}/maps", server.child.id()))
                .expect("read the server's memory map");
            assert!(
                !maps.contains("libonnxruntime"),
                "the tract backend loaded ONNX Runtime"
            );
        },
    );
}

/// The scikit-learn, XGBoost and LightGBM fixtures answer as mlflow does
/// with no Python in reach: `--python` names an interpreter that does not
/// exist, so a model that fell back to Python could not start, and the
/// server has no child process.
#[test]
fn tabular_fixtures_are_served_natively_without_python() {
    let files: Vec<PathBuf> = recorded_files()
        .into_iter()
        .filter(|f| {
            let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
            // py_sklearn_clf and py_tree_int are scikit-learn models too.
            ["sk_", "xgb_", "lgb_", "py_sklearn_clf", "py_tree_int"]
                .iter()
                .any(|p| stem.starts_with(p))
        })
        .collect();
    assert!(files.len() >= 11, "tabular fixtures missing: {files:?}");
    replay_all(
        &files,
        &[
            "--env-manager",
            "local",
            "--python",
            "/nonexistent/mlflowrs-test/python3",
        ],
        &[],
        &[],
        1000,
        |server| {
            let pid = server.child.id();
            let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
                .unwrap_or_default();
            assert!(
                children.trim().is_empty(),
                "the server started child processes: {children}"
            );
        },
    );
}
