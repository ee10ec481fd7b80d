//! The Job `mlflowrs run -b kubernetes` submits, rendered from the user's
//! template, against the Job MLflow's own `_get_kubernetes_job_definition`
//! renders from the same inputs (`render_kubernetes_job.py`). No cluster
//! runs here, so the submission itself is not tested.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value as Json};

use crate::common::repo_root;
use crate::common::tracking::python;
use mlflowrs_projects::kubernetes::{job_definition, run_command, to_json};

const TIMESTAMP: &str = "2026-12-06-13-00-00-123456";

fn mlflow_rendering(case: &Json) -> Json {
    let mut child = Command::new(python())
        .arg(repo_root().join("tests/projects/render_kubernetes_job.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(case.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "MLflow's rendering failed for {case}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn mlflowrs_rendering(case: &Json) -> Json {
    let template_text = std::fs::read_to_string(case["template"].as_str().unwrap()).unwrap();
    let template = mlflowrs_projects::yaml11::load(&template_text).unwrap();
    let mut env: Vec<(String, String)> = case["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    if let Some(uri) = case["kube_tracking_uri"].as_str() {
        env.iter_mut()
            .find(|(k, _)| k == "MLFLOW_TRACKING_URI")
            .unwrap()
            .1 = uri.to_string();
    }
    let job = job_definition(
        case["project_name"].as_str().unwrap(),
        case["image_tag"].as_str().unwrap(),
        case["image_digest"].as_str().unwrap(),
        &run_command(case["command"].as_str().unwrap()).unwrap(),
        &env,
        &template,
        TIMESTAMP,
    )
    .unwrap();
    to_json(&job)
}

#[test]
fn jobs_render_as_mlflow_renders_them() {
    let fixtures = repo_root().join("tests/projects/fixtures/kubernetes");
    let env = json!([
        ["MLFLOW_RUN_ID", "0123456789abcdef0123456789abcdef"],
        ["MLFLOW_TRACKING_URI", "http://tracking.example:5000"],
        ["MLFLOW_EXPERIMENT_ID", "7"]
    ]);
    let cases = [
        (
            "job_template.yaml",
            "python train.py --alpha 0.5 --name 'a b' --quote 'it'\"'\"'s'",
            None,
        ),
        (
            "job_template.yaml",
            "bash run.sh \"x y\" z\\ w",
            Some("http://in-cluster:5000"),
        ),
        (
            "job_template_no_env.yaml",
            "python -c 'print(1)' --extra '' ",
            None,
        ),
    ];
    for (template, command, kube_uri) in cases {
        let case = json!({
            "template": fixtures.join(template).display().to_string(),
            "project_name": "my-project",
            "image_tag": "registry.example/my-project:abc1234",
            "image_digest": "sha256:0f0e0d0c0b0a09080706050403020100ffeeddccbbaa99887766554433221100",
            "command": command,
            "env": env,
            "kube_tracking_uri": kube_uri,
        });
        let want = mlflow_rendering(&case);
        let got = mlflowrs_rendering(&case);
        assert_eq!(
            got, want,
            "the Job for {template} / {command:?} differs from MLflow's"
        );
    }
}
