//! End-to-end behaviour of `mlflowrs models serve` / `predict` beyond the
//! recorded conformance cases: limits at their edges, bad bodies, slow and
//! truncated clients, concurrency, start-up errors.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{build_request, parse_response, raw_request, repo_root, Server};
use mlflowrs::pyjson::{self, Json};

fn example() -> std::path::PathBuf {
    repo_root().join("examples/iris-onnx")
}

fn post_json(server: &Server, body: &[u8]) -> (u16, Json) {
    let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    let (status, _, body) = raw_request(
        server.port,
        &build_request("POST", "/invocations", server.port, &headers, body),
    );
    (
        status,
        pyjson::parse(&body).unwrap_or(Json::Str(String::from_utf8_lossy(&body).into_owned())),
    )
}

fn error_code(j: &Json) -> String {
    j.get("error_code")
        .map(pyjson::to_string)
        .unwrap_or_default()
}

#[test]
fn example_answers_the_readme_request() {
    let server = Server::start(&example(), &[]);
    let (status, body) = post_json(&server, br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#);
    assert_eq!(status, 200);
    let preds = body.get("predictions").unwrap();
    assert_eq!(preds.get("label"), Some(&Json::List(vec![Json::Int(0)])));
}

#[test]
fn body_limit_is_enforced_at_its_edge() {
    let body = br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#;
    let limit = body.len().to_string();
    let server = Server::start(&example(), &["--max-body-bytes", &limit]);
    assert_eq!(
        post_json(&server, body).0,
        200,
        "a body of exactly the limit is served"
    );
    let mut bigger = body.to_vec();
    bigger.push(b' ');
    let (status, answer) = post_json(&server, &bigger);
    assert_eq!(status, 413, "one byte over the limit");
    assert_eq!(error_code(&answer), "\"REQUEST_LIMIT_EXCEEDED\"");
}

#[test]
fn random_and_truncated_bodies_get_mlflow_errors() {
    let server = Server::start(&example(), &[]);
    let mut x: u64 = 42;
    let noise: Vec<u8> = (0..1_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x & 0xff) as u8
        })
        .collect();
    let (status, answer) = post_json(&server, &noise);
    assert_eq!(status, 400);
    assert_eq!(error_code(&answer), "\"BAD_REQUEST\"");
    let (status, answer) = post_json(&server, br#"{"inputs": [[5.1, 3.5"#);
    assert_eq!(status, 400);
    assert!(
        pyjson::to_string(&answer).contains("Ensure that input is a valid JSON formatted string")
    );
}

#[test]
fn a_client_that_hangs_up_mid_body_gets_no_hang() {
    let server = Server::start(&example(), &[]);
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"inputs\":").unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "server kept the connection"
    );
    if !buf.is_empty() {
        let (status, _, _) = parse_response(&buf);
        assert_eq!(status, 400);
    }
    // The server is still healthy afterwards.
    assert_eq!(
        post_json(&server, br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#).0,
        200
    );
}

#[test]
fn a_request_past_the_timeout_gets_504() {
    let server = Server::start(&example(), &["-t", "1"]);
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // A body that never finishes arriving keeps the request running.
    s.write_all(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{").unwrap();
    let started = Instant::now();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).unwrap();
    let elapsed = started.elapsed();
    let (status, headers, body) = parse_response(&buf[..n]);
    assert_eq!(status, 504);
    assert!(headers
        .iter()
        .any(|(k, v)| k == "content-type" && v == "application/json"));
    assert_eq!(body, b"Request processing time exceeded limit");
    assert!(
        elapsed >= Duration::from_millis(900),
        "answered after {elapsed:?}"
    );
}

#[test]
fn concurrent_requests_all_succeed() {
    concurrent_requests(&["-w", "2"]);
}

#[test]
fn a_full_queue_makes_requests_wait_not_fail() {
    // One inference thread and room for one waiting request: the other
    // fourteen connections wait for room and are all answered.
    concurrent_requests(&["-w", "1", "--max-queue", "1"]);
}

fn concurrent_requests(args: &[&str]) {
    let server = Server::start(&example(), args);
    let port = server.port;
    let threads: Vec<_> =
        (0..16)
            .map(|i| {
                std::thread::spawn(move || {
                    let headers =
                        vec![("Content-Type".to_string(), "application/json".to_string())];
                    for _ in 0..10 {
                        let body = if i % 2 == 0 {
                            br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#.to_vec()
                        } else {
                            br#"{"dataframe_split": {"data": [[6.7, 3.0, 5.2, 2.3]]}}"#.to_vec()
                        };
                        let (status, _, body) = raw_request(
                            port,
                            &build_request("POST", "/invocations", port, &headers, &body),
                        );
                        assert_eq!(status, 200);
                        let label = if i % 2 == 0 { "[0]" } else { "[2]" };
                        assert!(
                            String::from_utf8_lossy(&body).contains(&format!("\"label\": {label}"))
                        );
                    }
                })
            })
            .collect();
    for t in threads {
        t.join().unwrap();
    }
}

fn mlflowrs(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mlflowrs"));
    cmd.current_dir(repo_root()).args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Serves a model directory holding `mlmodel` (and the example's model.onnx)
/// and returns the start-up error mlflowrs printed.
fn start_failure(mlmodel: &str) -> String {
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

#[test]
fn a_missing_onnx_runtime_library_says_how_to_get_it() {
    let out = mlflowrs(
        &["models", "serve", "-m", "examples/iris-onnx", "-p", "0"],
        &[("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pip install onnxruntime==1.31.1"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_model_without_a_native_flavor_names_its_flavors() {
    let err = start_failure(
        "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    pickled_model: model.skops\n",
    );
    assert!(err.contains("python_function, sklearn"), "{err}");
}

#[test]
fn a_malformed_mlmodel_names_the_file_and_field() {
    let err = start_failure(
        "flavors:\n  onnx: {data: model.onnx}\nsignature:\n  inputs: '[{\"type\": \"tensor\"}]'\n",
    );
    assert!(
        err.contains("MLmodel") && err.contains("signature"),
        "{err}"
    );
    let out = mlflowrs(
        &["models", "serve", "-m", "/nonexistent/model", "-p", "0"],
        &[],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn predict_scores_json_and_csv_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.json");
    let output = dir.path().join("out.json");
    std::fs::write(&input, r#"{"inputs": [[6.7, 3.0, 5.2, 2.3]]}"#).unwrap();
    let out = mlflowrs(
        &[
            "models",
            "predict",
            "-m",
            "examples/iris-onnx",
            "-i",
            input.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
            "-t",
            "json",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer = std::fs::read_to_string(&output).unwrap();
    assert!(
        answer.starts_with("{\"predictions\": {\"label\": [2]"),
        "{answer}"
    );

    let model = repo_root().join("tests/conformance/models/iris_columns");
    let csv = dir.path().join("in.csv");
    std::fs::write(
        &csv,
        "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n",
    )
    .unwrap();
    let out = mlflowrs(
        &[
            "models",
            "predict",
            "-m",
            model.to_str().unwrap(),
            "-i",
            csv.to_str().unwrap(),
            "-t",
            "csv",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("{\"predictions\": [{\"variable\": "));
}

#[test]
fn column_signature_classifier_answers_one_record_per_row() {
    // MLflow fails this request (see the README's deviations); mlflowrs keeps
    // the probabilities of each row as a list.
    let server = Server::start(
        &repo_root().join("tests/conformance/models/iris_columns_clf"),
        &[],
    );
    let body = br#"{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}}"#;
    let (status, answer) = post_json(&server, body);
    assert_eq!(status, 200);
    let Some(Json::List(rows)) = answer.get("predictions") else {
        panic!("{answer:?}")
    };
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get("label"), Some(&Json::Int(0)));
    assert_eq!(rows[1].get("label"), Some(&Json::Int(2)));
    let Some(Json::List(p)) = rows[1].get("probabilities") else {
        panic!("{answer:?}")
    };
    assert_eq!(p.len(), 3);
}

#[test]
fn unsupported_signature_types_fail_at_start_with_a_clear_message() {
    let err = start_failure(
        "flavors:\n  onnx: {data: model.onnx}\nsignature:\n  inputs: '[{\"type\": \"array\", \"items\": {\"type\": \"long\"}, \"name\": \"arr\", \"required\": true}]'\n",
    );
    assert!(
        err.contains("'arr'") && err.contains("Array(long)"),
        "{err}"
    );
}

/// xorshift64: deterministic noise for the mutation test.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn mutated_requests_always_get_an_answer_in_mlflow_format() {
    // Valid bodies with random bytes changed, inserted or cut off: every
    // answer must be a status MLflow uses, JSON errors must carry an
    // error_code, and the server must still be serving at the end.
    let bodies: [&[u8]; 4] = [
        br#"{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}"#,
        br#"{"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": [[5.1, 3.5, 1.4, 0.2]]}, "params": {"x": 1}}"#,
        br#"{"dataframe_records": [{"a": 5.1, "b": 3.5, "c": 1.4, "d": 0.2}]}"#,
        br#"{"instances": [[5.1, 3.5, 1.4, 0.2]]}"#,
    ];
    let alphabet = b"{}[],:\"0123456789.-eEnulltruefalseNaNInfinity abcd\\";
    let server = Server::start(&example(), &[]);
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    for round in 0..400 {
        let mut body = bodies[round % bodies.len()].to_vec();
        for _ in 0..(1 + noise.next() % 4) {
            if body.is_empty() {
                break;
            }
            let at = (noise.next() as usize) % body.len();
            match noise.next() % 4 {
                0 => body[at] = alphabet[(noise.next() as usize) % alphabet.len()],
                1 => body.insert(at, alphabet[(noise.next() as usize) % alphabet.len()]),
                2 => body.truncate(at),
                _ => body[at] = noise.next() as u8,
            }
        }
        let (status, answer) = post_json(&server, &body);
        assert!(
            matches!(status, 200 | 400),
            "status {status} for {:?}",
            String::from_utf8_lossy(&body)
        );
        if status == 400 {
            assert!(
                !error_code(&answer).is_empty(),
                "no error_code in {answer:?}"
            );
        }
    }
    assert_eq!(
        post_json(&server, br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#).0,
        200
    );
}

#[test]
fn a_model_with_session_options_is_served() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["model.onnx", "MLmodel"] {
        std::fs::copy(example().join(f), dir.path().join(f)).unwrap();
    }
    let mlmodel = std::fs::read_to_string(dir.path().join("MLmodel")).unwrap().replace(
        "onnx_session_options: null",
        "onnx_session_options: {intra_op_num_threads: 1, execution_mode: sequential, graph_optimization_level: 1}",
    );
    assert!(mlmodel.contains("execution_mode: sequential"));
    std::fs::write(dir.path().join("MLmodel"), mlmodel).unwrap();
    let server = Server::start(dir.path(), &[]);
    assert_eq!(
        post_json(&server, br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#).0,
        200
    );
}

/// Waits until the server counts `n` `/invocations` requests in flight.
fn wait_in_flight(port: u16, n: u32) {
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
struct SlowRequest {
    stream: TcpStream,
    rest: &'static [u8],
}

impl SlowRequest {
    fn open(port: u16) -> SlowRequest {
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

    fn finish(mut self) -> u16 {
        self.stream.write_all(self.rest).unwrap();
        let mut buf = Vec::new();
        let _ = self.stream.read_to_end(&mut buf);
        parse_response(&buf).0
    }
}

#[test]
fn concurrent_request_limit_answers_429_at_its_edge() {
    let server = Server::start(&example(), &["--max-concurrent-requests", "1"]);
    let first = SlowRequest::open(server.port);
    let (status, answer) = post_json(&server, br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#);
    assert_eq!(status, 429, "a second request over a limit of one");
    assert_eq!(error_code(&answer), "\"REQUEST_LIMIT_EXCEEDED\"");
    assert_eq!(
        first.finish(),
        200,
        "the request holding the permit completes"
    );
    assert_eq!(
        post_json(&server, br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#).0,
        200,
        "the permit came back"
    );
}

#[test]
fn row_limit_at_its_edge() {
    let server = Server::start(&example(), &["--max-rows", "2"]);
    let two = br#"{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}"#;
    assert_eq!(post_json(&server, two).0, 200);
    let three = br#"{"dataframe_split": {"data": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.1, 3.5, 1.4, 0.2]]}}"#;
    let (status, answer) = post_json(&server, three);
    assert_eq!(status, 400);
    assert_eq!(error_code(&answer), "\"BAD_REQUEST\"");
    assert!(pyjson::to_string(&answer).contains("--max-rows"));
}

#[test]
fn sigterm_finishes_in_flight_requests_then_exits_0() {
    let mut server = Server::start(&example(), &[]);
    let pending = SlowRequest::open(server.port);
    server.terminate();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        server.wait_exit(Duration::from_millis(10)),
        None,
        "exited with a request in flight"
    );
    assert_eq!(pending.finish(), 200);
    let status = server
        .wait_exit(Duration::from_secs(10))
        .expect("exits after the last request");
    assert!(status.success(), "{status}");
}

#[test]
fn shutdown_timeout_bounds_the_wait_for_stuck_requests() {
    let mut server = Server::start(&example(), &["--shutdown-timeout", "1"]);
    let _stuck = SlowRequest::open(server.port);
    let started = Instant::now();
    server.terminate();
    let status = server
        .wait_exit(Duration::from_secs(10))
        .expect("exits after the shutdown timeout");
    assert!(status.success(), "{status}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "waited {waited:?}"
    );
}

#[test]
fn metrics_count_what_was_sent_and_parse_as_prometheus_text() {
    let server = Server::start(&example(), &[]);
    for _ in 0..3 {
        assert_eq!(
            post_json(
                &server,
                br#"{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}"#
            )
            .0,
            200
        );
    }
    for _ in 0..2 {
        assert_eq!(post_json(&server, b"{not json").0, 400);
    }
    let (status, headers, body) = raw_request(
        server.port,
        &build_request("GET", "/metrics", server.port, &[], b""),
    );
    assert_eq!(status, 200);
    assert!(headers
        .iter()
        .any(|(k, v)| k == "content-type" && v.starts_with("text/plain; version=0.0.4")));
    let text = String::from_utf8(body).unwrap();
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text format");
    let value = |name: &str, labels: &[(&str, &str)]| -> f64 {
        scrape
            .samples
            .iter()
            .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| match &s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => *v,
                prometheus_parse::Value::Histogram(buckets) => {
                    buckets.iter().map(|b| b.count).fold(0.0, f64::max)
                }
                _ => f64::NAN,
            })
            .sum()
    };
    let ok = [
        ("route", "/invocations"),
        ("status", "200"),
        ("model", "iris-onnx"),
    ];
    assert_eq!(value("mlflowrs_requests_total", &ok), 3.0, "{text}");
    assert_eq!(
        value(
            "mlflowrs_requests_total",
            &[("route", "/invocations"), ("status", "400")]
        ),
        2.0,
        "{text}"
    );
    assert_eq!(
        value(
            "mlflowrs_request_duration_seconds",
            &[("route", "/invocations")]
        ),
        5.0,
        "{text}"
    );
    assert_eq!(
        value("mlflowrs_inference_duration_seconds", &[]),
        5.0,
        "{text}"
    );
    assert_eq!(value("mlflowrs_queue_duration_seconds", &[]), 5.0, "{text}");
    // Rows are counted for the requests that parsed: 3 of 2 rows each.
    assert_eq!(value("mlflowrs_request_rows", &[]), 3.0, "{text}");
    // Every /invocations request has finished; /metrics itself is not counted.
    assert_eq!(value("mlflowrs_requests_in_flight", &[]), 0.0, "{text}");
    assert_eq!(value("mlflowrs_queue_depth", &[]), 0.0, "{text}");
}

#[test]
fn batched_requests_each_get_exactly_their_rows() {
    // One inference thread so that concurrent requests queue and are batched.
    let server = Server::start(&example(), &["-w", "1", "--max-batch-rows", "64"]);
    let port = server.port;
    const SETOSA: &str = "[5.1, 3.5, 1.4, 0.2]";
    const VIRGINICA: &str = "[6.7, 3.0, 5.2, 2.3]";
    // Request k holds k+1 rows in a pattern of its own.
    fn body(k: usize) -> (String, String) {
        let (setosa, virginica) = (SETOSA, VIRGINICA);
        let rows: Vec<&str> = (0..=k)
            .map(|i| {
                if (i + k).is_multiple_of(3) {
                    virginica
                } else {
                    setosa
                }
            })
            .collect();
        let labels: Vec<&str> = (0..=k)
            .map(|i| if (i + k).is_multiple_of(3) { "2" } else { "0" })
            .collect();
        (
            format!("{{\"inputs\": [{}]}}", rows.join(", ")),
            format!("\"label\": [{}]", labels.join(", ")),
        )
    }
    // What each request answers on its own, for comparison.
    let alone: Vec<Vec<u8>> = (0..8)
        .map(|k| {
            let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
            raw_request(
                port,
                &build_request("POST", "/invocations", port, &headers, body(k).0.as_bytes()),
            )
            .2
        })
        .collect();
    let alone = std::sync::Arc::new(alone);
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let alone = alone.clone();
            std::thread::spawn(move || {
                let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
                for r in 0..25 {
                    let k = (t + r) % 8;
                    let (req, labels) = body(k);
                    let (status, _, answer) = raw_request(
                        port,
                        &build_request("POST", "/invocations", port, &headers, req.as_bytes()),
                    );
                    assert_eq!(status, 200);
                    let text = String::from_utf8_lossy(&answer);
                    assert!(text.contains(&labels), "request {k} got {text}");
                    let got = pyjson::parse(&answer).unwrap();
                    let want = pyjson::parse(&alone[k]).unwrap();
                    let probs = |j: &Json| match j
                        .get("predictions")
                        .and_then(|p| p.get("probabilities"))
                    {
                        Some(Json::List(rows)) => rows.len(),
                        _ => 0,
                    };
                    assert_eq!(probs(&got), k + 1, "rows of request {k}");
                    assert_eq!(probs(&got), probs(&want));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let (_, _, metrics) = raw_request(port, &build_request("GET", "/metrics", port, &[], b""));
    let metrics = String::from_utf8(metrics).unwrap();
    let batches = metrics
        .lines()
        .find(|l| l.starts_with("mlflowrs_batch_requests_count"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0);
    assert!(
        batches > 0.0,
        "no request was batched under load:\n{metrics}"
    );
}

#[test]
fn requests_that_cannot_stack_still_get_their_own_answers() {
    // A bad request in the middle of a batch fails alone.
    let server = Server::start(&example(), &["-w", "1"]);
    let port = server.port;
    let threads: Vec<_> = (0..12)
        .map(|t| {
            std::thread::spawn(move || {
                let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
                for _ in 0..20 {
                    let (body, want): (&[u8], u16) = match t % 3 {
                        0 => (br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#, 200),
                        1 => (br#"{"inputs": [[5.1, 3.5, 1.4]]}"#, 400),
                        _ => (br#"{"dataframe_split": {"data": [[6.7, 3.0, 5.2, 2.3], [5.1, 3.5, 1.4, 0.2]]}}"#, 200),
                    };
                    let (status, _, _) = raw_request(port, &build_request("POST", "/invocations", port, &headers, body));
                    assert_eq!(status, want);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

fn get(server: &Server, path: &str) -> (u16, Json) {
    let (status, _, body) = raw_request(
        server.port,
        &build_request("GET", path, server.port, &[], b""),
    );
    (status, pyjson::parse(&body).unwrap_or(Json::Null))
}

fn post_to(server: &Server, path: &str, body: &[u8]) -> (u16, Json) {
    let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    let (status, _, body) = raw_request(
        server.port,
        &build_request("POST", path, server.port, &headers, body),
    );
    (status, pyjson::parse(&body).unwrap_or(Json::Null))
}

#[test]
fn v2_protocol_answers_as_the_mlflow_route_does() {
    let server = Server::start(&example(), &[]);
    assert_eq!(get(&server, "/v2/health/live").0, 200);
    assert_eq!(get(&server, "/v2/health/ready").0, 200);
    assert_eq!(get(&server, "/v2/models/iris-onnx/ready").0, 200);
    let (status, meta) = get(&server, "/v2/models/iris-onnx");
    assert_eq!(status, 200);
    let meta_text = pyjson::to_string(&meta);
    assert!(
        meta_text
            .contains("{\"name\": \"float_input\", \"datatype\": \"FP32\", \"shape\": [-1, 4]}"),
        "{meta_text}"
    );
    assert!(
        meta_text.contains("\"name\": \"probabilities\", \"datatype\": \"FP32\""),
        "{meta_text}"
    );

    let v2_body = br#"{"id": "r1", "inputs": [{"name": "float_input", "shape": [2, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]}]}"#;
    let (status, v2) = post_to(&server, "/v2/models/iris-onnx/infer", v2_body);
    assert_eq!(status, 200, "{v2:?}");
    let (_, mlflow) = post_json(
        &server,
        br#"{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}"#,
    );
    let Some(Json::List(outputs)) = v2.get("outputs") else {
        panic!("{v2:?}")
    };
    assert_eq!(v2.get("id"), Some(&Json::Str("r1".into())));
    for out in outputs {
        let Some(Json::Str(name)) = out.get("name") else {
            panic!()
        };
        let expected = mlflow.get("predictions").and_then(|p| p.get(name)).unwrap();
        let mut flat = Vec::new();
        fn flatten(v: &Json, out: &mut Vec<Json>) {
            match v {
                Json::List(items) => items.iter().for_each(|i| flatten(i, out)),
                other => out.push(other.clone()),
            }
        }
        flatten(expected, &mut flat);
        assert_eq!(out.get("data"), Some(&Json::List(flat)), "output {name}");
    }
    let probs = outputs
        .iter()
        .find(|o| o.get("name") == Some(&Json::Str("probabilities".into())))
        .unwrap();
    assert_eq!(
        probs.get("shape"),
        Some(&Json::List(vec![Json::Int(2), Json::Int(3)]))
    );
    assert_eq!(probs.get("datatype"), Some(&Json::Str("FP32".into())));

    // The versioned path and an outputs filter.
    let (status, one) = post_to(
        &server,
        "/v2/models/iris-onnx/versions/1/infer",
        br#"{"inputs": [{"name": "float_input", "shape": [1, 4], "datatype": "FP32", "data": [[5.1, 3.5, 1.4, 0.2]]}], "outputs": [{"name": "label"}]}"#,
    );
    assert_eq!(status, 200);
    assert_eq!(
        pyjson::to_string(one.get("outputs").unwrap()),
        "[{\"name\": \"label\", \"shape\": [1], \"datatype\": \"INT64\", \"data\": [0]}]"
    );

    // Errors in the V2 format.
    let (status, err) = post_to(&server, "/v2/models/other/infer", v2_body);
    assert_eq!(status, 404);
    assert!(err.get("error").is_some());
    let (status, err) = post_to(
        &server,
        "/v2/models/iris-onnx/infer",
        br#"{"inputs": [{"name": "float_input", "shape": [2, 4], "datatype": "FP32", "data": [1, 2, 3]}]}"#,
    );
    assert_eq!(status, 400, "{err:?}");
    let (status, err) = post_to(
        &server,
        "/v2/models/iris-onnx/infer",
        br#"{"inputs": [{"name": "float_input", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}"#,
    );
    assert_eq!(status, 400);
    assert!(
        pyjson::to_string(&err).contains("does not match expected shape"),
        "{err:?}"
    );
    assert_eq!(get(&server, "/v2/models/iris-onnx/infer").0, 405);
}

#[test]
fn v2_infer_on_a_column_signature_model() {
    let server = Server::start(
        &repo_root().join("tests/conformance/models/iris_columns"),
        &[],
    );
    let cols = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
    let row = [5.1, 3.5, 1.4, 0.2];
    let inputs: Vec<String> = cols
        .iter()
        .zip(row)
        .map(|(c, v)| {
            format!(
                "{{\"name\": \"{c}\", \"shape\": [1], \"datatype\": \"FP64\", \"data\": [{v}]}}"
            )
        })
        .collect();
    let (status, v2) = post_to(
        &server,
        "/v2/models/iris_columns/infer",
        format!("{{\"inputs\": [{}]}}", inputs.join(", ")).as_bytes(),
    );
    assert_eq!(status, 200, "{v2:?}");
    let (_, mlflow) = post_json(
        &server,
        br#"{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.1, 3.5, 1.4, 0.2]]}}"#,
    );
    let Some(Json::List(records)) = mlflow.get("predictions") else {
        panic!("{mlflow:?}")
    };
    let expected = records[0].get("variable").unwrap().clone();
    let out = pyjson::to_string(v2.get("outputs").unwrap());
    assert!(
        out.contains(&format!("\"data\": [{}]", pyjson::to_string(&expected))),
        "{out}"
    );
}

#[test]
fn openapi_document_lists_the_routes() {
    let server = Server::start(&example(), &[]);
    let (status, doc) = get(&server, "/openapi.json");
    assert_eq!(status, 200);
    let Some(Json::Dict(paths)) = doc.get("paths") else {
        panic!("{doc:?}")
    };
    let names: Vec<&str> = paths.iter().map(|(k, _)| k.as_str()).collect();
    for route in [
        "/ping",
        "/health",
        "/version",
        "/invocations",
        "/metrics",
        "/v2/models/{name}/infer",
    ] {
        assert!(names.contains(&route), "{route} missing from {names:?}");
    }
}

/// POSTs and returns (status, the model that answered).
fn post_routed(port: u16, path: &str, extra: &[(&str, &str)]) -> (u16, String) {
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

#[test]
fn two_models_in_one_process_with_a_weighted_sticky_split() {
    let named = repo_root().join("tests/conformance/models/iris_named");
    let a = format!("a={}", example().display());
    let b = format!("b={}", named.display());
    let args: Vec<String> = ["-m", &a, "-m", &b, "--split", "a=90,b=10"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let server = Server::start_with(&args);
    let port = server.port;
    let mut to_a = 0;
    for _ in 0..2000 {
        let (status, model) = post_routed(port, "/invocations", &[]);
        assert_eq!(status, 200);
        match model.as_str() {
            "a" => to_a += 1,
            "b" => {}
            other => panic!("answered by {other:?}"),
        }
    }
    assert!(
        (1700..=1900).contains(&to_a),
        "a answered {to_a} of 2000 (want 90 % +- 5 %)"
    );
    // A sticky key always lands on the same model.
    for key in ["user-1", "user-2", "user-3", "user-4"] {
        let first = post_routed(port, "/invocations", &[("X-Mlflowrs-Route-Key", key)]).1;
        for _ in 0..20 {
            assert_eq!(
                post_routed(port, "/invocations", &[("X-Mlflowrs-Route-Key", key)]).1,
                first
            );
        }
    }
    // Each model under its own name, on both protocols.
    assert_eq!(
        post_routed(port, "/models/b/invocations", &[]),
        (200, "b".to_string())
    );
    assert_eq!(
        post_routed(port, "/models/a/invocations", &[]),
        (200, "a".to_string())
    );
    assert_eq!(post_routed(port, "/models/zzz/invocations", &[]).0, 404);
    let (status, meta) = get(&server, "/v2/models/b");
    assert_eq!(status, 200);
    assert!(
        pyjson::to_string(&meta).contains("\"name\": \"input\""),
        "{meta:?}"
    );
    let (status, _) = post_to(
        &server,
        "/v2/models/b/infer",
        br#"{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}"#,
    );
    assert_eq!(status, 200);
}

#[test]
fn bad_model_lists_and_splits_are_refused_at_start() {
    let a = format!("a={}", example().display());
    for args in [
        vec!["models", "serve", "-m", &a, "-m", &a, "-p", "0"],
        vec!["models", "serve", "-m", &a, "--split", "b=10", "-p", "0"],
        vec!["models", "serve", "-m", &a, "--split", "a=0", "-p", "0"],
    ] {
        let out = mlflowrs(&args, &[]);
        assert!(!out.status.success(), "{args:?} started");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("named") || err.contains("--split"), "{err}");
    }
}
