//! What a scoring request must pass before its model sees it: a permit
//! (`--max-concurrent-requests`) and a body within `--max-body-bytes`.
//! `/invocations` and `/v2/models/{name}/infer` share it and word the
//! refusals in their own protocols.

use axum::body::{Body, Bytes};
use tokio::sync::OwnedSemaphorePermit;

use super::state::AppState;

/// Taken before the body is read, so that a flood cannot buffer bodies
/// either; `None` when every permit is held.
pub(super) fn permit(state: &AppState) -> Option<OwnedSemaphorePermit> {
    state.permits.clone().try_acquire_owned().ok()
}

/// Why a body could not be read.
pub(super) struct BodyError {
    /// Longer than the limit, rather than cut off or malformed.
    pub too_large: bool,
    pub error: axum::Error,
}

pub(super) async fn read_body(body: Body, limit: usize) -> Result<Bytes, BodyError> {
    axum::body::to_bytes(body, limit).await.map_err(|error| {
        let too_large = std::error::Error::source(&error)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        BodyError { too_large, error }
    })
}
