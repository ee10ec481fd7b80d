//! `json.dumps` output: `", "` / `": "` separators, `ensure_ascii`, bare
//! `NaN` / `Infinity` tokens, Python float repr.

use std::fmt::Write as _;

use super::{repr::py_float_repr_into, Json};

pub fn to_string(v: &Json) -> String {
    let mut out = String::with_capacity(256);
    write_value(v, &mut out);
    out
}

pub fn write_value(v: &Json, out: &mut String) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(true) => out.push_str("true"),
        Json::Bool(false) => out.push_str("false"),
        Json::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Json::BigInt(s) => out.push_str(s),
        Json::Float(f) => write_float(*f, out),
        Json::Str(s) => write_str(s, out),
        Json::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Json::Dict(items) => {
            out.push('{');
            for (i, (k, item)) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str(k, out);
                out.push_str(": ");
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

/// `json.dumps(value, sort_keys=True, separators=(",", ":"))`, as MLflow
/// quotes a value in its validation messages.
pub fn to_string_compact_sorted(value: &Json) -> String {
    let mut out = String::new();
    write_compact_sorted(value, &mut out);
    out
}

fn write_compact_sorted(value: &Json, out: &mut String) {
    match value {
        Json::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact_sorted(item, out);
            }
            out.push(']');
        }
        Json::Dict(items) => {
            let mut sorted: Vec<_> = items.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write_compact_sorted(v, out);
            }
            out.push('}');
        }
        scalar => write_value(scalar, out),
    }
}

pub fn write_float(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        py_float_repr_into(f, out);
    }
}

pub fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7f => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_like_python() {
        let v = Json::Dict(vec![
            (
                "a".into(),
                Json::List(vec![Json::Int(1), Json::Float(f64::NAN), Json::Float(2.0)]),
            ),
            ("é".into(), Json::Str("x\"\u{1f600}".into())),
        ]);
        assert_eq!(
            to_string(&v),
            "{\"a\": [1, NaN, 2.0], \"\\u00e9\": \"x\\\"\\ud83d\\ude00\"}"
        );
    }
}
