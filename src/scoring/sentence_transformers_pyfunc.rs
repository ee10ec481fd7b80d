//! What `mlflow.sentence_transformers._SentenceTransformerModelWrapper.predict`
//! does with the enforced input: the first DataFrame column as a list of
//! sentences (or the list in its first cell), `encode`, and the embeddings
//! answered as a bare array.

use mlflowrs_flavor_api::{Named, Tensor, TensorData};

use super::enforce::Enforced;
use super::frame::Column;
use super::ndarray::py_str;
use super::onnx_pyfunc::unexpected;
use mlflowrs_protocol::pyjson::Json;
use mlflowrs_protocol::{ErrorCode, MlflowError};

/// The sentences of one request, fed as the flavor's single string input.
pub fn feeds(input_name: &str, data: Enforced) -> Result<Vec<Named>, MlflowError> {
    let sentences = match data {
        Enforced::Frame(frame) => match frame.columns.first() {
            Some(col) => sentences(col)?,
            None => Vec::new(),
        },
        other => {
            return Err(unexpected(&format!(
                "TypeError: sentences must be a DataFrame or a list of strings, got {}",
                match other {
                    Enforced::Dict(_) => "dict",
                    Enforced::Array(_) => "numpy.ndarray",
                    _ => "another type",
                }
            )))
        }
    };
    let n = sentences.len();
    Ok(vec![(
        input_name.to_string(),
        Tensor {
            shape: vec![n],
            data: TensorData::Str(sentences),
        },
    )])
}

/// `df.iloc[:, 0].tolist()`, or its first cell when that is a list.
fn sentences(col: &Column) -> Result<Vec<String>, MlflowError> {
    if let Some(t) = &col.typed {
        if let TensorData::Str(s) = &t.data {
            return Ok(s.clone());
        }
    }
    let cells: &[Json] = match col.cells.first() {
        Some(Json::List(first)) => first,
        _ => &col.cells,
    };
    cells
        .iter()
        .map(|c| match c {
            Json::Str(s) => Ok(s.clone()),
            // sentence-transformers takes dicts for chat messages, which a
            // text model refuses.
            Json::Dict(_) | Json::List(_) => Err(unexpected(
                "ValueError: This SentenceTransformer model does not support chat-style 'message' inputs (dicts or lists of dicts with 'role' and 'content'). Supported modalities: text.",
            )),
            // MLflow's parser casts the scalars of a string column with `str()`.
            other => Ok(py_str(other)),
        })
        .collect()
}

/// `encode`'s keyword arguments, from the params the signature declares.
/// `normalize_embeddings` is honoured; the ones that only change how the
/// work is split or reported are accepted; others are refused as MLflow
/// refuses a `TypeError` from `encode`.
pub fn normalize_requested(params: &[(String, Json)]) -> Result<bool, MlflowError> {
    const NO_EFFECT: &[&str] = &[
        "batch_size",
        "show_progress_bar",
        "convert_to_numpy",
        "device",
        "output_value",
    ];
    let mut normalize = false;
    for (k, v) in params {
        match (k.as_str(), v) {
            ("normalize_embeddings", Json::Bool(b)) => normalize = *b,
            ("precision", Json::Str(p)) if p == "float32" => {}
            (k, _) if NO_EFFECT.contains(&k) => {}
            _ => {
                return Err(MlflowError::new(
                    ErrorCode::InvalidParameterValue,
                    "Received invalid parameter value for `params` argument",
                ))
            }
        }
    }
    Ok(normalize)
}

/// L2-normalises each row of a [N, D] float32 output in place.
pub fn normalize_rows(outputs: &mut [Named]) {
    for (_, t) in outputs.iter_mut() {
        let Some(&dim) = t.shape.get(1) else { continue };
        if let TensorData::F32(v) = &mut t.data {
            for row in v.chunks_mut(dim.max(1)) {
                let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
                row.iter_mut().for_each(|x| *x /= norm);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(items: &[(&str, Json)]) -> Vec<(String, Json)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn encode_params_are_honoured_accepted_or_refused() {
        assert!(!normalize_requested(&[]).unwrap());
        assert!(
            normalize_requested(&params(&[("normalize_embeddings", Json::Bool(true))])).unwrap()
        );
        assert!(!normalize_requested(&params(&[
            ("batch_size", Json::Int(8)),
            ("precision", Json::Str("float32".into())),
        ]))
        .unwrap());
        for bad in [
            ("precision", Json::Str("int8".into())),
            ("normalize_embeddings", Json::Str("yes".into())),
            ("prompt_name", Json::Str("query".into())),
        ] {
            let e = normalize_requested(&params(std::slice::from_ref(&bad))).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidParameterValue, "{bad:?}");
        }
    }

    #[test]
    fn rows_are_normalised_one_by_one() {
        let mut outputs = vec![(
            "embeddings".to_string(),
            Tensor {
                shape: vec![2, 2],
                data: TensorData::F32(vec![3.0, 4.0, 0.0, 0.0]),
            },
        )];
        normalize_rows(&mut outputs);
        assert_eq!(outputs[0].1.data, TensorData::F32(vec![0.6, 0.8, 0.0, 0.0]));
    }
}
