//! A fixed set of Python workers. A call takes an idle worker; a worker
//! that crashes or overruns the timeout is killed and replaced in the
//! background while the others keep serving.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{unbounded, Receiver, Sender};

use crate::error::PyfuncError;
use crate::process::{CallError, RawReply, RawRequest, Worker};

/// When a worker may answer several requests from one `predict` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batching {
    /// Only for flavors whose predict is row-wise (sklearn, xgboost,
    /// lightgbm, catboost, onnx) and only for plain DataFrame requests.
    Auto,
    /// For every model (the user vouches that predict is row-wise).
    Always,
    Off,
}

impl Batching {
    fn arg(self) -> &'static str {
        match self {
            Batching::Auto => "auto",
            Batching::Always => "always",
            Batching::Off => "off",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PoolConfig {
    pub python: PathBuf,
    pub model_dir: PathBuf,
    pub workers: usize,
    pub batching: Batching,
    /// Longest a call may run before its worker is killed.
    pub timeout: Duration,
}

struct Spawner {
    config: PoolConfig,
    next_id: AtomicUsize,
    idle: Sender<Worker>,
}

impl Spawner {
    fn spawn(&self) -> Result<Worker, PyfuncError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        Worker::spawn(
            id,
            &self.config.python,
            &self.config.model_dir,
            self.config.batching.arg(),
        )
    }

    /// Starts a replacement worker off the request path; keeps trying
    /// (the failure may be passing, e.g. memory) with a growing pause.
    fn replace(self: &Arc<Self>) {
        let spawner = Arc::clone(self);
        let _ = std::thread::Builder::new()
            .name("pyfunc-restart".into())
            .spawn(move || {
                let mut pause = Duration::from_millis(100);
                loop {
                    match spawner.spawn() {
                        Ok(w) => {
                            tracing::info!(worker = w.id, pid = w.pid(), "replacement python worker ready");
                            let _ = spawner.idle.send(w);
                            return;
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "could not restart a python worker; retrying");
                            std::thread::sleep(pause);
                            pause = (pause * 2).min(Duration::from_secs(30));
                        }
                    }
                }
            });
    }
}

pub struct Pool {
    spawner: Arc<Spawner>,
    idle: Receiver<Worker>,
}

impl Pool {
    /// Starts every worker (in parallel) and returns once all have loaded
    /// the model; the first load failure is the error.
    pub fn start(config: PoolConfig) -> Result<Pool, PyfuncError> {
        let (tx, rx) = unbounded();
        let n = config.workers.max(1);
        let spawner = Arc::new(Spawner {
            config,
            next_id: AtomicUsize::new(0),
            idle: tx,
        });
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let s = Arc::clone(&spawner);
                std::thread::spawn(move || s.spawn())
            })
            .collect();
        let mut first_error = None;
        for h in handles {
            match h.join() {
                Ok(Ok(w)) => {
                    let _ = spawner.idle.send(w);
                }
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(_) => {
                    first_error.get_or_insert(PyfuncError::Load("worker start-up panicked".into()));
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        Ok(Pool { spawner, idle: rx })
    }

    pub fn workers(&self) -> usize {
        self.spawner.config.workers.max(1)
    }

    /// Scores a batch on the next idle worker.
    pub fn call(&self, reqs: &[RawRequest]) -> Result<Vec<RawReply>, CallError> {
        let Ok(mut worker) = self.idle.recv() else {
            return Err(CallError::Crashed("no worker is running".into()));
        };
        match worker.call(reqs, self.spawner.config.timeout) {
            Ok(replies) if replies.len() == reqs.len() => {
                let _ = self.spawner.idle.send(worker);
                Ok(replies)
            }
            Ok(_) => {
                drop(worker);
                self.spawner.replace();
                Err(CallError::Crashed(
                    "it answered the wrong number of requests".into(),
                ))
            }
            Err(e) => {
                tracing::warn!(worker = worker.id, pid = worker.pid(), error = %e, "replacing a python worker");
                drop(worker);
                self.spawner.replace();
                Err(e)
            }
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Idle workers are killed now; busy ones when their call returns.
        while let Ok(w) = self.idle.try_recv() {
            drop(w);
        }
    }
}
