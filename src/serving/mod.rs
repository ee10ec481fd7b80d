//! Scoring a model: loading it (native flavor or Python workers), the
//! engine that queues and batches its requests, and the HTTP server of
//! `mlflowrs models serve` in front of them.

pub mod api_key;
pub mod engine;
pub mod grpc;
pub mod http;
pub mod model_load;
pub mod model_slot;
pub mod python_scorer;
pub mod resident;
pub mod split;
pub mod v2;
