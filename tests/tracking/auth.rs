//! `mlflowrs server --app-name basic-auth` against the real
//! `mlflow server --app-name basic-auth`:
//! - 187 REST calls by an admin and three users (recorded by
//!   tests/tracking/record_auth.py under default_permission READ and again
//!   under NO_PERMISSIONS) replayed and compared answer by answer: who may
//!   read, change, delete and grant what, before and after grants, roles,
//!   renames and deletions, and what searches show;
//! - the real mlflow client and its basic-auth client switching users with
//!   MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD;
//! - what the replay cannot see: the challenge header, passwords stored as
//!   werkzeug hashes in MLflow's own auth schema (the real auth store reads
//!   users mlflowrs made), secrets absent from logs, start-up refusals.

use std::path::Path;
use std::process::Command;

use crate::common::tracking::{mlflow_package, read_json, replay_recorded, run_python, Postgres};
use crate::common::{build_request, free_port, raw_request, repo_root, Running, Spawn};

const ADMIN_PASSWORD: &str = "admin-password-1";

/// MLflow's INI, as record_auth.py gives the real server.
fn auth_config(dir: &Path, default_permission: &str) -> String {
    let path = dir.join("auth.ini");
    std::fs::write(
        &path,
        format!(
            "[mlflow]\ndefault_permission = {default_permission}\ndatabase_uri = sqlite:///{}/basic_auth.db\nadmin_username = admin\nadmin_password = {ADMIN_PASSWORD}\n",
            dir.display()
        ),
    )
    .unwrap();
    path.display().to_string()
}

fn start_auth(dir: &Path, default_permission: &str) -> Running {
    let config = auth_config(dir, default_permission);
    let ui = mlflow_package();
    Spawn::server("sqlite:///mlflow.db")
        .dir(dir)
        .port(free_port())
        .args(&[
            "--app-name",
            "basic-auth",
            "--auth-config",
            &config,
            "--ui-bundle",
            ui.to_str().unwrap(),
        ])
        .start()
}

fn replay(default_permission: &str) {
    let dir = tempfile::tempdir().unwrap();
    let server = start_auth(dir.path(), default_permission);
    let failures = replay_recorded(
        "tests/tracking/record_auth.py",
        &format!("tests/tracking/recorded/auth_{default_permission}.json"),
        &server,
        dir.path(),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn permissions_answer_as_mlflow_with_default_read() {
    replay("READ");
}

#[test]
fn permissions_answer_as_mlflow_with_default_no_permissions() {
    replay("NO_PERMISSIONS");
}

#[test]
fn the_mlflow_auth_client_sees_what_it_sees_against_mlflow() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_auth(dir.path(), "READ");
    client_scenario_against(&server, dir.path());
}

/// Runs tests/tracking/auth_client_scenario.py against `server` and
/// compares what it saw with what it saw against MLflow.
fn client_scenario_against(server: &Running, dir: &Path) {
    let out = dir.join("client.json");
    run_python(&[
        "tests/tracking/auth_client_scenario.py",
        &server.url(),
        out.to_str().unwrap(),
    ]);
    let got = read_json(&out);
    let want = read_json(&repo_root().join("tests/tracking/recorded/auth_client.json"));
    assert_eq!(got, want);
}

/// Running and auth tables in one PostgreSQL database, as MLflow allows:
/// the client scenario sees the same, and the real auth store reads the
/// users mlflowrs wrote there.
#[test]
fn the_auth_store_works_on_postgresql() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let server = Spawn::server(&pg.uri)
        .dir(dir.path())
        .port(free_port())
        .args(&[
            "--app-name",
            "basic-auth",
            "--auth-database-uri",
            &pg.uri,
            "--auth-admin-password",
            ADMIN_PASSWORD,
        ])
        .start();
    client_scenario_against(&server, dir.path());
    let url = pg.uri.replace("postgresql://", "postgresql+psycopg2://");
    let check = run_python(&[
        "-c",
        &format!(
            "from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore as S\ns = S(); s.init_db('{url}')\nprint(s.authenticate_user('alice', 'alicepassword1'), [u.username for u in s.list_users()])"
        ),
    ]);
    assert_eq!(
        check.trim().lines().last().unwrap(),
        "True ['admin', 'alice']",
        "{check}"
    );
}

fn basic(user: &str, password: &str) -> (String, String) {
    use base64::Engine;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    ("Authorization".into(), format!("Basic {token}"))
}

fn get(
    server: &Running,
    path: &str,
    headers: &[(String, String)],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    raw_request(
        server.port,
        &build_request("GET", path, server.port, headers, b""),
    )
}

#[test]
fn the_challenge_hashes_and_logs_are_mlflows() {
    let dir = tempfile::tempdir().unwrap();
    let config = auth_config(dir.path(), "READ");
    let log = dir.path().join("server.log");
    let server = Spawn::server("sqlite:///mlflow.db")
        .dir(dir.path())
        .args(&["--app-name", "basic-auth", "--auth-config", &config])
        .log("trace")
        .stderr_to(&log)
        .start();

    let (status, head, body) = get(&server, "/api/2.0/mlflow/experiments/search", &[]);
    assert_eq!(status, 401);
    let challenge = head
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
        .map(|(_, v)| v.as_str());
    assert_eq!(challenge, Some("Basic realm=\"mlflow\""), "{head:?}");
    assert!(String::from_utf8_lossy(&body).starts_with("You are not authenticated."));
    let (status, _, _) = get(&server, "/health", &[]);
    assert_eq!(status, 200);
    let admin = basic("admin", ADMIN_PASSWORD);
    let (status, _, body) = get(
        &server,
        "/api/2.0/mlflow/users/current",
        std::slice::from_ref(&admin),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));

    // A user made here logs in to the real MLflow auth store: same schema,
    // same werkzeug hash.
    let create = br#"{"username": "dora", "password": "dorapassword1"}"#;
    let headers = [admin, ("Content-Type".into(), "application/json".into())];
    let (status, _, _) = raw_request(
        server.port,
        &build_request(
            "POST",
            "/api/2.0/mlflow/users/create",
            server.port,
            &headers,
            create,
        ),
    );
    assert_eq!(status, 200);
    let db = dir.path().join("basic_auth.db");
    let check = run_python(&[
        "-c",
        &format!(
            "from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore as S\ns = S(); s.init_db('sqlite:///{}')\nprint(s.authenticate_user('dora', 'dorapassword1'), s.authenticate_user('dora', 'wrong-password'), s.get_user('admin').is_admin)",
            db.display()
        ),
    ]);
    assert_eq!(
        check.trim().lines().last().unwrap(),
        "True False True",
        "{check}"
    );
    let hash = run_python(&[
        "-c",
        &format!(
            "import sqlite3; print(sqlite3.connect('{}').execute(\"select password_hash from users where username='dora'\").fetchone()[0])",
            db.display()
        ),
    ]);
    assert!(hash.trim().starts_with("scrypt:32768:8:1$"), "{hash}");

    // Run searches by GET (an mlflowrs extension) would skip the filter
    // MLflow applies to its POST: refused for users who are not admins.
    let dora = basic("dora", "dorapassword1");
    let (status, _, _) = get(
        &server,
        "/api/2.0/mlflow/runs/search?experiment_ids=0",
        std::slice::from_ref(&dora),
    );
    assert_eq!(status, 403);
    let headers = [dora, ("Content-Type".into(), "application/json".into())];
    let (status, _, _) = raw_request(
        server.port,
        &build_request(
            "POST",
            "/api/2.0/mlflow/runs/search",
            server.port,
            &headers,
            br#"{"experiment_ids": ["0"]}"#,
        ),
    );
    assert_eq!(status, 200);

    // Secrets never reach the log, even at trace level.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        !text.contains(ADMIN_PASSWORD),
        "the admin password is in the log"
    );
}

#[test]
fn start_up_refuses_what_mlflow_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str], env: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mlflowrs"));
        cmd.current_dir(dir.path())
            .args(["server", "--backend-store-uri", "sqlite:///mlflow.db"])
            .args(["-p", &free_port().to_string()])
            .args(extra)
            .env_remove("MLFLOW_AUTH_ADMIN_PASSWORD")
            .env_remove("MLFLOW_AUTH_CONFIG_PATH");
        for (k, v) in env {
            cmd.env(k, v);
        }
        if !extra.contains(&"--app-name") {
            cmd.args(["--app-name", "basic-auth"]);
        }
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (ok, err) = run(&[], &[]);
    assert!(!ok);
    assert!(
        err.contains("needs a password to create the admin user 'admin'"),
        "{err}"
    );
    let (ok, err) = run(&[], &[("MLFLOW_AUTH_ADMIN_PASSWORD", "short")]);
    assert!(!ok);
    assert!(
        err.contains("Password must be at least 12 characters."),
        "{err}"
    );
    let (ok, err) = run(&[], &[("MLFLOW_AUTH_ADMIN_PASSWORD", "password1234")]);
    assert!(!ok);
    assert!(err.contains("insecure default password"), "{err}");
    let (ok, err) = run(&["--auth-default-permission", "WRITE"], &[]);
    assert!(!ok);
    assert!(err.contains("WRITE"), "{err}");
    let (ok, err) = run(&["--app-name", "other"], &[]);
    assert!(!ok);
    assert!(err.contains("basic-auth"), "{err}");
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

/// Each scrypt run holds 32 MiB. A burst of wrong passwords, eight per
/// core at once, raises the server's peak memory by about one run per core,
/// not one per request.
#[test]
fn a_burst_of_wrong_passwords_is_hashed_a_few_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_auth(dir.path(), "READ");
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let before = peak_rss_kib(server.child.id());
    let port = server.port;
    let threads: Vec<_> = (0..8 * cores)
        .map(|i| {
            std::thread::spawn(move || {
                let wrong = basic("admin", &format!("wrong-password-{i}"));
                raw_request(
                    port,
                    &build_request("GET", "/api/2.0/mlflow/users/current", port, &[wrong], b""),
                )
                .0
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 401);
    }
    let grown_mib = (peak_rss_kib(server.child.id()) - before) / 1024;
    let bound = (cores as u64 + 2) * 33;
    assert!(
        grown_mib <= bound,
        "peak RSS grew by {grown_mib} MiB for {} wrong passwords (bound {bound} MiB)",
        8 * cores
    );
}
