//! `mlflowrs run` against a PostgreSQL store (MLflow's schema, the same
//! URI `mlflow run` takes), beside the real `mlflow run` against a second
//! database of the same server: the runs, tags, params and the command's
//! own metrics must be the same (`store_dump.py` reads both).

use std::path::Path;
use std::process::Command;

use crate::common::repo_root;
use crate::common::tracking::{python, run_python, Postgres};

fn run_tool(tool: &[&str], args: &[&str], store: &str, work: &Path) -> i32 {
    let root = repo_root();
    let fixtures = root.join("tests/projects/fixtures");
    let path = format!(
        "{}:{}",
        root.join(".venv/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new(tool[0]);
    cmd.args(&tool[1..])
        .arg("run")
        .arg(fixtures.join(args[0]))
        .args(&args[1..])
        .args(["--env-manager", "local"])
        .env("MLFLOW_TRACKING_URI", store)
        .env("PATH", path)
        .env("USER", "tester")
        .env("LOGNAME", "tester")
        .env_remove("MLFLOW_EXPERIMENT_ID")
        .env_remove("MLFLOW_EXPERIMENT_NAME")
        .current_dir(work);
    let out = cmd.output().expect("start the tool");
    out.status.code().unwrap_or(-1)
}

fn dump(store: &str) -> String {
    run_python(&[
        repo_root()
            .join("tests/projects/store_dump.py")
            .to_str()
            .unwrap(),
        store,
    ])
}

#[test]
fn runs_in_postgresql_match_mlflow_runs() {
    let pg = Postgres::start();
    let base = pg
        .uri
        .rsplit_once('/')
        .unwrap()
        .0
        .replace("postgresql://", "postgresql+psycopg2://");
    let script = format!(
        "import psycopg2\nc = psycopg2.connect({:?})\nc.autocommit = True\nfor d in ('by_mlflow', 'by_mlflowrs'):\n    c.cursor().execute('CREATE DATABASE ' + d)\n",
        pg.uri
    );
    let status = Command::new(python())
        .args(["-c", &script])
        .status()
        .unwrap();
    assert!(status.success(), "creating the two databases failed");
    let mlflow = repo_root().join(".venv/bin/mlflow");
    let cases: [&[&str]; 4] = [
        &[
            "basic",
            "-P",
            "alpha=0.5",
            "-P",
            "name=a b",
            "-P",
            "extra=it's",
            "--experiment-name",
            "pg",
        ],
        &["basic", "-e", "fail", "--run-name", "failing"],
        &["tracked", "-e", "log_metrics", "-P", "n=4"],
        &["basic", "-P", "alpha=1", "--experiment-id", "12345"],
    ];
    let work = tempfile::tempdir().unwrap();
    for case in cases {
        let a = run_tool(
            &[mlflow.to_str().unwrap()],
            case,
            &format!("{base}/by_mlflow"),
            work.path(),
        );
        let b = run_tool(
            &[env!("CARGO_BIN_EXE_mlflowrs")],
            case,
            &format!("{base}/by_mlflowrs"),
            work.path(),
        );
        assert_eq!(a, b, "exit codes differ for {case:?}");
    }
    let (a, b) = (
        dump(&format!("{base}/by_mlflow")),
        dump(&format!("{base}/by_mlflowrs")),
    );
    assert!(a.contains("from-child") && a.contains("'a b'"), "{a}");
    assert_eq!(a, b, "the PostgreSQL stores differ");
}
