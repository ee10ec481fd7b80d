//! Helpers for the serving tests: requests over raw HTTP, start-up failures,
//! deterministic noise, and requests that hold their place in the server.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use mlflowrs_protocol::pyjson::{self, Json};

use super::{build_request, parse_response, post_json_raw, raw_request, repo_root, Running};

pub fn example() -> std::path::PathBuf {
    repo_root().join("examples/iris-onnx")
}

pub fn post_json(server: &Running, body: &[u8]) -> (u16, Json) {
    let (status, _, body) = post_json_raw(server.port, "/invocations", body);
    (
        status,
        pyjson::parse(&body).unwrap_or(Json::Str(String::from_utf8_lossy(&body).into_owned())),
    )
}

pub fn error_code(j: &Json) -> String {
    j.get("error_code")
        .map(pyjson::to_string)
        .unwrap_or_default()
}

pub fn mlflowrs(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mlflowrs"));
    cmd.current_dir(repo_root()).args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Serves a model directory holding `mlmodel` (and the example's model.onnx)
/// and returns the start-up error mlflowrs printed.
pub fn start_failure(mlmodel: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(example().join("model.onnx"), dir.path().join("model.onnx")).unwrap();
    std::fs::write(dir.path().join("MLmodel"), mlmodel).unwrap();
    let out = mlflowrs(
        &[
            "models",
            "serve",
            "-m",
            dir.path().to_str().unwrap(),
            "-p",
            "0",
        ],
        &[],
    );
    assert!(!out.status.success(), "mlflowrs started on a bad model");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// xorshift64: deterministic noise for the mutation test.
pub struct Noise(pub u64);

impl Noise {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Waits until the server counts `n` `/invocations` requests in flight.
pub fn wait_in_flight(port: u16, n: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let want = format!(" {n}");
    loop {
        let (_, _, body) = raw_request(port, &build_request("GET", "/metrics", port, &[], b""));
        let text = String::from_utf8_lossy(&body);
        if text
            .lines()
            .any(|l| l.starts_with("mlflowrs_requests_in_flight") && l.ends_with(&want))
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never saw {n} requests in flight:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Opens a request whose body has not fully arrived: it holds its place
/// (permit, in-flight slot) until `finish` sends the rest.
pub struct SlowRequest {
    stream: TcpStream,
    rest: &'static [u8],
}

impl SlowRequest {
    pub fn open(port: u16) -> SlowRequest {
        let body: &'static [u8] = br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#;
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let head = format!(
            "POST /invocations HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&body[..5]).unwrap();
        // The server has taken the request in (and its permit) before the test goes on.
        wait_in_flight(port, 1);
        SlowRequest {
            stream,
            rest: &body[5..],
        }
    }

    pub fn finish(mut self) -> u16 {
        self.stream.write_all(self.rest).unwrap();
        let mut buf = Vec::new();
        let _ = self.stream.read_to_end(&mut buf);
        parse_response(&buf).0
    }
}

pub fn get(server: &Running, path: &str) -> (u16, Json) {
    let (status, _, body) = raw_request(
        server.port,
        &build_request("GET", path, server.port, &[], b""),
    );
    (status, pyjson::parse(&body).unwrap_or(Json::Null))
}

pub fn post_to(server: &Running, path: &str, body: &[u8]) -> (u16, Json) {
    let (status, _, body) = post_json_raw(server.port, path, body);
    (status, pyjson::parse(&body).unwrap_or(Json::Null))
}

/// POSTs and returns (status, the model that answered).
pub fn post_routed(port: u16, path: &str, extra: &[(&str, &str)]) -> (u16, String) {
    let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let body = br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#;
    let (status, resp_headers, _) =
        raw_request(port, &build_request("POST", path, port, &headers, body));
    let model = resp_headers
        .iter()
        .find(|(k, _)| k == "x-mlflowrs-model")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    (status, model)
}
