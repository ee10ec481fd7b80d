//! `classes_` of a classifier: the labels `predict` returns, in their dtype.

use mlflowrs_flavor_api::TensorData;
use mlflowrs_skops::{ArrayData, JsonValue, Node, NodeKind};

use crate::error::SklearnError;

/// The class labels of a fitted classifier, kept in the dtype of
/// `classes_` so `predict` answers with the same JSON numpy would write.
#[derive(Debug, Clone, PartialEq)]
pub struct Classes {
    labels: TensorData,
}

impl Classes {
    /// Reads a `classes_` array: a numeric, bool or unicode .npy array, or an
    /// object array of str / int / float / bool items.
    pub fn from_node(node: &Node) -> Result<Classes, SklearnError> {
        let labels = match node.kind() {
            NodeKind::Array(a) if a.ndim() == 1 => match a.data() {
                ArrayData::Bool(v) => TensorData::Bool(v.clone()),
                ArrayData::I8(v) => TensorData::I8(v.clone()),
                ArrayData::I16(v) => TensorData::I16(v.clone()),
                ArrayData::I32(v) => TensorData::I32(v.clone()),
                ArrayData::I64(v) => TensorData::I64(v.clone()),
                ArrayData::U8(v) => TensorData::U8(v.clone()),
                ArrayData::U16(v) => TensorData::U16(v.clone()),
                ArrayData::U32(v) => TensorData::U32(v.clone()),
                ArrayData::U64(v) => TensorData::U64(v.clone()),
                ArrayData::F32(v) => TensorData::F32(v.clone()),
                ArrayData::F64(v) => TensorData::F64(v.clone()),
                ArrayData::Str(v) => TensorData::Str(v.clone()),
                _ => {
                    return Err(SklearnError::unsupported(format!(
                        "classes_ of type {}",
                        a.describe()
                    )))
                }
            },
            NodeKind::ObjectArray { items, shape } if shape.len() == 1 => object_labels(items)?,
            _ => {
                return Err(SklearnError::unsupported(format!(
                    "classes_ is {}",
                    node.describe()
                )))
            }
        };
        if labels.is_empty() {
            return Err(SklearnError::invalid("classes_ is empty"));
        }
        Ok(Classes { labels })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn labels(&self) -> &TensorData {
        &self.labels
    }

    /// `classes_[idx]`; every index must be `< self.len()` (checked: an
    /// out-of-range index yields the first class rather than panicking).
    pub fn take(&self, idx: &[usize]) -> TensorData {
        fn pick<T: Clone>(v: &[T], idx: &[usize]) -> Vec<T> {
            idx.iter()
                .map(|&i| v.get(i).or_else(|| v.first()).cloned())
                .collect::<Option<Vec<T>>>()
                .unwrap_or_default()
        }
        match &self.labels {
            TensorData::Bool(v) => TensorData::Bool(pick(v, idx)),
            TensorData::I8(v) => TensorData::I8(pick(v, idx)),
            TensorData::I16(v) => TensorData::I16(pick(v, idx)),
            TensorData::I32(v) => TensorData::I32(pick(v, idx)),
            TensorData::I64(v) => TensorData::I64(pick(v, idx)),
            TensorData::U8(v) => TensorData::U8(pick(v, idx)),
            TensorData::U16(v) => TensorData::U16(pick(v, idx)),
            TensorData::U32(v) => TensorData::U32(pick(v, idx)),
            TensorData::U64(v) => TensorData::U64(pick(v, idx)),
            TensorData::F32(v) => TensorData::F32(pick(v, idx)),
            TensorData::F64(v) => TensorData::F64(pick(v, idx)),
            TensorData::Str(v) => TensorData::Str(pick(v, idx)),
        }
    }
}

/// An object `classes_` (labels fitted from an object y). JSON output of an
/// object array writes each Python object, so one kind per array suffices.
fn object_labels(items: &[std::sync::Arc<Node>]) -> Result<TensorData, SklearnError> {
    let vals: Vec<&JsonValue> = items
        .iter()
        .map(|n| {
            n.as_json().ok_or_else(|| {
                SklearnError::unsupported(format!("classes_ holds {}", n.describe()))
            })
        })
        .collect::<Result<_, _>>()?;
    let mixed = || SklearnError::unsupported("classes_ mixes label types");
    Ok(match vals.first() {
        Some(JsonValue::Str(_)) => TensorData::Str(
            vals.iter()
                .map(|v| match v {
                    JsonValue::Str(s) => Ok(s.clone()),
                    _ => Err(mixed()),
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(JsonValue::Int(_)) => TensorData::I64(
            vals.iter()
                .map(|v| match v {
                    JsonValue::Int(i) => Ok(*i),
                    _ => Err(mixed()),
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(JsonValue::Float(_)) => TensorData::F64(
            vals.iter()
                .map(|v| match v {
                    JsonValue::Float(f) => Ok(*f),
                    _ => Err(mixed()),
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(JsonValue::Bool(_)) => TensorData::Bool(
            vals.iter()
                .map(|v| match v {
                    JsonValue::Bool(b) => Ok(*b),
                    _ => Err(mixed()),
                })
                .collect::<Result<_, _>>()?,
        ),
        _ => return Err(SklearnError::unsupported("classes_ of an unsupported type")),
    })
}
