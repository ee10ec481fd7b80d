//! `mlflowrs server --app-name basic-auth` on real SQLite stores: who asks
//! (nobody, the admin, a user, or credentials from the input), the method,
//! the path (the REST API's and the auth app's own), the query and the body
//! all come from the input. Whatever arrives, the answer is never a 5xx or a
//! panic, and a request without valid credentials never gets past a 401.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::Request;
use libfuzzer_sys::fuzz_target;
use mlflowrs_tracking::auth::config::{settings, AuthInputs};

#[path = "tracking_fixture.rs"]
mod tracking_fixture;

use tracking_fixture::{query_and_body, Fixture};

const ADMIN: &str = "YWRtaW46YWRtaW4tcGFzc3dvcmQtMQ=="; // admin:admin-password-1
const ALICE: &str = "YWxpY2U6YWxpY2VwYXNzd29yZDE="; // alice:alicepassword1

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let fixture = Fixture::open("auth", |dir| {
            Some(
                settings(&AuthInputs {
                    database_uri: Some(&format!("sqlite:///{}/basic_auth.db", dir.display())),
                    default_permission: Some("READ"),
                    admin_password: Some("admin-password-1"),
                    max_db_connections: 4,
                    ..Default::default()
                })
                .unwrap(),
            )
        });
        // alice, a user who is not an admin.
        let create = Request::builder()
            .method("POST")
            .uri("/api/2.0/mlflow/users/create")
            .header("content-type", "application/json")
            .header("authorization", format!("Basic {ADMIN}"))
            .body(Body::from(
                r#"{"username": "alice", "password": "alicepassword1"}"#,
            ))
            .unwrap();
        let created = fixture.status_of(create, "creating alice");
        assert!(created.is_success());
        fixture
    })
}

const PATHS: &[&str] = &[
    "/api/2.0/mlflow/users/create",
    "/api/2.0/mlflow/users/get",
    "/api/2.0/mlflow/users/current",
    "/api/2.0/mlflow/users/list",
    "/api/2.0/mlflow/users/update-password",
    "/api/2.0/mlflow/users/update-admin",
    "/api/2.0/mlflow/users/delete",
    "/api/3.0/mlflow/users/current/permissions",
    "/api/3.0/mlflow/users/permissions/list",
    "/api/3.0/mlflow/users/permissions/grant",
    "/api/3.0/mlflow/users/permissions/revoke",
    "/api/3.0/mlflow/users/permissions/get",
    "/api/3.0/mlflow/users/roles/list",
    "/api/3.0/mlflow/roles/create",
    "/api/3.0/mlflow/roles/get",
    "/api/3.0/mlflow/roles/list",
    "/api/3.0/mlflow/roles/update",
    "/api/3.0/mlflow/roles/delete",
    "/api/3.0/mlflow/roles/permissions/add",
    "/api/3.0/mlflow/roles/permissions/remove",
    "/api/3.0/mlflow/roles/permissions/list",
    "/api/3.0/mlflow/roles/permissions/update",
    "/api/3.0/mlflow/roles/assign",
    "/api/3.0/mlflow/roles/unassign",
    "/api/3.0/mlflow/roles/users/list",
    "/api/2.0/mlflow/experiments/create",
    "/api/2.0/mlflow/experiments/get",
    "/api/2.0/mlflow/experiments/get-by-name",
    "/api/2.0/mlflow/experiments/search",
    "/api/2.0/mlflow/experiments/delete",
    "/api/2.0/mlflow/runs/create",
    "/api/2.0/mlflow/runs/get",
    "/api/2.0/mlflow/runs/search",
    "/api/2.0/mlflow/runs/log-metric",
    "/api/2.0/mlflow/registered-models/create",
    "/api/2.0/mlflow/registered-models/get",
    "/api/2.0/mlflow/registered-models/search",
    "/api/2.0/mlflow/registered-models/rename",
    "/api/2.0/mlflow/registered-models/delete",
    "/api/2.0/mlflow/registered-models/alias",
    "/api/2.0/mlflow/model-versions/create",
    "/api/2.0/mlflow/model-versions/get",
    "/api/2.0/mlflow/model-versions/search",
    "/api/2.0/mlflow/logged-models",
    "/api/2.0/mlflow/logged-models/search",
    "/api/2.0/mlflow/logged-models/m-1",
    "/api/2.0/mlflow-artifacts/artifacts",
    "/api/2.0/mlflow-artifacts/artifacts/1/a.txt",
    "/api/2.0/mlflow/no/such/path",
    "/version",
    "/health",
];

const METHODS: &[&str] = &["GET", "POST", "PATCH", "DELETE", "PUT"];

fuzz_target!(|data: &[u8]| {
    let [selector, who, rest @ ..] = data else {
        return;
    };
    let path = PATHS[usize::from(*selector) % PATHS.len()];
    let method = METHODS[usize::from(*who / 4) % METHODS.len()];
    let Some((uri, query, body)) = query_and_body(path, rest) else {
        return;
    };
    // The query doubles as a credential of the caller's making.
    let (authorization, valid) = match who % 4 {
        0 => (None, false),
        1 => (Some(format!("Basic {ADMIN}")), true),
        2 => (Some(format!("Basic {ALICE}")), true),
        _ => (Some(format!("Basic {query}")), false),
    };
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(a) = &authorization {
        builder = builder.header("authorization", a);
    }
    let Ok(request) = builder.body(Body::from(body.to_vec())) else {
        return;
    };
    let status = fixture().status_of(request, &format!("{method} {path}"));
    let open = path == "/health";
    // A made-up credential may, by chance, be a real one; the fixed ones are.
    let maybe_valid = valid || who % 4 == 3;
    if !open && !maybe_valid {
        assert_eq!(status.as_u16(), 401, "{method} {path} without credentials");
    }
});
