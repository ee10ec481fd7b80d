//! Python `repr` of values that appear inside scikit-learn's messages.

/// `repr(s)` for a Python str: single quotes unless the text holds a single
/// quote and no double quote; backslash escapes for `\\`, the quote,
/// `\n`, `\r`, `\t` and other non-printable characters.
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
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_unprintable(c) => {
                let v = c as u32;
                if v <= 0xff {
                    out.push_str(&format!("\\x{v:02x}"));
                } else if v <= 0xffff {
                    out.push_str(&format!("\\u{v:04x}"));
                } else {
                    out.push_str(&format!("\\U{v:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Characters Python's `str.isprintable` rejects, approximated: C1 controls,
/// separators other than the ASCII space, and format characters.
fn is_unprintable(c: char) -> bool {
    let v = c as u32;
    (0x80..=0xa0).contains(&v)
        || v == 0xad
        || (0x2000..=0x200f).contains(&v)
        || (0x2028..=0x202f).contains(&v)
        || (0x205f..=0x206f).contains(&v)
        || v == 0x3000
        || v == 0xfeff
        || (0xd800..=0xdfff).contains(&v)
}

/// `repr` of a Python float: the shortest text that reads back exactly,
/// `nan`/`inf`, and a `.0` on integral values.
pub fn py_float_repr(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let a = v.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        // Python switches to exponent notation: 1e-05, 1.5e+16.
        let s = format!("{v:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = exp.parse().unwrap_or(0);
        let sign = if e < 0 { '-' } else { '+' };
        return format!("{mant}e{sign}{:02}", e.abs());
    }
    let s = format!("{v}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reprs() {
        assert_eq!(py_str_repr("abc"), "'abc'");
        assert_eq!(py_str_repr("it's"), "\"it's\"");
        assert_eq!(py_str_repr("a'b\""), "'a\\'b\"'");
        assert_eq!(py_str_repr("a\nb"), "'a\\nb'");
        assert_eq!(py_float_repr(1.0), "1.0");
        assert_eq!(py_float_repr(0.1), "0.1");
        assert_eq!(py_float_repr(1e-5), "1e-05");
        assert_eq!(py_float_repr(1.5e16), "1.5e+16");
        assert_eq!(py_float_repr(-0.0), "-0.0");
    }
}
