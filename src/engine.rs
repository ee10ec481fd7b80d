//! The inference core: a fixed set of threads that run scoring work, fed
//! through one queue. Request handlers never run model code on the async
//! runtime, and the number of threads doing CPU work (and holding memory)
//! stays at `workers` however many connections are open.

use std::sync::Arc;

use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};

use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::scoring::{ErrorCode, MlflowError, Prepared, Reply, Scorer};
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
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the inference threads have stopped")]
    Stopped,
}

impl Engine {
    /// Starts `workers` inference threads; `queue_len` jobs may wait.
    pub fn start(
        scorer: Arc<Scorer>,
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
                .spawn(move || work(&scorer, &rx, batching))?;
        }
        Ok(Engine { queue: tx })
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
        metrics::gauge!(telemetry::QUEUE_DEPTH).increment(1.0);
        let queue = self.queue.clone();
        // The queue is bounded; waiting for room must not block the runtime.
        match queue.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(job)) => {
                tokio::task::spawn_blocking(move || queue.send(job))
                    .await
                    .map_err(|_| EngineError::Stopped)?
                    .map_err(|_| EngineError::Stopped)?;
            }
            Err(TrySendError::Disconnected(_)) => return Err(EngineError::Stopped),
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

/// Requests taken off the queue at once, whatever their rows.
const MAX_DRAIN: usize = 256;

fn work(scorer: &Scorer, rx: &Receiver<Job>, batching: Batching) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        if batching.max_rows > 1 {
            let deadline = Instant::now() + batching.max_delay;
            while jobs.len() < MAX_DRAIN {
                let next = if batching.max_delay.is_zero() {
                    rx.try_recv().ok()
                } else {
                    rx.recv_deadline(deadline).ok()
                };
                match next {
                    Some(job) => jobs.push(job),
                    None => break,
                }
            }
        }
        process(scorer, jobs, batching.max_rows);
    }
}

/// Answers a drained set of jobs: each is parsed on its own, then runs of
/// consecutive requests up to `max_rows` rows share one model call.
fn process(scorer: &Scorer, jobs: Vec<Job>, max_rows: usize) {
    let started = Instant::now();
    let mut ready: Vec<(Job, Prepared)> = Vec::new();
    for job in jobs {
        metrics::gauge!(telemetry::QUEUE_DEPTH).decrement(1.0);
        metrics::histogram!(telemetry::QUEUE_SECONDS)
            .record(telemetry::seconds(job.enqueued.elapsed()));
        // A client that hung up (or timed out) while queued needs no answer.
        if job.done.is_closed() {
            continue;
        }
        let prepared = guarded(|| scorer.prepare(job.content_type.as_deref(), &job.body));
        match prepared {
            Ok(Ok(p)) => ready.push((job, p)),
            Ok(Err(reply)) => answer(job, reply, started),
            Err(reply) => answer(job, reply, started),
        }
    }
    while !ready.is_empty() {
        let mut take = 1;
        let mut rows = ready[0].1.rows();
        while take < ready.len() && rows + ready[take].1.rows() <= max_rows {
            rows += ready[take].1.rows();
            take += 1;
        }
        let (jobs, batch): (Vec<Job>, Vec<Prepared>) = ready.drain(..take).unzip();
        let n = jobs.len();
        let replies = guarded(|| scorer.run_batch(batch)).unwrap_or_else(|panic| vec![panic; n]);
        for (job, reply) in jobs.into_iter().zip(replies) {
            answer(job, reply, started);
        }
    }
}

fn answer(job: Job, reply: Reply, started: Instant) {
    metrics::histogram!(telemetry::INFERENCE_SECONDS).record(telemetry::seconds(started.elapsed()));
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
