//! Helpers shared by the integration tests: start the real binary on a free
//! port and wait until it answers `/ping`.

#![allow(dead_code)]

pub mod replay;
pub mod serving;
pub mod spawn;
pub mod tracking;

pub use spawn::{Running, Spawn};

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Child;
use std::time::Duration;

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

/// `POST path` with a JSON body over raw HTTP: (status, headers, body).
pub fn post_json_raw(port: u16, path: &str, body: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let headers = [("Content-Type".to_string(), "application/json".to_string())];
    raw_request(port, &build_request("POST", path, port, &headers, body))
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

/// Runs `tests/serving/keepalive_clients.py`: keep-alive `http.client`
/// clients POSTing `body` to `path`; its JSON tally of statuses,
/// `Connection: close` answers and client-side failures.
pub fn keepalive_clients(port: u16, path: &str, body: &str, extra: &[&str]) -> serde_json::Value {
    let port = port.to_string();
    let mut args = vec!["tests/serving/keepalive_clients.py", &port, path, body];
    args.extend_from_slice(extra);
    let out = tracking::run_python(&args);
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// One keep-alive connection, for asking several requests in turn.
pub struct KeepAlive {
    stream: std::net::TcpStream,
    port: u16,
}

/// A parsed answer: status, headers (lower-case names), body.
pub type Answer = (u16, Vec<(String, String)>, Vec<u8>);

impl KeepAlive {
    pub fn open(port: u16) -> KeepAlive {
        let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        KeepAlive { stream, port }
    }

    /// A POST and its answer; `None` when the server closed the connection
    /// or reset it instead of answering.
    pub fn ask(&mut self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Option<Answer> {
        let request = self.post(path, headers, body);
        self.send(&[&request])
    }

    pub fn ask_get(&mut self, path: &str) -> Option<Answer> {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
            self.port
        );
        self.send(&[request.as_bytes()])
    }

    /// A JSON POST whose body's last byte comes a second after the rest, so
    /// that the request holds its permit meanwhile.
    pub fn ask_slowly(&mut self, path: &str, body: &[u8]) -> Option<Answer> {
        let request = self.post(path, &[("Content-Type", "application/json")], body);
        let (most, last) = request.split_at(request.len() - 1);
        self.send(&[most, last])
    }

    fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\n",
            self.port,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        request
    }

    /// Writes the pieces a second apart, then reads one answer.
    fn send(&mut self, pieces: &[&[u8]]) -> Option<Answer> {
        use std::io::{Read, Write};
        for (i, piece) in pieces.iter().enumerate() {
            if i > 0 {
                std::thread::sleep(Duration::from_secs(1));
            }
            self.stream.write_all(piece).ok()?;
        }
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().unwrap());
                if buf.len() >= end + 4 + length {
                    return Some(parse_response(&buf[..end + 4 + length]));
                }
            }
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }
}

/// The value of header `name` (lower case) in a parsed answer.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Asserts a `keepalive_clients` tally: `total` answers, every one a 200 or
/// a 429 and some of each, no client-side failure, and no connection closed
/// (small bodies are drained).
pub fn assert_only_200_and_429(tally: &serde_json::Value, total: u64, what: &str) {
    let statuses = tally["statuses"].as_object().unwrap();
    let count = |s: &str| statuses.get(s).and_then(|n| n.as_u64()).unwrap_or(0);
    assert_eq!(
        tally["errors"],
        serde_json::json!({}),
        "{what}: client-side failures: {tally}"
    );
    assert_eq!(count("200") + count("429"), total, "{what}: {tally}");
    assert!(count("200") > 0 && count("429") > 0, "{what}: {tally}");
    assert_eq!(tally["closes"], serde_json::json!({}), "{what}: {tally}");
}
