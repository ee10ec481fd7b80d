//! A run's tags and the key rules params, metrics and tags share; below
//! both `runs` and `run_data`, which write tags.

use super::db::{Tx, Value};
use super::error::MlflowError;

const MAX_TAG_VALUE: usize = 8000;

const MAX_KEY: usize = 250;

pub(super) fn write_tag(
    tx: &mut dyn Tx,
    run: &str,
    key: &str,
    value: &str,
) -> Result<(), MlflowError> {
    validate_key(key, "tag")?;
    if value.chars().count() > MAX_TAG_VALUE {
        return Err(MlflowError::invalid_parameter(format!(
            "Tag value exceeds the maximum length of {MAX_TAG_VALUE} characters"
        )));
    }
    // MLflow routes the run-name tag through `update_run_info`, which
    // ignores an empty name: the run keeps its name and its tag.
    if key == "mlflow.runName" && value.is_empty() {
        return Ok(());
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

pub(super) fn validate_key(key: &str, what: &str) -> Result<(), MlflowError> {
    if key.chars().count() > MAX_KEY {
        return Err(MlflowError::invalid_parameter(format!(
            "'key' exceeds the maximum length of {MAX_KEY} characters"
        )));
    }
    let ok = key
        .chars()
        .all(|c| c.is_alphanumeric() || "_-. /:".contains(c));
    if !ok || key.split('/').any(|p| p == "..") || key.starts_with('/') {
        return Err(MlflowError::invalid_parameter(format!(
            "Invalid {what} name: '{key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/)."
        )));
    }
    Ok(())
}
