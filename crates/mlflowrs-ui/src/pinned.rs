//! The MLflow release this build serves the UI of, and its wheel.

/// The MLflow release whose UI this build serves and whose wheel
/// `mlflowrs ui fetch` downloads.
pub const MLFLOW_VERSION: &str = "3.17.2";
/// That release's wheel on the package index.
pub const WHEEL_FILE: &str = "mlflow-3.17.2-py3-none-any.whl";
/// Its sha256, as the index lists it: a fetched file must match.
pub const WHEEL_SHA256: &str = "4e44c03791beb518d8b0a40b0982d958c2634d902f46d67d7907c82107f21fac";
