//! Replays answers the real `mlflow models serve` gave (recorded by
//! tests/conformance/record.py and tests/candle/make_fixture.py) against
//! mlflowrs and compares status, media type and body. Error messages may
//! differ in wording; error codes and payload keys may not.

use std::path::{Path, PathBuf};

use base64::Engine;
use mlflowrs_protocol::pyjson::{self, Json};
use serde_json::Value;

use super::{build_request, raw_request, Running, Spawn};

/// A documented deviation: (fixture or "*", case name, status, content type).
pub const DEVIATIONS: &[(&str, &str, u16, &str)] = &[
    // MLflow crashes with an unhandled AttributeError (500); mlflowrs answers 415.
    ("*", "no_content_type", 415, "text/plain; charset=utf-8"),
];

/// MLflow flattens every output of a DataFrame request and fails when a
/// classifier's label [N] and probabilities [N, 3] differ in length; for
/// every such recorded failure mlflowrs answers 200 with one record per row
/// (its shape is checked in tests/serving/serve.rs).
fn unequal_outputs_bug(expected: &Value) -> bool {
    expected["status"] == 400
        && expected
            .get("body")
            .and_then(Value::as_str)
            .is_some_and(|b| {
                b.contains("All arrays must be of the same length")
                    && b.contains("Encountered an unexpected error")
            })
}

/// xorshift64, exactly as record.py generates random bodies.
fn random_bytes(size: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.max(1);
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x & 0xff) as u8
        })
        .collect()
}

fn request_body(case: &Value) -> Vec<u8> {
    if let Some(b) = case.get("body").and_then(Value::as_str) {
        return b.as_bytes().to_vec();
    }
    if let Some(b) = case.get("body_b64").and_then(Value::as_str) {
        return base64::engine::general_purpose::STANDARD.decode(b).unwrap();
    }
    let Some(gen) = case.get("body_gen") else {
        return Vec::new();
    };
    let s = |k: &str| gen.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let n = |k: &str| gen.get(k).and_then(Value::as_u64).unwrap_or(0);
    match gen["kind"].as_str().unwrap() {
        "repeat" => {
            let units = vec![s("unit"); n("count") as usize];
            format!("{}{}{}", s("prefix"), units.join(&s("sep")), s("suffix")).into_bytes()
        }
        "random" => random_bytes(n("size") as usize, n("seed")),
        other => panic!("unknown body_gen kind {other}"),
    }
}

/// How far a float answer may be from MLflow's.
#[derive(Debug, Clone, Copy)]
pub enum Tolerance {
    /// |a - b| <= r * max(|a|, |b|): ONNX outputs (1e-5).
    Relative(f64),
    /// |a - b| <= d: embeddings (1e-4), whose small components carry the
    /// rounding of a whole encoder.
    Absolute(f64),
}

fn close(a: f64, b: f64, tol: Tolerance) -> bool {
    let limit = match tol {
        Tolerance::Relative(r) => r * a.abs().max(b.abs()),
        Tolerance::Absolute(d) => d,
    };
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= limit
}

/// Structural comparison with float tolerance; returns the first difference.
fn diff(path: &str, want: &Json, got: &Json, tol: Tolerance) -> Option<String> {
    match (want, got) {
        (Json::Float(a), Json::Float(b)) if close(*a, *b, tol) => None,
        (Json::List(a), Json::List(b)) => {
            if a.len() != b.len() {
                return Some(format!("{path}: list length {} != {}", a.len(), b.len()));
            }
            a.iter()
                .zip(b)
                .enumerate()
                .find_map(|(i, (x, y))| diff(&format!("{path}[{i}]"), x, y, tol))
        }
        (Json::Dict(a), Json::Dict(b)) => {
            let ka: Vec<&String> = a.iter().map(|(k, _)| k).collect();
            let kb: Vec<&String> = b.iter().map(|(k, _)| k).collect();
            if ka != kb {
                return Some(format!("{path}: keys {ka:?} != {kb:?}"));
            }
            a.iter()
                .zip(b)
                .find_map(|((k, x), (_, y))| diff(&format!("{path}.{k}"), x, y, tol))
        }
        (a, b) if a == b => None,
        (a, b) => Some(format!(
            "{path}: {} != {}",
            pyjson::to_string(a),
            pyjson::to_string(b)
        )),
    }
}

pub fn compare_body(expected: &Value, got: &[u8], tol: Tolerance) -> Result<(), String> {
    let want = match (
        expected.get("body").and_then(Value::as_str),
        expected.get("body_b64").and_then(Value::as_str),
    ) {
        (Some(b), _) => b.as_bytes().to_vec(),
        (None, Some(b)) => base64::engine::general_purpose::STANDARD.decode(b).unwrap(),
        _ => Vec::new(),
    };
    let truncated = expected
        .get("body_truncated")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let want_json = pyjson::parse(&want);
    let got_json = pyjson::parse(got);
    let is_error = |j: &Json| j.get("error_code").is_some();
    match (&want_json, &got_json) {
        (_, Ok(g)) if truncated => {
            let code = String::from_utf8_lossy(&want);
            let got_code = g
                .get("error_code")
                .map(pyjson::to_string)
                .unwrap_or_default();
            if code.contains(&got_code) && !got_code.is_empty() {
                Ok(())
            } else {
                Err(format!("error code {got_code} not in truncated answer"))
            }
        }
        (Ok(w), Ok(g)) if is_error(w) => {
            if w.get("error_code") != g.get("error_code") {
                return Err(format!(
                    "error_code {:?} != {:?}",
                    w.get("error_code"),
                    g.get("error_code")
                ));
            }
            let keys = |j: &Json| match j {
                Json::Dict(items) => items.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
                _ => Vec::new(),
            };
            if keys(w) != keys(g) {
                return Err(format!("error keys {:?} != {:?}", keys(w), keys(g)));
            }
            Ok(())
        }
        (Ok(w), Ok(g)) => diff("$", w, g, tol).map_or(Ok(()), Err),
        _ if want == got => Ok(()),
        _ => Err(format!(
            "body {:?} != {:?}",
            String::from_utf8_lossy(&want[..want.len().min(300)]),
            String::from_utf8_lossy(&got[..got.len().min(300)])
        )),
    }
}

/// How one recorded file is replayed.
pub struct Replay<'a> {
    /// The model directory the recording was made on.
    pub model: PathBuf,
    /// Flags added to the recording's own server flags.
    pub extra_args: &'a [&'a str],
    /// Environment variables removed from the server's environment.
    pub env_remove: &'a [&'a str],
    pub tolerance: Tolerance,
    /// Case names not replayed, each with the reason it is skipped.
    pub ignore: &'a [(&'a str, &'a str)],
}

/// Replays one recorded file; returns the number of cases and the failures.
pub fn replay_fixture(file: &Path, how: &Replay) -> (usize, Vec<String>) {
    replay_with(file, how, |_| {})
}

/// As [`replay_fixture`]; `inspect` sees the server before its cases run.
pub fn replay_with(
    file: &Path,
    how: &Replay,
    inspect: impl FnOnce(&Running),
) -> (usize, Vec<String>) {
    let rec: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let fixture = rec["fixture"].as_str().unwrap().to_string();
    let mut args: Vec<String> = vec!["-m".into(), how.model.display().to_string()];
    args.extend(
        rec["server_args"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().unwrap().to_string()),
    );
    args.extend(how.extra_args.iter().map(|a| a.to_string()));
    let server = Spawn::models_serve()
        .owned_args(&args)
        .env_remove(how.env_remove)
        .start();
    inspect(&server);
    let mut failures = Vec::new();
    let cases = rec["cases"].as_array().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        if how.ignore.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let headers: Vec<(String, String)> = case["headers"]
            .as_array()
            .map(|h| {
                h.iter()
                    .map(|p| {
                        (
                            p[0].as_str().unwrap().to_string(),
                            p[1].as_str().unwrap().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let body = request_body(case);
        let req = build_request(
            case["method"].as_str().unwrap(),
            case["path"].as_str().unwrap(),
            server.port,
            &headers,
            &body,
        );
        let (status, resp_headers, resp_body) = raw_request(server.port, &req);
        let header = |k: &str| {
            resp_headers
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
        };
        let expected = &case["expected"];
        let deviation = DEVIATIONS
            .iter()
            .find(|(f, c, _, _)| (*f == "*" || *f == fixture) && name == *c)
            .copied()
            .or_else(|| unequal_outputs_bug(expected).then_some(("", "", 200, "application/json")));
        let (want_status, want_ct) = match deviation {
            Some((_, _, s, ct)) => (s, Some(ct.to_string())),
            None => (
                expected["status"].as_u64().unwrap() as u16,
                expected["content_type"].as_str().map(str::to_string),
            ),
        };
        let mut problems = Vec::new();
        if status != want_status {
            problems.push(format!("status {status} != {want_status}"));
        }
        if header("content-type") != want_ct {
            problems.push(format!(
                "content-type {:?} != {want_ct:?}",
                header("content-type")
            ));
        }
        if let Some(loc) = expected.get("location").and_then(Value::as_str) {
            let path = |l: &str| l.splitn(4, '/').nth(3).map(str::to_string);
            if header("location").as_deref().and_then(path) != path(loc) {
                problems.push(format!("location {:?} != {loc}", header("location")));
            }
        }
        if deviation.is_none() && problems.is_empty() {
            if let Err(e) = compare_body(expected, &resp_body, how.tolerance) {
                problems.push(e);
            } else if status == 200
                && expected
                    .get("body")
                    .and_then(Value::as_str)
                    .map(str::as_bytes)
                    != Some(&resp_body[..])
            {
                // Equal within tolerance but not byte for byte: worth knowing.
                eprintln!(
                    "note: {fixture}/{name}: 200 answer equal within {:?} but not byte-identical",
                    how.tolerance
                );
            }
        }
        if !problems.is_empty() {
            failures.push(format!("{fixture}/{name}: {}", problems.join("; ")));
        }
    }
    (cases.len(), failures)
}
