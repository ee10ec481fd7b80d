//! JSON as Python's `json` module reads and writes it.
//!
//! MLflow parses request bodies with `json.loads` (which accepts `NaN`,
//! `Infinity` and `-Infinity`, keeps ints apart from floats and allows
//! arbitrary-size ints) and writes answers with `json.dump` (`", "` and
//! `": "` separators, `ensure_ascii`, Python's float `repr`). Clients can see
//! every one of those details, so mlflowrs reproduces them here.

mod parse;
mod repr;
mod write;

pub use parse::{parse, JsonError};
pub use repr::{py_float_repr, py_repr, py_str_repr};
pub use write::{to_string, to_string_compact_sorted, write_float, write_str, write_value};

/// A parsed JSON value. Objects keep their key order, as Python dicts do.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer outside i64, kept as its decimal text.
    BigInt(String),
    Float(f64),
    Str(String),
    List(Vec<Json>),
    Dict(Vec<(String, Json)>),
}

impl Json {
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Dict(items) => items.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Python's type name of the value, as `type(x).__name__` gives it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "NoneType",
            Json::Bool(_) => "bool",
            Json::Int(_) | Json::BigInt(_) => "int",
            Json::Float(_) => "float",
            Json::Str(_) => "str",
            Json::List(_) => "list",
            Json::Dict(_) => "dict",
        }
    }

    /// Python's type name of the value, as `type(x)` prints it.
    pub fn py_type(&self) -> &'static str {
        match self {
            Json::Null => "<class 'NoneType'>",
            Json::Bool(_) => "<class 'bool'>",
            Json::Int(_) | Json::BigInt(_) => "<class 'int'>",
            Json::Float(_) => "<class 'float'>",
            Json::Str(_) => "<class 'str'>",
            Json::List(_) => "<class 'list'>",
            Json::Dict(_) => "<class 'dict'>",
        }
    }

    pub fn is_scalar(&self) -> bool {
        !matches!(self, Json::List(_) | Json::Dict(_))
    }
}
