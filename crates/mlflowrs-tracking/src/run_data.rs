//! What is logged to a run: params (never changed once logged), metrics
//! (history plus the latest value per key), tags, batches of all three,
//! dataset inputs, model outputs and MLflow 2's log-model history.

use serde_json::{json, Value as Json};

use super::db::{Tx, Value};
use super::error::{missing, MlflowError};
use super::json::new_id;
use super::request::{invalid_value, json_f64, Request};
use super::run_tags::{truncated, validate_key_length, validate_name, write_tag};
use super::runs::{load_active, Run};

const MAX_PARAM_VALUE: usize = 6000;

pub fn log_param(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
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
) -> Result<(), MlflowError> {
    let mut changed = Vec::new();
    for (idx, (key, value)) in params.iter().enumerate() {
        // MLflow's `_validate_param`, with the path a batch names.
        let path = if batch {
            format!("params[{idx}].key")
        } else {
            "key".to_string()
        };
        validate_name(key, &path)?;
        validate_key_length("Param key", key)?;
        let value = &truncated(value, MAX_PARAM_VALUE, "Param value").to_string();
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
        [(key, old, new)] if !batch => Err(MlflowError::invalid_parameter(format!(
            "Changing param values is not allowed. Param with key='{key}' was already logged with value='{old}' for run ID='{run}'. Attempted logging new value '{new}'."
        ))),
        many => Err(MlflowError::invalid_parameter(format!(
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

fn metric_from(v: &Json) -> Result<Metric, MlflowError> {
    let field = |name: &str| v.get(name).filter(|x| !x.is_null());
    let key = field("key")
        .and_then(Json::as_str)
        .ok_or_else(|| missing("key"))?
        .to_string();
    let value = match field("value") {
        None => return Err(missing("value")),
        Some(x) => json_f64(x).ok_or_else(|| invalid_value("value", x))?,
    };
    let int = |name: &str| -> Result<Option<i64>, MlflowError> {
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

pub fn log_metric(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let id = req.run_id()?;
    let metric = metric_from(&Json::Object(req.fields.clone()))?;
    let run = load_active(tx, &id)?;
    write_metrics(tx, &run, &[metric], false)?;
    Ok(json!({}))
}

fn write_metrics(
    tx: &mut dyn Tx,
    run: &Run,
    metrics: &[Metric],
    batch: bool,
) -> Result<(), MlflowError> {
    for (idx, m) in metrics.iter().enumerate() {
        let path = if batch {
            format!("metrics[{idx}].name")
        } else {
            "name".to_string()
        };
        validate_name(&m.key, &path)?;
        let is_nan = m.value.is_nan();
        // MLflow's SQL store keeps NaN as 0 with is_nan set, and an
        // infinity as the largest double of its sign.
        let stored = if is_nan {
            0.0
        } else if m.value.is_infinite() {
            f64::MAX.copysign(m.value)
        } else {
            m.value
        };
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

pub fn set_tag(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let id = req.run_id()?;
    let key = req.str("key")?;
    let value = req.opt_str("value")?.unwrap_or_default();
    load_active(tx, &id)?;
    write_tag(tx, &id, "key", &key, &value)?;
    Ok(json!({}))
}

pub fn delete_tag(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let id = req.run_id()?;
    let key = req.str("key")?;
    load_active(tx, &id)?;
    let n = tx.execute(
        "DELETE FROM tags WHERE run_uuid = $1 AND key = $2",
        &[Value::from(&id), Value::from(&key)],
    )?;
    if n == 0 {
        return Err(MlflowError::not_found(format!(
            "No tag with name: {key} in run with id {id}"
        )));
    }
    Ok(json!({}))
}

pub fn log_batch(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
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
            return Err(MlflowError::invalid_parameter(format!(
                "A batch logging request can contain at most {max} {what}. Got {n} {what}. Please split up {what} across multiple requests and try again."
            )));
        }
    }
    let total = metrics.len() + params.len() + tags.len();
    if total > 1000 {
        return Err(MlflowError::invalid_parameter(format!(
            "A batch logging request can contain at most 1000 metrics, params, and tags in total. Got {total} in total."
        )));
    }
    let metrics = metrics
        .iter()
        .map(metric_from)
        .collect::<Result<Vec<_>, _>>()?;
    let run = load_active(tx, &id)?;
    write_params(tx, &id, &params, true)?;
    write_metrics(tx, &run, &metrics, true)?;
    for (idx, (k, v)) in tags.iter().enumerate() {
        write_tag(tx, &id, &format!("tags[{idx}].key"), k, v)?;
    }
    Ok(json!({}))
}

/// The UI's `experiments/search-datasets`: each (experiment, dataset name,
/// digest, context tag) of the datasets the experiments' runs took as input.
pub fn search_datasets(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    const MAX_EXPERIMENT_IDS: usize = 20;
    const MAX_SUMMARIES: i64 = 1000;
    let ids = req.str_list("experiment_ids")?;
    if ids.is_empty() {
        return Err(MlflowError::invalid_parameter(
            "SearchDatasets request must specify at least one experiment_id.",
        ));
    }
    if ids.len() > MAX_EXPERIMENT_IDS {
        return Err(MlflowError::invalid_parameter(format!(
            "SearchDatasets request cannot specify more than {MAX_EXPERIMENT_IDS} experiment_ids. Received {} experiment_ids.",
            ids.len()
        )));
    }
    let mut params = Vec::new();
    for id in &ids {
        params.push(Value::Int(super::experiments::parse_id(id)?));
    }
    let marks = super::db::placeholders(1, params.len());
    let rows = tx.query(
        &format!("SELECT DISTINCT d.experiment_id, d.name, d.digest, t.value FROM datasets d JOIN inputs i ON i.source_id = d.dataset_uuid LEFT JOIN input_tags t ON t.input_uuid = i.input_uuid AND t.name = 'mlflow.data.context' WHERE d.experiment_id IN ({marks}) LIMIT {MAX_SUMMARIES}"),
        &params,
    )?;
    let summaries: Vec<Json> = rows
        .iter()
        .map(|r| {
            super::json::object(vec![
                ("experiment_id", Json::String(r.int(0).to_string())),
                ("name", Json::String(r.text(1))),
                ("digest", Json::String(r.text(2))),
                ("context", super::json::opt_str(r.opt_text(3))),
            ])
        })
        .collect();
    Ok(super::json::object(vec![(
        "dataset_summaries",
        Json::Array(summaries),
    )]))
}

pub fn log_inputs(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
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

pub fn log_outputs(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
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
pub fn log_model(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let id = req.run_id()?;
    let model_json = req.str("model_json")?;
    let model: Json = serde_json::from_str(&model_json).map_err(|e| {
        MlflowError::invalid_parameter(format!(
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
        "key",
        "mlflow.log-model.history",
        &serde_json::to_string(&history).unwrap_or_default(),
    )?;
    Ok(json!({}))
}
