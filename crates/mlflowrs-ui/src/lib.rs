//! MLflow's own web UI, as the `mlflow` wheel ships it prebuilt
//! (`mlflow/server/js/build/`): found without importing `mlflow`, read from
//! a directory or straight out of the wheel, never copied into this
//! repository. `mlflowrs server` serves its files; `mlflowrs ui fetch`
//! fills the cache.

mod bundle;
mod error;
mod locate;
mod pinned;

pub use bundle::Bundle;
pub use error::UiError;
pub use locate::{cached_wheel, locate, Located, Origin};

pub use pinned::{MLFLOW_VERSION, WHEEL_FILE, WHEEL_SHA256};
