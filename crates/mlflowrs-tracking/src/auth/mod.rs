//! MLflow's basic-auth app (`mlflow server --app-name basic-auth`) as the
//! client sees it: HTTP Basic credentials checked against werkzeug password
//! hashes in MLflow's own auth tables, per-resource grants folded into one
//! permission, admins who bypass every check, the user, grant and role REST
//! endpoints, and searches filtered to what the caller may read. Behaviour
//! follows docs/mlflow-basic-auth/SPEC.md (MLflow 3.17.2).

pub mod config;
mod handlers;
mod params;
mod password;
pub mod permissions;
mod roles;
pub(crate) mod store;

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;

pub use config::AuthSettings;
pub use handlers::{is_endpoint, route as handle};
pub use params::Params;
use permissions::{Grants, Permission};
pub use store::User;

use super::db::Db;
use super::MlflowError;

const SCHEMA_SQLITE: &str = include_str!("../schema/auth_sqlite.sql");
const SCHEMA_POSTGRES: &str = include_str!("../schema/auth_postgres.sql");
const HEAD: &str = "f1a2b3c4d5e6";
/// The password MLflow shipped as the admin's until 3.x; never accepted.
const LEGACY_PASSWORD: &str = "password1234";

/// An authenticated request's user and what they were granted.
pub struct Caller {
    pub user: User,
    pub grants: Grants,
}

pub struct Auth {
    pub db: Db,
    pub default_permission: Permission,
    fingerprint: password::Fingerprint,
    /// username → (stored hash, fingerprint of the password that matched it):
    /// scrypt costs tens of milliseconds, so a credential is hashed once per
    /// stored hash, and a changed hash (a new password) is hashed again.
    verified: Mutex<HashMap<String, (String, [u8; 32])>>,
    /// Each scrypt run holds 32 MiB: at most this many run at once, so a
    /// burst of wrong passwords cannot exhaust memory.
    hashing: Gate,
}

struct Gate {
    running: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

struct GateSlot<'a>(&'a Gate);

impl Gate {
    fn enter(&self) -> GateSlot<'_> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        while *running >= self.max {
            running = self.freed.wait(running).unwrap_or_else(|e| e.into_inner());
        }
        *running += 1;
        GateSlot(self)
    }
}

impl Drop for GateSlot<'_> {
    fn drop(&mut self) {
        *self.0.running.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        self.0.freed.notify_one();
    }
}

impl Auth {
    /// Opens the auth database, creating MLflow's auth schema in an empty one,
    /// and makes sure the configured admin exists.
    pub fn open(
        settings: &AuthSettings,
        runtime: tokio::runtime::Handle,
    ) -> Result<Auth, MlflowError> {
        let db = Db::open(&settings.database_uri, settings.max_db_connections, runtime)?;
        let script = if db.is_postgres() {
            SCHEMA_POSTGRES
        } else {
            SCHEMA_SQLITE
        };
        let found = db.transaction(|tx| {
            let table = if tx.is_postgres() {
                "SELECT 1 FROM information_schema.tables WHERE table_name = 'alembic_version_auth'"
            } else {
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version_auth'"
            };
            if tx.one(table, &[])?.is_none() {
                return Ok(None);
            }
            Ok(tx
                .one("SELECT version_num FROM alembic_version_auth", &[])?
                .map(|r| r.text(0)))
        })?;
        match found {
            None => {
                tracing::info!(store = %mlflowrs_protocol::display::redact(&settings.database_uri), revision = HEAD, "creating MLflow's auth schema");
                db.batch(script)?;
            }
            Some(v) if v == HEAD => {}
            Some(v) => {
                return Err(MlflowError::internal(format!(
                    "the auth database is at revision {v}, this mlflowrs serves MLflow {}'s auth revision {HEAD}",
                    mlflowrs_protocol::MLFLOW_COMPAT_VERSION
                )))
            }
        }
        bootstrap_admin(&db, settings)?;
        Ok(Auth {
            db,
            default_permission: settings.default_permission,
            fingerprint: password::Fingerprint::new().map_err(MlflowError::internal)?,
            verified: Mutex::new(HashMap::new()),
            hashing: Gate {
                running: Mutex::new(0),
                freed: Condvar::new(),
                max: std::thread::available_parallelism().map_or(2, |n| n.get()),
            },
        })
    }

    /// The user the request's Basic credentials name, with their grants;
    /// `None` when they name nobody (MLflow's 401).
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Option<Caller>, MlflowError> {
        let Some((username, password)) = basic_credentials(headers) else {
            return Ok(None);
        };
        let found = self.db.read(|tx| {
            let Some(user) = store::user(tx, &username)? else {
                return Ok(None);
            };
            let rows = store::grants(tx, user.id)?;
            Ok(Some((user, rows)))
        })?;
        let Some((user, rows)) = found else {
            return Ok(None);
        };
        let print = self.fingerprint.of(&username, &password);
        let known = {
            let cache = self.verified.lock().unwrap_or_else(|e| e.into_inner());
            cache.get(&username).is_some_and(|(hash, p)| {
                *hash == user.password_hash && password::constant_time_eq(p, &print)
            })
        };
        if !known {
            let _slot = self.hashing.enter();
            if !password::verify(&user.password_hash, &password) {
                return Ok(None);
            }
            self.verified
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(username.clone(), (user.password_hash.clone(), print));
        }
        if user.is_admin && password == LEGACY_PASSWORD {
            return Ok(None);
        }
        Ok(Some(Caller {
            user,
            grants: Grants {
                rows,
                default: self.default_permission,
            },
        }))
    }

    /// Drops what was remembered of a user whose password, role or
    /// existence changed.
    pub fn forget(&self, username: &str) {
        self.verified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(username);
    }

    /// A new password's hash, within the same bound as verification.
    pub fn hash(&self, password: &str) -> Result<String, MlflowError> {
        let _slot = self.hashing.enter();
        password::hash(password).map_err(MlflowError::internal)
    }

    /// Whether `password` is the user's, within the same bound.
    pub fn verify(&self, user: &User, password: &str) -> bool {
        let _slot = self.hashing.enter();
        password::verify(&user.password_hash, password)
    }

    pub fn grants(&self, user: &User) -> Result<Grants, MlflowError> {
        let rows = self.db.read(|tx| store::grants(tx, user.id))?;
        Ok(Grants {
            rows,
            default: self.default_permission,
        })
    }
}

fn bootstrap_admin(db: &Db, settings: &AuthSettings) -> Result<(), MlflowError> {
    let Some(username) = settings.admin_username.as_deref().filter(|u| !u.is_empty()) else {
        return Err(MlflowError::invalid_parameter(
            "MLflow Authentication needs a username for the admin user, but none is configured (or it is empty). Set the MLFLOW_AUTH_ADMIN_USERNAME environment variable, or set `admin_username` in the configuration file referenced by MLFLOW_AUTH_CONFIG_PATH, and restart the server.",
        ));
    };
    let configured = settings
        .admin_password
        .as_ref()
        .map(|p| p.expose().to_string());
    db.transaction(|tx| {
        match store::user(tx, username)? {
            None => {
                let Some(pw) = configured.as_deref().filter(|p| !p.is_empty()) else {
                    return Err(MlflowError::invalid_parameter(format!(
                        "MLflow Authentication needs a password to create the admin user '{username}', but none is configured (or it is empty). MLflow ships no default admin password. Set the MLFLOW_AUTH_ADMIN_PASSWORD environment variable, or set `admin_password` in the configuration file referenced by MLFLOW_AUTH_CONFIG_PATH, and restart the server."
                    )));
                };
                if pw == LEGACY_PASSWORD {
                    return Err(MlflowError::invalid_parameter(format!(
                        "Refusing to use the insecure default password for the admin user '{username}'. Set MLFLOW_AUTH_ADMIN_PASSWORD to a password of at least 12 characters."
                    )));
                }
                validate_password(pw).map_err(|e| {
                    MlflowError::invalid_parameter(format!(
                        "The configured password for the admin user '{username}' is invalid: {} Set MLFLOW_AUTH_ADMIN_PASSWORD or `admin_password`, and restart the server.",
                        e.message
                    ))
                })?;
                let hash = password::hash(pw).map_err(MlflowError::internal)?;
                store::create_user(tx, username, &hash, true)?;
                tracing::info!(username, "created admin user");
            }
            Some(user) => {
                // Only a still-legacy password is replaced by a configured one.
                if let Some(pw) = configured.as_deref() {
                    if pw != LEGACY_PASSWORD
                        && validate_password(pw).is_ok()
                        && password::verify(&user.password_hash, LEGACY_PASSWORD)
                    {
                        let hash = password::hash(pw).map_err(MlflowError::internal)?;
                        store::set_password(tx, user.id, &hash)?;
                        tracing::info!(username, "rotated the admin user's legacy password");
                    }
                }
            }
        }
        Ok(())
    })
}

pub fn validate_password(password: &str) -> Result<(), MlflowError> {
    if password.chars().count() < 12 {
        return Err(MlflowError::invalid_parameter(
            "Password must be at least 12 characters.",
        ));
    }
    Ok(())
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

/// Paths MLflow's auth app lets through without credentials.
pub fn unprotected(path: &str) -> bool {
    path.starts_with("/static")
        || path.starts_with("/favicon.ico")
        || path.starts_with("/health")
        || path.ends_with("/mlflow/server-info")
}

pub fn unauthenticated() -> Response {
    challenge("text/html; charset=utf-8")
}

/// MLflow serves artifact downloads and uploads from FastAPI, whose
/// refusals are plain text.
pub fn unauthenticated_plain() -> Response {
    challenge("text/plain; charset=utf-8")
}

fn challenge(content_type: &'static str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [
            (header::CONTENT_TYPE, content_type),
            (header::WWW_AUTHENTICATE, "Basic realm=\"mlflow\""),
        ],
        "You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.",
    )
        .into_response()
}

pub fn forbidden() -> Response {
    html(StatusCode::FORBIDDEN, "Permission denied")
}

pub fn forbidden_plain() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Permission denied",
    )
        .into_response()
}

/// A 400 with an HTML body, as Flask's `make_response(text, 400)` sends.
pub fn html(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        text,
    )
        .into_response()
}

/// A JSON answer of the auth endpoints, as Flask's `jsonify` writes it.
pub(super) fn ok(value: serde_json::Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{value}\n"),
    )
        .into_response()
}
