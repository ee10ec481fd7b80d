//! `/invocations` through the Python fallback. The content type is checked
//! here exactly as for native flavors; parsing, schema enforcement, params,
//! the predict call and the JSON encoding are mlflow's own code, run by the
//! workers of a [`mlflowrs_pyfunc::Pool`], so answers are `mlflow models serve`'s.

use mlflowrs_flavor_api::IoSpec;
use mlflowrs_pyfunc::{CallError, Pool, RawRequest};

use mlflowrs_protocol::{ErrorCode, MlflowError, Reply, CONTENT_TYPE_JSON, TEXT_PLAIN};

use crate::mlmodel::{ColType, Schema};
use crate::scoring::{check_content_type, BatchScorer};

pub struct PythonScorer {
    pub pool: Pool,
    pub labels: Vec<metrics::Label>,
}

impl BatchScorer for PythonScorer {
    type Prepared = RawRequest;

    fn labels(&self) -> &[metrics::Label] {
        &self.labels
    }

    fn prepare(
        &self,
        content_type: Option<&str>,
        body: &bytes::Bytes,
    ) -> Result<RawRequest, Reply> {
        check_content_type(content_type)?;
        Ok(RawRequest {
            content_type: content_type.unwrap_or_default().to_string(),
            body: body.to_vec(),
        })
    }

    /// A Python request counts as one row: its rows are only known once
    /// mlflow has parsed it, so `--max-batch-rows` caps requests per call.
    fn rows(_: &RawRequest) -> usize {
        1
    }

    fn run_batch(&self, batch: Vec<RawRequest>) -> Vec<Reply> {
        let n = batch.len();
        // Requests per worker call (whether the worker stacked them is its call).
        metrics::histogram!(crate::telemetry::BATCH_REQUESTS, self.labels.iter()).record(n as f64);
        match self.pool.call(&batch) {
            Ok(replies) => replies
                .into_iter()
                .map(|r| Reply {
                    status: r.status,
                    content_type: media_type(&r.media_type),
                    body: r.body,
                })
                .collect(),
            // MLflow's own timeout answer (its middleware), same body and type.
            Err(CallError::TimedOut) => {
                vec![Reply::json(504, "Request processing time exceeded limit".into()); n]
            }
            Err(e @ CallError::Crashed(_)) => {
                vec![Reply::error(&MlflowError::new(ErrorCode::InternalError, e.to_string())); n]
            }
        }
    }
}

/// FastAPI sends `text/plain` as `text/plain; charset=utf-8`.
fn media_type(m: &str) -> &'static str {
    match m {
        "text/plain" | "text/plain; charset=utf-8" => TEXT_PLAIN,
        _ => CONTENT_TYPE_JSON,
    }
}

/// V2 metadata for a Python model: one input per signature column or tensor.
pub fn io_specs(schema: Option<&Schema>) -> Vec<IoSpec> {
    match schema {
        Some(Schema::Columns(cols)) => cols
            .iter()
            .enumerate()
            .map(|(i, c)| IoSpec {
                name: c.name.clone().unwrap_or_else(|| i.to_string()),
                dtype: match &c.ty {
                    ColType::Data(d) => d.numpy(),
                    _ => None,
                },
                shape: vec![-1],
            })
            .collect(),
        Some(Schema::Tensors(ts)) => ts
            .iter()
            .enumerate()
            .map(|(i, t)| IoSpec {
                name: t.name.clone().unwrap_or_else(|| i.to_string()),
                dtype: Some(t.dtype),
                shape: t.shape.clone(),
            })
            .collect(),
        None => Vec::new(),
    }
}
