//! Store work runs on blocking threads, never on the async runtime.

use std::sync::Arc;

use serde_json::Value as Json;

use crate::db::Tx;
use crate::error::MlflowError;
use crate::{Server, Settings};

pub(crate) async fn in_tx<F>(server: &Arc<Server>, f: F) -> Result<Json, MlflowError>
where
    F: FnOnce(&mut dyn Tx, &Settings) -> Result<Json, MlflowError> + Send + 'static,
{
    let server = server.clone();
    tokio::task::spawn_blocking(move || {
        let settings = &server.settings;
        server.db.transaction(|tx| f(tx, settings))
    })
    .await
    .map_err(|e| MlflowError::internal(format!("request task failed: {e}")))?
}

/// Runs blocking work (the auth store, password hashing) off the runtime.
pub(crate) async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, MlflowError> + Send + 'static,
) -> Result<R, MlflowError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| MlflowError::internal(format!("request task failed: {e}")))?
}
