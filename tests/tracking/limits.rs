//! `mlflowrs server`'s limits, durability and safety: SIGKILL during a burst
//! of log-batch calls loses no acknowledged write, the request-body and
//! database-connection limits hold at their edges, artifact paths stay in
//! the artifact root, large artifacts stream, unknown schemas are refused.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::tracking::{python, run_python, Postgres};
use crate::common::{build_request, free_port, post_json_raw, raw_request, Spawn};
use serde_json::Value as Json;

#[test]
fn sigkill_during_log_batch_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = Spawn::server("sqlite:///mlflow.db")
        .dir(dir.path())
        .port(port)
        .start();
    let (status, exp) = server.call(
        "POST",
        "/api/2.0/mlflow/experiments/create",
        &serde_json::json!({"name": "burst"}),
    );
    assert_eq!(status, 200, "{exp}");
    let (_, run) = server.call(
        "POST",
        "/api/2.0/mlflow/runs/create",
        &serde_json::json!({"experiment_id": exp["experiment_id"], "start_time": 1}),
    );
    let run_id = run["run"]["info"]["run_id"].as_str().unwrap().to_string();

    // Four writers, each logging its own steps until the server dies.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let run_id = run_id.clone();
            std::thread::spawn(move || {
                let mut acked = Vec::new();
                for i in 0.. {
                    let step = w * 1_000_000 + i;
                    let metrics: Vec<Json> = (0..20)
                        .map(|k| serde_json::json!({"key": format!("m{k}"), "value": step as f64, "timestamp": 1, "step": step}))
                        .collect();
                    let body = serde_json::json!({"run_id": run_id, "metrics": metrics, "params": [{"key": format!("p{step}"), "value": "x"}]});
                    let headers = [("Content-Type".to_string(), "application/json".to_string())];
                    let request = build_request("POST", "/api/2.0/mlflow/runs/log-batch", port, &headers, body.to_string().as_bytes());
                    let answer = std::panic::catch_unwind(|| raw_request(port, &request));
                    match answer {
                        Ok((200, _, _)) => acked.push(step),
                        _ => break,
                    }
                }
                acked
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let acked: Vec<i64> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert!(
        acked.len() > 20,
        "too few writes before the kill: {}",
        acked.len()
    );

    let server = Spawn::server("sqlite:///mlflow.db")
        .dir(dir.path())
        .port(free_port())
        .start();
    for key in ["m0", "m19"] {
        let (status, history) = server.call(
            "GET",
            &format!("/api/2.0/mlflow/metrics/get-history?run_id={run_id}&metric_key={key}"),
            &Json::Null,
        );
        assert_eq!(status, 200);
        let steps: std::collections::HashSet<i64> = history["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["step"].as_i64().unwrap())
            .collect();
        let lost: Vec<&i64> = acked.iter().filter(|s| !steps.contains(s)).collect();
        assert!(
            lost.is_empty(),
            "{} acknowledged steps of {key} lost, e.g. {:?}",
            lost.len(),
            &lost[..lost.len().min(5)]
        );
    }
    let (_, got) = server.call(
        "GET",
        &format!("/api/2.0/mlflow/runs/get?run_id={run_id}"),
        &Json::Null,
    );
    let params = got["run"]["data"]["params"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    assert!(
        params >= acked.len(),
        "{params} params for {} acknowledged batches",
        acked.len()
    );
}

#[test]
fn the_request_body_limit_holds_at_its_edge() {
    let dir = tempfile::tempdir().unwrap();
    let server = Spawn::server("sqlite:///mlflow.db")
        .dir(dir.path())
        .port(free_port())
        .args(&["--max-request-bytes", "100"])
        .start();
    let port = server.port;
    let send =
        |body: &str| post_json_raw(port, "/api/2.0/mlflow/experiments/create", body.as_bytes());
    // Exactly 100 bytes: accepted.
    let at = format!("{{\"name\": \"{}\"}}", "a".repeat(100 - 12));
    assert_eq!(at.len(), 100);
    let (status, _, body) = send(&at);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    // One byte over: 413 in MLflow's error format.
    let over = format!("{{\"name\": \"{}\"}}", "b".repeat(101 - 12));
    let (status, _, body) = send(&over);
    assert_eq!(status, 413);
    let err: Json = serde_json::from_slice(&body).unwrap();
    assert_eq!(err["error_code"], "REQUEST_LIMIT_EXCEEDED");
    drop(server);
}

/// Every form of MLflow's published artifact path-traversal issues, against
/// upload, download, list and delete: each gets a 4xx, and the files outside
/// the artifact root are neither read, written nor deleted.
#[test]
fn artifact_paths_cannot_leave_the_artifact_root() {
    let dir = tempfile::tempdir().unwrap();
    let server = Spawn::server("sqlite:///mlflow.db").dir(dir.path()).start();
    let port = server.port;
    const SECRET: &[u8] = b"secret-outside-the-root";
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, SECRET).unwrap();
    let outside_dir = dir.path().join("outside-dir");
    std::fs::create_dir(&outside_dir).unwrap();
    std::fs::write(outside_dir.join("secret.txt"), SECRET).unwrap();
    let root = dir.path().join("mlartifacts");
    std::fs::create_dir_all(root.join("1")).unwrap();
    std::os::unix::fs::symlink(&outside_dir, root.join("link")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("1/leak.txt")).unwrap();

    let base = "/api/2.0/mlflow-artifacts/artifacts/";
    let forms = [
        "../outside.txt",
        "1/../../outside.txt",
        "1/%2e%2e/%2e%2e/outside.txt",
        "1/..%2F..%2Foutside.txt",
        "1/%252e%252e/%252e%252e/outside.txt",
        "1/%25252e%25252e/%25252e%25252e/outside.txt",
        "%2F..%2Foutside.txt",
        "%2Fetc%2Fpasswd",
        "1/..%5C..%5Coutside.txt",
        "1/a%5Cb.txt",
        "C:%5Coutside.txt",
        "%5C%5Chost%5Cshare%5Coutside.txt",
        "1/a%00.txt",
        "1/a%0a.txt",
        "1/a%23b.txt",
        "link/secret.txt",
        "link/new.txt",
        "link",
        "1/leak.txt",
    ];
    let request = |method: &str, path: &str, body: &[u8]| {
        let (status, _, body) = raw_request(port, &build_request(method, path, port, &[], body));
        (status, body)
    };
    let untouched = || {
        assert_eq!(std::fs::read(&outside).unwrap(), SECRET);
        assert_eq!(
            std::fs::read(outside_dir.join("secret.txt")).unwrap(),
            SECRET
        );
        assert!(!outside_dir.join("new.txt").exists());
        assert_eq!(std::fs::read_dir(&outside_dir).unwrap().count(), 1);
    };
    for form in forms {
        let path = format!("{base}{form}");
        for method in ["PUT", "GET", "DELETE"] {
            let (status, body) = request(method, &path, b"escaped");
            assert!(
                (400..500).contains(&status),
                "{method} {form}: {status} {}",
                String::from_utf8_lossy(&body)
            );
            assert!(
                !body.windows(SECRET.len()).any(|w| w == SECRET),
                "{method} {form} read a file outside the root"
            );
            untouched();
        }
        let (status, body) = request("GET", &format!("{base}?path={form}"), b"");
        let listed = String::from_utf8_lossy(&body);
        assert!(
            (400..500).contains(&status) || (status == 200 && !listed.contains("secret")),
            "list {form}: {status} {listed}"
        );
    }
    // The forms MLflow itself refuses get its 400 INVALID_PARAMETER_VALUE.
    for form in [
        "../outside.txt",
        "1/%252e%252e/%252e%252e/outside.txt",
        "link/secret.txt",
    ] {
        let (status, body) = request("GET", &format!("{base}{form}"), b"");
        let err: Json = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (status, err["error_code"].as_str()),
            (400, Some("INVALID_PARAMETER_VALUE")),
            "{form}"
        );
    }
    let (status, body) = request("GET", &format!("{base}?path=link"), b"");
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));

    // Names that only look odd stay inside the root and round-trip.
    for (form, file) in [
        ("1/r/a.txt", "1/r/a.txt"),
        ("1/r/a+b%20c.txt", "1/r/a+b c.txt"),
    ] {
        assert_eq!(
            request("PUT", &format!("{base}{form}"), b"hello").0,
            200,
            "{form}"
        );
        assert_eq!(std::fs::read(root.join(file)).unwrap(), b"hello");
        assert_eq!(
            request("GET", &format!("{base}{form}"), b""),
            (200, b"hello".to_vec())
        );
    }
    untouched();
}

#[test]
fn a_database_at_another_schema_revision_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let _server = Spawn::server("sqlite:///mlflow.db").dir(dir.path()).start();
    }
    run_python(&[
        "-c",
        &format!(
            "import sqlite3; c = sqlite3.connect('{}'); c.execute(\"UPDATE alembic_version SET version_num = 'ffffffffffff'\"); c.commit()",
            dir.path().join("mlflow.db").display()
        ),
    ]);
    let out = Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
        .current_dir(dir.path())
        .args(["server", "-p", &free_port().to_string()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ffffffffffff") && err.contains("mlflow db upgrade"),
        "{err}"
    );
}

#[test]
fn database_connections_stay_within_their_limit() {
    let pg = Postgres::start();
    let uri = pg.uri.clone();
    let dir = tempfile::tempdir().unwrap();
    let server = Spawn::server(&uri)
        .dir(dir.path())
        .port(free_port())
        .args(&["--max-db-connections", "2"])
        .start();
    let port = server.port;
    let (_, exp) = server.call(
        "POST",
        "/api/2.0/mlflow/experiments/create",
        &serde_json::json!({"name": "pool"}),
    );
    let (_, run) = server.call(
        "POST",
        "/api/2.0/mlflow/runs/create",
        &serde_json::json!({"experiment_id": exp["experiment_id"], "start_time": 1}),
    );
    let run_id = run["run"]["info"]["run_id"].as_str().unwrap().to_string();

    // A sampler counts the server's sessions while 16 clients write at once.
    let sampler = Command::new(python())
        .args([
            "-c",
            "import sys, time, psycopg2\n\
             c = psycopg2.connect(sys.argv[1]); c.autocommit = True; cur = c.cursor(); top = 0\n\
             end = time.time() + 3\n\
             while time.time() < end:\n\
             \x20   cur.execute(\"SELECT count(*) FROM pg_stat_activity WHERE datname = 'mlflow' AND pid <> pg_backend_pid()\")\n\
             \x20   top = max(top, cur.fetchone()[0]); time.sleep(0.005)\n\
             print(top)",
            &uri,
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let run_id = run_id.clone();
            std::thread::spawn(move || {
                let headers = [("Content-Type".to_string(), "application/json".to_string())];
                (0..25)
                    .map(|i| {
                        let body = serde_json::json!({"run_id": run_id, "metrics": [{"key": "m", "value": 1.0, "timestamp": 1, "step": w * 100 + i}]});
                        raw_request(port, &build_request("POST", "/api/2.0/mlflow/runs/log-batch", port, &headers, body.to_string().as_bytes())).0
                    })
                    .collect::<Vec<u16>>()
            })
        })
        .collect();
    let statuses: Vec<u16> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let top: usize = String::from_utf8_lossy(&sampler.wait_with_output().unwrap().stdout)
        .trim()
        .parse()
        .unwrap();
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    assert!(
        (1..=2).contains(&top),
        "{top} sessions with --max-db-connections 2"
    );
    let (_, history) = server.call(
        "GET",
        &format!("/api/2.0/mlflow/metrics/get-history?run_id={run_id}&metric_key=m"),
        &Json::Null,
    );
    assert_eq!(history["metrics"].as_array().map(Vec::len), Some(400));
    drop(server);
}

#[test]
fn a_large_artifact_round_trips_through_the_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let server = Spawn::server("sqlite:///mlflow.db").dir(dir.path()).start();
    let port = server.port;
    // 24 MiB of bytes that are not all alike, streamed in and out.
    let data: Vec<u8> = (0..24u32 * 1024 * 1024)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let path = "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/model/weights.bin";
    let (status, _, _) = raw_request(port, &build_request("PUT", path, port, &[], &data));
    assert_eq!(status, 200);
    let (status, headers, body) = raw_request(port, &build_request("GET", path, port, &[], b""));
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-length") && v == &data.len().to_string()),
        "{headers:?}"
    );
    assert!(
        body == data,
        "downloaded {} bytes, uploaded {}",
        body.len(),
        data.len()
    );
}

/// A small filesystem for the artifact root: tmpfs when this process may
/// mount (CI runs as root), unmounted on drop.
struct SmallDisk {
    path: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(path: std::path::PathBuf, bytes: usize) -> Option<SmallDisk> {
        std::fs::create_dir_all(&path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}")])
            .arg("tmpfs")
            .arg(&path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { path })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

#[test]
fn a_full_disk_fails_the_upload_and_leaves_no_half_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("artifacts");
    let disk = SmallDisk::mount(root.clone(), 2 << 20).expect(
        "this test mounts a 2 MiB tmpfs as the artifact root and needs the right to mount (root)",
    );
    let root_arg = root.display().to_string();
    let server = Spawn::server("sqlite:///mlflow.db")
        .dir(dir.path())
        .port(free_port())
        .args(&["--artifacts-destination", &root_arg])
        .start();
    let port = server.port;
    let base = "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts";
    let small = vec![7u8; 1 << 20];
    let big: Vec<u8> = (0..(3u32 << 20)).map(|i| (i % 251) as u8).collect();
    let put = |name: &str, data: &[u8]| {
        raw_request(
            port,
            &build_request("PUT", &format!("{base}/{name}"), port, &[], data),
        )
    };
    let (status, _, _) = put("first.bin", &small);
    assert_eq!(status, 200);

    // 3 MiB into what is left of 2 MiB: the write fails part-way.
    let (status, _, body) = put("big.bin", &big);
    let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    assert_eq!(status, 500, "{answer}");
    assert_eq!(answer["error_code"], "INTERNAL_ERROR", "{answer}");
    let message = answer["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("big.bin") && message.contains("No space left"),
        "{message}"
    );

    // Nothing of it is served, listed or left on the disk.
    let (status, _, _) = raw_request(
        port,
        &build_request("GET", &format!("{base}/big.bin"), port, &[], b""),
    );
    assert_eq!(status, 404);
    let (status, _, body) = raw_request(
        port,
        &build_request(
            "GET",
            "/api/2.0/mlflow-artifacts/artifacts?path=1/r/artifacts",
            port,
            &[],
            b"",
        ),
    );
    assert_eq!(status, 200);
    let listing: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let names: Vec<&str> = listing["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert_eq!(names, ["first.bin"]);
    let on_disk: Vec<String> = std::fs::read_dir(root.join("1/r/artifacts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(on_disk, ["first.bin"], "a temporary file was left behind");

    // The earlier artifact is intact and, with room made, uploads work again.
    let (status, _, body) = raw_request(
        port,
        &build_request("GET", &format!("{base}/first.bin"), port, &[], b""),
    );
    assert_eq!(status, 200);
    assert!(body == small);
    let (status, _, _) = raw_request(
        port,
        &build_request("DELETE", &format!("{base}/first.bin"), port, &[], b""),
    );
    assert_eq!(status, 200);
    let (status, _, _) = put("again.bin", &small);
    assert_eq!(status, 200);
    drop(server);
    drop(disk);
}

/// `--max-concurrent-requests 2` against 128 keep-alive clients (Python's
/// `http.client`): only 200s and 429s in MLflow's error format, on
/// connections that stay usable; `/health` is answered however busy.
#[test]
fn keep_alive_clients_past_the_concurrency_limit_get_only_200_and_429() {
    let dir = tempfile::tempdir().unwrap();
    let server = Spawn::server("sqlite:///mlflow.db")
        .dir(dir.path())
        .port(free_port())
        .args(&["--max-concurrent-requests", "2"])
        .start();
    let tally = crate::common::keepalive_clients(
        server.port,
        "/api/2.0/mlflow/experiments/search",
        r#"{"max_results": 10}"#,
        &["--requests", "20"],
    );
    crate::common::assert_only_200_and_429(&tally, 128 * 20, "experiments/search");

    // The refusal itself, on a held connection: MLflow's error JSON, and the
    // connection still serves the next request.
    let port = server.port;
    let holders: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(move || {
                let mut conn = crate::common::KeepAlive::open(port);
                // A body that arrives slowly holds its permit.
                conn.ask_slowly(
                    "/api/2.0/mlflow/experiments/search",
                    b"{\"max_results\": 1}",
                )
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut conn = crate::common::KeepAlive::open(port);
    let json = ("Content-Type", "application/json");
    let (status, _, answer) = conn
        .ask(
            "/api/2.0/mlflow/experiments/search",
            &[json],
            br#"{"max_results": 5}"#,
        )
        .unwrap();
    assert_eq!(status, 429);
    let answer: Json = serde_json::from_slice(&answer).unwrap();
    assert_eq!(answer["error_code"], "REQUEST_LIMIT_EXCEEDED");
    let health = conn.ask_get("/health").unwrap();
    assert_eq!(health.0, 200, "/health is exempt");
    for h in holders {
        assert_eq!(h.join().unwrap().map(|a| a.0), Some(200));
    }
    let (status, _, answer) = conn
        .ask(
            "/api/2.0/mlflow/experiments/search",
            &[json],
            br#"{"max_results": 5}"#,
        )
        .unwrap();
    assert_eq!(
        status,
        200,
        "the permits came back: {}",
        String::from_utf8_lossy(&answer)
    );
}
