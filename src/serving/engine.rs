//! The inference core: a fixed set of threads that run scoring work, fed
//! through one queue. Request handlers never run model code on the async
//! runtime, and the number of threads doing CPU work (and holding memory)
//! stays at `workers` however many connections are open.

use std::sync::Arc;

use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};

use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use mlflowrs_protocol::{ErrorCode, MlflowError, Reply};

use crate::scoring::BatchScorer;
use crate::serving::resident;
use crate::telemetry;

struct Job {
    enqueued: Instant,
    content_type: Option<String>,
    body: bytes::Bytes,
    done: oneshot::Sender<Reply>,
}

#[derive(Clone)]
pub struct Engine {
    queue: Sender<Job>,
    queue_depth: metrics::Gauge,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the inference threads have stopped")]
    Stopped,
}

impl Engine {
    /// Starts `workers` inference threads; `queue_len` jobs may wait.
    pub fn start<B: BatchScorer>(
        scorer: Arc<B>,
        workers: usize,
        queue_len: usize,
        batching: Batching,
    ) -> std::io::Result<Engine> {
        // crossbeam's channel spins briefly before parking a thread, which
        // keeps the hand-off cheap when requests arrive back to back.
        let (tx, rx) = bounded::<Job>(queue_len);
        for i in 0..workers.max(1) {
            let rx = rx.clone();
            let scorer = Arc::clone(&scorer);
            std::thread::Builder::new()
                .name(format!("inference-{i}"))
                .spawn(move || work(scorer.as_ref(), &rx, batching))?;
        }
        let queue_depth = metrics::gauge!(telemetry::QUEUE_DEPTH, scorer.labels().iter());
        Ok(Engine {
            queue: tx,
            queue_depth,
        })
    }

    /// Queues one `/invocations` request and waits for its answer.
    pub async fn score(
        &self,
        content_type: Option<String>,
        body: bytes::Bytes,
    ) -> Result<Reply, EngineError> {
        let (done, answer) = oneshot::channel();
        let job = Job {
            enqueued: Instant::now(),
            content_type,
            body,
            done,
        };
        self.queue_depth.increment(1.0);
        let queue = self.queue.clone();
        // The queue is bounded; waiting for room must not block the runtime.
        match queue.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(job)) => {
                let sent = tokio::task::spawn_blocking(move || queue.send(job)).await;
                if !matches!(sent, Ok(Ok(()))) {
                    self.queue_depth.decrement(1.0);
                    return Err(EngineError::Stopped);
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                self.queue_depth.decrement(1.0);
                return Err(EngineError::Stopped);
            }
        }
        answer.await.map_err(|_| EngineError::Stopped)
    }
}

/// How inference threads group queued requests into one model call.
#[derive(Debug, Clone, Copy)]
pub struct Batching {
    /// Rows one model call may carry; 1 turns batching off.
    pub max_rows: usize,
    /// How long to wait for more requests once one arrived (0: no wait).
    pub max_delay: Duration,
}

/// The metric handles one inference thread records into.
struct Meters {
    queue_depth: metrics::Gauge,
    queue_seconds: metrics::Histogram,
    inference_seconds: metrics::Histogram,
}

fn work<B: BatchScorer>(scorer: &B, rx: &Receiver<Job>, batching: Batching) {
    let labels = scorer.labels().iter();
    let meters = Meters {
        queue_depth: metrics::gauge!(telemetry::QUEUE_DEPTH, labels.clone()),
        queue_seconds: metrics::histogram!(telemetry::QUEUE_SECONDS, labels.clone()),
        inference_seconds: metrics::histogram!(telemetry::INFERENCE_SECONDS, labels),
    };
    // At most one batch is held at a time: requests are parsed as they are
    // taken off the queue, and the batch runs as soon as the next request
    // would not fit or the queue is empty.
    let mut batch: Vec<(Job, B::Prepared, Instant)> = Vec::new();
    let mut rows = 0;
    loop {
        let next = if batch.is_empty() {
            match rx.recv() {
                Ok(job) => Some(job),
                Err(_) => return,
            }
        } else if batching.max_delay.is_zero() {
            rx.try_recv().ok()
        } else {
            rx.recv_deadline(batch[0].2 + batching.max_delay).ok()
        };
        let Some(job) = next else {
            run(scorer, &meters, std::mem::take(&mut batch));
            rows = 0;
            continue;
        };
        let started = Instant::now();
        meters.queue_depth.decrement(1.0);
        meters
            .queue_seconds
            .record(telemetry::seconds(job.enqueued.elapsed()));
        // A client that hung up (or timed out) while queued needs no answer.
        if job.done.is_closed() {
            continue;
        }
        let prepared = match guarded(|| scorer.prepare(job.content_type.as_deref(), &job.body)) {
            Ok(Ok(p)) => p,
            Ok(Err(reply)) | Err(reply) => {
                answer(&meters, job, reply, started);
                continue;
            }
        };
        let n = B::rows(&prepared);
        if !batch.is_empty() && rows + n > batching.max_rows {
            run(scorer, &meters, std::mem::take(&mut batch));
            rows = 0;
        }
        rows += n;
        batch.push((job, prepared, started));
        if rows >= batching.max_rows {
            run(scorer, &meters, std::mem::take(&mut batch));
            rows = 0;
        }
    }
}

/// Runs a batch as one model call (or each alone where they cannot stack).
fn run<B: BatchScorer>(scorer: &B, meters: &Meters, batch: Vec<(Job, B::Prepared, Instant)>) {
    let n = batch.len();
    let mut jobs = Vec::with_capacity(n);
    let mut prepared = Vec::with_capacity(n);
    for (job, p, started) in batch {
        jobs.push((job, started));
        prepared.push(p);
    }
    let replies = guarded(|| scorer.run_batch(prepared)).unwrap_or_else(|panic| vec![panic; n]);
    for ((job, started), reply) in jobs.into_iter().zip(replies) {
        answer(meters, job, reply, started);
    }
}

fn answer(meters: &Meters, job: Job, reply: Reply, started: Instant) {
    resident::note_answered();
    meters
        .inference_seconds
        .record(telemetry::seconds(started.elapsed()));
    let _ = job.done.send(reply);
}

/// Runs scoring code so that a bug costs the requests at hand, not an
/// inference thread: a panic becomes an internal-error answer.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, Reply> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| {
        tracing::error!("prediction panicked");
        Reply::error(&MlflowError::new(
            ErrorCode::InternalError,
            "Internal error while scoring the request.",
        ))
    })
}
