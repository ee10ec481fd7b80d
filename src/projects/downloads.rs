//! The two downloads a project run may need: a zip archive named by an
//! `http(s)` URI, and a remote value of a `path` parameter.

use std::path::Path;

use mlflowrs_projects::ProjectError;

use crate::resolve::store::HttpSettings;

async fn fetch(url: &str) -> Result<Vec<u8>, String> {
    let client = HttpSettings::from_env()
        .client()
        .map_err(|e| e.to_string())?;
    let response = client.get(url).send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("{status} for url: {url}"));
    }
    response
        .bytes()
        .await
        .map(|b| b.to_vec())
        .map_err(|e| e.to_string())
}

/// Blocking, from the synchronous project code that runs on the runtime.
pub fn get(url: &str) -> Result<Vec<u8>, String> {
    let handle = tokio::runtime::Handle::current();
    tokio::task::block_in_place(|| handle.block_on(fetch(url)))
}

/// Downloads a remote `path` parameter into `dir` (its `param_<i>`
/// directory) and returns the local file, as MLflow's
/// `_download_artifact_from_uri` does for an http(s) URI.
pub fn path_parameter(uri: &str, dir: &Path) -> Result<String, ProjectError> {
    let scheme = mlflowrs_projects::spec::url_scheme(uri).to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(ProjectError::mlflow(format!(
            "mlflowrs run downloads remote `path` parameters over http(s) only, not {uri}: pass a local path, or download it first"
        )));
    }
    let bytes = get(uri).map_err(|e| ProjectError::mlflow(format!("downloading {uri}: {e}")))?;
    let name = uri
        .split(['?', '#'])
        .next()
        .unwrap_or(uri)
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("download");
    let target = dir.join(name);
    std::fs::write(&target, bytes)
        .map_err(|e| ProjectError::uncaught("OSError", format!("{}: {e}", target.display())))?;
    Ok(target.display().to_string())
}
