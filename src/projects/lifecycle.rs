//! The steps of a project run every backend shares: the per-run storage
//! directory and the filled command, the run's environment variables,
//! downloads for `path` parameters and zip URIs, and ending the run as
//! MLflow's `_wait_for` does.

use std::path::{Path, PathBuf};

use mlflowrs_projects::log;
use mlflowrs_projects::source;
use mlflowrs_projects::spec::{PathResolver, Project};
use mlflowrs_projects::ProjectError;

use super::child;
use super::downloads;
use super::tracking_client::TrackingClient;
use crate::settings::RunSettings;

/// How a run that did not succeed ends.
pub enum Outcome {
    Failed(ProjectError),
    Interrupted,
}

impl From<ProjectError> for Outcome {
    fn from(e: ProjectError) -> Outcome {
        Outcome::Failed(e)
    }
}

/// Downloads the zip archives a project URI names over http(s).
pub struct HttpDownloads;

impl source::Downloader for HttpDownloads {
    fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        downloads::get(url)
    }
}

impl PathResolver for HttpDownloads {
    fn download(&self, uri: &str, dir: &Path) -> Result<String, ProjectError> {
        downloads::path_parameter(uri, dir)
    }
}

/// The run's environment for the command: MLflow's `get_run_env_vars`.
pub fn run_env(run_id: &str, tracking_uri: &str, experiment_id: &str) -> Vec<(String, String)> {
    vec![
        ("MLFLOW_RUN_ID".into(), run_id.into()),
        ("MLFLOW_TRACKING_URI".into(), tracking_uri.into()),
        ("MLFLOW_EXPERIMENT_ID".into(), experiment_id.into()),
    ]
}

/// MLflow's `get_entry_point_command`: the per-run storage directory, then
/// the filled template.
pub fn entry_command(settings: &RunSettings, project: &Project) -> Result<String, ProjectError> {
    if let Some(dir) = &settings.storage_dir {
        std::fs::create_dir_all(dir).map_err(|e| ProjectError::os(&e, dir))?;
    }
    let storage: PathBuf = source::mkdtemp(settings.storage_dir.as_deref())?;
    log::info(
        log::UTILS,
        &format!(
            "=== Created directory {} for downloading remote URIs passed to arguments of type 'path' ===",
            storage.display()
        ),
    );
    project.entry_point(&settings.entry_point)?.compute_command(
        &settings.params,
        &storage,
        &HttpDownloads,
    )
}

/// MLflow's `_wait_for` once the command ended.
pub async fn finish(
    client: &TrackingClient,
    run_id: &str,
    status: child::Exit,
) -> Result<(), Outcome> {
    match status {
        child::Exit::Success => {
            log::info(
                log::PROJECTS,
                &format!("=== Run (ID '{run_id}') succeeded ==="),
            );
            client.end_run_after_command(run_id, "FINISHED").await?;
            Ok(())
        }
        child::Exit::Failure => {
            client.end_run_after_command(run_id, "FAILED").await?;
            Err(ProjectError::execution(format!("Run (ID '{run_id}') failed")).into())
        }
        child::Exit::Interrupted => {
            log::error(
                log::PROJECTS,
                &format!("=== Run (ID '{run_id}') interrupted, cancelling run ==="),
            );
            client.end_run_after_command(run_id, "FAILED").await?;
            Err(Outcome::Interrupted)
        }
    }
}
