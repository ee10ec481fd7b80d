//! Model URIs against real MLflow stores when something is wrong or
//! changes: malformed URIs and unreachable or refusing stores (each with its
//! exit code), `mlflow-artifacts:` without a server, models used in place,
//! the download cache, tracking-server credentials, and a watched alias
//! that moves while requests run. The stores are `registry.rs`'s stack.

use std::io::Write;

use crate::common::Spawn;
use serde_json::Value;

use super::registry::{
    assert_predictions, mlflowrs, move_to_version_2, predict, resolve, serial, stack, Via,
    EVERY_WAY,
};

#[test]
fn bad_uris_fail_with_a_message_and_exit_code_of_their_own() {
    let _serial = serial();
    for via in EVERY_WAY {
        let cache = tempfile::tempdir().unwrap();
        let env = via.env(cache.path());
        let run = via.run(0)["run_id"].as_str().unwrap();
        let cases: Vec<(String, i32, String)> = vec![
            (
                "models:/nope/1".into(),
                11,
                "Registered Model with name=nope not found".into(),
            ),
            (
                "models:/iris-onnx/99".into(),
                12,
                "Model Version (name=iris-onnx, version=99) not found".into(),
            ),
            (
                "models:/iris-onnx@nope".into(),
                13,
                "Registered model alias nope not found.".into(),
            ),
            (
                "models:/iris-onnx/Archived".into(),
                14,
                "No versions of model with name 'iris-onnx' and stage 'Archived' found".into(),
            ),
            (
                "models:/iris-onnx/Foo".into(),
                10,
                "Invalid Model Version stage: Foo.".into(),
            ),
            ("models:/".into(), 10, "Not a proper models:/ URI".into()),
            (
                "runs:/0123456789abcdef0123456789abcdef/model".into(),
                15,
                "Run with id=0123456789abcdef0123456789abcdef not found".into(),
            ),
            (
                "models:/m-0123456789abcdef0123456789abcdef".into(),
                15,
                "m-0123456789abcdef0123456789abcdef".into(),
            ),
            (
                format!("runs:/{run}/no_such_model"),
                18,
                "no_such_model".into(),
            ),
        ];
        for (uri, code, text) in cases {
            let (got, stderr) = resolve(&uri, &env).expect_err(&uri);
            assert_eq!(got, code, "{uri} via {via:?}: {stderr}");
            assert!(stderr.contains(&text), "{uri} via {via:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
    }
}

#[test]
fn an_unreachable_or_refusing_store_is_named() {
    let _serial = serial();
    let cache = tempfile::tempdir().unwrap();
    let with = |uri: &str| {
        vec![
            ("MLFLOW_TRACKING_URI".to_string(), uri.to_string()),
            (
                "MLFLOWRS_MODEL_CACHE_DIR".to_string(),
                cache.path().display().to_string(),
            ),
        ]
    };
    let closed = crate::common::free_port();
    let (code, stderr) = resolve(
        "models:/iris/1",
        &with(&format!("http://127.0.0.1:{closed}")),
    )
    .unwrap_err();
    assert_eq!(code, 16, "{stderr}");
    assert!(
        stderr.contains("could not reach the tracking store"),
        "{stderr}"
    );
    // `serve` fails the same way, with the same exit code.
    let out = mlflowrs(
        &["models", "serve", "-m", "models:/iris/1", "-p", "0"],
        &with(&format!("http://127.0.0.1:{closed}")),
    );
    assert_eq!(out.status.code(), Some(16));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("could not reach the tracking store"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let (code, stderr) =
        resolve("models:/iris/1", &with("sqlite:////nonexistent/mlflow.db")).unwrap_err();
    assert_eq!(code, 16, "{stderr}");
    assert!(stderr.contains("no SQLite database"), "{stderr}");
    let (code, stderr) = resolve(
        "models:/iris/1",
        &with(&format!(
            "postgresql+psycopg2://postgres@127.0.0.1:{closed}/mlflow"
        )),
    )
    .unwrap_err();
    assert_eq!(code, 16, "{stderr}");

    // A server that refuses the credentials: 401, as an auth proxy answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let _ = std::io::Read::read(&mut stream, &mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\ncontent-length: 12\r\nconnection: close\r\n\r\nUnauthorized",
            );
        }
    });
    let mut env = with(&format!("http://127.0.0.1:{port}"));
    env.push(("MLFLOW_TRACKING_TOKEN".into(), "wrong".into()));
    let (code, stderr) = resolve("models:/iris/1", &env).unwrap_err();
    assert_eq!(code, 17, "{stderr}");
    assert!(stderr.contains("permission denied"), "{stderr}");
}

#[test]
fn mlflow_artifacts_need_a_tracking_server_as_in_mlflow() {
    let _serial = serial();
    // The proxy store's versions live behind its server; its database alone cannot serve them.
    let via = Via {
        store: "proxy",
        http: false,
    };
    let cache = tempfile::tempdir().unwrap();
    let (code, stderr) = resolve("models:/iris-onnx/1", &via.env(cache.path())).unwrap_err();
    assert_eq!(code, 19, "{stderr}");
    assert!(stderr.contains("mlflow-artifacts"), "{stderr}");
}

#[test]
fn local_store_models_are_used_in_place() {
    let _serial = serial();
    for via in [EVERY_WAY[0], EVERY_WAY[1], EVERY_WAY[2]] {
        let cache = tempfile::tempdir().unwrap();
        let resolved = resolve("models:/iris-onnx/1", &via.env(cache.path())).unwrap();
        assert_eq!(resolved["fetch"], "in_place", "{via:?}");
        let dir = resolved["local_path"].as_str().unwrap();
        assert!(
            dir.starts_with(stack().manifest["dir"].as_str().unwrap()),
            "{dir}"
        );
        assert!(
            std::fs::read_dir(cache.path()).unwrap().next().is_none(),
            "nothing may be copied into the cache"
        );
    }
}

/// Lines in a server log that fetched artifact files.
fn artifact_fetches(log: &str, marker: &str) -> usize {
    let path = std::path::Path::new(stack().manifest["dir"].as_str().unwrap())
        .join("logs")
        .join(log);
    std::fs::read_to_string(&path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(marker) && l.contains("GET"))
        .count()
}

#[test]
fn remote_artifacts_are_downloaded_once_then_served_from_the_cache() {
    let _serial = serial();
    for (via, log, marker) in [
        (
            EVERY_WAY[5],
            "mlflow-proxy.log",
            "mlflow-artifacts/artifacts",
        ),
        (EVERY_WAY[3], "moto.log", "/mlflow"),
    ] {
        let cache = tempfile::tempdir().unwrap();
        let env = via.env(cache.path());
        let first = resolve("models:/iris-onnx/2", &env).unwrap();
        assert_eq!(first["fetch"], "downloaded", "{via:?}");
        let dir = first["local_path"].as_str().unwrap();
        assert!(dir.starts_with(cache.path().to_str().unwrap()), "{dir}");
        let before = artifact_fetches(log, marker);
        let second = resolve("models:/iris-onnx/2", &env).unwrap();
        assert_eq!(second["fetch"], "cache_hit", "{via:?}");
        assert_eq!(second["local_path"], first["local_path"]);
        assert_predictions(&predict("models:/iris-onnx/2", &env), "2", "from the cache");
        assert_eq!(
            artifact_fetches(log, marker),
            before,
            "a start from the cache fetched artifacts from {log}"
        );
        // Another version is another entry.
        let other = resolve("models:/iris-onnx/1", &env).unwrap();
        assert_ne!(other["local_path"], first["local_path"]);
        // A damaged entry is not trusted: it is fetched again.
        std::fs::write(std::path::Path::new(dir).join("MLmodel"), "x").unwrap();
        assert_eq!(
            resolve("models:/iris-onnx/2", &env).unwrap()["fetch"],
            "downloaded"
        );
        assert_predictions(&predict("models:/iris-onnx/2", &env), "2", "after repair");
    }
}

/// A gate in front of a tracking server that lets through only connections
/// whose first request carries `expected` as its Authorization header, as
/// an authenticating proxy would; others get 401.
fn auth_gate(upstream: &str, expected: &'static str) -> u16 {
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};
    let upstream = upstream.trim_start_matches("http://").to_string();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let upstream = upstream.clone();
            std::thread::spawn(move || {
                let mut client = client;
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match client.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                let wanted = format!("authorization: {}\r\n", expected.to_ascii_lowercase());
                if !text.contains(&wanted) {
                    let _ = client.write_all(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                    return;
                }
                let mut server = TcpStream::connect(&upstream).unwrap();
                server.write_all(&head).unwrap();
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c2, &mut s2);
                    let _ = s2.shutdown(std::net::Shutdown::Write);
                });
                let _ = std::io::copy(&mut server, &mut client);
            });
        }
    });
    port
}

#[test]
fn tracking_server_credentials_come_from_mlflows_variables() {
    let _serial = serial();
    let upstream = EVERY_WAY[2].tracking_uri();
    let cache = tempfile::tempdir().unwrap();
    let cases: [(&str, &[(&str, &str)]); 2] = [
        ("Bearer s3cret", &[("MLFLOW_TRACKING_TOKEN", "s3cret")]),
        // base64("alice:pw")
        (
            "Basic YWxpY2U6cHc=",
            &[
                ("MLFLOW_TRACKING_USERNAME", "alice"),
                ("MLFLOW_TRACKING_PASSWORD", "pw"),
            ],
        ),
    ];
    for (header, creds) in cases {
        let port = auth_gate(&upstream, header);
        let base = vec![
            (
                "MLFLOW_TRACKING_URI".to_string(),
                format!("http://127.0.0.1:{port}"),
            ),
            (
                "MLFLOWRS_MODEL_CACHE_DIR".to_string(),
                cache.path().display().to_string(),
            ),
        ];
        let mut env = base.clone();
        env.extend(creds.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let resolved =
            resolve("models:/iris-onnx/2", &env).unwrap_or_else(|e| panic!("{header}: {e:?}"));
        assert_eq!(resolved["version"], "2");
        let (code, stderr) = resolve("models:/iris-onnx/2", &base).unwrap_err();
        assert_eq!(code, 17, "without credentials: {stderr}");
        assert!(stderr.contains("permission denied"), "{stderr}");
    }
}

fn wait_for_version_2(ask: &dyn Fn() -> String) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while ask() != "2" {
        assert!(
            std::time::Instant::now() < deadline,
            "still serving version 1 after 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_watched_alias_move_is_served_without_a_restart_or_a_failed_request() {
    let _serial = serial();
    // Only this test moves the proxy store's `mover`.
    let via = EVERY_WAY[5];
    let cache = tempfile::tempdir().unwrap();
    let server = Spawn::models_serve()
        .owned_args(&[
            "-m".into(),
            "models:/mover@moving".into(),
            "--watch".into(),
            "1".into(),
        ])
        .envs(&via.env(cache.path()))
        .start();
    let body = serde_json::json!({ "inputs": stack().manifest["input"] }).to_string();
    let ask = || {
        let (status, headers, answer) =
            crate::common::post_json_raw(server.port, "/invocations", body.as_bytes());
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        let version = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-mlflowrs-model-version"))
            .map(|(_, v)| v.clone())
            .unwrap();
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        assert_predictions(&answer, &version, "watched model");
        version
    };
    assert_eq!(ask(), "1");
    // A load runs through the swap: every request must be answered.
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let load: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut seen = Vec::new();
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        seen.push(ask());
                    }
                    seen
                })
            })
            .collect();
        move_to_version_2(via);
        wait_for_version_2(&ask);
        std::thread::sleep(std::time::Duration::from_millis(300));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let answered: Vec<String> = load.into_iter().flat_map(|h| h.join().unwrap()).collect();
        assert!(
            answered.iter().any(|v| v == "1") && answered.iter().any(|v| v == "2"),
            "the load did not span the swap"
        );
    });
    let (_, _, models) = crate::common::raw_request(
        server.port,
        &crate::common::build_request("GET", "/models", server.port, &[], b""),
    );
    let models: Value = serde_json::from_slice(&models).unwrap();
    assert_eq!(models["models"][0]["version"], "2");
    assert_eq!(models["models"][0]["stage"], "Production");
}
