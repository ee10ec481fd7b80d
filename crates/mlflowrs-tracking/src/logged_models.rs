//! MLflow 3 logged models: create, get, finalize, delete, tags, search.

use serde_json::{json, Value as Json};

use super::db::{find_key, Row, Tx, Value};
use super::error::{missing, MlflowError};
use super::experiments;
use super::json::{double, key_values, new_id, now_ms, object, opt_str};
use super::request::Request;
use super::search::{self, Field, Searchable};

const COLUMNS: &str = "model_id, experiment_id, name, artifact_location, creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage, model_type, source_run_id, status_message";

pub struct LoggedModel {
    pub id: String,
    pub experiment_id: i64,
    pub name: String,
    pub artifact_location: String,
    created: i64,
    updated: i64,
    status: i64,
    pub lifecycle_stage: String,
    model_type: Option<String>,
    pub source_run_id: Option<String>,
    status_message: Option<String>,
    tags: Vec<Row>,
    params: Vec<Row>,
    metrics: Vec<Row>,
}

fn status_name(status: i64) -> &'static str {
    match status {
        1 => "LOGGED_MODEL_PENDING",
        2 => "LOGGED_MODEL_READY",
        3 => "LOGGED_MODEL_UPLOAD_FAILED",
        _ => "LOGGED_MODEL_STATUS_UNSPECIFIED",
    }
}

fn status_number(text: &str) -> Option<i64> {
    match text {
        "LOGGED_MODEL_PENDING" | "1" => Some(1),
        "LOGGED_MODEL_READY" | "2" => Some(2),
        "LOGGED_MODEL_UPLOAD_FAILED" | "3" => Some(3),
        _ => None,
    }
}

impl LoggedModel {
    fn from_row(r: &Row) -> LoggedModel {
        LoggedModel {
            id: r.text(0),
            experiment_id: r.int(1),
            name: r.text(2),
            artifact_location: r.text(3),
            created: r.int(4),
            updated: r.int(5),
            status: r.int(6),
            lifecycle_stage: r.opt_text(7).unwrap_or_else(|| "active".into()),
            model_type: r.opt_text(8),
            source_run_id: r.opt_text(9),
            status_message: r.opt_text(10),
            tags: Vec::new(),
            params: Vec::new(),
            metrics: Vec::new(),
        }
    }

    pub fn to_json(&self) -> Json {
        let metrics: Vec<Json> = self
            .metrics
            .iter()
            .map(|m| {
                object(vec![
                    ("key", json!(m.text(0))),
                    ("value", double(m.float(1))),
                    ("timestamp", json!(m.int(2))),
                    ("step", json!(m.int(3))),
                    ("run_id", json!(m.text(4))),
                    ("dataset_name", opt_str(m.opt_text(5))),
                    ("dataset_digest", opt_str(m.opt_text(6))),
                    ("model_id", json!(self.id)),
                ])
            })
            .collect();
        json!({
            "info": object(vec![
                ("model_id", json!(self.id)),
                ("experiment_id", json!(self.experiment_id.to_string())),
                ("name", json!(self.name)),
                ("creation_timestamp_ms", json!(self.created)),
                ("last_updated_timestamp_ms", json!(self.updated)),
                ("artifact_uri", json!(self.artifact_location)),
                ("status", json!(status_name(self.status))),
                ("model_type", json!(self.model_type.clone().unwrap_or_default())),
                // MLflow sends "" for a model logged without a run.
                (
                    "source_run_id",
                    json!(self.source_run_id.clone().unwrap_or_default()),
                ),
                ("status_message", opt_str(self.status_message.clone().filter(|s| !s.is_empty()))),
                ("tags", key_values(&self.tags)),
            ]),
            "data": object(vec![
                ("params", key_values(&self.params)),
                ("metrics", Json::Array(metrics)),
            ]),
        })
    }
}

impl Searchable for LoggedModel {
    fn field(&self, kind: &str, key: &str) -> Option<Field> {
        match (kind, key) {
            ("tag", k) => find_key(&self.tags, k).map(|t| Field::Str(t.text(1))),
            ("param", k) => find_key(&self.params, k).map(|t| Field::Str(t.text(1))),
            ("metric", k) => find_key(&self.metrics, k).map(|t| Field::Num(t.float(1))),
            (_, "name") => Some(Field::Str(self.name.clone())),
            (_, "model_id") => Some(Field::Str(self.id.clone())),
            (_, "model_type") => self.model_type.clone().map(Field::Str),
            (_, "status") => Some(Field::Str(status_name(self.status).into())),
            (_, "source_run_id") => self.source_run_id.clone().map(Field::Str),
            (_, "creation_time" | "creation_timestamp" | "creation_timestamp_ms") => {
                Some(Field::Num(self.created as f64))
            }
            (_, "last_updated_timestamp" | "last_updated_timestamp_ms") => {
                Some(Field::Num(self.updated as f64))
            }
            _ => None,
        }
    }
}

fn fill(tx: &mut dyn Tx, m: &mut LoggedModel) -> Result<(), MlflowError> {
    let id = [Value::from(&m.id)];
    m.tags = tx.query(
        "SELECT tag_key, tag_value FROM logged_model_tags WHERE model_id = $1",
        &id,
    )?;
    m.params = tx.query(
        "SELECT param_key, param_value FROM logged_model_params WHERE model_id = $1",
        &id,
    )?;
    m.metrics = tx.query("SELECT metric_name, metric_value, metric_timestamp_ms, metric_step, run_id, dataset_name, dataset_digest FROM logged_model_metrics WHERE model_id = $1 ORDER BY metric_timestamp_ms, metric_step", &id)?;
    Ok(())
}

pub fn load(tx: &mut dyn Tx, id: &str) -> Result<LoggedModel, MlflowError> {
    let not_found = || MlflowError::not_found(format!("Logged model with ID '{id}' not found."));
    let row = tx
        .one(
            &format!("SELECT {COLUMNS} FROM logged_models WHERE model_id = $1"),
            &[Value::from(id)],
        )?
        .ok_or_else(not_found)?;
    let mut m = LoggedModel::from_row(&row);
    if m.lifecycle_stage == "deleted" {
        return Err(not_found());
    }
    fill(tx, &mut m)?;
    Ok(m)
}

pub fn create(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let experiment_id = experiments::parse_id(&req.str("experiment_id")?)?;
    let experiment = experiments::load_active(tx, experiment_id)?;
    let id = format!("m-{}", new_id());
    let name = req
        .opt_str("name")?
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| id.clone());
    let location = format!(
        "{}/models/{id}/artifacts",
        experiment.artifact_location.trim_end_matches('/')
    );
    let now = now_ms();
    tx.execute(
        "INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage, model_type, source_run_id, status_message) VALUES ($1, $2, $3, $4, $5, $5, 1, 'active', $6, $7, NULL)",
        &[Value::from(&id), Value::Int(experiment_id), Value::from(&name), Value::from(&location), Value::Int(now), Value::from(req.opt_str("model_type")?.unwrap_or_default()), Value::from(req.opt_str("source_run_id")?.filter(|s| !s.is_empty()))],
    )?;
    for (k, v) in req.key_values("params")? {
        tx.execute("INSERT INTO logged_model_params (model_id, experiment_id, param_key, param_value) VALUES ($1, $2, $3, $4)", &[Value::from(&id), Value::Int(experiment_id), Value::from(k), Value::from(v)])?;
    }
    write_tags(tx, &id, experiment_id, &req.key_values("tags")?)?;
    Ok(json!({"model": load(tx, &id)?.to_json()}))
}

fn write_tags(
    tx: &mut dyn Tx,
    id: &str,
    experiment_id: i64,
    tags: &[(String, String)],
) -> Result<(), MlflowError> {
    for (k, v) in tags {
        tx.execute(
            "DELETE FROM logged_model_tags WHERE model_id = $1 AND tag_key = $2",
            &[Value::from(id), Value::from(k)],
        )?;
        tx.execute("INSERT INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value) VALUES ($1, $2, $3, $4)", &[Value::from(id), Value::Int(experiment_id), Value::from(k), Value::from(v)])?;
    }
    Ok(())
}

pub fn get(tx: &mut dyn Tx, id: &str) -> Result<Json, MlflowError> {
    Ok(json!({"model": load(tx, id)?.to_json()}))
}

/// PATCH logged-models/<id>: the finalize call (status READY or UPLOAD_FAILED).
pub fn finalize(tx: &mut dyn Tx, id: &str, req: &Request) -> Result<Json, MlflowError> {
    let status_text = req.str("status")?;
    let status = status_number(&status_text).ok_or_else(|| {
        MlflowError::invalid_parameter(format!("Invalid logged model status: {status_text}"))
    })?;
    load(tx, id)?;
    tx.execute(
        "UPDATE logged_models SET status = $1, last_updated_timestamp_ms = $2 WHERE model_id = $3",
        &[Value::Int(status), Value::Int(now_ms()), Value::from(id)],
    )?;
    get(tx, id)
}

pub fn delete(tx: &mut dyn Tx, id: &str) -> Result<Json, MlflowError> {
    load(tx, id)?;
    tx.execute("UPDATE logged_models SET lifecycle_stage = 'deleted', last_updated_timestamp_ms = $1 WHERE model_id = $2", &[Value::Int(now_ms()), Value::from(id)])?;
    Ok(json!({}))
}

pub fn set_tags(tx: &mut dyn Tx, id: &str, req: &Request) -> Result<Json, MlflowError> {
    let m = load(tx, id)?;
    write_tags(tx, id, m.experiment_id, &req.key_values("tags")?)?;
    Ok(json!({}))
}

/// POST logged-models/<id>/params: more params on an existing model.
pub fn log_params(tx: &mut dyn Tx, id: &str, req: &Request) -> Result<Json, MlflowError> {
    let m = load(tx, id)?;
    for (k, v) in req.key_values("params")? {
        tx.execute("INSERT INTO logged_model_params (model_id, experiment_id, param_key, param_value) VALUES ($1, $2, $3, $4)", &[Value::from(id), Value::Int(m.experiment_id), Value::from(k), Value::from(v)])?;
    }
    Ok(json!({}))
}

pub fn delete_tag(tx: &mut dyn Tx, id: &str, key: &str) -> Result<Json, MlflowError> {
    load(tx, id)?;
    let n = tx.execute(
        "DELETE FROM logged_model_tags WHERE model_id = $1 AND tag_key = $2",
        &[Value::from(id), Value::from(key)],
    )?;
    if n == 0 {
        return Err(MlflowError::not_found(format!(
            "No tag with key '{key}' found for logged model with ID '{id}'."
        )));
    }
    Ok(json!({}))
}

/// The registry keeps `mlflow.modelVersions` on a logged model up to date.
pub fn add_model_version_tag(
    tx: &mut dyn Tx,
    id: &str,
    name: &str,
    version: i64,
) -> Result<(), MlflowError> {
    let Ok(m) = load(tx, id) else {
        return Ok(());
    };
    let current = find_key(&m.tags, "mlflow.modelVersions").map(|t| t.text(1));
    let mut list: Vec<Json> = current
        .and_then(|c| serde_json::from_str(&c).ok())
        .unwrap_or_default();
    list.push(json!({"name": name, "version": version}));
    let text = super::json::python_dumps(&Json::Array(list));
    write_tags(
        tx,
        id,
        m.experiment_id,
        &[("mlflow.modelVersions".into(), text)],
    )
}

pub fn search(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let ids = req.str_list("experiment_ids")?;
    if ids.is_empty() {
        return Err(missing("experiment_ids"));
    }
    let max = req
        .opt_i64("max_results")?
        .filter(|n| *n > 0)
        .unwrap_or(100) as usize;
    let clauses = search::parse_filter(req.opt_str("filter")?.as_deref())?;
    // datasets: [{dataset_name, dataset_digest?}]: only models with metrics
    // logged on one of them (and metric filters judged on those rows).
    let datasets: Vec<(String, Option<String>)> = req
        .array("datasets")
        .iter()
        .map(|d| {
            let name = d.get("dataset_name").and_then(Json::as_str).unwrap_or("");
            if name.is_empty() {
                return Err(MlflowError::invalid_parameter(
                    "`dataset_name` in the `datasets` clause must be specified.",
                ));
            }
            let digest = d
                .get("dataset_digest")
                .and_then(Json::as_str)
                .map(str::to_string);
            Ok((name.to_string(), digest))
        })
        .collect::<Result<_, _>>()?;
    let on_datasets = |m: &LoggedModel| {
        m.metrics.iter().any(|r| {
            datasets.iter().any(|(name, digest)| {
                r.opt_text(5).as_deref() == Some(name.as_str())
                    && digest
                        .as_ref()
                        .is_none_or(|d| r.opt_text(6).as_deref() == Some(d.as_str()))
            })
        })
    };
    let mut found = Vec::new();
    for id in ids {
        let id = experiments::parse_id(&id)?;
        for row in tx.query(&format!("SELECT {COLUMNS} FROM logged_models WHERE experiment_id = $1 AND (lifecycle_stage IS NULL OR lifecycle_stage <> 'deleted')"), &[Value::Int(id)])? {
            let mut m = LoggedModel::from_row(&row);
            fill(tx, &mut m)?;
            if !datasets.is_empty() && !on_datasets(&m) {
                continue;
            }
            found.push(m);
        }
    }
    // Logged-model searches take order_by as [{field_name, ascending}].
    let order: Vec<search::OrderBy> = req
        .array("order_by")
        .iter()
        .filter_map(|o| {
            let (kind, key) = search::split_key(o.get("field_name")?.as_str()?);
            Some(search::OrderBy {
                kind,
                key,
                ascending: o.get("ascending").and_then(Json::as_bool).unwrap_or(true),
            })
        })
        .collect();
    let found = search::filter_and_sort(found, &clauses, &order, |a, b| {
        b.created.cmp(&a.created).then(a.id.cmp(&b.id))
    });
    let (page, next) = search::paginate(found, req.opt_str("page_token")?.as_deref(), max)?;
    Ok(object(vec![
        (
            "models",
            Json::Array(page.iter().map(LoggedModel::to_json).collect()),
        ),
        ("next_page_token", opt_str(next)),
    ]))
}
