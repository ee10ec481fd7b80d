//! A value of the MLproject file as Python holds it after PyYAML, and the
//! two spellings MLflow observes: `str(v)` (a parameter's default, a
//! command's value) and `repr(v)` (inside lists and dicts, in messages).

#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    None,
    Bool(bool),
    /// Python ints are unbounded; YAML ints past i128 are kept as digits.
    Int(i128),
    BigInt(String),
    Float(f64),
    Str(String),
    /// `datetime.date` / `datetime.datetime`, already as `str()` shows them.
    Date(String),
    List(Vec<PyValue>),
    /// Keys in file order, as a Python dict keeps them.
    Dict(Vec<(PyValue, PyValue)>),
}

impl PyValue {
    /// Python's `str(v)`.
    pub fn py_str(&self) -> String {
        match self {
            PyValue::Str(s) => s.clone(),
            PyValue::Date(s) => s.clone(),
            other => other.py_repr(),
        }
    }

    /// Python's `repr(v)`.
    pub fn py_repr(&self) -> String {
        match self {
            PyValue::None => "None".into(),
            PyValue::Bool(true) => "True".into(),
            PyValue::Bool(false) => "False".into(),
            PyValue::Int(i) => i.to_string(),
            PyValue::BigInt(s) => s.clone(),
            PyValue::Float(f) => float_repr(*f),
            PyValue::Str(s) => str_repr(s),
            PyValue::Date(s) => format!("datetime({s})"),
            PyValue::List(items) => {
                let inner: Vec<String> = items.iter().map(PyValue::py_repr).collect();
                format!("[{}]", inner.join(", "))
            }
            PyValue::Dict(entries) => {
                let inner: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", k.py_repr(), v.py_repr()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            PyValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `d.get(key)` on a dict with string keys.
    pub fn get(&self, key: &str) -> Option<&PyValue> {
        match self {
            PyValue::Dict(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Python truthiness.
    pub fn truthy(&self) -> bool {
        match self {
            PyValue::None => false,
            PyValue::Bool(b) => *b,
            PyValue::Int(i) => *i != 0,
            PyValue::BigInt(_) | PyValue::Date(_) => true,
            PyValue::Float(f) => *f != 0.0,
            PyValue::Str(s) => !s.is_empty(),
            PyValue::List(l) => !l.is_empty(),
            PyValue::Dict(d) => !d.is_empty(),
        }
    }

    /// The Python type name, for messages that quote it.
    pub fn type_name(&self) -> &'static str {
        match self {
            PyValue::None => "NoneType",
            PyValue::Bool(_) => "bool",
            PyValue::Int(_) | PyValue::BigInt(_) => "int",
            PyValue::Float(_) => "float",
            PyValue::Str(_) => "str",
            PyValue::Date(_) => "datetime",
            PyValue::List(_) => "list",
            PyValue::Dict(_) => "dict",
        }
    }
}

/// Python's `repr(float)` (the protocol crate's, which every answer uses).
pub fn float_repr(f: f64) -> String {
    mlflowrs_protocol::pyjson::py_float_repr(f)
}

/// Python's `repr(str)`.
pub fn str_repr(s: &str) -> String {
    mlflowrs_protocol::pyjson::py_str_repr(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python_prints_them() {
        for (f, want) in [
            (0.1, "0.1"),
            (0.001, "0.001"),
            (1.0, "1.0"),
            (100.0, "100.0"),
            (1e-5, "1e-05"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (-2.5, "-2.5"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1e100, "1e+100"),
            (f64::INFINITY, "inf"),
        ] {
            assert_eq!(float_repr(f), want, "{f}");
        }
    }

    #[test]
    fn strings_and_containers_repr_as_python() {
        assert_eq!(str_repr("a'b"), "\"a'b\"");
        assert_eq!(str_repr("a'b\""), "'a\\'b\"'");
        let v = PyValue::List(vec![
            PyValue::Int(1),
            PyValue::Str("x".into()),
            PyValue::Bool(true),
            PyValue::None,
        ]);
        assert_eq!(v.py_str(), "[1, 'x', True, None]");
        let d = PyValue::Dict(vec![(PyValue::Str("a".into()), PyValue::Float(0.5))]);
        assert_eq!(d.py_str(), "{'a': 0.5}");
    }
}
