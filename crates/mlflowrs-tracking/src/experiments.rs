//! Experiments: create, get, get-by-name, search, update, delete/restore, tags.

use serde_json::{json, Value as Json};

use super::db::{find_key, Row, Tx, Value};
use super::error::MlflowError;
use super::json::{key_values, now_ms, object};
use super::request::Request;
use super::search::{self, Field, Searchable};
use super::Settings;

const COLUMNS: &str =
    "experiment_id, name, artifact_location, lifecycle_stage, last_update_time, creation_time, workspace";

pub struct Experiment {
    pub id: i64,
    pub name: String,
    pub artifact_location: String,
    pub lifecycle_stage: String,
    last_update_time: Option<i64>,
    creation_time: Option<i64>,
    workspace: String,
    tags: Vec<Row>,
}

impl Experiment {
    fn from_row(r: &Row) -> Experiment {
        Experiment {
            id: r.int(0),
            name: r.text(1),
            artifact_location: r.text(2),
            lifecycle_stage: r.opt_text(3).unwrap_or_else(|| "active".into()),
            last_update_time: r.opt_int(4),
            creation_time: r.opt_int(5),
            workspace: r.opt_text(6).unwrap_or_else(|| "default".into()),
            tags: Vec::new(),
        }
    }

    pub fn to_json(&self) -> Json {
        object(vec![
            ("experiment_id", json!(self.id.to_string())),
            ("name", json!(self.name)),
            ("artifact_location", json!(self.artifact_location)),
            ("lifecycle_stage", json!(self.lifecycle_stage)),
            ("last_update_time", json!(self.last_update_time)),
            ("creation_time", json!(self.creation_time)),
            ("tags", key_values(&self.tags)),
            ("workspace", json!(self.workspace)),
        ])
    }
}

impl Searchable for Experiment {
    fn field(&self, kind: &str, key: &str) -> Option<Field> {
        match (kind, key) {
            ("tag", k) => find_key(&self.tags, k).map(|t| Field::Str(t.text(1))),
            ("attribute", "name") => Some(Field::Str(self.name.clone())),
            ("attribute", "experiment_id") => Some(Field::Num(self.id as f64)),
            ("attribute", "creation_time") => self.creation_time.map(|t| Field::Num(t as f64)),
            ("attribute", "last_update_time") => {
                self.last_update_time.map(|t| Field::Num(t as f64))
            }
            _ => None,
        }
    }
}

/// The experiment id as MLflow validates it.
pub fn parse_id(text: &str) -> Result<i64, MlflowError> {
    text.trim().parse().map_err(|_| {
        MlflowError::invalid_parameter(format!(
            "Invalid experiment ID '{text}'. Experiment ID must be a valid integer."
        ))
    })
}

pub fn load(tx: &mut dyn Tx, id: i64) -> Result<Experiment, MlflowError> {
    let row = tx
        .one(
            &format!("SELECT {COLUMNS} FROM experiments WHERE experiment_id = $1"),
            &[Value::Int(id)],
        )?
        .ok_or_else(|| MlflowError::not_found(format!("No Experiment with id={id} exists")))?;
    let mut e = Experiment::from_row(&row);
    e.tags = tx.query(
        "SELECT key, value FROM experiment_tags WHERE experiment_id = $1",
        &[Value::Int(id)],
    )?;
    Ok(e)
}

/// An experiment that must be active to take new runs or models.
pub fn load_active(tx: &mut dyn Tx, id: i64) -> Result<Experiment, MlflowError> {
    let e = load(tx, id)?;
    if e.lifecycle_stage != "active" {
        return Err(MlflowError::invalid_parameter(format!(
            "The experiment {id} must be in the 'active' state. Current state is {}.",
            e.lifecycle_stage
        )));
    }
    Ok(e)
}

/// Creates the Default experiment (id 0) if the database has none, as
/// MLflow's store does when it opens a database.
pub fn ensure_default(tx: &mut dyn Tx, settings: &Settings) -> Result<(), MlflowError> {
    if tx
        .one(
            "SELECT experiment_id FROM experiments WHERE experiment_id = 0",
            &[],
        )?
        .is_none()
    {
        let now = now_ms();
        tx.execute(
            "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time, workspace) VALUES (0, 'Default', $1, 'active', $2, $2, 'default')",
            &[Value::Text(settings.artifact_root_for("0")), Value::Int(now)],
        )?;
        if tx.is_postgres() {
            // Keep the serial behind the explicit id 0.
            tx.batch("SELECT setval(pg_get_serial_sequence('experiments', 'experiment_id'), GREATEST((SELECT MAX(experiment_id) FROM experiments), 1), (SELECT MAX(experiment_id) FROM experiments) > 0)")?;
        }
    }
    Ok(())
}

pub fn create(tx: &mut dyn Tx, settings: &Settings, req: &Request) -> Result<Json, MlflowError> {
    let name = req.str("name")?;
    let location = req
        .opt_str("artifact_location")?
        .filter(|s| !s.is_empty())
        .map(|l| validate_storage_location(&l).map(|()| resolve_if_local(&l)))
        .transpose()?;
    let tags = req.key_values("tags")?;
    if tx
        .one(
            "SELECT experiment_id FROM experiments WHERE name = $1 AND workspace = 'default'",
            &[Value::from(&name)],
        )?
        .is_some()
    {
        return Err(MlflowError::already_exists(format!(
            "Experiment(name={name}) already exists."
        )));
    }
    let now = now_ms();
    let id = tx
        .one(
            "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time, workspace) VALUES ($1, $2, 'active', $3, $3, 'default') RETURNING experiment_id",
            &[Value::from(&name), Value::from(location.clone().unwrap_or_default()), Value::Int(now)],
        )?
        .map(|r| r.int(0))
        .ok_or_else(|| MlflowError::internal("experiment insert returned no id"))?;
    if location.is_none() {
        tx.execute(
            "UPDATE experiments SET artifact_location = $1 WHERE experiment_id = $2",
            &[
                Value::Text(settings.artifact_root_for(&id.to_string())),
                Value::Int(id),
            ],
        )?;
    }
    for (k, v) in tags {
        set_tag_row(tx, id, &k, &v)?;
    }
    Ok(json!({"experiment_id": id.to_string()}))
}

/// MLflow's `_validate_storage_location_uri` checks that need no network.
fn validate_storage_location(uri: &str) -> Result<(), MlflowError> {
    // urlparse: a fragment after '#'; params after ';' in the last path
    // segment, for the schemes that have them.
    const USES_PARAMS: &[&str] = &["", "ftp", "http", "https", "sftp", "tel", "sip", "sips"];
    let (before_fragment, fragment) = uri.split_once('#').unwrap_or((uri, ""));
    let scheme = uri
        .split_once(':')
        .map_or("", |(s, _)| s)
        .to_ascii_lowercase();
    let path = before_fragment.split('?').next().unwrap_or("");
    let last = path.rsplit('/').next().unwrap_or("");
    let params = USES_PARAMS.contains(&scheme.as_str())
        && last.split_once(';').is_some_and(|(_, p)| !p.is_empty());
    if !fragment.is_empty() || params {
        return Err(MlflowError::invalid_parameter(
            "'artifact_location' URL can't include fragments or params.",
        ));
    }
    if uri.starts_with("runs:") {
        return Err(MlflowError::invalid_parameter(format!(
            "Artifact location cannot be a runs:/ URI. Given: '{uri}'"
        )));
    }
    Ok(())
}

/// MLflow's `resolve_uri_if_local`: a relative path (or relative `file:`
/// URI) is made absolute against the server's working directory, as
/// pathlib joins it (`.` and empty components dropped).
pub fn resolve_if_local(uri: &str) -> String {
    let scheme = uri.split_once(':').map(|(s, _)| s).filter(|s| {
        s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    let (path, suffix) = match scheme {
        None => (uri, ""),
        Some(s) if s.eq_ignore_ascii_case("file") => {
            let rest = &uri[5..];
            let rest = rest
                .strip_prefix("//")
                .map_or(rest, |r| r.find('/').map_or("", |i| &r[i..]));
            let end = rest.find(['?', '#']).unwrap_or(rest.len());
            (&rest[..end], &rest[end..])
        }
        Some(_) => return uri.to_string(),
    };
    if path.starts_with('/') {
        return uri.to_string();
    }
    let Ok(cwd) = std::env::current_dir() else {
        return uri.to_string();
    };
    let mut joined = cwd.to_string_lossy().trim_end_matches('/').to_string();
    for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
        joined.push('/');
        joined.push_str(part);
    }
    match scheme {
        None => joined,
        Some(s) => format!("{s}://{joined}{suffix}"),
    }
}

fn set_tag_row(tx: &mut dyn Tx, id: i64, key: &str, value: &str) -> Result<(), MlflowError> {
    tx.execute(
        "DELETE FROM experiment_tags WHERE experiment_id = $1 AND key = $2",
        &[Value::Int(id), Value::from(key)],
    )?;
    tx.execute(
        "INSERT INTO experiment_tags (key, value, experiment_id) VALUES ($1, $2, $3)",
        &[Value::from(key), Value::from(value), Value::Int(id)],
    )?;
    Ok(())
}

fn required_id(req: &Request) -> Result<i64, MlflowError> {
    parse_id(&req.str("experiment_id")?)
}

pub fn get(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let id = required_id(req)?;
    Ok(json!({"experiment": load(tx, id)?.to_json()}))
}

pub fn get_by_name(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let name = req.str("experiment_name")?;
    let row = tx
        .one(
            "SELECT experiment_id FROM experiments WHERE name = $1 AND workspace = 'default'",
            &[Value::from(&name)],
        )?
        .ok_or_else(|| {
            MlflowError::not_found(format!("Could not find experiment with name '{name}'"))
        })?;
    Ok(json!({"experiment": load(tx, row.int(0))?.to_json()}))
}

pub fn set_tag(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let id = required_id(req)?;
    let key = req.str("key")?;
    let value = req.opt_str("value")?.unwrap_or_default();
    load_active(tx, id)?;
    set_tag_row(tx, id, &key, &value)?;
    Ok(json!({}))
}

pub fn delete_tag(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let id = required_id(req)?;
    let key = req.str("key")?;
    load_active(tx, id)?;
    let n = tx.execute(
        "DELETE FROM experiment_tags WHERE experiment_id = $1 AND key = $2",
        &[Value::Int(id), Value::from(&key)],
    )?;
    if n == 0 {
        return Err(MlflowError::not_found(format!(
            "No tag with name: {key} in experiment with id {id}"
        )));
    }
    Ok(json!({}))
}

pub fn update(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let id = required_id(req)?;
    let e = load(tx, id)?;
    if e.lifecycle_stage != "active" {
        return Err(MlflowError::invalid_parameter(format!(
            "Cannot rename a non-active experiment. Experiment {id} is {}.",
            e.lifecycle_stage
        )));
    }
    if let Some(new_name) = req.opt_str("new_name")?.filter(|s| !s.is_empty()) {
        if new_name != e.name
            && tx
                .one(
                    "SELECT experiment_id FROM experiments WHERE name = $1 AND workspace = 'default'",
                    &[Value::from(&new_name)],
                )?
                .is_some()
        {
            // MLflow answers BAD_REQUEST here, with the database driver's text.
            return Err(MlflowError::new(
                super::error::ErrorCode::BadRequest,
                format!("Experiment(name={new_name}) already exists."),
            ));
        }
        tx.execute(
            "UPDATE experiments SET name = $1, last_update_time = $2 WHERE experiment_id = $3",
            &[Value::from(new_name), Value::Int(now_ms()), Value::Int(id)],
        )?;
    }
    Ok(json!({}))
}

fn set_stage(tx: &mut dyn Tx, req: &Request, stage: &str) -> Result<Json, MlflowError> {
    let id = required_id(req)?;
    load(tx, id)?;
    let now = now_ms();
    tx.execute(
        "UPDATE experiments SET lifecycle_stage = $1, last_update_time = $2 WHERE experiment_id = $3",
        &[Value::from(stage), Value::Int(now), Value::Int(id)],
    )?;
    // Runs follow their experiment, as MLflow's SQL store does.
    let deleted_time = if stage == "deleted" {
        Value::Int(now)
    } else {
        Value::Null
    };
    tx.execute(
        "UPDATE runs SET lifecycle_stage = $1, deleted_time = $2 WHERE experiment_id = $3",
        &[Value::from(stage), deleted_time, Value::Int(id)],
    )?;
    Ok(json!({}))
}

pub fn delete(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    set_stage(tx, req, "deleted")
}

pub fn restore(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    set_stage(tx, req, "active")
}

/// `ACTIVE_ONLY` (1), `DELETED_ONLY` (2), `ALL` (3), by name or number.
pub fn view_type(req: &Request, field: &str) -> Result<Option<&'static str>, MlflowError> {
    let v = req.opt_str(field)?.unwrap_or_default();
    Ok(match v.as_str() {
        "" | "1" | "ACTIVE_ONLY" => Some("active"),
        "2" | "DELETED_ONLY" => Some("deleted"),
        "3" | "ALL" => None,
        _ => Some("active"),
    })
}

pub fn search(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let max = req.opt_i64("max_results")?.unwrap_or(0);
    if max > 50000 {
        return Err(MlflowError::invalid_parameter(format!(
            "Invalid value {max} for parameter 'max_results' supplied. It must be at most 50000"
        )));
    }
    let max = req.max_results(max, 50000)?;
    let stage = view_type(req, "view_type")?;
    let clauses = search::parse_filter(req.opt_str("filter")?.as_deref())?;
    for c in &clauses {
        if !matches!(c.kind.as_str(), "attribute" | "tag") {
            return Err(MlflowError::invalid_parameter(format!(
                "Invalid entity type '{}'. Valid values are ['tag', 'attribute']",
                c.kind
            )));
        }
    }
    let order = search::parse_order_by(&req.str_list("order_by")?)?;
    let rows = tx.query(&format!("SELECT {COLUMNS} FROM experiments"), &[])?;
    let tags = tx.query("SELECT key, value, experiment_id FROM experiment_tags", &[])?;
    let found: Vec<Experiment> = rows
        .iter()
        .map(Experiment::from_row)
        .filter(|e| stage.is_none_or(|s| e.lifecycle_stage == s))
        .map(|mut e| {
            e.tags = tags.iter().filter(|t| t.int(2) == e.id).cloned().collect();
            e
        })
        .collect();
    let found = search::filter_and_sort(found, &clauses, &order, |a, b| {
        b.creation_time.cmp(&a.creation_time).then(a.id.cmp(&b.id))
    });
    let (page, next) = search::paginate(found, req.opt_str("page_token")?.as_deref(), max)?;
    Ok(object(vec![
        (
            "experiments",
            Json::Array(page.iter().map(Experiment::to_json).collect()),
        ),
        ("next_page_token", super::json::opt_str(next)),
    ]))
}
