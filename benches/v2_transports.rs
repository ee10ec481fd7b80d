//! The V2 protocol's transports against one running `mlflowrs models serve
//! --grpc-port`: HTTP with JSON tensors, HTTP with binary tensor data, and
//! gRPC (raw contents), each with a 1-row and a 1,000-row iris body, at 64
//! concurrent callers for a few seconds: requests/s, p50 and p99.
//! `benches/v2.sh` starts the server and runs this.
//!
//! Usage: v2_transports HTTP_PORT GRPC_PORT [SECONDS]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mlflowrs::serving::grpc::proto::grpc_inference_service_client::GrpcInferenceServiceClient;
use mlflowrs::serving::grpc::proto::model_infer_request::InferInputTensor;
use mlflowrs::serving::grpc::proto::ModelInferRequest;

const CALLERS: usize = 64;
const MODEL: &str = "iris-onnx";
const ROW: [f32; 4] = [5.1, 3.5, 1.4, 0.2];

fn rows(n: usize) -> Vec<f32> {
    ROW.iter().copied().cycle().take(4 * n).collect()
}

/// An HTTP/1.1 infer request, JSON or binary.
fn http_request(port: u16, n: usize, binary: bool) -> Vec<u8> {
    let data = rows(n);
    let (head, raw) = if binary {
        let head = format!(
            r#"{{"inputs": [{{"name": "float_input", "shape": [{n}, 4], "datatype": "FP32", "parameters": {{"binary_data_size": {}}}}}], "parameters": {{"binary_data_output": true}}}}"#,
            data.len() * 4
        );
        let raw: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        (head, raw)
    } else {
        let values: Vec<String> = data.iter().map(|v| v.to_string()).collect();
        let head = format!(
            r#"{{"inputs": [{{"name": "float_input", "shape": [{n}, 4], "datatype": "FP32", "data": [{}]}}]}}"#,
            values.join(", ")
        );
        (head, Vec::new())
    };
    let mut extra = String::new();
    if binary {
        extra = format!("Inference-Header-Content-Length: {}\r\n", head.len());
    }
    let mut request = format!(
        "POST /v2/models/{MODEL}/infer HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n",
        head.len() + raw.len()
    )
    .into_bytes();
    request.extend(head.as_bytes());
    request.extend(raw);
    request
}

/// Reads one answer with a Content-Length; `false` on anything but 200.
fn read_answer(stream: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    buf.clear();
    let mut chunk = [0u8; 65536];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return head.starts_with("http/1.1 200");
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Latencies of every call `CALLERS` keep-alive HTTP connections make.
fn http_load(port: u16, request: Arc<Vec<u8>>, seconds: u64) -> Vec<Duration> {
    let until = Instant::now() + Duration::from_secs(seconds);
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let request = Arc::clone(&request);
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                stream.set_nodelay(true).unwrap();
                let mut buf = Vec::new();
                let mut latencies = Vec::new();
                while Instant::now() < until {
                    let t0 = Instant::now();
                    stream.write_all(&request).unwrap();
                    assert!(read_answer(&mut stream, &mut buf), "a non-200 answer");
                    latencies.push(t0.elapsed());
                }
                latencies
            })
        })
        .collect();
    callers
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect()
}

fn grpc_request(n: usize) -> ModelInferRequest {
    ModelInferRequest {
        model_name: MODEL.into(),
        inputs: vec![InferInputTensor {
            name: "float_input".into(),
            datatype: "FP32".into(),
            shape: vec![n as i64, 4],
            ..Default::default()
        }],
        raw_input_contents: vec![rows(n).iter().flat_map(|v| v.to_le_bytes()).collect()],
        ..Default::default()
    }
}

/// Latencies of every call `CALLERS` tasks make over one gRPC channel, as
/// a gRPC client shares one.
async fn grpc_load(port: u16, request: ModelInferRequest, seconds: u64) -> Vec<Duration> {
    let channel = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let until = Instant::now() + Duration::from_secs(seconds);
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let mut client = GrpcInferenceServiceClient::new(channel.clone());
            let request = request.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < until {
                    let t0 = Instant::now();
                    client.model_infer(request.clone()).await.unwrap();
                    latencies.push(t0.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for c in callers {
        all.extend(c.await.unwrap());
    }
    all
}

fn report(transport: &str, n: usize, seconds: u64, mut latencies: Vec<Duration>) {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "| {transport} | {n} | {:.0} | {:.2} | {:.2} |",
        latencies.len() as f64 / seconds as f64,
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(http), Some(grpc)) = (
        args.first().and_then(|p| p.parse::<u16>().ok()),
        args.get(1).and_then(|p| p.parse::<u16>().ok()),
    ) else {
        eprintln!("usage: v2_transports HTTP_PORT GRPC_PORT [SECONDS]");
        std::process::exit(2);
    };
    let seconds: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    println!("| transport | rows | req/s at {CALLERS} callers | p50 (ms) | p99 (ms) |");
    println!("|---|---|---|---|---|");
    for n in [1, 1000] {
        let json = Arc::new(http_request(http, n, false));
        report(
            "HTTP, JSON tensors",
            n,
            seconds,
            http_load(http, json, seconds),
        );
        let binary = Arc::new(http_request(http, n, true));
        report(
            "HTTP, binary tensor data",
            n,
            seconds,
            http_load(http, binary, seconds),
        );
        let latencies = runtime.block_on(grpc_load(grpc, grpc_request(n), seconds));
        report("gRPC", n, seconds, latencies);
    }
}
