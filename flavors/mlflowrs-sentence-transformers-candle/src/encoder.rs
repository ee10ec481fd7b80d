//! A BERT encoder over packed sentences: the tokens of every sentence of a
//! batch are rows of one matrix, without padding, so each dense layer is one
//! matrix product over real tokens only and attention stays within each
//! sentence. Weights are read with candle from `model.safetensors`.

use std::path::Path;

use candle_core::{safetensors::MmapedSafetensors, DType, Device};
use rayon::prelude::*;

use crate::config::{Activation, BertConfig};
use crate::error::CandleError;
use crate::kernels::{activate, attention, LayerNorm};
use crate::product::Linear;

struct Layer {
    /// Query, key and value in one product: `[hidden, 3 · hidden]`.
    qkv: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

pub struct Encoder {
    word: Vec<f32>,
    position: Vec<f32>,
    token_type: Vec<f32>,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
    hidden: usize,
    heads: usize,
    activation: Activation,
    vocab: usize,
    positions: usize,
    token_types: usize,
}

/// The tokens of a batch of sentences, one after another.
pub struct Packed {
    pub ids: Vec<u32>,
    pub type_ids: Vec<u32>,
    /// Each sentence's token count, in order.
    pub lengths: Vec<usize>,
}

/// Reads named tensors as `f32`, whatever dtype they are stored in.
struct Weights<'a> {
    file: &'a Path,
    tensors: MmapedSafetensors,
    /// `bert.` when the checkpoint keeps the encoder under that name.
    prefix: String,
}

impl Weights<'_> {
    fn error(&self, message: String) -> CandleError {
        CandleError::Load {
            path: self.file.to_path_buf(),
            message,
        }
    }

    /// The tensor `name` with the shape `dims`, row-major.
    fn get(&self, name: &str, dims: &[usize]) -> Result<Vec<f32>, CandleError> {
        let full = format!("{}{name}", self.prefix);
        let tensor = self
            .tensors
            .load(&full, &Device::Cpu)
            .map_err(|e| self.error(format!("{full}: {e}")))?;
        if tensor.dims() != dims {
            return Err(self.error(format!(
                "{full}: shape {:?}, the config says {dims:?}",
                tensor.dims()
            )));
        }
        tensor
            .to_dtype(DType::F32)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| self.error(format!("{full}: {e}")))
    }

    /// The first dimension of a stored tensor (a vocabulary's size).
    fn rows(&self, name: &str) -> Result<usize, CandleError> {
        let full = format!("{}{name}", self.prefix);
        let view = self
            .tensors
            .get(&full)
            .map_err(|e| self.error(format!("{full}: {e}")))?;
        Ok(view.shape().first().copied().unwrap_or(0))
    }

    /// A layer norm saved as `weight`/`bias` (or the older `gamma`/`beta`).
    fn layer_norm(&self, name: &str, width: usize, eps: f32) -> Result<LayerNorm, CandleError> {
        let pick = |new: &str, old: &str| {
            self.get(&format!("{name}.{new}"), &[width])
                .or_else(|e| self.get(&format!("{name}.{old}"), &[width]).map_err(|_| e))
        };
        Ok(LayerNorm {
            gamma: pick("weight", "gamma")?,
            beta: pick("bias", "beta")?,
            eps,
        })
    }

    /// A dense layer (`[out, in]`, as PyTorch saves it).
    fn linear(&self, name: &str, inputs: usize, outputs: usize) -> Result<Linear, CandleError> {
        self.linears(&[name], inputs, outputs)
    }

    /// Dense layers on the same input as one, their outputs side by side
    /// (`outputs` each).
    fn linears(
        &self,
        names: &[&str],
        inputs: usize,
        outputs: usize,
    ) -> Result<Linear, CandleError> {
        let mut weight = Vec::with_capacity(names.len() * outputs * inputs);
        let mut bias = Vec::with_capacity(names.len() * outputs);
        for name in names {
            weight.extend(self.get(&format!("{name}.weight"), &[outputs, inputs])?);
            bias.extend(self.get(&format!("{name}.bias"), &[outputs])?);
        }
        Ok(Linear::new(weight, bias, inputs, names.len() * outputs))
    }
}

impl Encoder {
    pub fn load(weights_file: &Path, config: &BertConfig) -> Result<Encoder, CandleError> {
        // SAFETY: the weights are memory-mapped read-only and copied out at
        // load; mlflowrs never writes model files it serves.
        let tensors =
            unsafe { MmapedSafetensors::new(weights_file) }.map_err(|e| CandleError::Load {
                path: weights_file.to_path_buf(),
                message: e.to_string(),
            })?;
        let names: Vec<String> = tensors.tensors().into_iter().map(|(n, _)| n).collect();
        let prefix = names
            .iter()
            .find_map(|n| n.strip_suffix("embeddings.word_embeddings.weight"))
            .unwrap_or("")
            .to_string();
        let w = Weights {
            file: weights_file,
            tensors,
            prefix,
        };
        let hidden = config.hidden_size;
        let vocab = w.rows("embeddings.word_embeddings.weight")?;
        let token_types = w.rows("embeddings.token_type_embeddings.weight")?;
        let word = w.get("embeddings.word_embeddings.weight", &[vocab, hidden])?;
        let eps = config.layer_norm_eps;
        let inter = config.intermediate_size;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let at = format!("encoder.layer.{i}");
            let qkv = ["query", "key", "value"].map(|p| format!("{at}.attention.self.{p}"));
            layers.push(Layer {
                qkv: w.linears(&qkv.each_ref().map(String::as_str), hidden, hidden)?,
                attention_out: w.linear(&format!("{at}.attention.output.dense"), hidden, hidden)?,
                attention_norm: w.layer_norm(
                    &format!("{at}.attention.output.LayerNorm"),
                    hidden,
                    eps,
                )?,
                intermediate: w.linear(&format!("{at}.intermediate.dense"), hidden, inter)?,
                output: w.linear(&format!("{at}.output.dense"), inter, hidden)?,
                output_norm: w.layer_norm(&format!("{at}.output.LayerNorm"), hidden, eps)?,
            });
        }
        let positions = config.max_position_embeddings;
        Ok(Encoder {
            position: w.get(
                "embeddings.position_embeddings.weight",
                &[positions, hidden],
            )?,
            token_type: w.get(
                "embeddings.token_type_embeddings.weight",
                &[token_types, hidden],
            )?,
            embedding_norm: w.layer_norm("embeddings.LayerNorm", hidden, eps)?,
            word,
            layers,
            hidden,
            heads: config.num_attention_heads,
            activation: config.activation,
            vocab,
            positions,
            token_types,
        })
    }

    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// The last hidden state, `[tokens, hidden]`, of a packed batch.
    pub fn forward(&self, batch: &Packed) -> Result<Vec<f32>, String> {
        let n = batch.ids.len();
        let h = self.hidden;
        if let Some(id) = batch.ids.iter().find(|&&id| id as usize >= self.vocab) {
            return Err(format!(
                "token id {id} is outside the vocabulary of {}",
                self.vocab
            ));
        }
        if let Some(t) = batch
            .type_ids
            .iter()
            .find(|&&t| t as usize >= self.token_types)
        {
            return Err(format!(
                "token type {t} is outside the model's {}",
                self.token_types
            ));
        }
        if let Some(len) = batch.lengths.iter().find(|&&l| l > self.positions) {
            return Err(format!(
                "{len} tokens exceed the model's {} positions",
                self.positions
            ));
        }
        let mut position = Vec::with_capacity(n);
        for &len in &batch.lengths {
            position.extend(0..len);
        }
        let mut x = vec![0f32; n * h];
        x.par_chunks_mut(h).enumerate().for_each(|(t, row)| {
            let word = &self.word[batch.ids[t] as usize * h..][..h];
            let pos = &self.position[position[t] * h..][..h];
            let ty = &self.token_type[batch.type_ids[t] as usize * h..][..h];
            for (((v, a), b), c) in row.iter_mut().zip(word).zip(pos).zip(ty) {
                *v = a + b + c;
            }
        });
        self.embedding_norm.add_and_normalize(&mut x, &[], &[]);

        let inter = self.layers.first().map_or(0, |l| l.intermediate.outputs);
        let mut qkv = vec![0f32; n * 3 * h];
        let mut context = vec![0f32; n * h];
        let mut y = vec![0f32; n * h];
        let mut ffn = vec![0f32; n * inter];
        for layer in &self.layers {
            layer.qkv.product(&x, n, &mut qkv);
            attention(
                &qkv,
                &layer.qkv.bias,
                &batch.lengths,
                self.heads,
                &mut context,
            );
            layer.attention_out.product(&context, n, &mut y);
            let bias = &layer.attention_out.bias;
            layer.attention_norm.add_and_normalize(&mut y, bias, &x);
            std::mem::swap(&mut x, &mut y);
            layer.intermediate.product(&x, n, &mut ffn);
            activate(&mut ffn, &layer.intermediate.bias, self.activation);
            layer.output.product(&ffn, n, &mut y);
            let bias = &layer.output.bias;
            layer.output_norm.add_and_normalize(&mut y, bias, &x);
            std::mem::swap(&mut x, &mut y);
        }
        Ok(x)
    }
}
