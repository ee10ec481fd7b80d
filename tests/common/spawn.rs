//! The one way the tests start the real binary: a builder for `mlflowrs
//! models serve` or `mlflowrs server` with its arguments and environment,
//! started on a free port and counted as started only once it answers.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use super::{
    answers_200, build_request, forward_stderr, free_port, raw_request, repo_root, take_stderr,
};

/// How to start one `mlflowrs` process.
pub struct Spawn {
    command: Vec<String>,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    removed: Vec<String>,
    dir: PathBuf,
    port: Option<u16>,
    log: &'static str,
    stderr_to: Option<PathBuf>,
    /// The path that must answer 200 before the process counts as started.
    ready: &'static str,
    within: Duration,
}

impl Spawn {
    /// `mlflowrs models serve -m MODEL`, run from the repository root,
    /// started once `/ping` answers.
    pub fn serve(model: &Path) -> Spawn {
        Spawn::models_serve().args(&["-m", &model.display().to_string()])
    }

    /// `mlflowrs models serve` with only the arguments given later.
    pub fn models_serve() -> Spawn {
        Spawn {
            command: vec!["models".into(), "serve".into()],
            args: Vec::new(),
            envs: Vec::new(),
            removed: Vec::new(),
            dir: repo_root(),
            port: None,
            log: "error",
            stderr_to: None,
            ready: "/ping",
            within: Duration::from_secs(30),
        }
    }

    /// `mlflowrs server --backend-store-uri STORE`, started once `/health`
    /// answers.
    pub fn server(store: &str) -> Spawn {
        Spawn {
            command: vec!["server".into(), "--backend-store-uri".into(), store.into()],
            log: "warn",
            ready: "/health",
            within: Duration::from_secs(60),
            ..Spawn::models_serve()
        }
    }

    pub fn args(mut self, args: &[&str]) -> Spawn {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    pub fn owned_args(mut self, args: &[String]) -> Spawn {
        self.args.extend_from_slice(args);
        self
    }

    pub fn envs(mut self, envs: &[(String, String)]) -> Spawn {
        self.envs.extend_from_slice(envs);
        self
    }

    pub fn env_remove(mut self, names: &[&str]) -> Spawn {
        self.removed.extend(names.iter().map(|n| n.to_string()));
        self
    }

    /// The working directory (default: the repository root).
    /// The path that answers 200 once the server is up.
    pub fn ready(mut self, path: &'static str) -> Spawn {
        self.ready = path;
        self
    }

    pub fn dir(mut self, dir: &Path) -> Spawn {
        self.dir = dir.to_path_buf();
        self
    }

    /// The port to try first (default: a free one).
    pub fn port(mut self, port: u16) -> Spawn {
        self.port = Some(port);
        self
    }

    /// `--log` (default: `error` for `models serve`, `warn` for `server`).
    pub fn log(mut self, filter: &'static str) -> Spawn {
        self.log = filter;
        self
    }

    /// Standard error into this file rather than the test's output.
    pub fn stderr_to(mut self, path: &Path) -> Spawn {
        self.stderr_to = Some(path.to_path_buf());
        self
    }

    /// Started on its port once `ready` answers 200. When another process
    /// took the port first, the binary exits unable to listen and is started
    /// again on another port.
    pub fn start(self) -> Running {
        let mut port = self.port.unwrap_or_else(free_port);
        for _ in 0..3 {
            if let Some(running) = self.try_start(port) {
                return running;
            }
            port = free_port();
        }
        panic!(
            "mlflowrs {:?} could not listen on three ports",
            self.command
        );
    }

    fn try_start(&self, port: u16) -> Option<Running> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mlflowrs"));
        for k in &self.removed {
            command.env_remove(k);
        }
        let stderr = match &self.stderr_to {
            Some(path) => Stdio::from(std::fs::File::create(path).unwrap()),
            None => Stdio::piped(),
        };
        let child = command
            .current_dir(&self.dir)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .args(&self.command)
            .args(&self.args)
            .args(["-p", &port.to_string(), "--log", self.log])
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start mlflowrs");
        let mut running = Running { child, port };
        let deadline = Instant::now() + self.within;
        loop {
            if let Ok(Some(status)) = running.child.try_wait() {
                let err = match &self.stderr_to {
                    Some(path) => std::fs::read_to_string(path).unwrap_or_default(),
                    None => take_stderr(&mut running.child),
                };
                if err.contains("listen on") {
                    return None;
                }
                panic!(
                    "mlflowrs {:?} exited before serving: {status}\n{err}",
                    self.command
                );
            }
            // A connection alone may be a TCP self-connect to a free port,
            // or another program: only this process's answer counts.
            if answers_200(port, self.ready) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "mlflowrs {:?} did not answer {} within {:?}",
                self.command,
                self.ready,
                self.within
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        forward_stderr(&mut running.child);
        Some(running)
    }
}

/// A running `mlflowrs` process, killed on drop.
pub struct Running {
    pub child: Child,
    pub port: u16,
}

impl Running {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sends SIGTERM, as an orchestrator stopping the container would.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit; `None` if it is still running after `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// A JSON request and its JSON answer (`Null` when the body is not JSON).
    pub fn call(&self, method: &str, path: &str, body: &Json) -> (u16, Json) {
        let body = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let headers = [("Content-Type".to_string(), "application/json".to_string())];
        let (status, _, bytes) = raw_request(
            self.port,
            &build_request(method, path, self.port, &headers, &body),
        );
        (status, serde_json::from_slice(&bytes).unwrap_or(Json::Null))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
