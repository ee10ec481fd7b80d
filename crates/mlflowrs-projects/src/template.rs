//! A command template filled as MLflow fills it: Python's
//! `str.format(**params)` over shell-quoted values (`shlex.quote`).

/// Python's `shlex.quote`: unchanged when every character is safe, else
/// single-quoted with `'` spelled `'"'"'`.
pub fn shell_quote(s: &str) -> String {
    if s.is_empty() {
        return "''".into();
    }
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c);
    if s.chars().all(safe) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

/// Why a template could not be filled, as Python's exception names it
/// (MLflow lets it escape as a traceback).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// `KeyError`, `ValueError`, `IndexError`.
    pub exception: &'static str,
    /// Python's message: `'x'` for a KeyError.
    pub message: String,
}

/// `template.format(**params)` where every value is a string. Supports
/// `{name}`, `{name!s}`, `{name!r}`, `{{`/`}}`, and a format spec of
/// fill, alignment and width, which is what templates use.
pub fn format(template: &str, params: &[(String, String)]) -> Result<String, FormatError> {
    let value_error = |m: &str| FormatError {
        exception: "ValueError",
        message: m.into(),
    };
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '}' => return Err(value_error("Single '}' encountered in format string")),
            '{' => {
                let mut field = String::new();
                let mut depth = 1;
                loop {
                    match chars.next() {
                        None => {
                            return Err(value_error(if field.is_empty() {
                                "Single '{' encountered in format string"
                            } else {
                                "expected '}' before end of string"
                            }))
                        }
                        Some('{') => {
                            depth += 1;
                            field.push('{');
                        }
                        Some('}') => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                            field.push('}');
                        }
                        Some(c) => field.push(c),
                    }
                }
                out.push_str(&replacement(&field, params)?);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn replacement(field: &str, params: &[(String, String)]) -> Result<String, FormatError> {
    let (head, spec) = match field.split_once(':') {
        Some((h, s)) => (h, Some(s)),
        None => (field, None),
    };
    let (name, conversion) = match head.split_once('!') {
        Some((n, c)) => (n, Some(c)),
        None => (head, None),
    };
    let key_end = name.find(['.', '[']).unwrap_or(name.len());
    let key = &name[..key_end];
    if key.is_empty() || key.chars().all(|c| c.is_ascii_digit()) {
        let index = if key.is_empty() { "0" } else { key };
        return Err(FormatError {
            exception: "IndexError",
            message: format!("Replacement index {index} out of range for positional args tuple"),
        });
    }
    let Some((_, value)) = params.iter().find(|(k, _)| k == key) else {
        return Err(FormatError {
            exception: "KeyError",
            message: crate::py_value::str_repr(key),
        });
    };
    let value = lookup(value, &name[key_end..])?;
    let value = match conversion {
        None | Some("s") => value,
        Some("r") | Some("a") => crate::py_value::str_repr(&value),
        Some(c) => {
            return Err(FormatError {
                exception: "ValueError",
                message: format!("Unknown conversion specifier {c}"),
            })
        }
    };
    match spec {
        None | Some("") => Ok(value),
        Some(spec) => apply_spec(&value, spec),
    }
}

/// `.attr` and `[index]` after a field name, applied to a string value as
/// Python applies them: an integer index picks a character.
fn lookup(value: &str, mut rest: &str) -> Result<String, FormatError> {
    let mut current = value.to_string();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            return Err(FormatError {
                exception: "AttributeError",
                message: format!("'str' object has no attribute '{}'", &after[..end]),
            });
        }
        let Some(after) = rest.strip_prefix('[') else {
            return Err(FormatError {
                exception: "ValueError",
                message: "Only '.' or '[' may follow ']' in format field specifier".into(),
            });
        };
        let Some(close) = after.find(']') else {
            return Err(FormatError {
                exception: "ValueError",
                message: "Missing ']' in format string".into(),
            });
        };
        let key = &after[..close];
        rest = &after[close + 1..];
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_digit()) {
            return Err(FormatError {
                exception: "TypeError",
                message: "string indices must be integers, not 'str'".into(),
            });
        }
        let index: usize = key.parse().unwrap_or(usize::MAX);
        current = current
            .chars()
            .nth(index)
            .map(String::from)
            .ok_or_else(|| FormatError {
                exception: "IndexError",
                message: "string index out of range".into(),
            })?;
    }
    Ok(current)
}

/// `[[fill]align][width]` (and an optional trailing `s`) on a string.
fn apply_spec(value: &str, spec: &str) -> Result<String, FormatError> {
    let chars: Vec<char> = spec.chars().collect();
    let is_align = |c: char| matches!(c, '<' | '>' | '^');
    let (fill, align, rest) = if chars.len() >= 2 && is_align(chars[1]) {
        (chars[0], chars[1], &chars[2..])
    } else if !chars.is_empty() && is_align(chars[0]) {
        (' ', chars[0], &chars[1..])
    } else {
        (' ', '<', &chars[..])
    };
    let rest: String = rest.iter().collect();
    let rest = rest.strip_suffix('s').unwrap_or(&rest);
    let width: usize = if rest.is_empty() {
        0
    } else {
        rest.parse().map_err(|_| FormatError {
            exception: "ValueError",
            message: format!("Invalid format specifier '{spec}' for object of type 'str'"),
        })?
    };
    let len = value.chars().count();
    if len >= width {
        return Ok(value.to_string());
    }
    let pad = width - len;
    let (left, right) = match align {
        '>' => (pad, 0),
        '^' => (pad / 2, pad - pad / 2),
        _ => (0, pad),
    };
    let fill_n = |n: usize| std::iter::repeat_n(fill, n).collect::<String>();
    Ok(format!("{}{value}{}", fill_n(left), fill_n(right)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_as_shlex() {
        assert_eq!(shell_quote("abc-1.5"), "abc-1.5");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("hello world"), "'hello world'");
        assert_eq!(shell_quote("it's"), "'it'\"'\"'s'");
        assert_eq!(shell_quote("é"), "'é'");
    }

    #[test]
    fn formats_as_python() {
        let p = vec![("a".to_string(), "1".to_string())];
        assert_eq!(format("x {a} {{a}} }}", &p).unwrap(), "x 1 {a} }");
        assert_eq!(format("{a:>3}|{a!r}", &p).unwrap(), "  1|'1'");
        let q = vec![("x".to_string(), "ab".to_string())];
        assert_eq!(format("{x!r} {x:>6} {x[0]}", &q).unwrap(), "'ab'     ab a");
        assert_eq!(format("{x[5]}", &q).unwrap_err().exception, "IndexError");
        assert_eq!(
            format("{x.upper}", &q).unwrap_err().exception,
            "AttributeError"
        );
        assert_eq!(format("{b}", &p).unwrap_err().message, "'b'");
        assert_eq!(format("{}", &p).unwrap_err().exception, "IndexError");
        assert_eq!(format("a } b", &p).unwrap_err().exception, "ValueError");
    }
}
