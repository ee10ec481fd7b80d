//! Every serving limit at its edge: body size, timeout, queue, concurrent
//! requests, rows, slow and vanishing clients, graceful shutdown.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use crate::common::serving::*;
use crate::common::{build_request, parse_response, raw_request, Spawn};
use mlflowrs_protocol::pyjson;

#[test]
fn body_limit_is_enforced_at_its_edge() {
    let body = br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#;
    let limit = body.len().to_string();
    let server = Spawn::serve(&example())
        .args(&["--max-body-bytes", &limit])
        .start();
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
fn a_client_that_hangs_up_mid_body_gets_no_hang() {
    let server = Spawn::serve(&example()).start();
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
    let server = Spawn::serve(&example()).args(&["-t", "1"]).start();
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
    let server = Spawn::serve(&example()).args(args).start();
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

#[test]
fn concurrent_request_limit_answers_429_at_its_edge() {
    let server = Spawn::serve(&example())
        .args(&["--max-concurrent-requests", "1"])
        .start();
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

/// 512 clients at once against a limit of 8: every one gets an answer, a
/// 200 or a 429, none hangs, and the server's memory stays bounded.
#[test]
fn a_flood_of_512_connections_gets_only_200s_and_429s() {
    let server = Spawn::serve(&example())
        .args(&["--max-concurrent-requests", "8"])
        .start();
    let rows = vec!["[5.1, 3.5, 1.4, 0.2]"; 1000].join(", ");
    let body = format!("{{\"inputs\": [{rows}]}}").into_bytes();
    let request = build_request(
        "POST",
        "/invocations",
        server.port,
        &[("Content-Type".into(), "application/json".into())],
        &body,
    );
    let start = std::sync::Barrier::new(512);
    let started = Instant::now();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..512)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    raw_request(server.port, &request).0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = statuses.iter().filter(|&&s| s == 200).count();
    let limited = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!(ok + limited, 512, "other statuses: {statuses:?}");
    assert!(ok >= 8 && limited > 0, "{ok} 200s, {limited} 429s");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap();
    let rss_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    assert!(rss_kb < 512 * 1024, "RSS {rss_kb} kB after the flood");
    assert_eq!(
        post_json(&server, br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#).0,
        200
    );
}

/// Sends the start of a request's headers and never the rest: with
/// `--header-timeout 1` the server closes the connection, without an
/// answer, after about a second.
fn assert_cut_off_after_a_second(port: u16, partial_head: &[u8]) {
    let started = Instant::now();
    let mut slow = TcpStream::connect(("127.0.0.1", port)).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    slow.write_all(partial_head).unwrap();
    let mut buf = [0u8; 256];
    // The read ends (0 bytes or reset) when the server closes.
    let n = slow.read(&mut buf).unwrap_or(0);
    let waited = started.elapsed();
    assert_eq!(n, 0, "answered: {}", String::from_utf8_lossy(&buf[..n]));
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "closed after {waited:?}"
    );
}

/// A client that trickles its headers (slow loris) is cut off after
/// `--header-timeout`; one whose headers arrive in pieces within it is served.
#[test]
fn header_timeout_cuts_off_slow_clients_at_its_edge() {
    let server = Spawn::serve(&example())
        .args(&["--header-timeout", "1"])
        .start();
    assert_cut_off_after_a_second(server.port, b"POST /invocations HTTP/1.1\r\nHost: x\r\n");

    let body = br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#;
    let mut ok = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    ok.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    for piece in head.as_bytes().chunks(16) {
        ok.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(40));
    }
    ok.write_all(body).unwrap();
    let mut answer = Vec::new();
    ok.read_to_end(&mut answer).unwrap();
    assert_eq!(parse_response(&answer).0, 200);
}

/// `--metrics-port` runs on the same accept loop: its slow clients are cut
/// off at `--header-timeout` too.
#[test]
fn the_metrics_port_times_out_slow_clients_too() {
    let metrics_port = crate::common::free_port();
    let server = Spawn::serve(&example())
        .args(&[
            "--header-timeout",
            "1",
            "--metrics-port",
            &metrics_port.to_string(),
        ])
        .start();
    assert_cut_off_after_a_second(metrics_port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n");
    let (status, _, _) = crate::common::raw_request(
        metrics_port,
        &crate::common::build_request("GET", "/metrics", metrics_port, &[], b""),
    );
    assert_eq!(status, 200);
    drop(server);
}

#[test]
fn row_limit_at_its_edge() {
    let server = Spawn::serve(&example()).args(&["--max-rows", "2"]).start();
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
    let mut server = Spawn::serve(&example()).start();
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
    let mut server = Spawn::serve(&example())
        .args(&["--shutdown-timeout", "1"])
        .start();
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

/// 128 keep-alive clients (Python's `http.client`, as SDKs connect) against
/// a limit of 2, on `/invocations` and on V2 `infer`: every answer is a 200
/// or a 429 on a connection that stays usable, never a reset or a broken
/// pipe, which clients would take for an outage.
#[test]
fn keep_alive_clients_past_the_concurrency_limit_get_only_200_and_429() {
    let server = Spawn::serve(&example())
        .args(&["--max-concurrent-requests", "2"])
        .start();
    let v2 = r#"{"inputs": [{"name": "float_input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}"#;
    for (path, body, requests) in [
        (
            "/invocations",
            r#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#,
            "40",
        ),
        ("/v2/models/iris-onnx/infer", v2, "20"),
    ] {
        let tally =
            crate::common::keepalive_clients(server.port, path, body, &["--requests", requests]);
        let total = 128 * requests.parse::<u64>().unwrap();
        crate::common::assert_only_200_and_429(&tally, total, path);
    }
}

/// An early answer (413, 404, 401, 429) leaves the keep-alive connection
/// usable when the unread body is within `--max-drain-bytes`, and says
/// `Connection: close` when it is not.
#[test]
fn early_answers_keep_the_connection_within_the_drain_limit() {
    let body = br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#;
    let server = Spawn::serve(&example())
        .args(&[
            "--max-body-bytes",
            "100",
            "--max-drain-bytes",
            "1000",
            "--api-key",
            "k",
        ])
        .start();
    let json = ("Content-Type", "application/json");
    let key = ("Authorization", "Bearer k");
    let mut conn = crate::common::KeepAlive::open(server.port);
    let refusals = [
        ("/invocations", vec![json, key], vec![b' '; 1000], 413),
        ("/nowhere", vec![json, key], vec![b' '; 1000], 404),
        ("/invocations", vec![json], vec![b' '; 1000], 401),
        (
            "/v2/models/iris-onnx/infer",
            vec![json, key],
            vec![b' '; 900],
            413,
        ),
    ];
    for (path, headers, refused, status) in refusals {
        let (got, answer_headers, _) = conn.ask(path, &headers, &refused).unwrap();
        assert_eq!(got, status, "{path}");
        assert_eq!(
            crate::common::header(&answer_headers, "connection"),
            None,
            "{path}"
        );
        let (after, _, _) = conn
            .ask("/invocations", &[json, key], body)
            .expect("the connection survives the refusal");
        assert_eq!(after, 200);
    }
    // A body of one byte more than the drain limit, unread: the server
    // says so and closes.
    let (status, headers, _) = conn.ask("/nowhere", &[json, key], &[b' '; 1001]).unwrap();
    assert_eq!(status, 404);
    assert_eq!(crate::common::header(&headers, "connection"), Some("close"));
    assert!(conn.ask("/invocations", &[json, key], body).is_none());
}
