//! YAML as PyYAML's `safe_load` reads it (YAML 1.1): `yes` is True, `010`
//! is 8, `1.0e-3` is a float but `1e-3` a string, `2024-01-02` a date.
//! The parser's events keep each scalar's style, so only plain scalars are
//! resolved, by PyYAML's own implicit resolvers.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::py_value::PyValue;

/// The first document of `text` (`None` for an empty one, as PyYAML).
pub fn load(text: &str) -> Result<PyValue, String> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser
        .load(&mut builder, false)
        .map_err(|e| e.to_string())?;
    if let Some(e) = builder.error {
        return Err(e);
    }
    Ok(builder.root.unwrap_or(PyValue::None))
}

enum Frame {
    List(Vec<PyValue>, usize),
    Dict(Vec<(PyValue, PyValue)>, Option<PyValue>, usize),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, PyValue>,
    root: Option<PyValue>,
    error: Option<String>,
    done: bool,
}

impl Builder {
    fn push_value(&mut self, value: PyValue, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(value);
                }
            }
            Some(Frame::List(items, _)) => items.push(value),
            Some(Frame::Dict(entries, pending, _)) => match pending.take() {
                None => *pending = Some(value),
                Some(key) => insert(entries, key, value),
            },
        }
    }
}

/// `d[key] = value`: a repeated key keeps its first place and the last
/// value; `<<` merges (PyYAML's SafeLoader supports merge keys).
fn insert(entries: &mut Vec<(PyValue, PyValue)>, key: PyValue, value: PyValue) {
    if let Some(slot) = entries.iter_mut().find(|(k, _)| *k == key) {
        slot.1 = value;
    } else {
        entries.push((key, value));
    }
}

fn merge(entries: Vec<(PyValue, PyValue)>) -> Vec<(PyValue, PyValue)> {
    let merge_key = PyValue::Str("<<".into());
    if !entries.iter().any(|(k, _)| *k == merge_key) {
        return entries;
    }
    let mut merged: Vec<(PyValue, PyValue)> = Vec::new();
    let mut own = Vec::new();
    for (k, v) in entries {
        if k == merge_key {
            let sources = match v {
                PyValue::List(l) => l,
                other => vec![other],
            };
            for source in sources {
                if let PyValue::Dict(d) = source {
                    for (mk, mv) in d {
                        if !merged.iter().any(|(k, _)| *k == mk) {
                            merged.push((mk, mv));
                        }
                    }
                }
            }
        } else {
            own.push((k, v));
        }
    }
    for (k, v) in own {
        insert(&mut merged, k, v);
    }
    merged
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, _mark: Marker) {
        if self.error.is_some() || self.done {
            return;
        }
        match ev {
            Event::DocumentEnd if self.root.is_some() => self.done = true,
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(v) => self.push_value(v, 0),
                None => self.error = Some("found undefined alias".into()),
            },
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                match scalar(&text, style, tag.as_deref()) {
                    Ok(v) => self.push_value(v, anchor),
                    Err(e) => self.error = Some(e),
                }
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::List(Vec::new(), anchor)),
            Event::SequenceEnd => {
                if let Some(Frame::List(items, anchor)) = self.stack.pop() {
                    self.push_value(PyValue::List(items), anchor);
                }
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push(Frame::Dict(Vec::new(), None, anchor))
            }
            Event::MappingEnd => {
                if let Some(Frame::Dict(entries, _, anchor)) = self.stack.pop() {
                    self.push_value(PyValue::Dict(merge(entries)), anchor);
                }
            }
            _ => {}
        }
    }
}

fn scalar(text: &str, style: TScalarStyle, tag: Option<&str>) -> Result<PyValue, String> {
    match tag {
        None => {}
        Some("!!str") | Some("tag:yaml.org,2002:str") => return Ok(PyValue::Str(text.into())),
        Some("!!int") | Some("tag:yaml.org,2002:int") => {
            return int(text).ok_or_else(|| format!("invalid int {text:?}"))
        }
        Some("!!float") | Some("tag:yaml.org,2002:float") => {
            return float(text).ok_or_else(|| format!("invalid float {text:?}"))
        }
        Some("!!bool") | Some("tag:yaml.org,2002:bool") => {
            return boolean(text)
                .map(PyValue::Bool)
                .ok_or_else(|| format!("invalid bool {text:?}"))
        }
        Some("!!null") | Some("tag:yaml.org,2002:null") => return Ok(PyValue::None),
        Some(other) => {
            return Err(format!(
                "could not determine a constructor for the tag '{other}'"
            ))
        }
    }
    if style != TScalarStyle::Plain {
        return Ok(PyValue::Str(text.into()));
    }
    Ok(resolve_plain(text))
}

/// PyYAML's implicit resolvers, in its order of precedence.
fn resolve_plain(text: &str) -> PyValue {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return PyValue::None;
    }
    if let Some(b) = boolean(text) {
        return PyValue::Bool(b);
    }
    if is_yaml11_int(text) {
        if let Some(v) = int(text) {
            return v;
        }
    }
    if is_yaml11_float(text) {
        if let Some(v) = float(text) {
            return v;
        }
    }
    if let Some(d) = timestamp(text) {
        return PyValue::Date(d);
    }
    PyValue::Str(text.into())
}

fn boolean(text: &str) -> Option<bool> {
    match text {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

fn strip_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

/// `[-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+ | [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`
fn is_yaml11_int(text: &str) -> bool {
    let (_, t) = strip_sign(text);
    let all = |s: &str, f: fn(char) -> bool| !s.is_empty() && s.chars().all(f);
    if let Some(r) = t.strip_prefix("0b") {
        return all(r, |c| c == '0' || c == '1' || c == '_');
    }
    if let Some(r) = t.strip_prefix("0x") {
        return all(r, |c| c.is_ascii_hexdigit() || c == '_');
    }
    if t == "0" {
        return true;
    }
    if let Some(r) = t.strip_prefix('0') {
        return all(r, |c| ('0'..='7').contains(&c) || c == '_');
    }
    let mut parts = t.split(':');
    let head = parts.next().unwrap_or("");
    let head_ok = head.starts_with(|c: char| ('1'..='9').contains(&c))
        && head.chars().all(|c| c.is_ascii_digit() || c == '_');
    if !head_ok {
        return false;
    }
    parts.all(sexagesimal_part)
}

fn sexagesimal_part(p: &str) -> bool {
    let b = p.as_bytes();
    match b.len() {
        1 => b[0].is_ascii_digit(),
        2 => (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit(),
        _ => false,
    }
}

/// PyYAML's float resolver: a dot is required, and an exponent must carry its sign.
fn is_yaml11_float(text: &str) -> bool {
    let (_, t) = strip_sign(text);
    if matches!(t, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let digits_ = |s: &str| s.chars().all(|c| c.is_ascii_digit() || c == '_');
    let exponent_ok = |e: &str| {
        let b = e.as_bytes();
        b.len() >= 2 && (b[0] == b'-' || b[0] == b'+') && b[1..].iter().all(u8::is_ascii_digit)
    };
    let (body, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    if let Some(e) = exp {
        if !exponent_ok(e) {
            return false;
        }
    }
    // [0-9][0-9_]*\.[0-9_]*  |  \.[0-9][0-9_]*
    if let Some((int, frac)) = body.split_once('.') {
        if int.contains(':') {
            // [0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*  (no exponent)
            if exp.is_some() {
                return false;
            }
            let mut parts = int.split(':');
            let head = parts.next().unwrap_or("");
            return head.starts_with(|c: char| c.is_ascii_digit())
                && digits_(head)
                && parts.all(sexagesimal_part)
                && int.contains(':')
                && digits_(frac);
        }
        if int.is_empty() {
            return frac.starts_with(|c: char| c.is_ascii_digit()) && digits_(frac);
        }
        return int.starts_with(|c: char| c.is_ascii_digit()) && digits_(int) && digits_(frac);
    }
    false
}

fn sexagesimal(t: &str) -> Option<f64> {
    let mut total = 0f64;
    for part in t.split(':') {
        total = total * 60.0 + part.parse::<f64>().ok()?;
    }
    Some(total)
}

/// PyYAML's `construct_yaml_int`.
fn int(text: &str) -> Option<PyValue> {
    let cleaned: String = text.chars().filter(|c| *c != '_').collect();
    let (negative, t) = strip_sign(&cleaned);
    let sign: i128 = if negative { -1 } else { 1 };
    let parsed = if t == "0" {
        Some(0)
    } else if let Some(r) = t.strip_prefix("0b") {
        i128::from_str_radix(r, 2).ok()
    } else if let Some(r) = t.strip_prefix("0x") {
        i128::from_str_radix(r, 16).ok()
    } else if let Some(r) = t.strip_prefix('0') {
        i128::from_str_radix(r, 8).ok()
    } else if t.contains(':') {
        let mut total: i128 = 0;
        for part in t.split(':') {
            total = total
                .checked_mul(60)?
                .checked_add(part.parse::<i128>().ok()?)?;
        }
        Some(total)
    } else if t.chars().all(|c| c.is_ascii_digit()) && !t.is_empty() {
        match t.parse::<i128>() {
            Ok(v) => Some(v),
            Err(_) => {
                return Some(PyValue::BigInt(format!(
                    "{}{}",
                    if negative { "-" } else { "" },
                    t.trim_start_matches('0')
                )))
            }
        }
    } else {
        None
    };
    parsed.map(|v| PyValue::Int(sign * v))
}

/// PyYAML's `construct_yaml_float`.
fn float(text: &str) -> Option<PyValue> {
    let cleaned: String = text.chars().filter(|c| *c != '_').collect::<String>();
    let lower = cleaned.to_lowercase();
    let (negative, t) = strip_sign(&lower);
    let sign = if negative { -1.0 } else { 1.0 };
    let v = if t == ".inf" {
        f64::INFINITY
    } else if t == ".nan" {
        f64::NAN
    } else if t.contains(':') {
        sexagesimal(t)?
    } else {
        // Python's float() accepts "1." and ".5" as Rust's parser does.
        t.parse::<f64>().ok()?
    };
    Some(PyValue::Float(sign * v))
}

/// PyYAML's timestamp resolver and constructor: a date, or a date and
/// time with optional fraction and zone, as Python's `str()` prints it.
fn timestamp(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let is_date = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if is_date {
        return Some(text.to_string());
    }
    // YYYY-M-D(T| +)H:MM:SS(.frac)?( *(Z|±H(:MM)?))?
    let (date, rest) = text.split_at(text.find(['T', 't', ' ', '\t'])?);
    let mut dparts = date.split('-');
    let (y, m, d) = (dparts.next()?, dparts.next()?, dparts.next()?);
    if dparts.next().is_some()
        || y.len() != 4
        || !(1..=2).contains(&m.len())
        || !(1..=2).contains(&d.len())
        || ![y, m, d]
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let rest = rest.trim_start_matches(['T', 't', ' ', '\t']);
    let time_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
        .unwrap_or(rest.len());
    let (time, zone) = rest.split_at(time_end);
    let (hms, frac) = match time.split_once('.') {
        Some((a, f)) => (a, Some(f)),
        None => (time, None),
    };
    let mut tparts = hms.split(':');
    let (h, mi, s) = (tparts.next()?, tparts.next()?, tparts.next()?);
    if tparts.next().is_some()
        || !(1..=2).contains(&h.len())
        || mi.len() != 2
        || s.len() != 2
        || ![h, mi, s]
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let zone = zone.trim_start_matches([' ', '\t']);
    let tz = if zone.is_empty() {
        String::new()
    } else if zone == "Z" {
        "+00:00".into()
    } else {
        let (sign, z) = zone.split_at(1);
        if sign != "+" && sign != "-" {
            return None;
        }
        let (zh, zm) = z.split_once(':').unwrap_or((z, "00"));
        if !(1..=2).contains(&zh.len()) || zm.len() != 2 {
            return None;
        }
        format!("{sign}{:02}:{zm}", zh.parse::<u32>().ok()?)
    };
    let micro = match frac {
        Some(f) if !f.is_empty() => {
            let mut f = f.to_string();
            f.truncate(6);
            while f.len() < 6 {
                f.push('0');
            }
            if f.chars().all(|c| c == '0') {
                String::new()
            } else {
                format!(".{f}")
            }
        }
        _ => String::new(),
    };
    Some(format!(
        "{y}-{:02}-{:02} {:02}:{mi}:{s}{micro}{tz}",
        m.parse::<u32>().ok()?,
        d.parse::<u32>().ok()?,
        h.parse::<u32>().ok()?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn str_of(yaml: &str) -> String {
        load(&format!("v: {yaml}"))
            .unwrap()
            .get("v")
            .unwrap()
            .py_str()
    }

    #[test]
    fn plain_scalars_resolve_as_pyyaml_resolves_them() {
        for (yaml, want) in [
            ("0.10", "0.1"),
            ("1.0e-3", "0.001"),
            ("1e-3", "1e-3"),
            ("1.0e3", "1.0e3"),
            ("yes", "True"),
            ("on", "True"),
            ("Off", "False"),
            ("010", "8"),
            ("1_000", "1000"),
            ("0x1F", "31"),
            ("0b101", "5"),
            ("1:30", "90"),
            ("1:30.5", "90.5"),
            ("[1,2]", "[1, 2]"),
            ("[a, 'b c']", "['a', 'b c']"),
            ("{a: 1}", "{'a': 1}"),
            ("'0.10'", "0.10"),
            ("\"yes\"", "yes"),
            (".inf", "inf"),
            ("-.Inf", "-inf"),
            ("2024-01-02", "2024-01-02"),
            (
                "2001-12-14t21:59:43.10-05:00",
                "2001-12-14 21:59:43.100000-05:00",
            ),
            ("1.", "1.0"),
            (".5", "0.5"),
            ("+1", "1"),
            ("09", "09"),
            ("hello world", "hello world"),
            ("!!str 5", "5"),
        ] {
            assert_eq!(str_of(yaml), want, "{yaml}");
        }
        assert_eq!(load("v:").unwrap().get("v"), Some(&PyValue::None));
        assert_eq!(load("v: ~").unwrap().get("v"), Some(&PyValue::None));
        assert_eq!(load("").unwrap(), PyValue::None);
    }

    #[test]
    fn anchors_merge_and_repeated_keys() {
        let v = load("a: &x {p: 1}\nb:\n  <<: *x\n  q: 2\nc: 1\nc: 2\n").unwrap();
        assert_eq!(v.get("b").unwrap().py_str(), "{'p': 1, 'q': 2}");
        assert_eq!(v.get("c").unwrap().py_str(), "2");
    }
}
