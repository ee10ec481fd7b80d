//! The README's whole-loop example (`examples/iris-project/loop.sh`):
//! `mlflowrs run` trains, logs and registers a model through the real
//! `mlflow` client inside the project, then `mlflowrs models serve` serves
//! `models:/iris-classifier@champion` and answers a prediction.

use std::process::Command;

use serde_json::Value as Json;

use crate::common::{free_port, repo_root};

#[test]
fn the_example_project_trains_registers_and_serves() {
    let root = repo_root();
    let venv_bin = root.join(".venv/bin");
    let path = format!(
        "{}:{}",
        venv_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(root.join("examples/iris-project/loop.sh"))
        .env("MLFLOWRS", env!("CARGO_BIN_EXE_mlflowrs"))
        .env("ENV_MANAGER", "local")
        .env("PATH", path)
        .env("PORT", free_port().to_string())
        .env_remove("MLFLOW_TRACKING_URI")
        .output()
        .expect("run loop.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "loop.sh failed:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("=== Run (ID '") && stderr.contains("') succeeded ==="),
        "{stderr}"
    );
    assert!(
        stdout.contains("iris-classifier version 1 is @champion"),
        "{stdout}"
    );
    let answer: Json = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let labels = &answer["predictions"]["label"];
    assert_eq!(labels, &serde_json::json!([0, 2]), "{answer}");
}
