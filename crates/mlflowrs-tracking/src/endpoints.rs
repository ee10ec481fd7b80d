//! Which API a path belongs to: the REST API's version and endpoint, or the
//! artifact proxy.

/// `(API version, endpoint)` of a REST path: `("2.0", "runs/get")`.
pub(crate) fn api_endpoint(path: &str) -> Option<(&'static str, &str)> {
    [
        ("/api/2.0/mlflow/", "2.0"),
        ("/ajax-api/2.0/mlflow/", "2.0"),
        ("/api/3.0/mlflow/", "3.0"),
        ("/ajax-api/3.0/mlflow/", "3.0"),
    ]
    .iter()
    .find_map(|(prefix, v)| path.strip_prefix(prefix).map(|rest| (*v, rest)))
}

/// The download routes outside the REST API, named for the permission
/// checks as `(version, endpoint)`: `/get-artifact` and
/// `/model-versions/get-artifact` (Flask merges a doubled leading slash).
pub(crate) fn download_endpoint(path: &str) -> Option<(&'static str, &'static str)> {
    match format!("/{}", path.trim_start_matches('/')).as_str() {
        "/get-artifact" => Some(("2.0", "get-artifact")),
        "/model-versions/get-artifact" => Some(("2.0", "model-versions/get-artifact")),
        _ => None,
    }
}

pub(crate) fn artifact_proxy_path(path: &str) -> Option<&str> {
    [
        "/api/2.0/mlflow-artifacts/artifacts",
        "/ajax-api/2.0/mlflow-artifacts/artifacts",
    ]
    .iter()
    .find_map(|p| path.strip_prefix(p))
}
