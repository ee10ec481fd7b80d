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
    pub fn start(gauge: &metrics::Gauge) -> InFlight {
        gauge.increment(1.0);
        InFlight(gauge.clone())
    }
}

/// The scoring routes a model answers on, as their `route` label reads.
pub const SCORING_ROUTES: [&str; 4] = [
    "/invocations",
    "/models/{name}/invocations",
    "/v2/infer",
    GRPC_INFER_ROUTE,
];

/// The `route` label of gRPC `ModelInfer` calls (`--grpc-port`).
pub const GRPC_INFER_ROUTE: &str = "grpc ModelInfer";

/// One served model's request series, registered once: looking a series up
/// by its labels on every request cost about a tenth of a 1-row request.
pub struct ModelMeters {
    labels: Vec<metrics::Label>,
    pub in_flight: metrics::Gauge,
    /// Per scoring route: the latency histogram and the count of 200 answers.
    ok: Vec<(&'static str, metrics::Histogram, metrics::Counter)>,
}

impl ModelMeters {
    pub fn new(labels: &[metrics::Label]) -> ModelMeters {
        let ok = SCORING_ROUTES
            .iter()
            .map(|&route| {
                let mut l = labels.to_vec();
                l.push(metrics::Label::new("route", route));
                let seconds = metrics::histogram!(REQUEST_SECONDS, l.iter());
                l.push(metrics::Label::new("status", "200"));
                (route, seconds, metrics::counter!(REQUESTS, l.iter()))
            })
            .collect();
        ModelMeters {
            labels: labels.to_vec(),
            in_flight: metrics::gauge!(IN_FLIGHT, labels.iter()),
            ok,
        }
    }

    /// Records one answered request (any status, any route).
    pub fn record(&self, route: &'static str, status: u16, elapsed: Duration) {
        if status == 200 {
            if let Some((_, seconds, count)) = self.ok.iter().find(|(r, _, _)| *r == route) {
                seconds.record(elapsed.as_secs_f64());
                count.increment(1);
                return;
            }
        }
        record_request(route, status, &self.labels, elapsed);
    }
}

/// Records a request through a label lookup: unusual statuses and routes
/// that no model answers.
pub fn record_request(
    route: &'static str,
    status: u16,
    model: &[metrics::Label],
    elapsed: Duration,
) {
    let mut labels = Vec::with_capacity(model.len() + 2);
    labels.push(metrics::Label::new("route", route));
    labels.extend(model.iter().cloned());
    metrics::histogram!(REQUEST_SECONDS, labels.iter()).record(elapsed.as_secs_f64());
    labels.push(metrics::Label::new("status", status.to_string()));
    metrics::counter!(REQUESTS, labels.iter()).increment(1);
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

/// Logs to stderr under `filter` (`--log`, as RUST_LOG).
pub fn init_logging(filter: &str) {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal: not in files, pipes or journald.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}
