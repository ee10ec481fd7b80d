//! MLflow's SQLAlchemy store read directly (SQLite or PostgreSQL), read
//! only. Integer columns are cast to text in SQL so that one query text and
//! one row type serve both databases.

use mlflowrs_protocol::display::redact;

use super::records::{LoggedModelRecord, RunRecord, VersionRecord};
use crate::resolve::ResolveError;

enum Backend {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

pub struct SqlStore {
    uri: String,
    backend: Backend,
}

type Row = Vec<Option<String>>;

impl SqlStore {
    pub fn new(uri: &str) -> Result<SqlStore, ResolveError> {
        let (scheme, rest) = uri.split_once(':').unwrap_or((uri, ""));
        // SQLAlchemy's `dialect+driver` names: the driver does not matter here.
        let dialect = scheme
            .split('+')
            .next()
            .unwrap_or(scheme)
            .to_ascii_lowercase();
        let backend = match dialect.as_str() {
            "sqlite" => {
                // sqlite:///rel.db and sqlite:////abs.db, as SQLAlchemy reads them.
                let path = rest.strip_prefix("///").ok_or_else(|| {
                    ResolveError::InvalidUri(format!(
                        "SQLite store URI '{uri}' must look like sqlite:///relative.db or sqlite:////absolute.db"
                    ))
                })?;
                let path = path.split('?').next().unwrap_or(path);
                Backend::Sqlite(path.into())
            }
            _ => Backend::Postgres(format!("postgresql:{rest}")),
        };
        Ok(SqlStore {
            uri: uri.to_string(),
            backend,
        })
    }

    pub fn describe(&self) -> String {
        redact(&self.uri)
    }

    /// Runs `sql` ($1, $2, … placeholders) and returns every column as text.
    async fn query(&self, sql: &str, params: &[&str]) -> Result<Vec<Row>, ResolveError> {
        let store = self.describe();
        match &self.backend {
            Backend::Sqlite(path) => {
                let path = path.clone();
                let sql = sql.replace('$', "?");
                let params: Vec<String> = params.iter().map(|p| p.to_string()).collect();
                tokio::task::spawn_blocking(move || sqlite_query(&store, &path, &sql, &params))
                    .await
                    .map_err(|e| ResolveError::store(&self.describe(), e))?
            }
            Backend::Postgres(url) => postgres_query(&store, url, sql, params).await,
        }
    }

    async fn one(&self, sql: &str, params: &[&str]) -> Result<Option<Row>, ResolveError> {
        Ok(self.query(sql, params).await?.into_iter().next())
    }

    pub async fn check_registered_model(&self, name: &str) -> Result<(), ResolveError> {
        self.one(
            "SELECT name FROM registered_models WHERE name = $1",
            &[name],
        )
        .await?
        .map(|_| ())
        .ok_or_else(|| ResolveError::UnknownModel(name.into()))
    }

    const VERSION_COLUMNS: &'static str =
        "CAST(version AS TEXT), current_stage, source, storage_location, run_id";

    pub async fn model_version(
        &self,
        name: &str,
        version: &str,
    ) -> Result<VersionRecord, ResolveError> {
        let sql = format!(
            "SELECT {} FROM model_versions WHERE name = $1 AND CAST(version AS TEXT) = $2 AND COALESCE(current_stage, 'None') <> 'Deleted_Internal'",
            Self::VERSION_COLUMNS
        );
        // "01" names version 1, as int("01") does in MLflow.
        let version = version
            .parse::<u64>()
            .map(|v| v.to_string())
            .unwrap_or_default();
        self.one(&sql, &[name, &version])
            .await?
            .map(version_record)
            .ok_or_else(|| ResolveError::UnknownVersion {
                name: name.into(),
                version: version.clone(),
            })
    }

    pub async fn versions(&self, name: &str) -> Result<Vec<VersionRecord>, ResolveError> {
        self.check_registered_model(name).await?;
        let sql = format!(
            "SELECT {} FROM model_versions WHERE name = $1",
            Self::VERSION_COLUMNS
        );
        Ok(self
            .query(&sql, &[name])
            .await?
            .into_iter()
            .map(version_record)
            .collect())
    }

    pub async fn alias_version(&self, name: &str, alias: &str) -> Result<String, ResolveError> {
        self.one(
            "SELECT CAST(version AS TEXT) FROM registered_model_aliases WHERE name = $1 AND alias = $2",
            &[name, alias],
        )
        .await?
        .and_then(|mut r| r.remove(0))
        .ok_or_else(|| ResolveError::UnknownAlias {
            name: name.into(),
            alias: alias.into(),
        })
    }

    pub async fn logged_model(&self, model_id: &str) -> Result<LoggedModelRecord, ResolveError> {
        self.one(
            "SELECT model_id, CAST(experiment_id AS TEXT), artifact_location, source_run_id FROM logged_models WHERE model_id = $1 AND COALESCE(lifecycle_stage, 'active') <> 'deleted'",
            &[model_id],
        )
        .await?
        .and_then(logged_model_record)
        .ok_or_else(|| ResolveError::UnknownLoggedModel(model_id.into()))
    }

    pub async fn run(&self, run_id: &str) -> Result<RunRecord, ResolveError> {
        let mut row = self
            .one(
                "SELECT CAST(experiment_id AS TEXT), artifact_uri FROM runs WHERE run_uuid = $1",
                &[run_id],
            )
            .await?
            .ok_or_else(|| ResolveError::UnknownRun(run_id.into()))?;
        Ok(RunRecord {
            experiment_id: row[0].take().unwrap_or_default(),
            artifact_uri: row[1].take().unwrap_or_default(),
        })
    }

    pub async fn find_logged_model(
        &self,
        experiment_id: &str,
        name: &str,
        run_id: &str,
    ) -> Result<Option<LoggedModelRecord>, ResolveError> {
        Ok(self
            .one(
                "SELECT model_id, CAST(experiment_id AS TEXT), artifact_location, source_run_id FROM logged_models WHERE CAST(experiment_id AS TEXT) = $1 AND name = $2 AND source_run_id = $3 AND COALESCE(lifecycle_stage, 'active') <> 'deleted' ORDER BY creation_timestamp_ms DESC",
                &[experiment_id, name, run_id],
            )
            .await?
            .and_then(logged_model_record))
    }
}

fn version_record(mut r: Row) -> VersionRecord {
    VersionRecord {
        version: r[0].take().unwrap_or_default(),
        stage: r[1].take().unwrap_or_else(|| "None".into()),
        source: r[2].take().unwrap_or_default(),
        storage_location: r[3].take(),
        run_id: r[4].take().filter(|s| !s.is_empty()),
    }
}

fn logged_model_record(mut r: Row) -> Option<LoggedModelRecord> {
    Some(LoggedModelRecord {
        model_id: r[0].take()?,
        experiment_id: r[1].take().unwrap_or_default(),
        artifact_uri: r[2].take()?,
        source_run_id: r[3].take(),
    })
}

fn sqlite_query(
    store: &str,
    path: &std::path::Path,
    sql: &str,
    params: &[String],
) -> Result<Vec<Row>, ResolveError> {
    use rusqlite::OpenFlags;
    if !path.exists() {
        return Err(ResolveError::unreachable(
            store,
            format!("no SQLite database at {}", path.display()),
        ));
    }
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| ResolveError::unreachable(store, e))?;
    // The tracking server may be writing: wait for its lock, do not fail.
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(|e| ResolveError::store(store, e))?;
    let mut stmt = conn
        .prepare(sql)
        .map_err(|e| ResolveError::store(store, format!("{e} (is this an MLflow 3 database?)")))?;
    let columns = stmt.column_count();
    let rows = stmt
        .query_map(rusqlite::params_from_iter(params.iter()), |row| {
            (0..columns)
                .map(|i| row.get::<_, Option<String>>(i))
                .collect::<Result<Row, _>>()
        })
        .map_err(|e| ResolveError::store(store, e))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(|e| ResolveError::store(store, e))
}

async fn postgres_query(
    store: &str,
    url: &str,
    sql: &str,
    params: &[&str],
) -> Result<Vec<Row>, ResolveError> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(|e| classify_pg(store, e))?;
    let conn_task = tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "postgres connection closed");
        }
    });
    let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
        .iter()
        .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect();
    let result = client.query(sql, &params).await;
    drop(client);
    let _ = conn_task.await;
    let rows = result.map_err(|e| classify_pg(store, e))?;
    rows.iter()
        .map(|row| {
            (0..row.len())
                .map(|i| row.try_get::<_, Option<String>>(i))
                .collect::<Result<Row, _>>()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ResolveError::store(store, e))
}

fn classify_pg(store: &str, e: tokio_postgres::Error) -> ResolveError {
    let text = mlflowrs_protocol::display::error_chain(&e);
    match e.code() {
        Some(c)
            if *c == tokio_postgres::error::SqlState::INVALID_PASSWORD
                || *c == tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE
                || *c == tokio_postgres::error::SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
        {
            ResolveError::PermissionDenied {
                store: store.into(),
                reason: text,
            }
        }
        Some(_) => ResolveError::store(store, format!("{text} (is this an MLflow 3 database?)")),
        None => ResolveError::unreachable(store, text),
    }
}
