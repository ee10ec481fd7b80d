//! A registered model's row, as both the registry and its versions read and
//! touch it.

use super::db::{Row, Tx, Value};
use super::error::MlflowError;

fn model_not_found(name: &str) -> MlflowError {
    MlflowError::not_found(format!("Registered Model with name={name} not found"))
}

pub(super) fn check_model(tx: &mut dyn Tx, name: &str) -> Result<Row, MlflowError> {
    tx.one(
        "SELECT name, creation_time, last_updated_time, description FROM registered_models WHERE workspace = 'default' AND name = $1",
        &[Value::from(name)],
    )?
    .ok_or_else(|| model_not_found(name))
}

pub(super) fn touch_model(tx: &mut dyn Tx, name: &str, now: i64) -> Result<(), MlflowError> {
    tx.execute("UPDATE registered_models SET last_updated_time = $1 WHERE workspace = 'default' AND name = $2", &[Value::Int(now), Value::from(name)])?;
    Ok(())
}
