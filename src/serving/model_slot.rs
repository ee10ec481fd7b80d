//! The served models: what answers a model's routes, and the slot that lets
//! `--watch-interval` swap it while requests run.

use std::sync::Arc;

use axum::http::{HeaderName, HeaderValue};

use crate::serving::engine::Engine;
use crate::serving::v2;
use crate::telemetry;

/// One served model: its engine, its V2 description and its metric labels.
pub struct Served {
    pub info: v2::ModelInfo,
    pub engine: Engine,
    pub labels: Vec<metrics::Label>,
    /// What the model URI resolved to (`GET /models`).
    pub origin: serde_json::Value,
    pub(crate) meters: Arc<telemetry::ModelMeters>,
    /// `x-mlflowrs-model` / `-version` values, made once.
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
}

impl Served {
    /// One V2 inference (HTTP or gRPC) through the model's engine.
    pub async fn infer_v2(
        &self,
        request: &v2::infer::InferRequest,
    ) -> Result<Vec<v2::infer::OutputTensor>, v2::infer::InferError> {
        let body = request
            .to_mlflow(&self.info)
            .map_err(|message| v2::infer::InferError {
                status: 400,
                message,
            })?;
        match self
            .engine
            .score(Some("application/json".into()), body.into())
            .await
        {
            Ok(reply) => v2::infer::from_mlflow(&reply, &self.info, request),
            Err(e) => Err(v2::infer::InferError {
                status: 500,
                message: e.to_string(),
            }),
        }
    }

    pub fn new(
        info: v2::ModelInfo,
        engine: Engine,
        labels: Vec<metrics::Label>,
        origin: serde_json::Value,
    ) -> Served {
        let headers = [(MODEL_HEADER, &info.name), (VERSION_HEADER, &info.version)]
            .into_iter()
            .filter_map(|(name, value)| Some((name, HeaderValue::from_str(value).ok()?)))
            .collect();
        Served {
            meters: Arc::new(telemetry::ModelMeters::new(&labels)),
            info,
            engine,
            labels,
            origin,
            headers,
        }
    }
}

/// One served model, replaceable while requests run (`--watch-interval`):
/// a request keeps the model it started with until it is answered.
pub struct ModelSlot(std::sync::RwLock<Arc<Served>>);

impl ModelSlot {
    pub fn new(served: Served) -> ModelSlot {
        ModelSlot(std::sync::RwLock::new(Arc::new(served)))
    }

    pub fn current(&self) -> Arc<Served> {
        Arc::clone(&self.0.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Puts `served` in place; the old model finishes what it holds and stops.
    pub fn replace(&self, served: Served) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(served);
    }
}

/// Names the model that answered, so A/B clients can tell.
const MODEL_HEADER: HeaderName = HeaderName::from_static("x-mlflowrs-model");
const VERSION_HEADER: HeaderName = HeaderName::from_static("x-mlflowrs-model-version");
