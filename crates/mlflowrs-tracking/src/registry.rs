//! The model registry's registered models: create, get, rename, update,
//! delete, tags, search, latest versions per stage, and aliases, over
//! MLflow's own tables. Versions live in `model_versions`.

use serde_json::{json, Value as Json};

use super::db::{Row, Tx, Value};
use super::error::MlflowError;
use super::json::{key_values, now_ms, object, opt_int, opt_str};
use super::model_versions::{
    canonical_stage, latest_per_stage, load_version, load_versions, parse_version,
};
use super::registered_model_rows::{check_model, touch_model};
use super::request::Request;
use super::search::{self, Field};

fn validate_name(name: &str) -> Result<(), MlflowError> {
    if name.contains('/') || name.contains(':') {
        return Err(MlflowError::invalid_parameter(format!(
            "Invalid model name '{name}'. Names cannot contain '/' or ':'."
        )));
    }
    Ok(())
}

fn model_json(tx: &mut dyn Tx, row: &Row) -> Result<Json, MlflowError> {
    let name = row.text(0);
    let versions = load_versions(tx, "name = $1", &[Value::from(&name)])?;
    let latest: Vec<Json> = latest_per_stage(&versions, &[])
        .into_iter()
        .map(|i| versions[i].to_json(false))
        .collect();
    let tags = tx.query(
        "SELECT key, value FROM registered_model_tags WHERE workspace = 'default' AND name = $1",
        &[Value::from(&name)],
    )?;
    let aliases: Vec<Json> = tx
        .query("SELECT alias, version FROM registered_model_aliases WHERE workspace = 'default' AND name = $1 ORDER BY alias", &[Value::from(&name)])?
        .iter()
        .map(|r| json!({"alias": r.text(0), "version": r.int(1).to_string()}))
        .collect();
    Ok(object(vec![
        ("name", json!(name)),
        ("creation_timestamp", opt_int(row.opt_int(1))),
        ("last_updated_timestamp", opt_int(row.opt_int(2))),
        ("description", opt_str(row.opt_text(3))),
        ("latest_versions", Json::Array(latest)),
        ("tags", key_values(&tags)),
        ("aliases", Json::Array(aliases)),
    ]))
}

pub fn create_model(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let name = req.str("name")?;
    validate_name(&name)?;
    if check_model(tx, &name).is_ok() {
        return Err(MlflowError::already_exists(format!(
            "Registered Model (name={name}) already exists."
        )));
    }
    let now = now_ms();
    tx.execute(
        "INSERT INTO registered_models (name, creation_time, last_updated_time, description, workspace) VALUES ($1, $2, $2, $3, 'default')",
        &[Value::from(&name), Value::Int(now), Value::from(req.opt_str("description")?)],
    )?;
    for (k, v) in req.key_values("tags")? {
        set_model_tag_row(tx, &name, &k, &v)?;
    }
    let row = check_model(tx, &name)?;
    Ok(json!({"registered_model": model_json(tx, &row)?}))
}

fn set_model_tag_row(
    tx: &mut dyn Tx,
    name: &str,
    key: &str,
    value: &str,
) -> Result<(), MlflowError> {
    tx.execute(
        "DELETE FROM registered_model_tags WHERE workspace = 'default' AND name = $1 AND key = $2",
        &[Value::from(name), Value::from(key)],
    )?;
    tx.execute("INSERT INTO registered_model_tags (key, value, name, workspace) VALUES ($1, $2, $3, 'default')", &[Value::from(key), Value::from(value), Value::from(name)])?;
    Ok(())
}

pub fn get_model(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let row = check_model(tx, &req.str("name")?)?;
    Ok(json!({"registered_model": model_json(tx, &row)?}))
}

pub fn rename_model(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let name = req.str("name")?;
    let new_name = req
        .opt_str("new_name")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| super::error::missing("new_name"))?;
    validate_name(&new_name)?;
    check_model(tx, &name)?;
    if new_name != name && check_model(tx, &new_name).is_ok() {
        return Err(MlflowError::already_exists(format!(
            "Registered Model (name={new_name}) already exists."
        )));
    }
    let now = now_ms();
    // The foreign keys cascade the new name into versions, tags and aliases.
    tx.execute("UPDATE registered_models SET name = $1, last_updated_time = $2 WHERE workspace = 'default' AND name = $3", &[Value::from(&new_name), Value::Int(now), Value::from(&name)])?;
    tx.execute("UPDATE model_versions SET last_updated_time = $1 WHERE workspace = 'default' AND name = $2", &[Value::Int(now), Value::from(&new_name)])?;
    let row = check_model(tx, &new_name)?;
    Ok(json!({"registered_model": model_json(tx, &row)?}))
}

pub fn update_model(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let name = req.str("name")?;
    check_model(tx, &name)?;
    if let Some(d) = req.opt_str("description")? {
        tx.execute("UPDATE registered_models SET description = $1, last_updated_time = $2 WHERE workspace = 'default' AND name = $3", &[Value::from(d), Value::Int(now_ms()), Value::from(&name)])?;
    }
    let row = check_model(tx, &name)?;
    Ok(json!({"registered_model": model_json(tx, &row)?}))
}

pub fn delete_model(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let name = req.str("name")?;
    check_model(tx, &name)?;
    let key = [Value::from(&name)];
    tx.execute(
        "DELETE FROM registered_model_aliases WHERE workspace = 'default' AND name = $1",
        &key,
    )?;
    tx.execute(
        "DELETE FROM model_version_tags WHERE workspace = 'default' AND name = $1",
        &key,
    )?;
    tx.execute(
        "DELETE FROM model_versions WHERE workspace = 'default' AND name = $1",
        &key,
    )?;
    tx.execute(
        "DELETE FROM registered_model_tags WHERE workspace = 'default' AND name = $1",
        &key,
    )?;
    tx.execute(
        "DELETE FROM registered_models WHERE workspace = 'default' AND name = $1",
        &key,
    )?;
    Ok(json!({}))
}

pub fn set_model_tag(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let name = req.str("name")?;
    let key = req.str("key")?;
    let value = req.opt_str("value")?.unwrap_or_default();
    check_model(tx, &name)?;
    set_model_tag_row(tx, &name, &key, &value)?;
    Ok(json!({}))
}

pub fn delete_model_tag(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let name = req.str("name")?;
    let key = req.str("key")?;
    check_model(tx, &name)?;
    tx.execute(
        "DELETE FROM registered_model_tags WHERE workspace = 'default' AND name = $1 AND key = $2",
        &[Value::from(&name), Value::from(&key)],
    )?;
    Ok(json!({}))
}

pub fn search_models(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let max = req.max_results(100, 1000)?;
    let clauses = search::parse_filter(req.opt_str("filter")?.as_deref())?;
    for c in &clauses {
        if !(c.kind == "tag" || (c.kind == "attribute" && c.key == "name")) {
            return Err(MlflowError::invalid_parameter(format!(
                "Invalid attribute key '{}' specified. Valid keys are '{{'name'}}'",
                c.key
            )));
        }
    }
    let order = search::parse_order_by(&req.str_list("order_by")?)?;
    let rows = tx.query("SELECT name, creation_time, last_updated_time, description FROM registered_models WHERE workspace = 'default'", &[])?;
    let all_tags = tx.query(
        "SELECT key, value, name FROM registered_model_tags WHERE workspace = 'default'",
        &[],
    )?;
    let field = |row: &Row, kind: &str, key: &str| -> Option<Field> {
        match (kind, key) {
            ("tag", k) => all_tags
                .iter()
                .find(|t| t.text(2) == row.text(0) && t.text(0) == k)
                .map(|t| Field::Str(t.text(1))),
            (_, "name") => Some(Field::Str(row.text(0))),
            (_, "creation_timestamp" | "timestamp") => row.opt_int(1).map(|t| Field::Num(t as f64)),
            (_, "last_updated_timestamp") => row.opt_int(2).map(|t| Field::Num(t as f64)),
            _ => None,
        }
    };
    let mut found: Vec<Row> = rows
        .into_iter()
        .filter(|r| {
            clauses
                .iter()
                .all(|c| c.matches(field(r, &c.kind, &c.key).as_ref()))
        })
        .collect();
    found.sort_by(|a, b| {
        for o in &order {
            let ord = search::order_fields(
                field(a, &o.kind, &o.key).as_ref(),
                field(b, &o.kind, &o.key).as_ref(),
                o.ascending,
            );
            if ord.is_ne() {
                return ord;
            }
        }
        a.text(0).cmp(&b.text(0))
    });
    let (page, next) = search::paginate(found, req.opt_str("page_token")?.as_deref(), max)?;
    let mut models = Vec::new();
    for row in &page {
        models.push(model_json(tx, row)?);
    }
    Ok(object(vec![
        ("registered_models", Json::Array(models)),
        ("next_page_token", opt_str(next)),
    ]))
}

pub fn latest_versions(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let name = req.str("name")?;
    check_model(tx, &name)?;
    let stages = req.str_list("stages")?;
    for stage in &stages {
        canonical_stage(stage)?;
    }
    let versions = load_versions(tx, "name = $1", &[Value::from(&name)])?;
    let out: Vec<Json> = latest_per_stage(&versions, &stages)
        .into_iter()
        .map(|i| versions[i].to_json(true))
        .collect();
    Ok(object(vec![("model_versions", Json::Array(out))]))
}

fn validate_alias(alias: &str) -> Result<(), MlflowError> {
    if alias.eq_ignore_ascii_case("latest") {
        return Err(MlflowError::invalid_parameter(
            "'latest' alias name (case insensitive) is reserved.",
        ));
    }
    let lower = alias.to_ascii_lowercase();
    if lower.starts_with('v') && lower.len() > 1 && lower[1..].chars().all(|c| c.is_ascii_digit()) {
        return Err(MlflowError::invalid_parameter(format!(
            "Version alias name '{alias}' is reserved."
        )));
    }
    if alias.len() > 255
        || !alias
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        return Err(MlflowError::invalid_parameter(format!(
            "Invalid alias name: '{alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-)."
        )));
    }
    Ok(())
}

pub fn set_alias(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let name = req.str("name")?;
    let alias = req.str("alias")?;
    let version = parse_version(&req.str("version")?)?;
    validate_alias(&alias)?;
    load_version(tx, &name, version)?;
    tx.execute("DELETE FROM registered_model_aliases WHERE workspace = 'default' AND name = $1 AND alias = $2", &[Value::from(&name), Value::from(&alias)])?;
    tx.execute("INSERT INTO registered_model_aliases (alias, version, name, workspace) VALUES ($1, $2, $3, 'default')", &[Value::from(&alias), Value::Int(version), Value::from(&name)])?;
    touch_model(tx, &name, now_ms())?;
    Ok(json!({}))
}

pub fn delete_alias(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let name = req.str("name")?;
    let alias = req.str("alias")?;
    check_model(tx, &name)?;
    tx.execute("DELETE FROM registered_model_aliases WHERE workspace = 'default' AND name = $1 AND alias = $2", &[Value::from(&name), Value::from(&alias)])?;
    Ok(json!({}))
}

pub fn get_by_alias(tx: &mut dyn Tx, req: &Request) -> Result<Json, MlflowError> {
    let name = req.str("name")?;
    let alias = req.str("alias")?;
    check_model(tx, &name)?;
    let row = tx
        .one("SELECT version FROM registered_model_aliases WHERE workspace = 'default' AND name = $1 AND alias = $2", &[Value::from(&name), Value::from(&alias)])?
        .ok_or_else(|| MlflowError::invalid_parameter(format!("Registered model alias {alias} not found.")))?;
    Ok(json!({"model_version": load_version(tx, &name, row.int(0))?.to_json(true)}))
}
