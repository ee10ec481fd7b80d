//! `--env-manager conda` (or a `conda_env` project): the environment MLflow
//! names `mlflow-<sha1 of conda.yaml>`, found in `conda env list` or
//! created with `conda env create` (or MLFLOW_CONDA_CREATE_ENV_CMD, e.g.
//! mamba), and the activation MLflow prefixes to the command.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mlflowrs_env::EnvVars;
use mlflowrs_projects::{log, ProjectError};

/// MLflow's `get_conda_bin_executable`.
fn conda_bin(name: &str) -> PathBuf {
    if let Some(home) = std::env::var_os(EnvVars::MLFLOW_CONDA_HOME).filter(|h| !h.is_empty()) {
        return PathBuf::from(home).join("bin").join(name);
    }
    if let Some(exe) = std::env::var_os(EnvVars::CONDA_EXE) {
        if let Some(dir) = Path::new(&exe).parent() {
            return dir.join(name);
        }
    }
    PathBuf::from(name)
}

fn runs(cmd: &Path) -> bool {
    Command::new(cmd)
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Finds or creates the project's environment; returns its activation.
pub fn activate_command(conda_yaml: &Path) -> Result<String, ProjectError> {
    let conda = conda_bin("conda");
    if !runs(&conda) {
        return Err(ProjectError::execution(format!(
            "Could not find Conda executable at {}. Ensure Conda is installed as per the instructions at https://conda.io/projects/conda/en/latest/user-guide/install/index.html. You can also configure MLflow to look for a specific Conda executable by setting the MLFLOW_CONDA_HOME environment variable to the path of the Conda executable",
            conda.display()
        )));
    }
    let create_cmd = std::env::var(EnvVars::MLFLOW_CONDA_CREATE_ENV_CMD)
        .ok()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "conda".into());
    let creator = conda_bin(&create_cmd);
    if !runs(&creator) {
        return Err(ProjectError::execution(format!(
            "You have set the env variable MLFLOW_CONDA_CREATE_ENV_CMD, but {} does not exist or it is not working properly. Note that {} and the conda executable need to be in the same conda environment. You can change the search path bymodifying the env variable MLFLOW_CONDA_HOME",
            creator.display(),
            creator.display()
        )));
    }
    let text = std::fs::read_to_string(conda_yaml).map_err(|e| ProjectError::os(&e, conda_yaml))?;
    let name = format!(
        "mlflow-{}",
        mlflowrs_projects::python_env::sha1_hex(text.as_bytes())
    );
    let listed = Command::new(&conda)
        .args(["env", "list", "--json"])
        .output()
        .map_err(|e| ProjectError::mlflow(format!("conda env list: {e}")))?;
    let envs: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap_or_default();
    let exists = envs["envs"].as_array().is_some_and(|l| {
        l.iter()
            .filter_map(|e| e.as_str())
            .any(|p| Path::new(p).file_name().and_then(|n| n.to_str()) == Some(name.as_str()))
    });
    if exists {
        log::info(
            "mlflow.utils.conda",
            &format!("Conda environment {name} already exists."),
        );
    } else {
        log::info(
            "mlflow.utils.conda",
            &format!("=== Creating conda environment {name} ==="),
        );
        let status = Command::new(&creator)
            .args(["env", "create", "-n", &name, "--file"])
            .arg(conda_yaml)
            .stdin(Stdio::null())
            .status()
            .map_err(|e| ProjectError::mlflow(format!("conda env create: {e}")))?;
        if !status.success() {
            return Err(ProjectError::mlflow(format!(
                "conda env create -n {name} failed ({status}); see its output above"
            )));
        }
    }
    let modern = std::env::var_os(EnvVars::CONDA_EXE).is_some()
        || std::env::var_os(EnvVars::MLFLOW_CONDA_HOME).is_some();
    Ok(if modern {
        let dir = conda
            .parent()
            .unwrap_or(Path::new(""))
            .display()
            .to_string();
        format!("source {dir}/../etc/profile.d/conda.sh && conda activate {name} 1>&2")
    } else {
        format!("source {} {name} 1>&2", conda_bin("activate").display())
    })
}
