//! Runs: create, get, update, delete/restore, metric history, and search
//! with MLflow's filter and order-by syntax. What is logged to a run lives
//! in `run_data`.

use std::collections::HashMap;

use serde_json::{json, Value as Json};

use super::db::{find_key, placeholders, Row, Tx, Value};
use super::error::MlflowError;
use super::experiments;
use super::json::{double, key_values, new_id, now_ms, object, opt_int, opt_str};
use super::request::{invalid_value, Request};
use super::run_tags::write_tag;
use super::search::{self, Field, Searchable};

const COLUMNS: &str = "run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage";

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
    /// Logged models the run took as input (runs/get shows them).
    model_inputs: Vec<Row>,
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
            model_inputs: Vec::new(),
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

    /// `with_outputs`: runs/get and runs/search show model outputs; only
    /// runs/get shows the models the run took as input.
    fn to_json(&self, with_outputs: bool) -> Json {
        self.to_json_with(with_outputs, false)
    }

    fn to_json_with(&self, with_outputs: bool, with_model_inputs: bool) -> Json {
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
                object(vec![
                    ("dataset_inputs", Json::Array(self.datasets.clone())),
                    (
                        "model_inputs",
                        Json::Array(
                            self.model_inputs
                                .iter()
                                .filter(|_| with_model_inputs)
                                .map(|m| json!({"model_id": m.text(0)}))
                                .collect(),
                        ),
                    ),
                ]),
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
        match kind {
            "metric" => find_key(&self.metrics, key)
                .map(|r| Field::Num(if r.bool(4) { f64::NAN } else { r.float(1) })),
            "param" => find_key(&self.params, key).map(|r| Field::Str(r.text(1))),
            "tag" => find_key(&self.tags, key).map(|r| Field::Str(r.text(1))),
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

pub fn load(tx: &mut dyn Tx, id: &str) -> Result<Run, MlflowError> {
    let row = tx
        .one(
            &format!("SELECT {COLUMNS} FROM runs WHERE run_uuid = $1"),
            &[Value::from(id)],
        )?
        .ok_or_else(|| MlflowError::not_found(format!("Run with id={id} not found")))?;
    let mut run = Run::from_row(&row);
    fill(tx, std::slice::from_mut(&mut run))?;
    Ok(run)
}

/// Loads metrics, params, tags, inputs and outputs of `runs` in a few queries.
fn fill(tx: &mut dyn Tx, runs: &mut [Run]) -> Result<(), MlflowError> {
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
        let marks = placeholders(1, chunk.len());
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
        for row in tx.query(&format!("SELECT destination_id, source_id FROM inputs WHERE source_type = 'RUN_INPUT' AND destination_type = 'MODEL_INPUT' AND source_id IN ({marks})"), chunk)? {
            if let Some(&i) = index.get(&row.text(1)) {
                runs[i].model_inputs.push(row);
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

pub(super) fn load_active(tx: &mut dyn Tx, id: &str) -> Result<Run, MlflowError> {
    let row = tx
        .one(
            &format!("SELECT {COLUMNS} FROM runs WHERE run_uuid = $1"),
            &[Value::from(id)],
        )?
        .ok_or_else(|| MlflowError::not_found(format!("Run with id={id} not found")))?;
    let run = Run::from_row(&row);
    if run.lifecycle_stage != "active" {
        return Err(MlflowError::invalid_parameter(format!(
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

pub fn create(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    // MLflow 3.17.2 fails a run without an experiment id at flush time
    // (BAD_REQUEST with SQLAlchemy's text); the same status and code here.
    let experiment_id = match req.opt_str("experiment_id")?.filter(|s| !s.is_empty()) {
        Some(id) => experiments::parse_id(&id)?,
        None => {
            return Err(MlflowError::new(
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
            return Err(MlflowError::invalid_parameter(format!(
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
        write_tag(tx, &id, "key", k, v)?;
    }
    let mut run = load(tx, &id)?;
    run.tags
        .sort_by_key(|t| all_tags.iter().position(|(k, _)| *k == t.text(0)));
    Ok(json!({"run": run.to_json(false)}))
}

pub fn get(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let id = req.run_id()?;
    Ok(json!({"run": load(tx, &id)?.to_json_with(true, true)}))
}

pub fn update(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
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
        write_tag(tx, &id, "key", "mlflow.runName", &name)?;
    }
    let run = load(tx, &id)?;
    Ok(json!({"run_info": run.info_json()}))
}

fn set_stage(tx: &mut dyn Tx, req: &Request, stage: &str) -> Result<Json, MlflowError> {
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

pub fn delete(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    set_stage(tx, req, "deleted")
}

pub fn restore(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    set_stage(tx, req, "active")
}

pub fn metric_history(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
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

/// The UI's `ajax-api/2.0/mlflow/metrics/get-history-bulk`: one metric's
/// history for up to 100 runs (every `run_id` in the query), sorted by run,
/// then timestamp, step and value, at most 25,000 points in all.
pub fn metric_history_bulk(
    tx: &mut dyn Tx,
    query: &[(String, String)],
) -> Result<Json, MlflowError> {
    const MAX_HISTORY_RESULTS: i64 = 25_000;
    const MAX_RUN_IDS: usize = 100;
    let arg = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let mut run_ids: Vec<&String> = query
        .iter()
        .filter(|(k, _)| k == "run_id")
        .map(|(_, v)| v)
        .collect();
    if run_ids.is_empty() {
        return Err(MlflowError::invalid_parameter(
            "GetMetricHistoryBulk request must specify at least one run_id.",
        ));
    }
    if run_ids.len() > MAX_RUN_IDS {
        return Err(MlflowError::invalid_parameter(format!(
            "GetMetricHistoryBulk request cannot specify more than {MAX_RUN_IDS} run_ids. Received {} run_ids.",
            run_ids.len()
        )));
    }
    let Some(key) = arg("metric_key") else {
        return Err(MlflowError::invalid_parameter(
            "GetMetricHistoryBulk request must specify a metric_key.",
        ));
    };
    let max = match arg("max_results") {
        None => MAX_HISTORY_RESULTS,
        Some(v) => v.trim().parse::<i64>().map_err(|_| {
            MlflowError::invalid_parameter(format!("invalid literal for int() with base 10: '{v}'"))
        })?,
    }
    .min(MAX_HISTORY_RESULTS);
    run_ids.sort();
    run_ids.dedup();
    let marks = placeholders(2, run_ids.len());
    let mut params = vec![Value::from(key)];
    params.extend(run_ids.iter().map(|id| Value::from(id.as_str())));
    let rows = tx.query(
        &format!("SELECT key, value, timestamp, step, is_nan, run_uuid FROM metrics WHERE key = $1 AND run_uuid IN ({marks}) ORDER BY run_uuid, timestamp, step, value"),
        &params,
    )?;
    let metrics = rows
        .iter()
        .take(max.max(0) as usize)
        .map(|r| {
            let mut m = metric_json(r);
            m["run_id"] = Json::String(r.text(5));
            m
        })
        .collect();
    Ok(json!({ "metrics": Json::Array(metrics) }))
}

/// `metrics/get-history-bulk-interval` (the UI's charts): for each run, up
/// to `max_results` points of one metric, sampled as MLflow samples them:
/// the rows in (step, timestamp, value, is_nan) order are cut into
/// `max_results` NTILE buckets, the first row of each is kept, and the
/// last row is kept too (replacing the last sample when full).
pub fn metric_history_bulk_interval(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    const MAX_RESULTS_PER_RUN: i64 = 2500;
    let run_ids = req.str_list("run_ids")?;
    let key = req.str("metric_key")?;
    let max = req
        .opt_i64("max_results")?
        .unwrap_or(MAX_RESULTS_PER_RUN)
        .max(1) as usize;
    let steps = (req.opt_i64("start_step")?, req.opt_i64("end_step")?);
    let range = match steps {
        (Some(start), Some(end)) if start > end => {
            return Err(MlflowError::invalid_parameter(format!(
                "end_step must be greater than start_step. Found start_step={start} and end_step={end}."
            )))
        }
        (Some(start), Some(end)) => Some((start, end)),
        (None, None) => None,
        _ => {
            return Err(MlflowError::invalid_parameter(
                "If either start step or end step are specified, both must be specified.",
            ))
        }
    };
    let mut metrics = Vec::new();
    for run_id in &run_ids {
        let (start, end) = range.unwrap_or((i64::MIN, i64::MAX));
        let rows = tx.query(
            "SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = $1 AND key = $2 AND step >= $3 AND step <= $4 ORDER BY step, timestamp, value, is_nan",
            &[Value::from(run_id), Value::from(&key), Value::Int(start), Value::Int(end)],
        )?;
        for i in ntile_sample(rows.len(), max) {
            let mut m = metric_json(&rows[i]);
            m["run_id"] = Json::String(run_id.clone());
            metrics.push(m);
        }
    }
    Ok(object(vec![("metrics", Json::Array(metrics))]))
}

/// The indices SQL's `NTILE(buckets)` keeps as each bucket's first row
/// (the first `total % buckets` buckets one row larger), plus the last row.
fn ntile_sample(total: usize, buckets: usize) -> Vec<usize> {
    if total == 0 {
        return Vec::new();
    }
    let (size, larger) = (total / buckets, total % buckets);
    let mut picked = Vec::new();
    let mut start = 0;
    for b in 0..buckets.min(total) {
        picked.push(start);
        start += size + usize::from(b < larger);
    }
    let last = total - 1;
    if picked.last() != Some(&last) {
        if picked.len() >= buckets {
            *picked.last_mut().expect("one bucket at least") = last;
        } else {
            picked.push(last);
        }
    }
    picked
}

const ENTITY_TYPES: &str = "['metric', 'parameter', 'tag', 'attribute', 'dataset']";

pub fn search(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
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
            return Err(MlflowError::invalid_parameter(format!(
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
    let marks = placeholders(1, experiment_ids.len());
    let rows = tx.query(
        &format!("SELECT {COLUMNS} FROM runs WHERE experiment_id IN ({marks})"),
        &experiment_ids,
    )?;
    let mut runs: Vec<Run> = rows
        .iter()
        .map(Run::from_row)
        .filter(|r| stage.is_none_or(|s| r.lifecycle_stage == s))
        .collect();
    // A search on the runs' own columns only (the UI's runs table: newest
    // first) needs the metrics, params and tags of the page's runs alone.
    let on_columns = clauses.iter().all(|c| c.kind == "attribute")
        && order.iter().all(|o| o.kind == "attribute");
    if !on_columns {
        fill(tx, &mut runs)?;
    }
    let runs = search::filter_and_sort(runs, &clauses, &order, |a, b| {
        b.start_time.cmp(&a.start_time).then(a.id.cmp(&b.id))
    });
    let (mut page, next) = search::paginate(runs, req.opt_str("page_token")?.as_deref(), max)?;
    if on_columns {
        fill(tx, &mut page)?;
    }
    Ok(object(vec![
        (
            "runs",
            Json::Array(page.iter().map(|r| r.to_json(true)).collect()),
        ),
        ("next_page_token", opt_str(next)),
    ]))
}
