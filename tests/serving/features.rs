//! What mlflowrs serves beside MLflow's protocol: batching, metrics, the V2
//! protocol, OpenAPI, several models with an A/B split.

use crate::common::serving::*;
use crate::common::{build_request, raw_request, repo_root, Spawn};
use mlflowrs_protocol::pyjson::{self, Json};

#[test]
fn metrics_count_what_was_sent_and_parse_as_prometheus_text() {
    let server = Spawn::serve(&example()).start();
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
    let server = Spawn::serve(&example())
        .args(&["-w", "1", "--max-batch-rows", "64"])
        .start();
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
    let server = Spawn::serve(&example()).args(&["-w", "1"]).start();
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

#[test]
fn v2_protocol_answers_as_the_mlflow_route_does() {
    let server = Spawn::serve(&example()).start();
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
    let server = Spawn::serve(&repo_root().join("tests/conformance/models/iris_columns")).start();
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
    let server = Spawn::serve(&example()).start();
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

#[test]
fn two_models_in_one_process_with_a_weighted_sticky_split() {
    let named = repo_root().join("tests/conformance/models/iris_named");
    let a = format!("a={}", example().display());
    let b = format!("b={}", named.display());
    let args: Vec<String> = ["-m", &a, "-m", &b, "--split", "a=90,b=10"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let server = Spawn::models_serve().owned_args(&args).start();
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

#[test]
fn metrics_on_their_own_port_leave_the_scoring_port() {
    let metrics_port = crate::common::free_port();
    let server = Spawn::serve(&example())
        .args(&["--metrics-port", &metrics_port.to_string()])
        .start();
    assert_eq!(
        post_json(&server, br#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#).0,
        200
    );
    let (status, _, _) = raw_request(
        server.port,
        &build_request("GET", "/metrics", server.port, &[], b""),
    );
    assert_eq!(status, 404, "/metrics must leave the scoring port");
    let (status, _, body) = raw_request(
        metrics_port,
        &build_request("GET", "/metrics", metrics_port, &[], b""),
    );
    assert_eq!(status, 200);
    let text = String::from_utf8(body).unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .expect("Prometheus text format");
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "mlflowrs_requests_total"
                && s.labels.get("route") == Some("/invocations")),
        "{text}"
    );
    let (status, _, _) = raw_request(
        metrics_port,
        &build_request("POST", "/invocations", metrics_port, &[], b"{}"),
    );
    assert_eq!(status, 404, "the metrics port serves nothing else");
}
