//! `sentence_transformers` models as `mlflow.sentence_transformers.save_model`
//! writes them, run natively: `tokenizers` for the tokenizer, a BERT-family
//! encoder whose weights candle reads (`encoder`, over packed sentences with
//! fused CPU kernels), then the pipeline's pooling and normalisation as its
//! `modules.json` lists them. Nothing is ever downloaded.

mod config;
mod encoder;
mod error;
mod kernels;
mod modules;
mod product;

use std::path::Path;

use mlflowrs_flavor_api::{Batch, DType, Flavor, FlavorError, IoSpec, Named, Tensor, TensorData};
use tokenizers::{Tokenizer, TruncationParams};

use config::BertConfig;
use encoder::{Encoder, Packed};
pub use error::CandleError;
use modules::Pipeline;
pub use modules::Pooling;

/// The graph input and output names mlflowrs gives this flavor.
pub const INPUT: &str = "sentences";
pub const OUTPUT: &str = "embeddings";

/// An encoder, its tokenizer and its pooling.
pub struct SentenceModel {
    encoder: Encoder,
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
        let config = BertConfig::read(&transformer.join("config.json"))?;
        let weights = transformer.join("model.safetensors");
        if !weights.is_file() {
            return Err(CandleError::Unsupported {
                path: transformer.clone(),
                what: "a model without model.safetensors".into(),
            });
        }
        let encoder = Encoder::load(&weights, &config)?;
        let mut tokenizer = Tokenizer::from_file(transformer.join("tokenizer.json"))
            .map_err(|e| load(format!("tokenizer.json: {e}")))?;
        // sentence-transformers overrides what tokenizer.json has built in
        // (all-MiniLM-L6-v2's pads every input to 128): sentences are packed
        // unpadded here, truncated at the model's max_seq_length.
        let max_len = pipeline
            .max_seq_length
            .unwrap_or(config.max_position_embeddings)
            .min(config.max_position_embeddings);
        tokenizer.with_padding(None);
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
            encoder,
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
        for (texts, rows) in sentences
            .chunks(self.batch_size)
            .zip(out.chunks_mut(self.batch_size * dim))
        {
            self.forward(texts, rows).map_err(internal)?;
        }
        Ok(out)
    }

    fn forward(&self, texts: &[String], out: &mut [f32]) -> Result<(), String> {
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let encodings = self
            .tokenizer
            .encode_batch(texts, true)
            .map_err(|e| format!("tokenizer: {e}"))?;
        let tokens = encodings.iter().map(|e| e.get_ids().len()).sum();
        let mut batch = Packed {
            ids: Vec::with_capacity(tokens),
            type_ids: Vec::with_capacity(tokens),
            lengths: Vec::with_capacity(encodings.len()),
        };
        for e in &encodings {
            batch.ids.extend_from_slice(e.get_ids());
            batch.type_ids.extend_from_slice(e.get_type_ids());
            batch.lengths.push(e.get_ids().len());
        }
        let hidden = self.encoder.forward(&batch)?;
        self.pipeline
            .pool(&hidden, self.encoder.hidden(), &batch.lengths, out);
        Ok(())
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
