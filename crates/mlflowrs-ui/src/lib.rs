//! MLflow's own web UI, as the `mlflow` wheel ships it prebuilt
//! (`mlflow/server/js/build/`): found without Python, read from a directory
//! or straight out of the wheel, never copied into this repository.
//! `mlflowrs server` serves its files; `mlflowrs ui fetch` fills the cache.

mod bundle;
mod error;
mod locate;

pub use bundle::Bundle;
pub use error::UiError;
pub use locate::{cached_wheel, locate, Located, Origin};

/// The MLflow release whose UI this build serves and whose wheel
/// `mlflowrs ui fetch` downloads.
pub const MLFLOW_VERSION: &str = "3.17.2";
/// That release's wheel on the package index.
pub const WHEEL_FILE: &str = "mlflow-3.17.2-py3-none-any.whl";
/// Its sha256, as the index lists it: a fetched file must match.
pub const WHEEL_SHA256: &str = "4e44c03791beb518d8b0a40b0982d958c2634d902f46d67d7907c82107f21fac";
