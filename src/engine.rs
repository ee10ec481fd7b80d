//! The inference core: a fixed set of threads that run scoring work, fed
//! through one queue. Request handlers never run model code on the async
//! runtime, and the number of threads doing CPU work (and holding memory)
//! stays at `workers` however many connections are open.

use std::sync::Arc;

use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};

use std::time::Instant;

use tokio::sync::oneshot;

use crate::scoring::{ErrorCode, MlflowError, Reply, Scorer};
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
    pub fn start(scorer: Arc<Scorer>, workers: usize, queue_len: usize) -> std::io::Result<Engine> {
        // crossbeam's channel spins briefly before parking a thread, which
        // keeps the hand-off cheap when requests arrive back to back.
        let (tx, rx) = bounded::<Job>(queue_len);
        for i in 0..workers.max(1) {
            let rx = rx.clone();
            let scorer = Arc::clone(&scorer);
            std::thread::Builder::new()
                .name(format!("inference-{i}"))
                .spawn(move || work(&scorer, &rx))?;
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

fn work(scorer: &Scorer, rx: &Receiver<Job>) {
    while let Ok(job) = rx.recv() {
        metrics::gauge!(telemetry::QUEUE_DEPTH).decrement(1.0);
        metrics::histogram!(telemetry::QUEUE_SECONDS)
            .record(telemetry::seconds(job.enqueued.elapsed()));
        // A client that hung up (or timed out) while queued needs no answer.
        if job.done.is_closed() {
            continue;
        }
        // A bug must cost one request, not an inference thread: a panic is
        // answered as an internal error and the thread keeps serving.
        let started = Instant::now();
        let run = std::panic::AssertUnwindSafe(|| {
            scorer.invocations(job.content_type.as_deref(), &job.body)
        });
        let reply = std::panic::catch_unwind(run).unwrap_or_else(|_| {
            tracing::error!("prediction panicked");
            Reply::error(&MlflowError::new(
                ErrorCode::InternalError,
                "Internal error while scoring the request.",
            ))
        });
        metrics::histogram!(telemetry::INFERENCE_SECONDS)
            .record(telemetry::seconds(started.elapsed()));
        let _ = job.done.send(reply);
    }
}
