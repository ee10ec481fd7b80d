//! The contract between a scorer and whoever feeds it requests.

use mlflowrs_protocol::Reply;

/// What the serving engine's inference threads (and `models predict`) drive:
/// a native flavor's [`crate::scoring::Scorer`] or the Python fallback's
/// `PythonScorer`. It sits here, below both, so that a scorer never
/// depends on the engine that queues its work.
pub trait BatchScorer: Send + Sync + 'static {
    /// A request parsed as far as it can be before the model call.
    type Prepared: Send + 'static;
    /// Metric labels naming the model (`model`, `version`).
    fn labels(&self) -> &[metrics::Label];
    fn prepare(
        &self,
        content_type: Option<&str>,
        body: &bytes::Bytes,
    ) -> Result<Self::Prepared, Reply>;
    /// Rows the request adds to a batch.
    fn rows(prepared: &Self::Prepared) -> usize;
    /// One reply per request, in order.
    fn run_batch(&self, batch: Vec<Self::Prepared>) -> Vec<Reply>;
}
