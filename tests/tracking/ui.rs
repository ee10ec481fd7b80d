//! MLflow's web UI served by `mlflowrs server`:
//! - the UI's routes (`/graphql`, `server-info`, `ui-telemetry`, the page
//!   and its files) replayed against answers recorded from the real
//!   `mlflow server` on a store the real client filled
//!   (tests/tracking/record_ui.py);
//! - where the bundle comes from (a wheel read in place, a directory, none);
//! - `--static-prefix`;
//! - the core pages in headless Chromium (tests/ui/browser.py), which
//!   passes against `mlflow server` too.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::tracking::{mlflow_package, python, replay_recorded};
use crate::common::{raw_request, repo_root, Spawn};

fn get(port: u16, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    raw_request(
        port,
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> &'h str {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

#[test]
fn recorded_ui_answers_match_mlflow_server() {
    let dir = tempfile::tempdir().unwrap();
    let package = mlflow_package();
    let server = Spawn::server("sqlite:///mlflow.db")
        .dir(dir.path())
        .args(&["--ui-bundle", package.to_str().unwrap()])
        .start();
    let failures = replay_recorded(
        "tests/tracking/record_ui.py",
        "tests/tracking/recorded/ui_cases.json",
        &server,
        dir.path(),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A wheel holding a few of the real bundle's files, zipped as pip's
/// wheels are (deflated entries under `mlflow/`).
fn small_wheel(dir: &Path) -> (PathBuf, String) {
    let package = mlflow_package();
    let build = package.join("server/js/build");
    let index = std::fs::read_to_string(build.join("index.html")).unwrap();
    let main_js = index
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .trim_start_matches("static-files/")
        .to_string();
    let wheel = dir.join("mlflow-3.17.2-py3-none-any.whl");
    let script = r#"
import sys, zipfile
package, build, wheel, main_js = sys.argv[1:]
with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
    z.write(package + "/version.py", "mlflow/version.py")
    for rel in ("index.html", "favicon.ico", main_js):
        z.write(build + "/" + rel, "mlflow/server/js/build/" + rel)
"#;
    let status = Command::new(python())
        .args(["-c", script])
        .args([
            package.to_str().unwrap(),
            build.to_str().unwrap(),
            wheel.to_str().unwrap(),
            &main_js,
        ])
        .status()
        .unwrap();
    assert!(status.success());
    (wheel, main_js)
}

#[test]
fn a_wheel_is_served_in_place_with_flask_types_and_cache_lifetimes() {
    let dir = tempfile::tempdir().unwrap();
    let (wheel, main_js) = small_wheel(dir.path());
    let log = dir.path().join("server.log");
    let server = Spawn::server("sqlite:///mlflow.db")
        .dir(dir.path())
        .log("info")
        .stderr_to(&log)
        .args(&["--ui-bundle", wheel.to_str().unwrap()])
        .start();
    let port = server.port;

    let (status, headers, body) = get(port, "/");
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&headers, "cache-control"), "no-cache");
    assert!(String::from_utf8_lossy(&body).contains(&main_js));

    let (status, headers, body) = get(port, &format!("/static-files/{main_js}"));
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(header(&headers, "cache-control"), "public, max-age=2419200");
    let want = std::fs::read(mlflow_package().join("server/js/build").join(&main_js)).unwrap();
    assert_eq!(body.len(), want.len());
    assert!(body == want, "the file read from the wheel differs");

    let (status, headers, _) = get(port, "/static-files/favicon.ico");
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), "image/vnd.microsoft.icon");
    for missing in [
        "/static-files/nope.js",
        "/static-files/../version.py",
        "/static-files/%2e%2e/%2e%2e/version.py",
        "/static-files/",
    ] {
        assert_eq!(get(port, missing).0, 404, "{missing}");
    }
    drop(server);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("serving MLflow's web UI") && text.contains("3.17.2"),
        "{text}"
    );
}

#[test]
fn without_a_bundle_the_page_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let log = dir.path().join("server.log");
    let server = Spawn::server("sqlite:///mlflow.db")
        .dir(dir.path())
        .log("info")
        .stderr_to(&log)
        .env_remove(&["VIRTUAL_ENV", "MLFLOWRS_UI_BUNDLE"])
        .envs(&[
            ("PATH".into(), empty.display().to_string()),
            ("XDG_CACHE_HOME".into(), empty.display().to_string()),
        ])
        .start();
    let (status, headers, body) = get(server.port, "/");
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
    let page = String::from_utf8_lossy(&body);
    assert!(
        page.contains("mlflowrs ui fetch") && page.contains("--ui-bundle"),
        "{page}"
    );
    assert_eq!(get(server.port, "/static-files/index.html").0, 404);
    // The REST API does not depend on the UI.
    assert_eq!(
        get(
            server.port,
            "/api/2.0/mlflow/experiments/get?experiment_id=0"
        )
        .0,
        200
    );
    drop(server);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("no MLflow UI found"), "{text}");
}

#[test]
fn a_named_bundle_must_be_there() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
        .current_dir(dir.path())
        .args(["server", "--port", "0", "--ui-bundle", "missing.whl"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--ui-bundle") && stderr.contains("missing.whl"),
        "{stderr}"
    );
}

#[test]
fn static_prefix_moves_every_route_under_it() {
    let dir = tempfile::tempdir().unwrap();
    let package = mlflow_package();
    let server = Spawn::server("sqlite:///mlflow.db")
        .dir(dir.path())
        .ready("/mlflow/health")
        .args(&[
            "--static-prefix",
            "/mlflow",
            "--ui-bundle",
            package.to_str().unwrap(),
        ])
        .start();
    let port = server.port;
    assert_eq!(get(port, "/mlflow/").0, 200);
    assert_eq!(get(port, "/mlflow/static-files/favicon.ico").0, 200);
    assert_eq!(
        get(
            port,
            "/mlflow/ajax-api/2.0/mlflow/experiments/search?max_results=10"
        )
        .0,
        200
    );
    for outside in [
        "/",
        "/health",
        "/api/2.0/mlflow/experiments/search",
        "/mlflowx/health",
    ] {
        assert_eq!(get(port, outside).0, 404, "{outside}");
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
        .args(["server", "--static-prefix", "mlflow/"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--static-prefix must begin with a '/'."));
}

/// The core pages in headless Chromium, asserting on what they show and
/// on every request and console message (tests/ui/browser.py).
#[test]
fn the_core_pages_work_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    browser_passes(dir.path(), &[], "", &[]);
}

/// The same pages with every route under `--static-prefix`: the UI's
/// relative URLs follow the page.
#[test]
fn the_core_pages_work_under_a_static_prefix() {
    let dir = tempfile::tempdir().unwrap();
    browser_passes(dir.path(), &["--static-prefix", "/mlflow"], "/mlflow", &[]);
}

/// The same pages under `--app-name basic-auth`, the browser logged in as
/// the admin (its requests carry the Authorization header, as a browser's
/// do once the user has logged in).
#[test]
fn the_core_pages_work_under_basic_auth() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("auth.ini");
    std::fs::write(
        &config,
        format!(
            "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{}/basic_auth.db\nadmin_username = admin\nadmin_password = admin-password-1\n",
            dir.path().display()
        ),
    )
    .unwrap();
    browser_passes(
        dir.path(),
        &[
            "--app-name",
            "basic-auth",
            "--auth-config",
            config.to_str().unwrap(),
        ],
        "",
        &["--basic-auth", "admin:admin-password-1"],
    );
}

fn browser_passes(dir: &Path, args: &[&str], prefix: &str, browser_args: &[&str]) {
    let package = mlflow_package();
    let ready: &'static str = if prefix.is_empty() {
        "/health"
    } else {
        "/mlflow/health"
    };
    let server = Spawn::server("sqlite:///mlflow.db")
        .dir(dir)
        .ready(ready)
        .args(&["--ui-bundle", package.to_str().unwrap()])
        .args(args)
        .start();
    let shots = dir.join("screenshots");
    let url = format!("{}{prefix}", server.url());
    let out = Command::new(python())
        .current_dir(repo_root())
        .args([
            "tests/ui/browser.py",
            &url,
            shots.to_str().unwrap(),
            "--fill",
        ])
        .args(browser_args)
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
}

/// `mlflowrs ui fetch` against a package index of our own (Python's
/// http.server): a wheel whose sha256 is not the pinned one is refused
/// and nothing is cached; a page without the wheel is a clear error.
#[test]
fn ui_fetch_keeps_only_the_pinned_wheel() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    std::fs::create_dir_all(index.join("simple/mlflow")).unwrap();
    std::fs::create_dir_all(index.join("other/mlflow")).unwrap();
    std::fs::write(
        index.join("other/mlflow/index.html"),
        "<html>no wheels</html>",
    )
    .unwrap();
    std::fs::write(
        index.join("simple/mlflow/index.html"),
        "<a href=\"../../files/mlflow-3.17.2-py3-none-any.whl#sha256=00\">mlflow-3.17.2-py3-none-any.whl</a>",
    )
    .unwrap();
    std::fs::create_dir_all(index.join("files")).unwrap();
    std::fs::write(
        index.join("files/mlflow-3.17.2-py3-none-any.whl"),
        vec![7u8; 100_000],
    )
    .unwrap();
    let port = crate::common::free_port();
    let mut http = Command::new(python())
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .current_dir(&index)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "http.server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let cache = dir.path().join("cache");
    let fetch = |index_url: String| {
        Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
            .args(["ui", "fetch", "--index-url", &index_url])
            .env("XDG_CACHE_HOME", &cache)
            .output()
            .unwrap()
    };
    let out = fetch(format!("http://127.0.0.1:{port}/simple"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("sha256") && stderr.contains("nothing was cached"),
        "{stderr}"
    );
    assert!(!cache
        .join("mlflowrs/ui/mlflow-3.17.2-py3-none-any.whl")
        .exists());

    let out = fetch(format!("http://127.0.0.1:{port}/other/"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("does not list mlflow-3.17.2-py3-none-any.whl"),
        "{stderr}"
    );
    let _ = http.kill();
    let _ = http.wait();
}

/// `--graphql-max-root-fields` and `--graphql-max-aliases` move MLflow's
/// limits: at the limit a query runs, one over it is refused with MLflow's
/// message naming the configured value.
#[test]
fn graphql_limits_follow_their_flags() {
    let dir = tempfile::tempdir().unwrap();
    let server = Spawn::server("sqlite:///mlflow.db")
        .dir(dir.path())
        .args(&[
            "--graphql-max-root-fields",
            "2",
            "--graphql-max-aliases",
            "3",
        ])
        .start();
    let roots = |n: usize| {
        let fields: Vec<String> = (0..n)
            .map(|i| format!("a{i}: test(inputString: \"{i}\") {{ output }}"))
            .collect();
        serde_json::json!({"query": format!("{{ {} }}", fields.join(" "))})
    };
    let (status, answer) = server.call("POST", "/graphql", &roots(2));
    assert_eq!(status, 200);
    assert_eq!(answer["data"]["a1"]["output"], "1", "{answer}");
    let (status, answer) = server.call("POST", "/graphql", &roots(3));
    assert_eq!(status, 200);
    assert_eq!(
        answer["errors"][0],
        "GraphQL queries should have at most 2 root fields, got 3 root fields. To increase the limit, set the MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS environment variable."
    );
    let aliases = |n: usize| {
        let outputs: Vec<String> = (0..n).map(|i| format!("o{i}: output")).collect();
        serde_json::json!({"query": format!("{{ test(inputString: \"a\") {{ {} }} }}", outputs.join(" "))})
    };
    assert!(server.call("POST", "/graphql", &aliases(3)).1["errors"].is_null());
    let (_, answer) = server.call("POST", "/graphql", &aliases(4));
    assert_eq!(
        answer["errors"][0],
        "GraphQL queries should have at most 3 aliases, got 4 aliases. To increase the limit, set the MLFLOW_SERVER_GRAPHQL_MAX_ALIASES environment variable."
    );
}
