//! MLflow's wire format, the leaf both servers build on: JSON as Python
//! writes it, MLflow's error payload and the HTTP answer a handler returns.
//! Nothing here knows about models, stores or routes.

pub mod display;
pub mod error;
pub mod pyjson;
pub mod reply;

pub use error::{ErrorCode, MlflowError};
pub use reply::{Reply, CONTENT_TYPE_CSV, CONTENT_TYPE_JSON, CONTENT_TYPE_PARQUET, TEXT_PLAIN};

/// The MLflow release whose protocols mlflowrs answers (`/version`, `server-info`).
pub const MLFLOW_COMPAT_VERSION: &str = "3.17.2";
