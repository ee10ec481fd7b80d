//! `--api-key`: the bearer token every request but a health check carries.

use std::sync::Arc;

use axum::http::header;

/// A secret bearer token. It never prints: `Debug` shows `***`.
#[derive(Clone)]
pub struct ApiKey(Arc<[u8]>);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl ApiKey {
    pub fn new(key: &str) -> ApiKey {
        ApiKey(Arc::from(key.as_bytes()))
    }

    /// Whether the request's `Authorization` header carries the key. The
    /// comparison takes the same time wherever the bytes differ, so that
    /// timing does not reveal a prefix of the key.
    pub(crate) fn admits(&self, headers: &axum::http::HeaderMap) -> bool {
        let Some(given) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
        else {
            return false;
        };
        given.len() == self.0.len()
            && given
                .iter()
                .zip(self.0.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// Routes orchestrators probe without credentials.
pub(crate) fn is_health_check(path: &str) -> bool {
    matches!(
        path,
        "/ping" | "/health" | "/v2/health/live" | "/v2/health/ready"
    )
}
