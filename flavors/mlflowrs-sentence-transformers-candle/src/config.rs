//! The transformer's `config.json`, as far as a BERT encoder reads it.

use std::path::Path;

use serde::Deserialize;

use crate::error::CandleError;

/// The activation between the feed-forward layers (`hidden_act`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `gelu`: x·Φ(x), with the exact error function.
    Gelu,
    /// `gelu_new`, `gelu_pytorch_tanh`, `gelu_fast`: the tanh approximation.
    GeluTanh,
    Relu,
}

#[derive(Debug, Clone)]
pub struct BertConfig {
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub activation: Activation,
    pub layer_norm_eps: f32,
    pub max_position_embeddings: usize,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    model_type: Option<String>,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    #[serde(default = "default_act")]
    hidden_act: String,
    #[serde(default = "default_eps")]
    layer_norm_eps: f64,
    max_position_embeddings: usize,
    #[serde(default)]
    position_embedding_type: Option<String>,
}

fn default_act() -> String {
    "gelu".into()
}

fn default_eps() -> f64 {
    1e-12
}

impl BertConfig {
    pub fn read(path: &Path) -> Result<BertConfig, CandleError> {
        let load = |message: String| CandleError::Load {
            path: path.to_path_buf(),
            message,
        };
        let unsupported = |what: String| CandleError::Unsupported {
            path: path.to_path_buf(),
            what,
        };
        let text = std::fs::read_to_string(path).map_err(|e| load(e.to_string()))?;
        let raw: Raw = serde_json::from_str(&text).map_err(|e| load(e.to_string()))?;
        let model_type = raw.model_type.as_deref().unwrap_or("");
        if !matches!(model_type, "bert" | "") {
            return Err(unsupported(format!(
                "model_type '{model_type}' (BERT-family encoders are)"
            )));
        }
        if let Some(kind) = raw.position_embedding_type.as_deref() {
            if kind != "absolute" {
                return Err(unsupported(format!("position_embedding_type '{kind}'")));
            }
        }
        let activation = match raw.hidden_act.as_str() {
            "gelu" => Activation::Gelu,
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Activation::GeluTanh,
            "relu" => Activation::Relu,
            other => return Err(unsupported(format!("hidden_act '{other}'"))),
        };
        if raw.num_attention_heads == 0 || !raw.hidden_size.is_multiple_of(raw.num_attention_heads)
        {
            return Err(load(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                raw.hidden_size, raw.num_attention_heads
            )));
        }
        Ok(BertConfig {
            hidden_size: raw.hidden_size,
            num_hidden_layers: raw.num_hidden_layers,
            num_attention_heads: raw.num_attention_heads,
            intermediate_size: raw.intermediate_size,
            activation,
            layer_norm_eps: raw.layer_norm_eps as f32,
            max_position_embeddings: raw.max_position_embeddings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<BertConfig, CandleError> {
        let path = std::env::temp_dir().join(format!(
            "mlflowrs-bert-config-{}-{}.json",
            std::process::id(),
            json.len()
        ));
        std::fs::write(&path, json).unwrap();
        let read = BertConfig::read(&path);
        std::fs::remove_file(&path).unwrap();
        read
    }

    const BASE: &str = r#""hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 4"#;

    #[test]
    fn activations_are_read_and_other_ones_refused_by_name() {
        let gelu = read(&format!("{{{BASE}}}")).unwrap();
        assert_eq!(gelu.activation, Activation::Gelu);
        assert_eq!(gelu.layer_norm_eps, 1e-12);
        let tanh = read(&format!(r#"{{{BASE}, "hidden_act": "gelu_new"}}"#)).unwrap();
        assert_eq!(tanh.activation, Activation::GeluTanh);
        let swish = read(&format!(r#"{{{BASE}, "hidden_act": "swish"}}"#)).unwrap_err();
        assert!(matches!(swish, CandleError::Unsupported { .. }));
        assert!(swish.to_string().contains("hidden_act 'swish'"), "{swish}");
    }

    #[test]
    fn relative_positions_and_other_architectures_are_refused() {
        let relative = format!(r#"{{{BASE}, "position_embedding_type": "relative_key"}}"#);
        let err = read(&relative).unwrap_err().to_string();
        assert!(
            err.contains("position_embedding_type 'relative_key'"),
            "{err}"
        );
        let roberta = read(&format!(r#"{{{BASE}, "model_type": "roberta"}}"#)).unwrap_err();
        assert!(roberta.to_string().contains("model_type 'roberta'"));
        let uneven = read(r#"{"hidden_size": 9, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 4}"#).unwrap_err();
        assert!(matches!(uneven, CandleError::Load { .. }));
    }
}
