//! A run's tags and the key rules params, metrics and tags share; below
//! both `runs` and `run_data`, which write tags.

use super::db::{Tx, Value};
use super::error::MlflowError;

const MAX_TAG_VALUE: usize = 8000;

const MAX_KEY: usize = 250;

/// Writes a run tag as MLflow's `_validate_tag` and store write it: the
/// name checked (`path` is the JSON path its errors name: `key`, or
/// `tags[2].key` in a batch), the key's length limited, the value
/// truncated to 8000 characters.
pub(super) fn write_tag(
    tx: &mut dyn Tx,
    run: &str,
    path: &str,
    key: &str,
    value: &str,
) -> Result<(), MlflowError> {
    validate_name(key, path)?;
    validate_key_length(path, key)?;
    let value = truncated(value, MAX_TAG_VALUE, "Tag value");
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

/// MLflow's `invalid_value(path, value, message)`.
fn invalid_value(path: &str, value: &str, message: &str) -> MlflowError {
    let mut formatted = String::new();
    mlflowrs_protocol::pyjson::write_str(value, &mut formatted);
    MlflowError::invalid_parameter(format!(
        "Invalid value {formatted} for parameter '{path}' supplied: {message}"
    ))
}

/// Python's `posixpath.normpath`.
fn normpath(name: &str) -> String {
    if name.is_empty() {
        return ".".into();
    }
    let slashes = name.len() - name.trim_start_matches('/').len();
    let root = match slashes {
        0 => "",
        2 => "//",
        _ => "/",
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." if !parts.is_empty() && parts.last() != Some(&"..") => {
                parts.pop();
            }
            ".." if !root.is_empty() => {}
            p => parts.push(p),
        }
    }
    let joined = format!("{root}{}", parts.join("/"));
    if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// MLflow's `_validate_param_name`, `_validate_tag_name` and
/// `_validate_metric_name`: the characters, then that the name, read as a
/// path, names only itself.
pub(super) fn validate_name(name: &str, path: &str) -> Result<(), MlflowError> {
    let ok = name
        .chars()
        .all(|c| c.is_alphanumeric() || "_-. /:".contains(c));
    if !ok {
        return Err(invalid_value(
            path,
            name,
            "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).",
        ));
    }
    let norm = normpath(name);
    if norm != name || norm == "." || norm.starts_with("..") || norm.starts_with('/') {
        return Err(invalid_value(
            path,
            name,
            &format!(
                "Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to {}",
                mlflowrs_protocol::pyjson::py_str_repr(&norm)
            ),
        ));
    }
    Ok(())
}

/// MLflow's `_validate_length_limit` on a key: `entity` is what its error names.
pub(super) fn validate_key_length(entity: &str, key: &str) -> Result<(), MlflowError> {
    if key.chars().count() > MAX_KEY {
        return Err(MlflowError::invalid_parameter(format!(
            "'{entity}' exceeds the maximum length of {MAX_KEY} characters"
        )));
    }
    Ok(())
}

/// A value past its limit is cut to it, as MLflow's store does while
/// `MLFLOW_TRUNCATE_LONG_VALUES` is on (its default), with a warning.
pub(super) fn truncated<'v>(value: &'v str, limit: usize, entity: &str) -> &'v str {
    match value.char_indices().nth(limit) {
        None => value,
        Some((cut, _)) => {
            tracing::warn!(
                "{entity} ({} characters) is truncated to {limit} characters to meet the length limit.",
                value.chars().count()
            );
            &value[..cut]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normpath;

    #[test]
    fn normpath_is_posixpaths() {
        for (name, want) in [
            ("a/b", "a/b"),
            ("a//b", "a/b"),
            ("a/./b", "a/b"),
            ("a/", "a"),
            ("../a", "../a"),
            ("a/../..", ".."),
            ("/a", "/a"),
            ("//a", "//a"),
            ("///a", "/a"),
            ("", "."),
            ("/..", "/"),
        ] {
            assert_eq!(normpath(name), want, "{name}");
        }
    }
}
