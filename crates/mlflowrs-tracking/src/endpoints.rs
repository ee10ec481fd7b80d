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

pub(crate) fn artifact_proxy_path(path: &str) -> Option<&str> {
    [
        "/api/2.0/mlflow-artifacts/artifacts",
        "/ajax-api/2.0/mlflow-artifacts/artifacts",
    ]
    .iter()
    .find_map(|p| path.strip_prefix(p))
}
