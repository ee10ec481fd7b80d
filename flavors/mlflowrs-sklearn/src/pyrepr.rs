//! Python `repr` of values that appear inside scikit-learn's messages: the
//! one implementation every mlflowrs answer uses.

pub use mlflowrs_protocol::pyjson::{py_float_repr, py_str_repr};
