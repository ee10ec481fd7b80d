//! The inference core: a fixed set of threads that run scoring work, fed
//! through one queue. Request handlers never run model code on the async
//! runtime, and the number of threads doing CPU work (and holding memory)
//! stays at `workers` however many connections are open.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::scoring::{Reply, Scorer};

struct Job {
    content_type: Option<String>,
    body: bytes::Bytes,
    done: oneshot::Sender<Reply>,
}

#[derive(Clone)]
pub struct Engine {
    queue: SyncSender<Job>,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the inference threads have stopped")]
    Stopped,
}

impl Engine {
    /// Starts `workers` inference threads; `queue_len` jobs may wait.
    pub fn start(scorer: Arc<Scorer>, workers: usize, queue_len: usize) -> std::io::Result<Engine> {
        let (tx, rx) = sync_channel::<Job>(queue_len);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers.max(1) {
            let rx = Arc::clone(&rx);
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
            content_type,
            body,
            done,
        };
        let queue = self.queue.clone();
        // The queue is bounded; waiting for room must not block the runtime.
        match queue.try_send(job) {
            Ok(()) => {}
            Err(std::sync::mpsc::TrySendError::Full(job)) => {
                tokio::task::spawn_blocking(move || queue.send(job))
                    .await
                    .map_err(|_| EngineError::Stopped)?
                    .map_err(|_| EngineError::Stopped)?;
            }
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => {
                return Err(EngineError::Stopped)
            }
        }
        answer.await.map_err(|_| EngineError::Stopped)
    }
}

fn work(scorer: &Scorer, rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = {
            let guard = rx.lock().unwrap_or_else(|p| p.into_inner());
            guard.recv()
        };
        let Ok(job) = job else { return };
        // A client that hung up (or timed out) while queued needs no answer.
        if job.done.is_closed() {
            continue;
        }
        let reply = scorer.invocations(job.content_type.as_deref(), &job.body);
        let _ = job.done.send(reply);
    }
}
