//! The pipeline `modules.json` describes: a Transformer, then Pooling, then
//! optionally Normalize. Both sentence-transformers' layouts are read: the
//! 2.x-5.x one (`sentence_transformers.models.Pooling`, one boolean per
//! pooling mode) and 6.x's (`...modules.pooling.Pooling`, `pooling_mode`).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::CandleError;

/// How token embeddings become one sentence embedding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    Mean,
    Cls,
    Max,
}

#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The Transformer module's directory, relative to the model directory.
    pub transformer_path: PathBuf,
    pub max_seq_length: Option<usize>,
    pub pooling: Pooling,
    pub normalize: bool,
}

fn read_json(path: &Path) -> Result<Value, CandleError> {
    let text = std::fs::read_to_string(path).map_err(|e| CandleError::Load {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| CandleError::Load {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn unsupported(path: &Path, what: impl Into<String>) -> CandleError {
    CandleError::Unsupported {
        path: path.to_path_buf(),
        what: what.into(),
    }
}

impl Pipeline {
    pub fn read(dir: &Path) -> Result<Pipeline, CandleError> {
        let modules_file = dir.join("modules.json");
        let modules = read_json(&modules_file)?;
        let modules = modules
            .as_array()
            .ok_or_else(|| unsupported(&modules_file, "a modules.json that is not a list"))?;
        let kind = |m: &Value| -> (String, String) {
            let ty = m.get("type").and_then(Value::as_str).unwrap_or("");
            let short = ty.rsplit('.').next().unwrap_or("").to_string();
            let path = m
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            (short, path)
        };
        let kinds: Vec<(String, String)> = modules.iter().map(kind).collect();
        let names: Vec<&str> = kinds.iter().map(|(k, _)| k.as_str()).collect();
        let (transformer_path, pooling_path, normalize) = match names.as_slice() {
            ["Transformer", "Pooling"] => (&kinds[0].1, &kinds[1].1, false),
            ["Transformer", "Pooling", "Normalize"] => (&kinds[0].1, &kinds[1].1, true),
            _ => {
                return Err(unsupported(
                    &modules_file,
                    format!(
                    "the module pipeline [{}] (Transformer, Pooling and an optional Normalize are)",
                    names.join(", ")
                ),
                ))
            }
        };
        let transformer_path = PathBuf::from(transformer_path);
        let pooling = read_pooling(&dir.join(pooling_path).join("config.json"))?;
        Ok(Pipeline {
            max_seq_length: max_seq_length(&dir.join(&transformer_path)),
            transformer_path,
            pooling,
            normalize,
        })
    }

    /// One embedding per sentence from a packed batch's last hidden state
    /// (`[tokens, width]`, `lengths` tokens per sentence), written into
    /// `out` (`[sentences, width]`).
    pub fn pool(&self, hidden: &[f32], width: usize, lengths: &[usize], out: &mut [f32]) {
        let mut start = 0;
        for (&len, row) in lengths.iter().zip(out.chunks_exact_mut(width)) {
            let tokens = &hidden[start * width..(start + len) * width];
            start += len;
            match self.pooling {
                Pooling::Cls => row.copy_from_slice(&tokens[..width]),
                Pooling::Mean => {
                    row.fill(0.0);
                    for token in tokens.chunks_exact(width) {
                        row.iter_mut().zip(token).for_each(|(r, t)| *r += t);
                    }
                    // sentence-transformers clamps the token count at 1e-9.
                    let count = (len as f32).max(1e-9);
                    row.iter_mut().for_each(|r| *r /= count);
                }
                Pooling::Max => {
                    row.fill(f32::MIN);
                    for token in tokens.chunks_exact(width) {
                        row.iter_mut().zip(token).for_each(|(r, t)| *r = r.max(*t));
                    }
                }
            }
            if self.normalize {
                // torch.nn.functional.normalize: x / max(||x||, 1e-12).
                let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
                row.iter_mut().for_each(|v| *v /= norm);
            }
        }
    }
}

fn read_pooling(path: &Path) -> Result<Pooling, CandleError> {
    let config = read_json(path)?;
    if let Some(mode) = config.get("pooling_mode").and_then(Value::as_str) {
        return match mode {
            "mean" => Ok(Pooling::Mean),
            "cls" => Ok(Pooling::Cls),
            "max" => Ok(Pooling::Max),
            other => Err(unsupported(path, format!("pooling mode '{other}'"))),
        };
    }
    let on = |k: &str| config.get(k).and_then(Value::as_bool).unwrap_or(false);
    let modes: Vec<(&str, Pooling)> = [
        ("pooling_mode_mean_tokens", Pooling::Mean),
        ("pooling_mode_cls_token", Pooling::Cls),
        ("pooling_mode_max_tokens", Pooling::Max),
    ]
    .into_iter()
    .filter(|(k, _)| on(k))
    .collect();
    let others = [
        "pooling_mode_mean_sqrt_len_tokens",
        "pooling_mode_weightedmean_tokens",
        "pooling_mode_lasttoken",
    ];
    if let Some(k) = others.iter().find(|k| on(k)) {
        return Err(unsupported(path, format!("pooling '{k}'")));
    }
    match modes.as_slice() {
        [(_, p)] => Ok(*p),
        [] => Err(unsupported(path, "a pooling config with no mode")),
        _ => Err(unsupported(path, "a concatenation of pooling modes")),
    }
}

/// sentence-transformers' `max_seq_length`: sentence_bert_config.json's, else
/// the tokenizer's `model_max_length`.
fn max_seq_length(transformer: &Path) -> Option<usize> {
    let get = |file: &str, key: &str| {
        read_json(&transformer.join(file))
            .ok()?
            .get(key)?
            .as_u64()
            .map(|n| n as usize)
    };
    get("sentence_bert_config.json", "max_seq_length")
        .or_else(|| get("tokenizer_config.json", "model_max_length"))
}
