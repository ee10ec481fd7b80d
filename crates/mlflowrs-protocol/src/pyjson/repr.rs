//! Python's `repr` for floats and strings.

use std::fmt::Write as _;

/// `repr(float)`: shortest round-trip digits, scientific below 1e-4 and from 1e16.
pub fn py_float_repr(x: f64) -> String {
    let mut out = String::new();
    py_float_repr_into(x, &mut out);
    out
}

/// Appends `repr(x)` to `out` (hot path of every numeric answer).
pub fn py_float_repr_into(x: f64, out: &mut String) {
    if x.is_nan() {
        out.push_str("nan");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "inf" } else { "-inf" });
        return;
    }
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    // ryu finds the same shortest round-trip digits as Python's repr; only
    // the layout differs, so take its digits and exponent and lay them out
    // Python's way.
    let mut ryu_buf = ryu::Buffer::new();
    let text = ryu_buf.format_finite(x.abs());
    let (mantissa, exp) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut all = [0u8; 48];
    let n = int_part.len() + frac_part.len();
    all[..int_part.len()].copy_from_slice(int_part.as_bytes());
    all[int_part.len()..n].copy_from_slice(frac_part.as_bytes());
    let lead = all[..n].iter().take_while(|&&b| b == b'0').count();
    let mut end = n;
    while end > lead + 1 && all[end - 1] == b'0' {
        end -= 1;
    }
    let digits = std::str::from_utf8(&all[lead..end]).unwrap_or("0");
    let exp = int_part.len() as i32 - 1 - lead as i32 + exp;
    let (first, rest) = digits.split_at(1);
    let ndigits = digits.len();
    if x < 0.0 {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(digits);
        } else {
            let int_len = exp as usize + 1;
            if ndigits <= int_len {
                out.push_str(digits);
                out.extend(std::iter::repeat_n('0', int_len - ndigits));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
    } else {
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
}

/// `repr(str)`: single quotes unless the text has a single quote and no double one.
pub fn py_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python_prints_them() {
        let cases = [
            (0.9815500378608704, "0.9815500378608704"),
            (1.448e-08, "1.448e-08"),
            (1e-05, "1e-05"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (1.234e-5, "1.234e-05"),
            (-3.5e20, "-3.5e+20"),
            (1234.5, "1234.5"),
            (100.0, "100.0"),
            (0.1, "0.1"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (1.0, "1.0"),
            (-2.5, "-2.5"),
            (123456789.0, "123456789.0"),
            (1e16, "1e+16"),
            (1.5e300, "1.5e+300"),
            (9999999999999998.0, "9999999999999998.0"),
            (f64::from(5.1f32), "5.099999904632568"),
        ];
        for (x, want) in cases {
            assert_eq!(py_float_repr(x), want, "{x:e}");
        }
    }

    #[test]
    fn strings_repr() {
        assert_eq!(py_str_repr("x"), "'x'");
        assert_eq!(py_str_repr("it's"), "\"it's\"");
        assert_eq!(py_str_repr("a\nb"), "'a\\nb'");
    }
}

/// `repr()` of the Python value a parsed JSON document becomes (dicts in
/// their document order): `{'a': [1, 2.5, True, None]}`.
pub fn py_repr(value: &super::Json) -> String {
    use super::Json;
    match value {
        Json::Null => "None".into(),
        Json::Bool(true) => "True".into(),
        Json::Bool(false) => "False".into(),
        Json::Int(i) => i.to_string(),
        Json::BigInt(text) => text.clone(),
        Json::Float(f) => py_float_repr(*f),
        Json::Str(s) => py_str_repr(s),
        Json::List(items) => format!(
            "[{}]",
            items.iter().map(py_repr).collect::<Vec<_>>().join(", ")
        ),
        Json::Dict(pairs) => format!(
            "{{{}}}",
            pairs
                .iter()
                .map(|(k, v)| format!("{}: {}", py_str_repr(k), py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod py_repr_tests {
    #[test]
    fn a_document_prints_as_python_prints_its_value() {
        let doc = super::super::parse(br#"{"runId": "it's", "extra": 1, "b": [true, null, 1.5]}"#)
            .unwrap();
        assert_eq!(
            super::py_repr(&doc),
            "{'runId': \"it's\", 'extra': 1, 'b': [True, None, 1.5]}"
        );
    }
}
