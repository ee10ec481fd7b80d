//! Saved input examples (`input_example.json`, `serving_input_example.json`).

use std::path::Path;

use serde_json::Value;

use super::MlModelError;
use mlflowrs_protocol::pyjson::{self, Json};

#[derive(Debug, Clone, PartialEq)]
pub struct InputExampleInfo {
    pub artifact_path: String,
    pub serving_input_path: Option<String>,
    /// `dataframe`, `ndarray`, `json_object`, `sparse_matrix_csc`, `sparse_matrix_csr`.
    pub kind: String,
    pub pandas_orient: Option<String>,
    pub has_params: bool,
}

impl InputExampleInfo {
    pub fn from_value(v: &Value) -> Result<InputExampleInfo, String> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        Ok(InputExampleInfo {
            artifact_path: s("artifact_path").unwrap_or_else(|| "input_example.json".into()),
            serving_input_path: s("serving_input_path"),
            kind: s("type").ok_or("needs a 'type'")?,
            pandas_orient: s("pandas_orient"),
            has_params: matches!(v.get("params"), Some(Value::String(p)) if p == "true")
                || v.get("params") == Some(&Value::Bool(true)),
        })
    }
}

#[derive(Debug, Clone)]
pub struct InputExample {
    pub info: InputExampleInfo,
    /// `input_example.json` as parsed.
    pub example: Json,
    /// `serving_input_example.json`: a ready-to-send request body.
    pub serving_input: Option<String>,
}

impl InputExample {
    pub fn read(root: &Path, info: &InputExampleInfo) -> Result<InputExample, MlModelError> {
        let read = |rel: &str| {
            let path = root.join(rel);
            std::fs::read(&path).map_err(|source| MlModelError::Io { path, source })
        };
        let raw = read(&info.artifact_path)?;
        let example = pyjson::parse(&raw).map_err(|e| MlModelError::Field {
            path: root.join(&info.artifact_path),
            field: "(input example)".into(),
            message: e.message,
        })?;
        let serving_input = match &info.serving_input_path {
            Some(p) => Some(String::from_utf8_lossy(&read(p)?).into_owned()),
            None => None,
        };
        Ok(InputExample {
            info: info.clone(),
            example,
            serving_input,
        })
    }
}
