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
    /// Starts every worker in parallel and returns as soon as one has loaded
    /// the model (the rest join the pool when they are ready, so a cold
    /// start costs one model load, not N on shared cores). If the first to
    /// finish failed, that is the error: the load is the same in every worker.
    pub fn start(config: PoolConfig) -> Result<Pool, PyfuncError> {
        let (tx, rx) = unbounded();
        let n = config.workers.max(1);
        let spawner = Arc::new(Spawner {
            config,
            next_id: AtomicUsize::new(0),
            idle: tx,
        });
        let (first_tx, first_rx) = crossbeam_channel::bounded::<Result<(), PyfuncError>>(n);
        for _ in 0..n {
            let (s, first) = (Arc::clone(&spawner), first_tx.clone());
            std::thread::spawn(move || match s.spawn() {
                Ok(w) => {
                    let _ = s.idle.send(w);
                    let _ = first.send(Ok(()));
                }
                Err(e) => {
                    tracing::error!(error = %e, "a python worker could not start");
                    let _ = first.send(Err(e));
                }
            });
        }
        drop(first_tx);
        match first_rx.recv() {
            Ok(Ok(())) => {
                // Workers that fail after start-up succeeded are retried.
                let s = Arc::clone(&spawner);
                std::thread::spawn(move || {
                    for failed in first_rx.iter().filter(Result::is_err) {
                        drop(failed);
                        s.replace();
                    }
                });
                Ok(Pool { spawner, idle: rx })
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(PyfuncError::Load(
                "every worker start-up thread ended".into(),
            )),
        }
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
