//! Runs and what is logged to them: params, metrics (with history), tags,
//! batches, dataset inputs, model outputs; get, update, delete/restore and
//! search with MLflow's filter and order-by syntax.

use std::collections::HashMap;

use serde_json::{json, Value as Json};

use super::db::{Row, Tx, Value};
use super::error::{missing, ApiError};
use super::experiments;
use super::json::{double, key_values, new_id, now_ms, object, opt_int, opt_str};
use super::request::{invalid_value, json_f64, Request};
use super::search::{self, Field, Searchable};

const COLUMNS: &str = "run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage";
const MAX_PARAM_VALUE: usize = 6000;
const MAX_TAG_VALUE: usize = 8000;
const MAX_KEY: usize = 250;

pub struct Run {
    pub id: String,
    pub experiment_id: i64,
    pub name: String,
    user_id: String,
    status: String,
    start_time: Option<i64>,
    end_time: Option<i64>,
    pub artifact_uri: String,
    pub lifecycle_stage: String,
    metrics: Vec<Row>,
    params: Vec<Row>,
    tags: Vec<Row>,
    outputs: Vec<Row>,
    datasets: Vec<Json>,
}

impl Run {
    fn from_row(r: &Row) -> Run {
        Run {
            id: r.text(0),
            experiment_id: r.int(1),
            name: r.text(2),
            user_id: r.text(3),
            status: r.opt_text(4).unwrap_or_else(|| "RUNNING".into()),
            start_time: r.opt_int(5),
            end_time: r.opt_int(6),
            artifact_uri: r.text(7),
            lifecycle_stage: r.opt_text(8).unwrap_or_else(|| "active".into()),
            metrics: Vec::new(),
            params: Vec::new(),
            tags: Vec::new(),
            outputs: Vec::new(),
            datasets: Vec::new(),
        }
    }

    pub fn info_json(&self) -> Json {
        object(vec![
            ("run_uuid", json!(self.id)),
            ("experiment_id", json!(self.experiment_id.to_string())),
            ("run_name", json!(self.name)),
            ("user_id", json!(self.user_id)),
            ("status", json!(self.status)),
            ("start_time", opt_int(self.start_time)),
            ("end_time", opt_int(self.end_time)),
            ("artifact_uri", json!(self.artifact_uri)),
            ("lifecycle_stage", json!(self.lifecycle_stage)),
            ("run_id", json!(self.id)),
        ])
    }

    fn to_json(&self, with_outputs: bool) -> Json {
        let metrics: Vec<Json> = self.metrics.iter().map(metric_json).collect();
        let mut fields = vec![
            ("info", self.info_json()),
            (
                "data",
                object(vec![
                    ("metrics", Json::Array(metrics)),
                    ("params", key_values(&self.params)),
                    ("tags", key_values(&self.tags)),
                ]),
            ),
            (
                "inputs",
                object(vec![("dataset_inputs", Json::Array(self.datasets.clone()))]),
            ),
        ];
        if with_outputs {
            let outputs: Vec<Json> = self
                .outputs
                .iter()
                .map(|o| json!({"model_id": o.text(0), "step": o.int(1)}))
                .collect();
            fields.push((
                "outputs",
                object(vec![("model_outputs", Json::Array(outputs))]),
            ));
        }
        // `object` drops empty lists, not empty objects: inputs/outputs stay as {}.
        let mut map = serde_json::Map::new();
        for (k, v) in fields {
            map.insert(k.into(), v);
        }
        Json::Object(map)
    }
}

impl Searchable for Run {
    fn field(&self, kind: &str, key: &str) -> Option<Field> {
        let find = |rows: &[Row]| rows.iter().find(|r| r.text(0) == key).cloned();
        match kind {
            "metric" => find(&self.metrics)
                .map(|r| Field::Num(if r.bool(4) { f64::NAN } else { r.float(1) })),
            "param" => find(&self.params).map(|r| Field::Str(r.text(1))),
            "tag" => find(&self.tags).map(|r| Field::Str(r.text(1))),
            "dataset" => None,
            _ => match key {
                "run_id" | "run_uuid" => Some(Field::Str(self.id.clone())),
                "run_name" | "runName" | "mlflow.runName" => Some(Field::Str(self.name.clone())),
                "status" => Some(Field::Str(self.status.clone())),
                "user_id" => Some(Field::Str(self.user_id.clone())),
                "artifact_uri" => Some(Field::Str(self.artifact_uri.clone())),
                "lifecycle_stage" => Some(Field::Str(self.lifecycle_stage.clone())),
                "start_time" => self.start_time.map(|t| Field::Num(t as f64)),
                "end_time" => self.end_time.map(|t| Field::Num(t as f64)),
                "experiment_id" => Some(Field::Str(self.experiment_id.to_string())),
                _ => None,
            },
        }
    }
}

fn metric_json(r: &Row) -> Json {
    // Columns: key, value, timestamp, step, is_nan.
    let value = if r.bool(4) { f64::NAN } else { r.float(1) };
    json!({"key": r.text(0), "value": double(value), "timestamp": r.int(2), "step": r.int(3)})
}

pub fn load(tx: &mut dyn Tx, id: &str) -> Result<Run, ApiError> {
    let row = tx
        .one(
            &format!("SELECT {COLUMNS} FROM runs WHERE run_uuid = $1"),
            &[Value::from(id)],
        )?
        .ok_or_else(|| ApiError::not_found(format!("Run with id={id} not found")))?;
    let mut run = Run::from_row(&row);
    fill(tx, std::slice::from_mut(&mut run))?;
    Ok(run)
}

/// Loads metrics, params, tags, inputs and outputs of `runs` in a few queries.
fn fill(tx: &mut dyn Tx, runs: &mut [Run]) -> Result<(), ApiError> {
    if runs.is_empty() {
        return Ok(());
    }
    let index: HashMap<String, usize> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();
    let ids: Vec<Value> = runs.iter().map(|r| Value::from(&r.id)).collect();
    for chunk in ids.chunks(500) {
        let marks = (1..=chunk.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        for row in tx.query(&format!("SELECT key, value, timestamp, step, is_nan, run_uuid FROM latest_metrics WHERE run_uuid IN ({marks})"), chunk)? {
            if let Some(&i) = index.get(&row.text(5)) {
                runs[i].metrics.push(row);
            }
        }
        for row in tx.query(
            &format!("SELECT key, value, run_uuid FROM params WHERE run_uuid IN ({marks})"),
            chunk,
        )? {
            if let Some(&i) = index.get(&row.text(2)) {
                runs[i].params.push(row);
            }
        }
        for row in tx.query(
            &format!("SELECT key, value, run_uuid FROM tags WHERE run_uuid IN ({marks})"),
            chunk,
        )? {
            if let Some(&i) = index.get(&row.text(2)) {
                runs[i].tags.push(row);
            }
        }
        for row in tx.query(&format!("SELECT destination_id, step, source_id FROM inputs WHERE source_type = 'RUN_OUTPUT' AND destination_type = 'MODEL_OUTPUT' AND source_id IN ({marks})"), chunk)? {
            if let Some(&i) = index.get(&row.text(2)) {
                runs[i].outputs.push(row);
            }
        }
        let datasets = tx.query(&format!(
            "SELECT i.input_uuid, i.destination_id, d.name, d.digest, d.dataset_source_type, d.dataset_source, d.dataset_schema, d.dataset_profile FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN' AND i.destination_id IN ({marks})"
        ), chunk)?;
        for row in datasets {
            let tags = tx.query(
                "SELECT name, value FROM input_tags WHERE input_uuid = $1",
                &[Value::Text(row.text(0))],
            )?;
            let dataset = object(vec![
                ("name", json!(row.text(2))),
                ("digest", json!(row.text(3))),
                ("source_type", json!(row.text(4))),
                ("source", json!(row.text(5))),
                ("schema", opt_str(row.opt_text(6))),
                ("profile", opt_str(row.opt_text(7))),
            ]);
            let input = object(vec![("tags", key_values(&tags)), ("dataset", dataset)]);
            if let Some(&i) = index.get(&row.text(1)) {
                runs[i].datasets.push(input);
            }
        }
    }
    Ok(())
}

fn load_active(tx: &mut dyn Tx, id: &str) -> Result<Run, ApiError> {
    let row = tx
        .one(
            &format!("SELECT {COLUMNS} FROM runs WHERE run_uuid = $1"),
            &[Value::from(id)],
        )?
        .ok_or_else(|| ApiError::not_found(format!("Run with id={id} not found")))?;
    let run = Run::from_row(&row);
    if run.lifecycle_stage != "active" {
        return Err(ApiError::invalid_parameter(format!(
            "The run {id} must be in the 'active' state. Current state is {}.",
            run.lifecycle_stage
        )));
    }
    Ok(run)
}

/// Names MLflow gives unnamed runs: `<adjective>-<animal>-<number>`.
fn random_run_name() -> String {
    const ADJ: &[&str] = &[
        "bright", "calm", "clever", "gentle", "honest", "keen", "lucky", "merry", "quiet", "swift",
        "bold", "vibrant",
    ];
    const NOUN: &[&str] = &[
        "ant", "bass", "cat", "doe", "eel", "fox", "gnu", "hen", "ibis", "jay", "koi", "lark",
    ];
    let id = uuid::Uuid::new_v4();
    let b = id.as_bytes();
    format!(
        "{}-{}-{}",
        ADJ[b[0] as usize % ADJ.len()],
        NOUN[b[1] as usize % NOUN.len()],
        u16::from_le_bytes([b[2], b[3]]) % 1000
    )
}

pub fn create(tx: &mut dyn Tx, req: &Request) -> Result<Json, ApiError> {
    // MLflow 3.17.2 fails a run without an experiment id at flush time
    // (BAD_REQUEST with SQLAlchemy's text); the same status and code here.
    let experiment_id = match req.opt_str("experiment_id")?.filter(|s| !s.is_empty()) {
        Some(id) => experiments::parse_id(&id)?,
        None => {
            return Err(ApiError::new(
                super::error::ErrorCode::BadRequest,
                "A run needs an experiment_id.",
            ))
        }
    };
    let experiment = experiments::load_active(tx, experiment_id)?;
    let tags = req.key_values("tags")?;
    let tag_name = tags
        .iter()
        .find(|(k, _)| k == "mlflow.runName")
        .map(|(_, v)| v.clone());
    let name = match (req.opt_str("run_name")?.filter(|s| !s.is_empty()), tag_name) {
        (Some(a), Some(b)) if a != b => {
            return Err(ApiError::invalid_parameter(format!(
                "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='{a}', mlflow.runName='{b}')."
            )))
        }
        (Some(a), _) => a,
        (None, Some(b)) => b,
        (None, None) => random_run_name(),
    };
    let id = new_id();
    let artifact_uri = format!(
        "{}/{id}/artifacts",
        experiment.artifact_location.trim_end_matches('/')
    );
    let user_id = req.opt_str("user_id")?.unwrap_or_default();
    tx.execute(
        "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id) VALUES ($1, $2, 'UNKNOWN', '', '', $3, 'RUNNING', $4, NULL, '', 'active', $5, $6)",
        &[Value::from(&id), Value::from(&name), Value::from(&user_id), Value::from(req.opt_i64("start_time")?), Value::from(&artifact_uri), Value::Int(experiment_id)],
    )?;
    let mut all_tags = tags;
    if !all_tags.iter().any(|(k, _)| k == "mlflow.runName") {
        all_tags.push(("mlflow.runName".into(), name.clone()));
    }
    for (k, v) in &all_tags {
        write_tag(tx, &id, k, v)?;
    }
    let mut run = load(tx, &id)?;
    run.tags
        .sort_by_key(|t| all_tags.iter().position(|(k, _)| *k == t.text(0)));
    Ok(json!({"run": run.to_json(false)}))
}

fn write_tag(tx: &mut dyn Tx, run: &str, key: &str, value: &str) -> Result<(), ApiError> {
    validate_key(key, "tag")?;
    if value.chars().count() > MAX_TAG_VALUE {
        return Err(ApiError::invalid_parameter(format!(
            "Tag value exceeds the maximum length of {MAX_TAG_VALUE} characters"
        )));
    }
    tx.execute(
        "DELETE FROM tags WHERE run_uuid = $1 AND key = $2",
        &[Value::from(run), Value::from(key)],
    )?;
    tx.execute(
        "INSERT INTO tags (key, value, run_uuid) VALUES ($1, $2, $3)",
        &[Value::from(key), Value::from(value), Value::from(run)],
    )?;
    if key == "mlflow.runName" {
        tx.execute(
            "UPDATE runs SET name = $1 WHERE run_uuid = $2",
            &[Value::from(value), Value::from(run)],
        )?;
    }
    Ok(())
}

fn validate_key(key: &str, what: &str) -> Result<(), ApiError> {
    if key.chars().count() > MAX_KEY {
        return Err(ApiError::invalid_parameter(format!(
            "'key' exceeds the maximum length of {MAX_KEY} characters"
        )));
    }
    let ok = key
        .chars()
        .all(|c| c.is_alphanumeric() || "_-. /:".contains(c));
    if !ok || key.split('/').any(|p| p == "..") || key.starts_with('/') {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid {what} name: '{key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/)."
        )));
    }
    Ok(())
}

pub fn get(tx: &mut dyn Tx, req: &Request) -> Result<Json, ApiError> {
    let id = req.run_id()?;
    Ok(json!({"run": load(tx, &id)?.to_json(true)}))
}

pub fn update(tx: &mut dyn Tx, req: &Request) -> Result<Json, ApiError> {
    let id = req.run_id()?;
    load_active(tx, &id)?;
    if let Some(status) = req.opt_str("status")? {
        // An unknown status name is dropped by protobuf's parser, as in MLflow.
        let status = match status.as_str() {
            "1" => "RUNNING",
            "2" => "SCHEDULED",
            "3" => "FINISHED",
            "4" => "FAILED",
            "5" => "KILLED",
            s => s,
        };
        if ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"].contains(&status) {
            tx.execute(
                "UPDATE runs SET status = $1 WHERE run_uuid = $2",
                &[Value::from(status), Value::from(&id)],
            )?;
        }
    }
    if let Some(end) = req.opt_i64("end_time")? {
        tx.execute(
            "UPDATE runs SET end_time = $1 WHERE run_uuid = $2",
            &[Value::Int(end), Value::from(&id)],
        )?;
    }
    if let Some(name) = req.opt_str("run_name")?.filter(|s| !s.is_empty()) {
        write_tag(tx, &id, "mlflow.runName", &name)?;
    }
    let run = load(tx, &id)?;
    Ok(json!({"run_info": run.info_json()}))
}

fn set_stage(tx: &mut dyn Tx, req: &Request, stage: &str) -> Result<Json, ApiError> {
    let id = req.run_id()?;
    load(tx, &id)?;
    let deleted = if stage == "deleted" {
        Value::Int(now_ms())
    } else {
        Value::Null
    };
    tx.execute(
        "UPDATE runs SET lifecycle_stage = $1, deleted_time = $2 WHERE run_uuid = $3",
        &[Value::from(stage), deleted, Value::from(&id)],
    )?;
    Ok(json!({}))
}

pub fn delete(tx: &mut dyn Tx, req: &Request) -> Result<Json, ApiError> {
    set_stage(tx, req, "deleted")
}

pub fn restore(tx: &mut dyn Tx, req: &Request) -> Result<Json, ApiError> {
    set_stage(tx, req, "active")
}

pub fn log_param(tx: &mut dyn Tx, req: &Request) -> Result<Json, ApiError> {
    let id = req.run_id()?;
    let key = req.str("key")?;
    let value = req.opt_str("value")?.ok_or_else(|| missing("value"))?;
    load_active(tx, &id)?;
    write_params(tx, &id, &[(key, value)], false)?;
    Ok(json!({}))
}

/// `batch`: log-batch reports conflicts as a list, log-parameter as one sentence.
fn write_params(
    tx: &mut dyn Tx,
    run: &str,
    params: &[(String, String)],
    batch: bool,
) -> Result<(), ApiError> {
    let mut changed = Vec::new();
    for (key, value) in params {
        validate_key(key, "param")?;
        if value.chars().count() > MAX_PARAM_VALUE {
            return Err(ApiError::invalid_parameter(format!(
                "Param value '{}' had length {}, which exceeded length limit of {MAX_PARAM_VALUE}",
                value.chars().take(250).collect::<String>(),
                value.chars().count()
            )));
        }
        match tx.one(
            "SELECT value FROM params WHERE run_uuid = $1 AND key = $2",
            &[Value::from(run), Value::from(key)],
        )? {
            Some(old) if old.text(0) != *value => {
                changed.push((key.clone(), old.text(0), value.clone()))
            }
            Some(_) => {}
            None => {
                tx.execute(
                    "INSERT INTO params (key, value, run_uuid) VALUES ($1, $2, $3)",
                    &[Value::from(key), Value::from(value), Value::from(run)],
                )?;
            }
        }
    }
    match changed.as_slice() {
        [] => Ok(()),
        [(key, old, new)] if !batch => Err(ApiError::invalid_parameter(format!(
            "Changing param values is not allowed. Param with key='{key}' was already logged with value='{old}' for run ID='{run}'. Attempted logging new value '{new}'."
        ))),
        many => Err(ApiError::invalid_parameter(format!(
            "Changing param values is not allowed. Params were already logged='[{}]' for run ID='{run}'.",
            many.iter()
                .map(|(k, o, n)| format!("{{'key': '{k}', 'old_value': '{o}', 'new_value': '{n}'}}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

pub struct Metric {
    pub key: String,
    pub value: f64,
    pub timestamp: i64,
    pub step: i64,
    pub model_id: Option<String>,
    pub dataset_name: Option<String>,
    pub dataset_digest: Option<String>,
}

fn metric_from(v: &Json) -> Result<Metric, ApiError> {
    let field = |name: &str| v.get(name).filter(|x| !x.is_null());
    let key = field("key")
        .and_then(Json::as_str)
        .ok_or_else(|| missing("key"))?
        .to_string();
    let value = match field("value") {
        None => return Err(missing("value")),
        Some(x) => json_f64(x).ok_or_else(|| invalid_value("value", x))?,
    };
    let int = |name: &str| -> Result<Option<i64>, ApiError> {
        match field(name) {
            None => Ok(None),
            Some(x) => x
                .as_i64()
                .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
                .map(Some)
                .ok_or_else(|| invalid_value(name, x)),
        }
    };
    let text = |name: &str| {
        field(name)
            .and_then(Json::as_str)
            .map(str::to_string)
            .filter(|s| !s.is_empty())
    };
    Ok(Metric {
        key,
        value,
        timestamp: int("timestamp")?.ok_or_else(|| missing("timestamp"))?,
        step: int("step")?.unwrap_or(0),
        model_id: text("model_id"),
        dataset_name: text("dataset_name"),
        dataset_digest: text("dataset_digest"),
    })
}

pub fn log_metric(tx: &mut dyn Tx, req: &Request) -> Result<Json, ApiError> {
    let id = req.run_id()?;
    let metric = metric_from(&Json::Object(req.fields.clone()))?;
    let run = load_active(tx, &id)?;
    write_metrics(tx, &run, &[metric])?;
    Ok(json!({}))
}

fn write_metrics(tx: &mut dyn Tx, run: &Run, metrics: &[Metric]) -> Result<(), ApiError> {
    for m in metrics {
        validate_key(&m.key, "metric")?;
        let is_nan = m.value.is_nan();
        let stored = if is_nan { 0.0 } else { m.value };
        // Identical points are kept once (the primary key covers every column).
        let exists = tx.one(
            "SELECT 1 FROM metrics WHERE key = $1 AND timestamp = $2 AND step = $3 AND run_uuid = $4 AND value = $5 AND is_nan = $6",
            &[Value::from(&m.key), Value::Int(m.timestamp), Value::Int(m.step), Value::from(&run.id), Value::Float(stored), Value::Bool(is_nan)],
        )?;
        if exists.is_none() {
            tx.execute(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES ($1, $2, $3, $4, $5, $6)",
                &[Value::from(&m.key), Value::Float(stored), Value::Int(m.timestamp), Value::from(&run.id), Value::Int(m.step), Value::Bool(is_nan)],
            )?;
        }
        // latest_metrics keeps the greatest (step, timestamp, value).
        let latest = tx.one("SELECT step, timestamp, value, is_nan FROM latest_metrics WHERE run_uuid = $1 AND key = $2", &[Value::from(&run.id), Value::from(&m.key)])?;
        let newer = match &latest {
            None => true,
            Some(r) => {
                let old_value = if r.bool(3) { f64::NAN } else { r.float(2) };
                (m.step, m.timestamp) > (r.int(0), r.int(1))
                    || ((m.step, m.timestamp) == (r.int(0), r.int(1)) && m.value > old_value)
            }
        };
        if newer {
            tx.execute(
                "DELETE FROM latest_metrics WHERE run_uuid = $1 AND key = $2",
                &[Value::from(&run.id), Value::from(&m.key)],
            )?;
            tx.execute(
                "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES ($1, $2, $3, $4, $5, $6)",
                &[Value::from(&m.key), Value::Float(stored), Value::Int(m.timestamp), Value::Int(m.step), Value::Bool(is_nan), Value::from(&run.id)],
            )?;
        }
        if let Some(model_id) = &m.model_id {
            tx.execute(
                "DELETE FROM logged_model_metrics WHERE model_id = $1 AND metric_name = $2 AND metric_timestamp_ms = $3 AND metric_step = $4 AND run_id = $5",
                &[Value::from(model_id), Value::from(&m.key), Value::Int(m.timestamp), Value::Int(m.step), Value::from(&run.id)],
            )?;
            tx.execute(
                "INSERT INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms, metric_step, metric_value, experiment_id, run_id, dataset_uuid, dataset_name, dataset_digest) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9)",
                &[Value::from(model_id), Value::from(&m.key), Value::Int(m.timestamp), Value::Int(m.step), Value::Float(m.value), Value::Int(run.experiment_id), Value::from(&run.id), Value::from(m.dataset_name.clone()), Value::from(m.dataset_digest.clone())],
            )?;
        }
    }
    Ok(())
}

pub fn set_tag(tx: &mut dyn Tx, req: &Request) -> Result<Json, ApiError> {
    let id = req.run_id()?;
    let key = req.str("key")?;
    let value = req.opt_str("value")?.unwrap_or_default();
    load_active(tx, &id)?;
    write_tag(tx, &id, &key, &value)?;
    Ok(json!({}))
}

pub fn delete_tag(tx: &mut dyn Tx, req: &Request) -> Result<Json, ApiError> {
    let id = req.run_id()?;
    let key = req.str("key")?;
    load_active(tx, &id)?;
    let n = tx.execute(
        "DELETE FROM tags WHERE run_uuid = $1 AND key = $2",
        &[Value::from(&id), Value::from(&key)],
    )?;
    if n == 0 {
        return Err(ApiError::not_found(format!(
            "No tag with name: {key} in run with id {id}"
        )));
    }
    Ok(json!({}))
}

pub fn log_batch(tx: &mut dyn Tx, req: &Request) -> Result<Json, ApiError> {
    let id = req.run_id()?;
    let metrics = req.array("metrics");
    let params = req.key_values("params")?;
    let tags = req.key_values("tags")?;
    for (what, n, max) in [
        ("metrics", metrics.len(), 1000),
        ("params", params.len(), 100),
        ("tags", tags.len(), 100),
    ] {
        if n > max {
            return Err(ApiError::invalid_parameter(format!(
                "A batch logging request can contain at most {max} {what}. Got {n} {what}. Please split up {what} across multiple requests and try again."
            )));
        }
    }
    let total = metrics.len() + params.len() + tags.len();
    if total > 1000 {
        return Err(ApiError::invalid_parameter(format!(
            "A batch logging request can contain at most 1000 metrics, params, and tags in total. Got {total} in total."
        )));
    }
    let metrics = metrics
        .iter()
        .map(metric_from)
        .collect::<Result<Vec<_>, _>>()?;
    let run = load_active(tx, &id)?;
    write_params(tx, &id, &params, true)?;
    write_metrics(tx, &run, &metrics)?;
    for (k, v) in &tags {
        write_tag(tx, &id, k, v)?;
    }
    Ok(json!({}))
}

pub fn log_inputs(tx: &mut dyn Tx, req: &Request) -> Result<Json, ApiError> {
    let id = req.run_id()?;
    let run = load_active(tx, &id)?;
    for input in req.array("datasets") {
        let d = input.get("dataset").cloned().unwrap_or(Json::Null);
        let s = |k: &str| d.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        let (name, digest) = (s("name"), s("digest"));
        if name.is_empty() || digest.is_empty() {
            return Err(missing(if name.is_empty() { "name" } else { "digest" }));
        }
        let existing = tx.one(
            "SELECT dataset_uuid FROM datasets WHERE experiment_id = $1 AND name = $2 AND digest = $3",
            &[Value::Int(run.experiment_id), Value::from(&name), Value::from(&digest)],
        )?;
        let dataset_uuid = match existing {
            Some(r) => r.text(0),
            None => {
                let uuid = new_id();
                tx.execute(
                    "INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source, dataset_schema, dataset_profile) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[Value::from(&uuid), Value::Int(run.experiment_id), Value::from(&name), Value::from(&digest), Value::Text(s("source_type")), Value::Text(s("source")), Value::from(d.get("schema").and_then(Json::as_str)), Value::from(d.get("profile").and_then(Json::as_str))],
                )?;
                uuid
            }
        };
        let linked = tx.one(
            "SELECT input_uuid FROM inputs WHERE source_type = 'DATASET' AND source_id = $1 AND destination_type = 'RUN' AND destination_id = $2",
            &[Value::from(&dataset_uuid), Value::from(&id)],
        )?;
        if linked.is_none() {
            let input_uuid = new_id();
            tx.execute(
                "INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step) VALUES ($1, 'DATASET', $2, 'RUN', $3, 0)",
                &[Value::from(&input_uuid), Value::from(&dataset_uuid), Value::from(&id)],
            )?;
            for tag in input
                .get("tags")
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default()
            {
                let key = tag.get("key").and_then(Json::as_str).unwrap_or("");
                let value = tag.get("value").and_then(Json::as_str).unwrap_or("");
                tx.execute(
                    "INSERT INTO input_tags (input_uuid, name, value) VALUES ($1, $2, $3)",
                    &[
                        Value::from(&input_uuid),
                        Value::from(key),
                        Value::from(value),
                    ],
                )?;
            }
        }
    }
    for model in req.array("models") {
        if let Some(model_id) = model.get("model_id").and_then(Json::as_str) {
            tx.execute(
                "INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step) VALUES ($1, 'RUN_INPUT', $2, 'MODEL_INPUT', $3, 0) ON CONFLICT DO NOTHING",
                &[Value::Text(new_id()), Value::from(&id), Value::from(model_id)],
            )?;
        }
    }
    Ok(json!({}))
}

pub fn log_outputs(tx: &mut dyn Tx, req: &Request) -> Result<Json, ApiError> {
    let id = req.run_id()?;
    load_active(tx, &id)?;
    for model in req.array("models") {
        let model_id = model
            .get("model_id")
            .and_then(Json::as_str)
            .ok_or_else(|| missing("model_id"))?;
        let step = model.get("step").and_then(Json::as_i64).unwrap_or(0);
        tx.execute(
            "INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step) VALUES ($1, 'RUN_OUTPUT', $2, 'MODEL_OUTPUT', $3, $4) ON CONFLICT DO NOTHING",
            &[Value::Text(new_id()), Value::from(&id), Value::from(model_id), Value::Int(step)],
        )?;
    }
    Ok(json!({}))
}

/// `runs/log-model` (MLflow 2 clients): appends the model to the run's
/// `mlflow.log-model.history` tag.
pub fn log_model(tx: &mut dyn Tx, req: &Request) -> Result<Json, ApiError> {
    let id = req.run_id()?;
    let model_json = req.str("model_json")?;
    let model: Json = serde_json::from_str(&model_json).map_err(|e| {
        ApiError::invalid_parameter(format!(
            "Malformed model info. \n {model_json} \n is not a valid JSON. ({e})"
        ))
    })?;
    load_active(tx, &id)?;
    let old = tx.one(
        "SELECT value FROM tags WHERE run_uuid = $1 AND key = 'mlflow.log-model.history'",
        &[Value::from(&id)],
    )?;
    let mut history: Vec<Json> = old
        .and_then(|r| serde_json::from_str(&r.text(0)).ok())
        .unwrap_or_default();
    history.push(model);
    write_tag(
        tx,
        &id,
        "mlflow.log-model.history",
        &serde_json::to_string(&history).unwrap_or_default(),
    )?;
    Ok(json!({}))
}

pub fn metric_history(tx: &mut dyn Tx, req: &Request) -> Result<Json, ApiError> {
    let id = req.run_id()?;
    let key = req.str("metric_key")?;
    let max = req
        .opt_i64("max_results")?
        .filter(|n| *n > 0)
        .unwrap_or(i64::MAX) as usize;
    let rows = tx.query(
        "SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = $1 AND key = $2 ORDER BY timestamp, step, value",
        &[Value::from(&id), Value::from(&key)],
    )?;
    let (page, next) = search::paginate(rows, req.opt_str("page_token")?.as_deref(), max)?;
    Ok(object(vec![
        (
            "metrics",
            Json::Array(page.iter().map(metric_json).collect()),
        ),
        ("next_page_token", opt_str(next)),
    ]))
}

const ENTITY_TYPES: &str = "['metric', 'parameter', 'tag', 'attribute', 'dataset']";

pub fn search(tx: &mut dyn Tx, req: &Request) -> Result<Json, ApiError> {
    let max_value = req.get("max_results").cloned();
    let max = req.opt_i64("max_results")?.unwrap_or(1000);
    if max > 50000 {
        return Err(invalid_value(
            "max_results",
            max_value.as_ref().unwrap_or(&Json::Null),
        ));
    }
    let max = req.max_results(max, 50000)?;
    let stage = experiments::view_type(req, "run_view_type")?;
    let filter = req.opt_str("filter")?;
    let clauses = search::parse_filter(filter.as_deref())?;
    for c in &clauses {
        if c.kind == "unknown" {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid entity type '{}'. Valid values are {ENTITY_TYPES}",
                c.key
            )));
        }
    }
    let order = search::parse_order_by(&req.str_list("order_by")?)?;
    let ids = req.str_list("experiment_ids")?;
    let mut experiment_ids = Vec::new();
    for id in &ids {
        experiment_ids.push(Value::Int(experiments::parse_id(id)?));
    }
    if experiment_ids.is_empty() {
        return Ok(json!({}));
    }
    let marks = (1..=experiment_ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = tx.query(
        &format!("SELECT {COLUMNS} FROM runs WHERE experiment_id IN ({marks})"),
        &experiment_ids,
    )?;
    let mut runs: Vec<Run> = rows
        .iter()
        .map(Run::from_row)
        .filter(|r| stage.is_none_or(|s| r.lifecycle_stage == s))
        .collect();
    fill(tx, &mut runs)?;
    let runs = search::filter_and_sort(runs, &clauses, &order, |a, b| {
        b.start_time.cmp(&a.start_time).then(a.id.cmp(&b.id))
    });
    let (page, next) = search::paginate(runs, req.opt_str("page_token")?.as_deref(), max)?;
    Ok(object(vec![
        (
            "runs",
            Json::Array(page.iter().map(|r| r.to_json(true)).collect()),
        ),
        ("next_page_token", opt_str(next)),
    ]))
}
