//! Helpers shared by the integration tests: start the real binary on a free
//! port and wait until it answers `/ping`.

#![allow(dead_code)]

pub mod replay;
pub mod serving;
pub mod tracking;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A port nothing listens on. The kernel may hand the same free port to two
/// tests of one binary that ask at nearly the same time; the second server
/// then fails to bind while its test talks to the first, so ports given out
/// once are never given out again by this process.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// A running `mlflowrs models serve`, killed on drop.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    pub fn start(model: &Path, extra: &[&str]) -> Server {
        let mut args = vec!["-m".to_string(), model.display().to_string()];
        args.extend(extra.iter().map(|a| a.to_string()));
        Server::start_with(&args)
    }

    /// Starts `mlflowrs models serve` with exactly these arguments (plus the port).
    pub fn start_with(args: &[String]) -> Server {
        Server::start_with_env(args, &[])
    }

    /// As `start_with`, with extra environment variables.
    pub fn start_with_env(args: &[String], envs: &[(String, String)]) -> Server {
        Server::spawn(args, envs, &[])
    }

    /// As `start_with`, without these environment variables.
    pub fn start_with_env_removed(args: &[String], remove: &[&str]) -> Server {
        Server::spawn(args, &[], remove)
    }

    /// Started on a free port once it answers `GET /ping` with 200. When
    /// another process took the port first, the server exits unable to
    /// listen and is started again on another port.
    fn spawn(args: &[String], envs: &[(String, String)], remove: &[&str]) -> Server {
        for _ in 0..3 {
            if let Some(server) = Server::try_spawn(free_port(), args, envs, remove) {
                return server;
            }
        }
        panic!("mlflowrs could not listen on three ports");
    }

    fn try_spawn(
        port: u16,
        args: &[String],
        envs: &[(String, String)],
        remove: &[&str],
    ) -> Option<Server> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mlflowrs"));
        for k in remove {
            command.env_remove(k);
        }
        let child = command
            .current_dir(repo_root())
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .args(["models", "serve"])
            .args(args)
            .args(["-p", &port.to_string(), "--log", "error"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mlflowrs");
        let mut server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                let err = take_stderr(&mut server.child);
                if err.contains("listen on") {
                    return None;
                }
                panic!("mlflowrs exited before serving: {status}\n{err}");
            }
            // A connection alone may be a TCP self-connect to a free
            // port: only this server's answer counts.
            if answers_200(port, "/ping") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "mlflowrs did not listen within 30 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        forward_stderr(&mut server.child);
        Some(server)
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

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `GET path` on `port` answers `200` (a short probe that never
/// panics: nothing listening, a reset or another protocol are all "no").
pub fn answers_200(port: u16, path: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(&build_request("GET", path, port, &[], b""))
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

/// A child's captured standard error, once it has exited.
pub fn take_stderr(child: &mut Child) -> String {
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut err);
    }
    err
}

/// Passes a running child's captured standard error on to the test's.
pub fn forward_stderr(child: &mut Child) {
    if let Some(mut e) = child.stderr.take() {
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut e, &mut std::io::stderr());
        });
    }
}

/// Sends raw HTTP/1.1 and returns (status, headers, body); `Connection: close`.
pub fn raw_request(port: u16, request: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(request).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    parse_response(&buf)
}

pub fn parse_response(buf: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("complete HTTP head");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = buf[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    (status, headers, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}

/// Builds a raw request with exactly the given headers plus Host, Content-Length and Connection.
pub fn build_request(
    method: &str,
    path: &str,
    port: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}
