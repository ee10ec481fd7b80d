//! Prometheus metrics for `GET /metrics`: request counts and latencies
//! (total, queue wait, inference) with microsecond-resolution buckets,
//! rows per model call, queue depth and requests in flight. Every series
//! carries the served model's name and version as labels.

use std::time::Duration;

use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

pub const REQUESTS: &str = "mlflowrs_requests_total";
pub const REQUEST_SECONDS: &str = "mlflowrs_request_duration_seconds";
pub const QUEUE_SECONDS: &str = "mlflowrs_queue_duration_seconds";
pub const INFERENCE_SECONDS: &str = "mlflowrs_inference_duration_seconds";
pub const ROWS: &str = "mlflowrs_request_rows";
pub const BATCH_REQUESTS: &str = "mlflowrs_batch_requests";
pub const QUEUE_DEPTH: &str = "mlflowrs_queue_depth";
pub const IN_FLIGHT: &str = "mlflowrs_requests_in_flight";

/// 10 us to 60 s: fine enough to see a 20 us inference, wide enough for a timeout.
const SECONDS_BUCKETS: &[f64] = &[
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];
const ROWS_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0,
];

/// The labels every series of one served model carries.
pub fn model_labels(model: &str, version: &str) -> Vec<metrics::Label> {
    vec![
        metrics::Label::new("model", model.to_string()),
        metrics::Label::new("version", version.to_string()),
    ]
}

/// Installs the process-wide recorder; call once, before serving.
pub fn install() -> Result<PrometheusHandle, BuildError> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(ROWS.into()), ROWS_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(BATCH_REQUESTS.into()), ROWS_BUCKETS)?
        .install_recorder()
}

/// Histogram samples are kept until upkeep folds them into buckets; without
/// it memory grows with every request when nobody scrapes `/metrics`.
pub fn spawn_upkeep(handle: PrometheusHandle, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            handle.run_upkeep();
        }
    });
}

pub fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Keeps the in-flight gauge right however the request ends.
pub struct InFlight(metrics::Gauge);

impl InFlight {
    pub fn start(labels: &[metrics::Label]) -> InFlight {
        let gauge = metrics::gauge!(IN_FLIGHT, labels.iter());
        gauge.increment(1.0);
        InFlight(gauge)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}
