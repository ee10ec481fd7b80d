//! MLflow Projects as `mlflow run` 3.17.2 reads and prepares them: the
//! MLproject file (`spec`, over `yaml11` and `py_value`), command templates
//! (`template`), where a project comes from (`source`, `git`), Python
//! environments (`python_env`), and the Kubernetes Job (`kubernetes`).
//! Running one — the tracking run, the child process, Docker — is the
//! `mlflowrs run` command's.

pub mod error;
pub mod git;
pub mod kubernetes;
pub mod log;
pub mod py_value;
pub mod python_env;
pub mod source;
pub mod spec;
pub mod template;
pub mod yaml11;

pub use error::ProjectError;
pub use py_value::PyValue;
pub use spec::{
    load_project, ComputedParams, DockerEnv, DockerEnvVar, EntryPoint, Project, ProjectEnv,
};
