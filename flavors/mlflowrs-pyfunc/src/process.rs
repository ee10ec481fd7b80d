//! One Python worker process: spawning, the pipe protocol (see worker.py),
//! output forwarding and killing its process group.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};

use crate::error::PyfuncError;

const WORKER_PY: &str = include_str!("worker.py");

/// Process groups of the workers alive in this process, for [`kill_all`].
static LIVE: Mutex<Vec<i32>> = Mutex::new(Vec::new());

fn kill_group(pgid: i32) {
    // SAFETY: kill(2) with a negative pid signals a worker's own process
    // group, created at spawn; it touches no memory.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

/// Kills every worker still running (at shutdown: a worker busy with a
/// long predict would otherwise outlive the server until it next reads).
pub fn kill_all() {
    let live = std::mem::take(&mut *LIVE.lock().unwrap_or_else(|e| e.into_inner()));
    for pgid in live {
        kill_group(pgid);
    }
}
/// Stderr lines kept to explain a worker that died.
const KEPT_LINES: usize = 40;

/// One `/invocations` request as the worker receives it.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub content_type: String,
    pub body: Vec<u8>,
}

/// The worker's answer: what MLflow's scoring server would have sent.
#[derive(Debug, Clone, PartialEq)]
pub struct RawReply {
    pub status: u16,
    pub media_type: String,
    pub body: Vec<u8>,
}

/// Why a call did not produce replies.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error("the Python worker died while scoring this request ({0}); it is being restarted")]
    Crashed(String),
    #[error("the request took longer than the timeout; the Python worker was killed and is being restarted")]
    TimedOut,
}

pub struct Worker {
    pub id: usize,
    child: Child,
    stdin: ChildStdin,
    expect: Sender<usize>,
    replies: Receiver<std::io::Result<Vec<RawReply>>>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
}

impl Worker {
    /// Starts a worker and waits until it has loaded the model.
    pub fn spawn(
        id: usize,
        python: &Path,
        model_dir: &Path,
        batching: &str,
    ) -> Result<Worker, PyfuncError> {
        let mut child = Command::new(python)
            .arg("-c")
            .arg(WORKER_PY)
            .arg(model_dir)
            .arg(batching)
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group, so that killing it also kills what it started.
            .process_group(0)
            .spawn()
            .map_err(PyfuncError::Spawn)?;
        let pid = child.id();
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(pid as i32);
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(err) = child.stderr.take() {
            let tail = Arc::clone(&stderr_tail);
            let _ = std::thread::Builder::new()
                .name(format!("pyfunc-{id}-log"))
                .spawn(move || forward_output(id, pid, err, &tail));
        }
        let stdin = child.stdin.take().expect("stdin is piped");
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let mut worker = Worker {
            id,
            child,
            stdin,
            expect: bounded(0).0,
            replies: bounded(0).1,
            stderr_tail,
        };
        match read_hello(&mut stdout) {
            Ok((b'R', info)) => {
                tracing::info!(worker = id, pid, info = %String::from_utf8_lossy(&info), "python worker ready");
            }
            Ok((_, text)) => {
                let _ = worker.child.wait();
                return Err(PyfuncError::Load(
                    String::from_utf8_lossy(&text).trim_end().to_string(),
                ));
            }
            Err(_) => {
                let status = worker.child.wait().map(|s| s.to_string());
                // Let the log thread catch up with the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return Err(PyfuncError::Load(format!(
                    "the Python worker exited ({}) before loading the model; its last output:\n{}",
                    status.unwrap_or_else(|e| e.to_string()),
                    worker.tail()
                )));
            }
        }
        let (expect_tx, expect_rx) = bounded::<usize>(1);
        let (reply_tx, reply_rx) = bounded(1);
        std::thread::Builder::new()
            .name(format!("pyfunc-{id}-read"))
            .spawn(move || read_replies(stdout, &expect_rx, &reply_tx))
            .map_err(PyfuncError::Spawn)?;
        worker.expect = expect_tx;
        worker.replies = reply_rx;
        Ok(worker)
    }

    /// Sends one batch and waits for its replies, at most `timeout`.
    pub fn call(
        &mut self,
        reqs: &[RawRequest],
        timeout: Duration,
    ) -> Result<Vec<RawReply>, CallError> {
        let mut frame = Vec::with_capacity(
            4 + reqs
                .iter()
                .map(|r| 12 + r.content_type.len() + r.body.len())
                .sum::<usize>(),
        );
        frame.extend_from_slice(&(reqs.len() as u32).to_le_bytes());
        for r in reqs {
            frame.extend_from_slice(&(r.content_type.len() as u32).to_le_bytes());
            frame.extend_from_slice(r.content_type.as_bytes());
            frame.extend_from_slice(&(r.body.len() as u64).to_le_bytes());
            frame.extend_from_slice(&r.body);
        }
        if self.expect.send(reqs.len()).is_err() {
            return Err(CallError::Crashed(self.exit_reason()));
        }
        if self
            .stdin
            .write_all(&frame)
            .and_then(|()| self.stdin.flush())
            .is_err()
        {
            return Err(CallError::Crashed(self.exit_reason()));
        }
        match self.replies.recv_timeout(timeout) {
            Ok(Ok(replies)) => Ok(replies),
            Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => {
                Err(CallError::Crashed(self.exit_reason()))
            }
            Err(RecvTimeoutError::Timeout) => Err(CallError::TimedOut),
        }
    }

    fn exit_reason(&mut self) -> String {
        // The pipe closes a moment before the process is reaped.
        for _ in 0..50 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.to_string();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        "its pipe closed".into()
    }

    fn tail(&self) -> String {
        let tail = self.stderr_tail.lock().unwrap_or_else(|e| e.into_inner());
        tail.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let pgid = self.child.id() as i32;
        if let Ok(None) = self.child.try_wait() {
            kill_group(pgid);
        }
        let _ = self.child.wait();
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|p| *p != pgid);
    }
}

fn read_hello(out: &mut ChildStdout) -> std::io::Result<(u8, Vec<u8>)> {
    let mut head = [0u8; 9];
    out.read_exact(&mut head)?;
    let len = u64::from_le_bytes(head[1..9].try_into().expect("8 bytes"));
    let mut payload = vec![0u8; len as usize];
    out.read_exact(&mut payload)?;
    Ok((head[0], payload))
}

fn read_replies(
    out: ChildStdout,
    expect: &Receiver<usize>,
    replies: &Sender<std::io::Result<Vec<RawReply>>>,
) {
    let mut out = BufReader::with_capacity(1 << 16, out);
    while let Ok(n) = expect.recv() {
        let batch: std::io::Result<Vec<RawReply>> = (0..n).map(|_| read_reply(&mut out)).collect();
        let failed = batch.is_err();
        if replies.send(batch).is_err() || failed {
            return;
        }
    }
}

fn read_reply(out: &mut impl Read) -> std::io::Result<RawReply> {
    let mut head = [0u8; 6];
    out.read_exact(&mut head)?;
    let status = u16::from_le_bytes([head[0], head[1]]);
    let mime_len = u32::from_le_bytes(head[2..6].try_into().expect("4 bytes")) as usize;
    let mut mime = vec![0u8; mime_len];
    out.read_exact(&mut mime)?;
    let mut len = [0u8; 8];
    out.read_exact(&mut len)?;
    let mut body = vec![0u8; u64::from_le_bytes(len) as usize];
    out.read_exact(&mut body)?;
    Ok(RawReply {
        status,
        media_type: String::from_utf8_lossy(&mime).into_owned(),
        body,
    })
}

fn forward_output(id: usize, pid: u32, err: impl Read, tail: &Mutex<VecDeque<String>>) {
    for line in BufReader::new(err).lines() {
        let Ok(line) = line else { return };
        tracing::info!(target: "mlflowrs::python", worker = id, pid, "{line}");
        let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
        if tail.len() == KEPT_LINES {
            tail.pop_front();
        }
        tail.push_back(line);
    }
}
