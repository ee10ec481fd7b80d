//! What every handler of the scoring server shares.

use std::sync::Arc;
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::Semaphore;

use crate::serving::api_key::ApiKey;
use crate::serving::model_slot::ModelSlot;
use crate::serving::split::Split;
use crate::telemetry;

#[derive(Clone)]
pub struct AppState {
    /// The served models; the first answers `/invocations` without `--split`.
    pub models: Arc<Vec<ModelSlot>>,
    pub split: Option<Arc<Split>>,
    pub timeout: Duration,
    pub max_body_bytes: usize,
    /// One permit per request being handled (`--max-concurrent-requests`).
    pub permits: Arc<Semaphore>,
    /// Renders `/metrics`; `None` when no recorder is installed.
    pub metrics: Option<PrometheusHandle>,
    /// `--api-key`: the bearer token requests must carry.
    pub api_key: Option<ApiKey>,
}

impl AppState {
    pub(crate) fn model(&self, name: &str) -> Option<usize> {
        self.models
            .iter()
            .position(|m| m.current().info.name == name)
    }
}

/// Marks a response with the meters of the model that answered it.
#[derive(Clone)]
pub(super) struct AnsweredBy(pub(super) Arc<telemetry::ModelMeters>);
