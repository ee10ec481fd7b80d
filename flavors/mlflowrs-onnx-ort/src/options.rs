//! Session settings: the `onnx` flavor's `onnx_session_options` and
//! `providers`, plus mlflowrs's own pool size and thread count.

use std::path::Path;

use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use ort::session::Session;
use serde_json::Value;

use crate::error::OrtError;

#[derive(Debug, Clone, Default)]
pub struct SessionConfig {
    /// Sessions in the pool (concurrent inferences).
    pub sessions: usize,
    pub intra_op_threads: Option<usize>,
    pub inter_op_threads: Option<usize>,
    pub parallel_execution: bool,
    pub optimization_level: Option<GraphOptimizationLevel>,
    pub extra_config: Vec<(String, String)>,
}

impl SessionConfig {
    /// Reads the `onnx` flavor block of an MLmodel file. `sessions` and
    /// `default_intra_threads` come from mlflowrs's own settings; the model's
    /// `intra_op_num_threads` wins when it sets one, as in MLflow.
    pub fn from_flavor(
        flavor: &Value,
        sessions: usize,
        default_intra_threads: usize,
    ) -> Result<SessionConfig, OrtError> {
        log_skipped_providers(flavor.get("providers"));
        let mut config = SessionConfig {
            sessions,
            intra_op_threads: Some(default_intra_threads.max(1)),
            ..SessionConfig::default()
        };
        let Some(options) = flavor.get("onnx_session_options").filter(|v| !v.is_null()) else {
            return Ok(config);
        };
        let options = options
            .as_object()
            .ok_or_else(|| OrtError::Config("onnx_session_options must be a mapping".into()))?;
        let threads = |key: &str| -> Result<Option<usize>, OrtError> {
            match options.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => match v.as_u64() {
                    Some(0) => Ok(None),
                    Some(n) => Ok(Some(n as usize)),
                    None => Err(OrtError::Config(format!(
                        "{key} must be an integer, got {v}"
                    ))),
                },
            }
        };
        if let Some(n) = threads("intra_op_num_threads")? {
            config.intra_op_threads = Some(n);
        }
        config.inter_op_threads = threads("inter_op_num_threads")?;
        if let Some(mode) = options.get("execution_mode").and_then(Value::as_str) {
            match mode.to_ascii_uppercase().as_str() {
                "SEQUENTIAL" => config.parallel_execution = false,
                "PARALLEL" => config.parallel_execution = true,
                // MLflow ignores other values silently; so do we, but say so.
                other => tracing::warn!(execution_mode = other, "unknown execution_mode ignored"),
            }
        }
        if let Some(level) = options
            .get("graph_optimization_level")
            .filter(|v| !v.is_null())
        {
            config.optimization_level = Some(match level.as_i64() {
                Some(0) => GraphOptimizationLevel::Disable,
                Some(1) => GraphOptimizationLevel::Level1,
                Some(2) => GraphOptimizationLevel::Level2,
                Some(3) => GraphOptimizationLevel::Level3,
                Some(99) => GraphOptimizationLevel::All,
                _ => {
                    return Err(OrtError::Config(format!(
                        "graph_optimization_level must be 0, 1, 2, 3 or 99, got {level}"
                    )))
                }
            });
        }
        if let Some(extra) = options
            .get("extra_session_config")
            .and_then(Value::as_object)
        {
            for (k, v) in extra {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                config.extra_config.push((k.clone(), v));
            }
        }
        Ok(config)
    }

    pub(crate) fn build_session(
        &self,
        env: &ort::environment::Environment,
        model_file: &Path,
    ) -> Result<Session, OrtError> {
        let load_err = |message: String| OrtError::Load {
            path: model_file.to_path_buf(),
            message,
        };
        let step = |r: Result<SessionBuilder, ort::Error<SessionBuilder>>| {
            r.map_err(|e| load_err(e.to_string()))
        };
        let mut builder = Session::builder(env).map_err(|e| load_err(e.to_string()))?;
        // Run failures come back as errors and reach the client in MLflow's
        // format; ONNX Runtime's own stderr copy of them is noise.
        builder = step(builder.with_log_level(ort::logging::LogLevel::Fatal))?;
        if let Some(n) = self.intra_op_threads {
            builder = step(builder.with_intra_threads(n))?;
        }
        if let Some(n) = self.inter_op_threads {
            builder = step(builder.with_inter_threads(n))?;
        }
        builder = step(builder.with_parallel_execution(self.parallel_execution))?;
        if let Some(level) = self.optimization_level {
            builder = step(builder.with_optimization_level(level))?;
        }
        for (k, v) in &self.extra_config {
            builder = step(builder.with_config_entry(k, v))?;
        }
        builder
            .commit_from_file(model_file)
            .map_err(|e| load_err(e.to_string()))
    }
}

/// mlflowrs runs on the CPU provider; MLflow's default list names CUDA first.
fn log_skipped_providers(providers: Option<&Value>) {
    let names: Vec<String> = match providers {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|p| match p {
                Value::String(s) => Some(s.clone()),
                Value::Array(pair) => pair.first().and_then(Value::as_str).map(str::to_string),
                _ => None,
            })
            .collect(),
        _ => vec![
            "CUDAExecutionProvider".into(),
            "CPUExecutionProvider".into(),
        ],
    };
    let skipped: Vec<&String> = names
        .iter()
        .filter(|n| *n != "CPUExecutionProvider")
        .collect();
    if !skipped.is_empty() {
        tracing::info!(
            ?skipped,
            "execution providers not available in mlflowrs; using CPUExecutionProvider"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_flavor_session_options() {
        let flavor = json!({
            "providers": ["CUDAExecutionProvider", ["TensorrtExecutionProvider", {"x": 1}], "CPUExecutionProvider"],
            "onnx_session_options": {
                "intra_op_num_threads": 3,
                "inter_op_num_threads": 2,
                "execution_mode": "Parallel",
                "graph_optimization_level": 99,
                "extra_session_config": {"session.use_env_allocators": "1", "k": 5}
            }
        });
        let c = SessionConfig::from_flavor(&flavor, 4, 1).unwrap();
        assert_eq!(c.sessions, 4);
        assert_eq!(c.intra_op_threads, Some(3));
        assert_eq!(c.inter_op_threads, Some(2));
        assert!(c.parallel_execution);
        assert!(matches!(
            c.optimization_level,
            Some(GraphOptimizationLevel::All)
        ));
        assert_eq!(
            c.extra_config,
            vec![
                ("k".into(), "5".into()),
                ("session.use_env_allocators".into(), "1".into())
            ]
        );
    }

    #[test]
    fn defaults_and_bad_values() {
        let c = SessionConfig::from_flavor(&json!({"onnx_session_options": null}), 2, 1).unwrap();
        assert_eq!(c.intra_op_threads, Some(1));
        assert!(!c.parallel_execution);
        let bad = json!({"onnx_session_options": {"graph_optimization_level": 7}});
        assert!(SessionConfig::from_flavor(&bad, 1, 1)
            .unwrap_err()
            .to_string()
            .contains("graph_optimization_level"));
        let bad = json!({"onnx_session_options": {"intra_op_num_threads": "many"}});
        assert!(SessionConfig::from_flavor(&bad, 1, 1).is_err());
    }
}
