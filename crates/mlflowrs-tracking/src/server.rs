//! The server's state: its settings, its store and the auth app; opening it
//! creates MLflow's schema in an empty database.

use crate::error::MlflowError;
use crate::{auth, db, experiments, Settings};

pub struct Server {
    pub settings: Settings,
    pub db: db::Db,
    pub auth: Option<auth::Auth>,
    /// One permit per request being handled (`--max-concurrent-requests`).
    pub permits: std::sync::Arc<tokio::sync::Semaphore>,
}

/// The SQL schema this build creates: MLflow 3.17.2's, at its alembic head.
const SQLITE_SCHEMA: &str = include_str!("schema/sqlite.sql");
const POSTGRES_SCHEMA: &str = include_str!("schema/postgres.sql");

fn schema_head(script: &str) -> &str {
    script
        .lines()
        .find_map(|l| l.split("alembic head ").nth(1))
        .and_then(|s| s.split(')').next())
        .unwrap_or("")
}

impl Server {
    /// Opens the store, creating MLflow's schema in an empty database and
    /// refusing one at an alembic revision this build does not know.
    pub fn open(
        settings: Settings,
        runtime: tokio::runtime::Handle,
    ) -> Result<Server, MlflowError> {
        let db = db::Db::open(
            &settings.backend_store_uri,
            settings.max_db_connections,
            runtime.clone(),
        )?;
        let script = if db.is_postgres() {
            POSTGRES_SCHEMA
        } else {
            SQLITE_SCHEMA
        };
        let head = schema_head(script).to_string();
        let found = db.transaction(|tx| {
            let table = if tx.is_postgres() {
                "SELECT 1 FROM information_schema.tables WHERE table_name = 'alembic_version'"
            } else {
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            };
            if tx.one(table, &[])?.is_none() {
                return Ok(None);
            }
            Ok(tx
                .one("SELECT version_num FROM alembic_version", &[])?
                .map(|r| r.text(0)))
        })?;
        match found {
            None => {
                tracing::info!(store = %mlflowrs_protocol::display::redact(&settings.backend_store_uri), revision = %head, "creating MLflow's schema");
                db.batch(script)?;
            }
            Some(v) if v == head => {}
            Some(v) => {
                return Err(MlflowError::internal(format!(
                    "the database is at MLflow schema revision {v}, this mlflowrs serves revision {head} (MLflow {}). Upgrade it with `mlflow db upgrade`, or use a database made by that MLflow.",
                    mlflowrs_protocol::MLFLOW_COMPAT_VERSION
                )))
            }
        }
        db.transaction(|tx| experiments::ensure_default(tx, &settings))?;
        let auth = match &settings.auth {
            Some(a) => Some(auth::Auth::open(a, runtime)?),
            None => None,
        };
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(
            settings.max_concurrent_requests,
        ));
        Ok(Server {
            settings,
            db,
            auth,
            permits,
        })
    }
}
