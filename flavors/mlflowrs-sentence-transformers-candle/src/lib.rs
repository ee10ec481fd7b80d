//! `sentence_transformers` models as `mlflow.sentence_transformers.save_model`
//! writes them, run natively: `tokenizers` for the tokenizer, `candle` for a
//! BERT-family encoder, then the pipeline's pooling and normalisation as its
//! `modules.json` lists them. Nothing is ever downloaded.

mod error;
mod modules;

use std::path::Path;

use candle_core::{DType as CDType, Device, Tensor as CTensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use mlflowrs_flavor_api::{Batch, DType, Flavor, FlavorError, IoSpec, Named, Tensor, TensorData};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

pub use error::CandleError;
use modules::Pipeline;
pub use modules::Pooling;

/// The graph input and output names mlflowrs gives this flavor.
pub const INPUT: &str = "sentences";
pub const OUTPUT: &str = "embeddings";

/// An encoder, its tokenizer and its pooling.
pub struct SentenceModel {
    bert: BertModel,
    tokenizer: Tokenizer,
    pipeline: Pipeline,
    /// Sentences per forward pass (`--embedding-batch-size`).
    batch_size: usize,
    inputs: Vec<IoSpec>,
    outputs: Vec<IoSpec>,
}

impl SentenceModel {
    /// Loads the `model.sentence_transformer` directory of an MLflow model.
    pub fn load(dir: &Path, batch_size: usize) -> Result<SentenceModel, CandleError> {
        let pipeline = Pipeline::read(dir)?;
        let transformer = dir.join(&pipeline.transformer_path);
        let load = |message: String| CandleError::Load {
            path: transformer.clone(),
            message,
        };
        let config_text = std::fs::read_to_string(transformer.join("config.json"))
            .map_err(|e| load(format!("config.json: {e}")))?;
        let raw: serde_json::Value =
            serde_json::from_str(&config_text).map_err(|e| load(format!("config.json: {e}")))?;
        let model_type = raw.get("model_type").and_then(|v| v.as_str()).unwrap_or("");
        if !matches!(model_type, "bert" | "") {
            return Err(CandleError::Unsupported {
                path: transformer.join("config.json"),
                what: format!("model_type '{model_type}' (BERT-family encoders are)"),
            });
        }
        let config: Config =
            serde_json::from_value(raw).map_err(|e| load(format!("config.json: {e}")))?;
        let weights = transformer.join("model.safetensors");
        if !weights.is_file() {
            return Err(CandleError::Unsupported {
                path: transformer.clone(),
                what: "a model without model.safetensors".into(),
            });
        }
        // Safety: the weights are memory-mapped read-only; mlflowrs never
        // writes model files it serves.
        let vb =
            unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], CDType::F32, &Device::Cpu) }
                .map_err(|e| load(format!("model.safetensors: {e}")))?;
        let bert = BertModel::load(vb, &config).map_err(|e| load(format!("weights: {e}")))?;
        let mut tokenizer = Tokenizer::from_file(transformer.join("tokenizer.json"))
            .map_err(|e| load(format!("tokenizer.json: {e}")))?;
        // sentence-transformers overrides what tokenizer.json has built in
        // (all-MiniLM-L6-v2's pads every input to 128): pad to the longest
        // sentence of a batch and truncate at the model's max_seq_length.
        let max_len = pipeline
            .max_seq_length
            .unwrap_or(config.max_position_embeddings)
            .min(config.max_position_embeddings);
        let pad_id = tokenizer.get_padding().map(|p| p.pad_id).unwrap_or(0);
        let pad_token = tokenizer
            .get_padding()
            .map(|p| p.pad_token.clone())
            .unwrap_or_else(|| "[PAD]".into());
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            pad_id,
            pad_token,
            ..PaddingParams::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_len,
                ..TruncationParams::default()
            }))
            .map_err(|e| load(format!("tokenizer truncation: {e}")))?;
        let dim = config.hidden_size;
        tracing::info!(
            max_seq_length = max_len,
            dim,
            pooling = ?pipeline.pooling,
            normalize = pipeline.normalize,
            "sentence_transformers model loaded with candle"
        );
        Ok(SentenceModel {
            bert,
            tokenizer,
            pipeline,
            batch_size: batch_size.max(1),
            inputs: vec![IoSpec {
                name: INPUT.into(),
                dtype: Some(DType::Str),
                shape: vec![-1],
            }],
            outputs: vec![IoSpec {
                name: OUTPUT.into(),
                dtype: Some(DType::F32),
                shape: vec![-1, dim as i64],
            }],
        })
    }

    pub fn dim(&self) -> usize {
        self.outputs[0].shape[1] as usize
    }

    /// Embeddings of `sentences`, one row each, in their order.
    pub fn encode(&self, sentences: &[String]) -> Result<Vec<f32>, FlavorError> {
        let dim = self.dim();
        let mut out = vec![0f32; sentences.len() * dim];
        // Longest first, as sentence-transformers does, so that each batch
        // pads to lengths close to its own.
        let mut order: Vec<usize> = (0..sentences.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(sentences[i].chars().count()));
        for chunk in order.chunks(self.batch_size) {
            let texts: Vec<&str> = chunk.iter().map(|&i| sentences[i].as_str()).collect();
            let rows = self.forward(&texts).map_err(internal)?;
            for (k, &i) in chunk.iter().enumerate() {
                out[i * dim..(i + 1) * dim].copy_from_slice(&rows[k * dim..(k + 1) * dim]);
            }
        }
        Ok(out)
    }

    fn forward(&self, texts: &[&str]) -> Result<Vec<f32>, String> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| format!("tokenizer: {e}"))?;
        let n = encodings.len();
        let len = encodings.first().map_or(0, |e| e.get_ids().len());
        let mut ids = Vec::with_capacity(n * len);
        let mut types = Vec::with_capacity(n * len);
        let mut mask = Vec::with_capacity(n * len);
        for e in &encodings {
            ids.extend_from_slice(e.get_ids());
            types.extend_from_slice(e.get_type_ids());
            mask.extend_from_slice(e.get_attention_mask());
        }
        let dev = Device::Cpu;
        let t = |v: Vec<u32>| CTensor::from_vec(v, (n, len), &dev).map_err(|e| e.to_string());
        let ids = t(ids)?;
        let types = t(types)?;
        let mask = t(mask)?;
        let hidden = self
            .bert
            .forward(&ids, &types, Some(&mask))
            .map_err(|e| e.to_string())?;
        let pooled = self
            .pipeline
            .pool(&hidden, &mask)
            .map_err(|e| e.to_string())?;
        pooled
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| e.to_string())
    }
}

fn internal(message: String) -> FlavorError {
    FlavorError::Internal(format!("candle: {message}"))
}

impl Flavor for SentenceModel {
    fn backend_name(&self) -> &'static str {
        "candle"
    }

    fn inputs(&self) -> &[IoSpec] {
        &self.inputs
    }

    fn outputs(&self) -> &[IoSpec] {
        &self.outputs
    }

    fn predict(&self, batch: Batch) -> Result<Vec<Named>, FlavorError> {
        let Some((_, input)) = batch.feeds.into_iter().find(|(n, _)| n == INPUT) else {
            return Err(FlavorError::Inference(format!("Missing Input: {INPUT}")));
        };
        let TensorData::Str(sentences) = input.data else {
            return Err(FlavorError::InvalidInput(format!(
                "sentences must be strings, got {}",
                input.data.dtype()
            )));
        };
        let n = sentences.len();
        let data = self.encode(&sentences)?;
        Ok(vec![(
            OUTPUT.into(),
            Tensor {
                shape: vec![n, self.dim()],
                data: TensorData::F32(data),
            },
        )])
    }
}
