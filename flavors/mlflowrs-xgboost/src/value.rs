//! The document both model formats (JSON and UBJSON) parse into, mirroring
//! XGBoost's own `Json` value: its numbers are float32 or int64, and UBJSON
//! typed arrays stay typed.

use std::collections::BTreeMap;

/// Deepest nesting accepted; XGBoost's models nest about eight levels.
pub(crate) const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// XGBoost keeps every non-integer number as float32 (`Number::Float`).
    Float(f32),
    Str(String),
    Array(Vec<Value>),
    /// An untyped array of numbers, kept compactly: every element is a
    /// float32 value or an integer of magnitude at most 2^53, so each is held
    /// exactly.
    Nums(Vec<f64>),
    U8s(Vec<u8>),
    I8s(Vec<i8>),
    I16s(Vec<i16>),
    I32s(Vec<i32>),
    I64s(Vec<i64>),
    F32s(Vec<f32>),
    F64s(Vec<f64>),
    Object(BTreeMap<String, Value>),
}

/// Integers up to this magnitude are exact in an f64.
const EXACT_INT: i64 = 1 << 53;

impl Value {
    /// Compacts an untyped array whose elements are all numbers.
    pub(crate) fn array(items: Vec<Value>) -> Value {
        let all_numbers = !items.is_empty()
            && items.iter().all(|v| match v {
                Value::Float(_) => true,
                Value::Int(i) => (-EXACT_INT..=EXACT_INT).contains(i),
                _ => false,
            });
        if !all_numbers {
            return Value::Array(items);
        }
        Value::Nums(
            items
                .iter()
                .map(|v| match v {
                    Value::Float(f) => f64::from(*f),
                    Value::Int(i) => *i as f64,
                    _ => f64::NAN,
                })
                .collect(),
        )
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(map) => map.get(key),
            _ => None,
        }
    }

    pub(crate) fn as_object(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub(crate) fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) => float_to_int(f64::from(*f)),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    pub(crate) fn as_f32(&self) -> Option<f32> {
        match self {
            Value::Float(f) => Some(*f),
            Value::Int(i) => Some(*i as f32),
            _ => None,
        }
    }

    /// Number of elements of any array form.
    pub(crate) fn array_len(&self) -> Option<usize> {
        Some(match self {
            Value::Array(v) => v.len(),
            Value::Nums(v) => v.len(),
            Value::U8s(v) => v.len(),
            Value::I8s(v) => v.len(),
            Value::I16s(v) => v.len(),
            Value::I32s(v) => v.len(),
            Value::I64s(v) => v.len(),
            Value::F32s(v) => v.len(),
            Value::F64s(v) => v.len(),
            _ => return None,
        })
    }

    /// Any array of integral numbers (booleans count as 0/1).
    pub(crate) fn to_i64_vec(&self) -> Option<Vec<i64>> {
        Some(match self {
            Value::Array(items) => items.iter().map(Value::as_i64).collect::<Option<_>>()?,
            Value::Nums(v) => v.iter().map(|&x| float_to_int(x)).collect::<Option<_>>()?,
            Value::U8s(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Value::I8s(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Value::I16s(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Value::I32s(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Value::I64s(v) => v.clone(),
            Value::F32s(v) => v
                .iter()
                .map(|&x| float_to_int(f64::from(x)))
                .collect::<Option<_>>()?,
            Value::F64s(v) => v.iter().map(|&x| float_to_int(x)).collect::<Option<_>>()?,
            _ => return None,
        })
    }

    /// Any array of numbers, as XGBoost reads a float array: float32 values.
    pub(crate) fn to_f32_vec(&self) -> Option<Vec<f32>> {
        Some(match self {
            Value::Array(items) => items.iter().map(Value::as_f32).collect::<Option<_>>()?,
            // Elements are float32 values or exact integers: one rounding.
            Value::Nums(v) => v.iter().map(|&x| x as f32).collect(),
            Value::U8s(v) => v.iter().map(|&x| f32::from(x)).collect(),
            Value::I8s(v) => v.iter().map(|&x| f32::from(x)).collect(),
            Value::I16s(v) => v.iter().map(|&x| f32::from(x)).collect(),
            Value::I32s(v) => v.iter().map(|&x| x as f32).collect(),
            Value::I64s(v) => v.iter().map(|&x| x as f32).collect(),
            Value::F32s(v) => v.clone(),
            Value::F64s(v) => v.iter().map(|&x| x as f32).collect(),
            _ => return None,
        })
    }

    /// An array of strings (an empty array of any form counts).
    pub(crate) fn to_string_vec(&self) -> Option<Vec<String>> {
        match self {
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ if self.array_len() == Some(0) => Some(Vec::new()),
            _ => None,
        }
    }
}

fn float_to_int(x: f64) -> Option<i64> {
    if x.fract() == 0.0 && (-(EXACT_INT as f64)..=EXACT_INT as f64).contains(&x) {
        Some(x as i64)
    } else {
        None
    }
}
