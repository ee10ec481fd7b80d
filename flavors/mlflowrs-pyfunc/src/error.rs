use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PyfuncError {
    #[error("no Python interpreter found: pass --python (or MLFLOWRS_PYTHON), activate a virtualenv, or put python3 on PATH")]
    NoPython,
    #[error("{python}: {detail}")]
    BadPython { python: PathBuf, detail: String },
    #[error("mlflow cannot be imported by {python} ({detail}); install it there (pip install mlflow) or choose another interpreter with --python")]
    MlflowMissing { python: PathBuf, detail: String },
    #[error("the model needs packages that {python} does not have: {packages}. Install them (pip install -r {requirements}) or serve with --env-manager virtualenv")]
    MissingRequirements {
        python: PathBuf,
        packages: String,
        requirements: PathBuf,
    },
    #[error("could not build the model's Python environment in {dir}: {detail}")]
    EnvBuild { dir: PathBuf, detail: String },
    #[error("--env-manager {0} is not supported by mlflowrs (use local, virtualenv or uv)")]
    UnsupportedEnvManager(String),
    #[error("could not start a Python worker: {0}")]
    Spawn(std::io::Error),
    #[error("the model failed to load in Python:\n{0}")]
    Load(String),
}
