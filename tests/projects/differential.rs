//! The differential suite (`differential.py`): every case runs the real
//! `mlflow run` 3.17.2 and `mlflowrs run` on fresh copies of the same
//! projects, each against its own fresh store, and compares exit codes,
//! stdout, the `=== ... ===` lines and the stores. Every case with SQLite
//! stores and with each side behind its own `mlflowrs server`; behind
//! `mlflow server` (about 15 s a case, MLflow's server being slow to
//! answer) the cases that write runs: parameters, the command's own
//! tracking, experiments, run names and a remote git project.

use std::process::Command;

use crate::common::repo_root;
use crate::common::tracking::python;

fn differential(tracking: &str, only: &[&str]) {
    let root = repo_root();
    let path = format!(
        "{}:{}",
        root.join(".venv/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(python())
        .arg(root.join("tests/projects/differential.py"))
        .args(["--mlflowrs", env!("CARGO_BIN_EXE_mlflowrs")])
        .args(["--tracking", tracking])
        .args(only.iter().flat_map(|k| ["-k", k]))
        .env("PATH", path)
        .current_dir(&root)
        .output()
        .expect("run differential.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "mlflowrs run differs from mlflow run ({tracking}):\n{stdout}\n{stderr}"
    );
}

#[test]
fn mlflowrs_run_matches_mlflow_run_on_sqlite_stores() {
    differential("sqlite", &[]);
}

#[test]
fn mlflowrs_run_matches_mlflow_run_through_mlflowrs_server() {
    differential("mlflowrs-server", &[]);
}

#[test]
fn mlflowrs_run_matches_mlflow_run_through_mlflow_server() {
    differential(
        "mlflow-server",
        &["params-", "child-", "experiment-", "run-name", "git-remote"],
    );
}
