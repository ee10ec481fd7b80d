//! The MLmodel file: every top-level field MLflow writes, unknown ones kept.

mod example;
mod signature;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use example::{InputExample, InputExampleInfo};
pub use signature::{
    ColSpec, ColType, DataType, ParamSpec, ParamType, Schema, Signature, TensorSpec,
};

pub const MLMODEL_FILE_NAME: &str = "MLmodel";

#[derive(Debug, thiserror::Error)]
pub enum MlModelError {
    #[error("Could not find an \"MLmodel\" configuration file at \"{0}\"")]
    NotFound(PathBuf),
    #[error("could not read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid YAML: {message}")]
    Yaml { path: PathBuf, message: String },
    #[error("{path}: field '{field}' {message}")]
    Field {
        path: PathBuf,
        field: String,
        message: String,
    },
}

/// A parsed MLmodel file and the directory that holds it.
#[derive(Debug, Clone)]
pub struct MlModel {
    pub root: PathBuf,
    pub artifact_path: Option<String>,
    pub flavors: BTreeMap<String, Value>,
    pub model_uuid: Option<String>,
    pub model_id: Option<String>,
    pub run_id: Option<String>,
    pub utc_time_created: Option<String>,
    pub mlflow_version: Option<String>,
    pub signature: Option<Signature>,
    pub is_signature_from_type_hint: bool,
    pub type_hint_from_example: bool,
    pub saved_input_example_info: Option<InputExampleInfo>,
    pub metadata: Option<Value>,
    pub model_size_bytes: Option<u64>,
    pub prompts: Option<Value>,
    pub env_vars: Option<Vec<String>>,
    /// Fields this version of mlflowrs does not know, kept as read.
    pub extra: BTreeMap<String, Value>,
}

const KNOWN_FIELDS: &[&str] = &[
    "artifact_path",
    "flavors",
    "model_uuid",
    "model_id",
    "run_id",
    "utc_time_created",
    "mlflow_version",
    "signature",
    "is_signature_from_type_hint",
    "type_hint_from_example",
    "saved_input_example_info",
    "metadata",
    "model_size_bytes",
    "prompts",
    "env_vars",
];

impl MlModel {
    /// Loads `<dir>/MLmodel`, or the file itself when given its path.
    pub fn load(path: &Path) -> Result<MlModel, MlModelError> {
        let (root, file) = if path.is_dir() {
            (path.to_path_buf(), path.join(MLMODEL_FILE_NAME))
        } else if path.file_name().is_some_and(|n| n == MLMODEL_FILE_NAME) && path.is_file() {
            let root = path.parent().unwrap_or(Path::new(".")).to_path_buf();
            (root, path.to_path_buf())
        } else {
            return Err(MlModelError::NotFound(path.to_path_buf()));
        };
        if !file.is_file() {
            return Err(MlModelError::NotFound(root));
        }
        let text = std::fs::read_to_string(&file).map_err(|source| MlModelError::Io {
            path: file.clone(),
            source,
        })?;
        Self::parse(&text, &file, root)
    }

    /// Parses MLmodel text; `file` names the source in error messages.
    pub fn parse(text: &str, file: &Path, root: PathBuf) -> Result<MlModel, MlModelError> {
        let doc: Value = serde_norway::from_str(text).map_err(|e| MlModelError::Yaml {
            path: file.to_path_buf(),
            message: e.to_string(),
        })?;
        let f = Fields { file, doc: &doc };
        let Value::Object(map) = &doc else {
            return Err(f.err("(top level)", "must be a mapping"));
        };
        let flavors = match map.get("flavors") {
            Some(Value::Object(fl)) => fl.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Some(Value::Null) | None => return Err(f.err("flavors", "is missing")),
            Some(_) => return Err(f.err("flavors", "must be a mapping of flavor name to settings")),
        };
        let signature = match map.get("signature") {
            None | Some(Value::Null) => None,
            Some(v) => Some(Signature::from_value(v).map_err(|m| f.err("signature", &m))?),
        };
        let saved_input_example_info = match map.get("saved_input_example_info") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                InputExampleInfo::from_value(v)
                    .map_err(|m| f.err("saved_input_example_info", &m))?,
            ),
        };
        let env_vars = match map.get("env_vars") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| f.err("env_vars", "must be a list of strings"))?,
            ),
            Some(_) => return Err(f.err("env_vars", "must be a list of strings")),
        };
        let extra = map
            .iter()
            .filter(|(k, _)| !KNOWN_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(MlModel {
            root,
            artifact_path: f.string("artifact_path")?,
            flavors,
            model_uuid: f.string("model_uuid")?,
            model_id: f.string("model_id")?,
            run_id: f.string("run_id")?,
            utc_time_created: f.string("utc_time_created")?,
            mlflow_version: f.string("mlflow_version")?,
            signature,
            is_signature_from_type_hint: f.boolean("is_signature_from_type_hint")?,
            type_hint_from_example: f.boolean("type_hint_from_example")?,
            saved_input_example_info,
            metadata: map.get("metadata").filter(|v| !v.is_null()).cloned(),
            model_size_bytes: match map.get("model_size_bytes") {
                None | Some(Value::Null) => None,
                Some(v) => {
                    Some(v.as_u64().ok_or_else(|| {
                        f.err("model_size_bytes", "must be a non-negative integer")
                    })?)
                }
            },
            prompts: map.get("prompts").filter(|v| !v.is_null()).cloned(),
            env_vars,
            extra,
        })
    }

    pub fn flavor(&self, name: &str) -> Option<&Value> {
        self.flavors.get(name)
    }

    pub fn flavor_names(&self) -> Vec<&str> {
        self.flavors.keys().map(String::as_str).collect()
    }

    /// The input schema, if the model has one.
    pub fn input_schema(&self) -> Option<&Schema> {
        self.signature.as_ref().and_then(|s| s.inputs.as_ref())
    }

    /// Reads the saved input examples, if the MLmodel says there are some.
    pub fn input_example(&self) -> Result<Option<InputExample>, MlModelError> {
        match &self.saved_input_example_info {
            None => Ok(None),
            Some(info) => InputExample::read(&self.root, info).map(Some),
        }
    }
}

/// Typed access to top-level fields with errors that name the file and field.
struct Fields<'a> {
    file: &'a Path,
    doc: &'a Value,
}

impl Fields<'_> {
    fn err(&self, field: &str, message: &str) -> MlModelError {
        MlModelError::Field {
            path: self.file.to_path_buf(),
            field: field.to_string(),
            message: message.to_string(),
        }
    }

    /// Strings; YAML may have typed a version-like value as a number.
    fn string(&self, field: &str) -> Result<Option<String>, MlModelError> {
        match self.doc.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(self.err(field, "must be a string")),
        }
    }

    fn boolean(&self, field: &str) -> Result<bool, MlModelError> {
        match self.doc.get(field) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(self.err(field, "must be true or false")),
        }
    }
}

#[cfg(test)]
mod tests;
