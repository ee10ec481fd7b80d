//! One SQL interface over the two databases `mlflowrs server` stores in:
//! SQLite (embedded, WAL) and PostgreSQL. Queries are written once with
//! `$1, $2, …` placeholders; values carry their own type and are converted to
//! the column's type at bind time, so the same query text serves both.
//!
//! Every store call runs on a blocking thread and inside one transaction
//! (`Db::transaction`), so a request's writes land together or not at all.

use std::sync::{Condvar, Mutex};

use bytes::BytesMut;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type};

use super::error::MlflowError;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::Text(s.clone())
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map(Into::into).unwrap_or(Value::Null)
    }
}

/// A result row: columns in SELECT order.
#[derive(Debug, Clone)]
pub struct Row(pub Vec<Value>);

impl Row {
    pub fn text(&self, i: usize) -> String {
        self.opt_text(i).unwrap_or_default()
    }
    pub fn opt_text(&self, i: usize) -> Option<String> {
        match self.0.get(i)? {
            Value::Text(s) => Some(s.clone()),
            Value::Int(v) => Some(v.to_string()),
            Value::Float(v) => Some(v.to_string()),
            Value::Bool(v) => Some(v.to_string()),
            Value::Null => None,
        }
    }
    pub fn opt_int(&self, i: usize) -> Option<i64> {
        match self.0.get(i)? {
            Value::Int(v) => Some(*v),
            Value::Float(v) => Some(*v as i64),
            Value::Bool(v) => Some(*v as i64),
            Value::Text(s) => s.parse().ok(),
            Value::Null => None,
        }
    }
    pub fn int(&self, i: usize) -> i64 {
        self.opt_int(i).unwrap_or(0)
    }
    pub fn float(&self, i: usize) -> f64 {
        match self.0.get(i) {
            Some(Value::Float(v)) => *v,
            Some(Value::Int(v)) => *v as f64,
            Some(Value::Text(s)) => s.parse().unwrap_or(f64::NAN),
            _ => f64::NAN,
        }
    }
    pub fn bool(&self, i: usize) -> bool {
        self.opt_int(i).unwrap_or(0) != 0
            || matches!(self.0.get(i), Some(Value::Text(s)) if s == "true")
    }
}

/// The row of a key-value list (tags, params, metrics) whose first column
/// is `key`.
/// `$first, $first+1, …`: `count` numbered SQL parameters, for an `IN (…)` list.
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn find_key<'r>(rows: &'r [Row], key: &str) -> Option<&'r Row> {
    rows.iter()
        .find(|r| matches!(r.0.first(), Some(Value::Text(k)) if k == key))
}

/// The statements of one transaction.
pub trait Tx {
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, MlflowError>;
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, MlflowError>;
    fn is_postgres(&self) -> bool;
    /// Several statements separated by semicolons, no parameters.
    fn batch(&mut self, script: &str) -> Result<(), MlflowError>;

    fn one(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, MlflowError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

enum Pool {
    Sqlite(Mutex<Vec<rusqlite::Connection>>, std::path::PathBuf),
    Postgres(Mutex<Vec<tokio_postgres::Client>>, String),
}

pub struct Db {
    pool: Pool,
    runtime: tokio::runtime::Handle,
    /// Connections not in use by a transaction (`--max-db-connections`).
    free: Mutex<usize>,
    returned: Condvar,
}

/// The advisory lock key every PostgreSQL transaction of mlflowrs takes.
const WRITE_LOCK: i64 = 0x6d6c_666c_6f77;

/// A connection slot, given back when the transaction ends.
struct Slot<'a>(&'a Db);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.returned.notify_one();
    }
}

impl Db {
    /// Opens (creating if needed) the database behind a SQLAlchemy-style
    /// URI: `sqlite:///rel.db`, `sqlite:////abs.db`, `postgresql://…`.
    pub fn open(
        uri: &str,
        max_connections: usize,
        runtime: tokio::runtime::Handle,
    ) -> Result<Db, MlflowError> {
        let (scheme, rest) = uri.split_once(':').unwrap_or((uri, ""));
        let dialect = scheme.split('+').next().unwrap_or(scheme);
        let pool = match dialect.to_ascii_lowercase().as_str() {
            "sqlite" => {
                let path = rest.strip_prefix("///").ok_or_else(|| {
                    MlflowError::internal(format!(
                        "SQLite store URI '{uri}' must look like sqlite:///relative.db or sqlite:////absolute.db"
                    ))
                })?;
                let path = std::path::PathBuf::from(path.split('?').next().unwrap_or(path));
                Pool::Sqlite(Mutex::new(Vec::new()), path)
            }
            "postgresql" | "postgres" => {
                Pool::Postgres(Mutex::new(Vec::new()), format!("postgresql:{rest}"))
            }
            other => {
                return Err(MlflowError::internal(format!(
                    "unsupported backend store '{other}': use sqlite:///… or postgresql://…"
                )))
            }
        };
        Ok(Db {
            pool,
            runtime,
            free: Mutex::new(max_connections.max(1)),
            returned: Condvar::new(),
        })
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Postgres(..))
    }

    /// Runs `f` in one transaction, committed when it returns Ok. Call from a
    /// blocking thread (`tokio::task::spawn_blocking`).
    pub fn transaction<R>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<R, MlflowError>,
    ) -> Result<R, MlflowError> {
        self.run(false, f)
    }

    /// A transaction that only reads: it takes no write lock, so reads run
    /// side by side (SQLite's WAL readers, PostgreSQL without the advisory
    /// lock) and see one consistent snapshot.
    pub fn read<R>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<R, MlflowError>,
    ) -> Result<R, MlflowError> {
        self.run(true, f)
    }

    fn run<R>(
        &self,
        read_only: bool,
        f: impl FnOnce(&mut dyn Tx) -> Result<R, MlflowError>,
    ) -> Result<R, MlflowError> {
        // At most `max_connections` transactions hold a connection; the rest
        // wait here (on their blocking thread) for one to be given back.
        let _slot = {
            let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
            while *free == 0 {
                free = self.returned.wait(free).unwrap_or_else(|e| e.into_inner());
            }
            *free -= 1;
            Slot(self)
        };
        match &self.pool {
            Pool::Sqlite(pool, path) => {
                let conn = pool.lock().unwrap().pop();
                let conn = match conn {
                    Some(c) => c,
                    None => open_sqlite(path)?,
                };
                // IMMEDIATE takes the write lock up front: two read-then-write
                // transactions cannot deadlock on the upgrade.
                let begin = if read_only {
                    "BEGIN"
                } else {
                    "BEGIN IMMEDIATE"
                };
                conn.execute_batch(begin).map_err(sqlite_err)?;
                let mut tx = SqliteTx(&conn);
                let result = f(&mut tx);
                let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
                let ended = conn.execute_batch(end).map_err(sqlite_err);
                if ended.is_ok() {
                    pool.lock().unwrap().push(conn);
                }
                let value = result?;
                ended?;
                Ok(value)
            }
            Pool::Postgres(pool, url) => {
                let client = pool.lock().unwrap().pop();
                let client = match client {
                    Some(c) if !c.is_closed() => c,
                    _ => self.connect_postgres(url)?,
                };
                let mut tx = PgTx {
                    client: &client,
                    runtime: &self.runtime,
                };
                // One advisory lock per transaction, as SQLite's BEGIN
                // IMMEDIATE: read-then-write steps (latest metric, next version
                // number, tag replacement) cannot interleave and fail on a
                // unique key. Several servers on one database share the lock.
                if read_only {
                    tx.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
                } else {
                    tx.batch(&format!(
                        "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock({WRITE_LOCK})"
                    ))?;
                }
                let result = f(&mut tx);
                let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
                let ended = tx.batch(end);
                if ended.is_ok() {
                    pool.lock().unwrap().push(client);
                }
                let value = result?;
                ended?;
                Ok(value)
            }
        }
    }

    fn connect_postgres(&self, url: &str) -> Result<tokio_postgres::Client, MlflowError> {
        self.runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .map_err(pg_err)?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "postgres connection closed");
                }
            });
            Ok(client)
        })
    }

    /// Runs a script of several statements (the schema) in one transaction.
    pub fn batch(&self, script: &str) -> Result<(), MlflowError> {
        self.transaction(|tx| tx.batch(script))
    }
}

fn open_sqlite(path: &std::path::Path) -> Result<rusqlite::Connection, MlflowError> {
    let conn = rusqlite::Connection::open(path).map_err(sqlite_err)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(sqlite_err)?;
    // WAL: readers do not block the writer. synchronous=FULL: a commit is on
    // disk before the client hears 200, so a crash loses no acknowledged write.
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
        .map_err(sqlite_err)?;
    Ok(conn)
}

fn sqlite_err(e: rusqlite::Error) -> MlflowError {
    MlflowError::internal(format!("SQLite: {e}"))
}

fn pg_err(e: tokio_postgres::Error) -> MlflowError {
    let detail = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => mlflowrs_protocol::display::error_chain(&e),
    };
    MlflowError::internal(format!("PostgreSQL: {detail}"))
}

struct SqliteTx<'a>(&'a rusqlite::Connection);

/// `$1` → `?1`: SQLite reads `$1` as a named parameter, `?1` by position.
fn sqlite_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value as V};
        Ok(ToSqlOutput::Owned(match self {
            Value::Null => V::Null,
            Value::Int(v) => V::Integer(*v),
            Value::Float(v) => V::Real(*v),
            Value::Text(s) => V::Text(s.clone()),
            Value::Bool(b) => V::Integer(*b as i64),
        }))
    }
}

impl Tx for SqliteTx<'_> {
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, MlflowError> {
        let mut stmt = self
            .0
            .prepare_cached(&sqlite_sql(sql))
            .map_err(sqlite_err)?;
        let columns = stmt.column_count();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params.iter()), |row| {
                let mut out = Vec::with_capacity(columns);
                for i in 0..columns {
                    use rusqlite::types::ValueRef;
                    out.push(match row.get_ref(i)? {
                        ValueRef::Null => Value::Null,
                        ValueRef::Integer(v) => Value::Int(v),
                        ValueRef::Real(v) => Value::Float(v),
                        ValueRef::Text(t) | ValueRef::Blob(t) => {
                            Value::Text(String::from_utf8_lossy(t).into_owned())
                        }
                    });
                }
                Ok(Row(out))
            })
            .map_err(sqlite_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(sqlite_err)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, MlflowError> {
        let mut stmt = self
            .0
            .prepare_cached(&sqlite_sql(sql))
            .map_err(sqlite_err)?;
        stmt.execute(rusqlite::params_from_iter(params.iter()))
            .map(|n| n as u64)
            .map_err(sqlite_err)
    }

    fn is_postgres(&self) -> bool {
        false
    }

    fn batch(&mut self, script: &str) -> Result<(), MlflowError> {
        self.0.execute_batch(script).map_err(sqlite_err)
    }
}

struct PgTx<'a> {
    client: &'a tokio_postgres::Client,
    runtime: &'a tokio::runtime::Handle,
}

impl PgTx<'_> {
    fn params(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
        params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
    }
}

impl Tx for PgTx<'_> {
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, MlflowError> {
        let rows = self
            .runtime
            .block_on(self.client.query(sql, &Self::params(params)))
            .map_err(pg_err)?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| row.try_get::<_, Value>(i))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Row)
                    .map_err(pg_err)
            })
            .collect()
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, MlflowError> {
        self.runtime
            .block_on(self.client.execute(sql, &Self::params(params)))
            .map_err(pg_err)
    }

    fn is_postgres(&self) -> bool {
        true
    }

    fn batch(&mut self, script: &str) -> Result<(), MlflowError> {
        self.runtime
            .block_on(self.client.batch_execute(script))
            .map_err(pg_err)
    }
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        // The column's type decides the wire format, so callers need not
        // know whether a column is INTEGER or BIGINT in this database.
        let int = |v: i64, out: &mut BytesMut| -> Result<IsNull, BoxError> {
            match *ty {
                Type::INT2 => i16::try_from(v)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
                Type::INT8 => v.to_sql(ty, out),
                Type::FLOAT4 | Type::FLOAT8 => (v as f64).to_sql(&Type::FLOAT8, out),
                Type::BOOL => (v != 0).to_sql(ty, out),
                _ => v.to_string().to_sql(ty, out),
            }
        };
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => int(*v, out),
            Value::Bool(b) => match *ty {
                Type::BOOL => b.to_sql(ty, out),
                _ => int(*b as i64, out),
            },
            Value::Float(v) => match *ty {
                Type::FLOAT4 => (*v as f32).to_sql(ty, out),
                Type::FLOAT8 => v.to_sql(ty, out),
                Type::INT2 | Type::INT4 | Type::INT8 => int(*v as i64, out),
                _ => v.to_string().to_sql(ty, out),
            },
            Value::Text(s) => match *ty {
                Type::INT2 | Type::INT4 | Type::INT8 => int(s.parse()?, out),
                Type::FLOAT4 | Type::FLOAT8 => s.parse::<f64>()?.to_sql(&Type::FLOAT8, out),
                _ => s.to_sql(ty, out),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Value, BoxError> {
        Ok(match *ty {
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)? as i64),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)? as i64),
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Float(f32::from_sql(ty, raw)? as f64),
            Type::FLOAT8 => Value::Float(f64::from_sql(ty, raw)?),
            Type::BOOL => Value::Bool(bool::from_sql(ty, raw)?),
            _ => Value::Text(String::from_sql(ty, raw)?),
        })
    }

    fn from_sql_null(_: &Type) -> Result<Value, BoxError> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_positional_for_sqlite() {
        assert_eq!(
            sqlite_sql("SELECT a FROM t WHERE x = $1 AND y = $12 AND z = '$'"),
            "SELECT a FROM t WHERE x = ?1 AND y = ?12 AND z = '$'"
        );
    }
}
