//! Request validation as MLflow's handlers do it before they touch the
//! store (`_get_request_message`): the body is parsed into the endpoint's
//! protobuf message the way protobuf's JSON parser parses it, then the
//! handler's `schema=` checks run in order. When the protobuf parse failed,
//! the type checks run too, which is how `{"name": 123}` becomes MLflow's
//! "Invalid value 123 for parameter 'name' supplied" error. The messages and
//! schemas come from the pinned `mlflow` (schema/requests.json, written by
//! tests/tracking/dump_request_schemas.py).

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::Method;
use mlflowrs_protocol::pyjson::{self, Json};
use serde_json::Value;

use super::error::MlflowError;
use super::request::Request;

static SCHEMAS: LazyLock<Schemas> = LazyLock::new(|| {
    let raw: Value = serde_json::from_str(include_str!("schema/requests.json"))
        .expect("schema/requests.json is valid JSON");
    Schemas::from_json(&raw)
});

const SEE_DOCS: &str = " See the API docs for more information about request parameters.";

struct Schemas {
    endpoints: HashMap<(String, String), Endpoint>,
    messages: HashMap<String, Vec<Field>>,
}

struct Endpoint {
    message: String,
    params: Vec<(String, Vec<Check>)>,
}

struct Field {
    name: String,
    json_name: String,
    kind: Kind,
    repeated: bool,
}

enum Kind {
    Str,
    Bytes,
    Int {
        bits: u32,
        unsigned: bool,
    },
    Float,
    Bool,
    Enum(HashMap<String, i64>),
    Message(String),
    Map,
    /// google.protobuf well-known types: anything JSON.
    Any,
}

enum Check {
    Required,
    Str,
    IntLike,
    Bool,
    FloatLike,
    Array,
    Dict,
    MapKeyPresent,
    ItemTypeStr,
    /// `x <= max` of `int(x)` or `len(x)`.
    AtMost {
        of_len: bool,
        max: i64,
        message: Option<String>,
    },
    /// `min <= int(x) <= max`.
    Within {
        min: i64,
        max: i64,
        message: Option<String>,
    },
    /// Each item has these keys: `metrics[0].key`.
    ItemsPresent {
        fields: Vec<String>,
        path: String,
    },
    Unknown,
}

impl Check {
    /// The checks `_validate_param_against_schema` skips when protobuf parsed the body.
    fn is_type_check(&self) -> bool {
        matches!(
            self,
            Check::IntLike
                | Check::Str
                | Check::Bool
                | Check::FloatLike
                | Check::Array
                | Check::ItemTypeStr
        )
    }
}

impl Schemas {
    fn from_json(raw: &Value) -> Schemas {
        let str_of =
            |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let mut messages = HashMap::new();
        for (name, fields) in raw["messages"].as_object().into_iter().flatten() {
            let fields = fields
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| Field {
                    name: str_of(f, "name"),
                    json_name: str_of(f, "json_name"),
                    repeated: f["repeated"].as_bool().unwrap_or(false),
                    kind: match f["type"].as_str().unwrap_or("") {
                        "string" => Kind::Str,
                        "bytes" => Kind::Bytes,
                        "int" => Kind::Int {
                            bits: f["bits"].as_u64().unwrap_or(64) as u32,
                            unsigned: f["unsigned"].as_bool().unwrap_or(false),
                        },
                        "float" => Kind::Float,
                        "bool" => Kind::Bool,
                        "enum" => Kind::Enum(
                            f["enum"]
                                .as_object()
                                .into_iter()
                                .flatten()
                                .map(|(k, v)| (k.clone(), v.as_i64().unwrap_or(0)))
                                .collect(),
                        ),
                        "message" => Kind::Message(str_of(f, "message")),
                        "map" => Kind::Map,
                        _ => Kind::Any,
                    },
                })
                .collect();
            messages.insert(name.clone(), fields);
        }
        let mut endpoints = HashMap::new();
        for e in raw["endpoints"].as_array().into_iter().flatten() {
            let params = e["schema"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    let checks = p["checks"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(check_from_json)
                        .collect();
                    (str_of(p, "param"), checks)
                })
                .collect();
            endpoints.insert(
                (str_of(e, "path"), str_of(e, "method")),
                Endpoint {
                    message: str_of(e, "message"),
                    params,
                },
            );
        }
        Schemas {
            endpoints,
            messages,
        }
    }
}

fn check_from_json(c: &Value) -> Check {
    let message = c["message"].as_str().map(str::to_string);
    match c["check"].as_str().unwrap_or("") {
        "required" => Check::Required,
        "string" => Check::Str,
        "intlike" => Check::IntLike,
        "bool" => Check::Bool,
        "floatlike" => Check::FloatLike,
        "array" => Check::Array,
        "dict" => Check::Dict,
        "map_key_present" => Check::MapKeyPresent,
        "item_type_string" => Check::ItemTypeStr,
        "less_than_or_equal" => Check::AtMost {
            of_len: c["of"] == "len",
            max: c["max"].as_i64().unwrap_or(i64::MAX),
            message,
        },
        "intlike_within_range" => Check::Within {
            min: c["min"].as_i64().unwrap_or(i64::MIN),
            max: c["max"].as_i64().unwrap_or(i64::MAX),
            message,
        },
        "items_present" => Check::ItemsPresent {
            fields: c["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect(),
            path: c["path"].as_str().unwrap_or("").to_string(),
        },
        _ => Check::Unknown,
    }
}

/// Validates `req` for the endpoint (path under `…/mlflow/`, with MLflow's
/// `<model_id>` placeholders) as MLflow's handler would. `body` is the raw
/// body of a non-GET request. On a protobuf parse failure the field that
/// failed and every field after it are dropped, as protobuf leaves them unset.
pub fn validate(
    endpoint: &str,
    method: &Method,
    body: &[u8],
    req: &mut Request,
) -> Result<(), MlflowError> {
    let Some(schema) = SCHEMAS
        .endpoints
        .get(&(endpoint.to_string(), method.as_str().to_string()))
    else {
        return Ok(());
    };
    let fields = SCHEMAS
        .messages
        .get(&schema.message)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let json = if *method == Method::GET && !req.fields.is_empty() {
        query_json(fields, req)?
    } else {
        body_json(body)
    };
    reject_conflicting_aliases(&json, fields)?;
    let failed_at = first_unparsable(&json, fields);
    for (param, checks) in &schema.params {
        let mut value = json.get(param);
        if param == "run_id" && value.is_none() {
            value = json.get("run_uuid");
        }
        let present = json.get(param).is_some();
        if !present && !checks.iter().any(|c| matches!(c, Check::Required)) {
            continue;
        }
        for check in checks {
            if check.is_type_check() && failed_at.is_none() {
                continue;
            }
            if let Err(message) = run_check(check, param, value.unwrap_or(&Json::Null)) {
                return Err(MlflowError::invalid_parameter(message + SEE_DOCS));
            }
        }
    }
    if let (Some(at), Json::Dict(items)) = (failed_at, &json) {
        for (key, _) in &items[at..] {
            req.fields.remove(key);
        }
    }
    Ok(())
}

/// The body as Python's `json` reads it (key order kept); a body that is not
/// JSON, or not an object, counts as empty, and a JSON string holding JSON
/// is decoded once more, as MLflow does for old clients.
fn body_json(body: &[u8]) -> Json {
    match pyjson::parse(body) {
        Ok(Json::Str(s)) => pyjson::parse(s.as_bytes()).unwrap_or(Json::Null),
        Ok(json @ Json::Dict(_)) => json,
        _ => Json::Dict(Vec::new()),
    }
}

/// A GET request's fields as MLflow builds them from the query string:
/// only the message's fields, repeated ones as lists, booleans checked.
fn query_json(fields: &[Field], req: &mut Request) -> Result<Json, MlflowError> {
    let mut items = Vec::new();
    for field in fields {
        let Some(value) = req.fields.get(&field.name).cloned() else {
            continue;
        };
        let strings: Vec<String> = match value {
            Value::Array(a) => a
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect(),
            Value::String(s) => vec![s],
            _ => continue,
        };
        let json = if field.repeated {
            Json::List(strings.into_iter().map(Json::Str).collect())
        } else {
            let first = strings.into_iter().next().unwrap_or_default();
            if matches!(field.kind, Kind::Bool) {
                let lower = first.to_lowercase();
                if lower != "true" && lower != "false" {
                    return Err(MlflowError::invalid_parameter(format!(
                        "Invalid boolean value: {first}, must be 'true' or 'false'."
                    )));
                }
                req.fields
                    .insert(field.name.clone(), Value::Bool(lower == "true"));
                Json::Bool(lower == "true")
            } else {
                req.fields
                    .insert(field.name.clone(), Value::String(first.clone()));
                Json::Str(first)
            }
        };
        items.push((field.name.clone(), json));
    }
    Ok(Json::Dict(items))
}

fn reject_conflicting_aliases(json: &Json, fields: &[Field]) -> Result<(), MlflowError> {
    let Json::Dict(_) = json else { return Ok(()) };
    for field in fields {
        if field.name != field.json_name
            && json.get(&field.name).is_some()
            && json.get(&field.json_name).is_some()
        {
            return Err(MlflowError::invalid_parameter(format!(
                "Request specifies both '{}' and '{}'; provide only one of them.",
                field.name, field.json_name
            )));
        }
        if let Kind::Message(nested) = &field.kind {
            let nested = SCHEMAS
                .messages
                .get(nested)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let value = json.get(&field.name).or_else(|| json.get(&field.json_name));
            match value {
                Some(Json::List(items)) => {
                    for item in items {
                        reject_conflicting_aliases(item, nested)?;
                    }
                }
                Some(item) => reject_conflicting_aliases(item, nested)?,
                None => {}
            }
        }
    }
    Ok(())
}

/// The index of the first top-level field protobuf's `ParseDict` refuses.
fn first_unparsable(json: &Json, fields: &[Field]) -> Option<usize> {
    let Json::Dict(items) = json else { return None };
    items
        .iter()
        .position(|(key, value)| !field_parses(key, value, fields))
}

fn field_parses(key: &str, value: &Json, fields: &[Field]) -> bool {
    let Some(field) = fields
        .iter()
        .find(|f| f.json_name == key)
        .or_else(|| fields.iter().find(|f| f.name == key))
    else {
        return true; // unknown fields are ignored
    };
    if matches!(value, Json::Null) {
        return true;
    }
    if matches!(field.kind, Kind::Map) {
        return matches!(value, Json::Dict(_));
    }
    if field.repeated {
        return match value {
            Json::List(items) => items
                .iter()
                .all(|item| !matches!(item, Json::Null) && scalar_parses(&field.kind, item)),
            _ => false,
        };
    }
    scalar_parses(&field.kind, value)
}

fn scalar_parses(kind: &Kind, value: &Json) -> bool {
    match kind {
        Kind::Str | Kind::Bytes => matches!(value, Json::Str(_)),
        Kind::Bool => matches!(value, Json::Bool(_)),
        Kind::Int { bits, unsigned } => match proto_int(value) {
            Some(n) => {
                let (lo, hi) = match (bits, unsigned) {
                    (32, false) => (i32::MIN as i128, i32::MAX as i128),
                    (32, true) => (0, u32::MAX as i128),
                    (_, false) => (i64::MIN as i128, i64::MAX as i128),
                    (_, true) => (0, u64::MAX as i128),
                };
                (lo..=hi).contains(&n)
            }
            None => false,
        },
        Kind::Float => match value {
            Json::Int(_) | Json::BigInt(_) | Json::Bool(_) => true,
            Json::Float(f) => f.is_finite(),
            Json::Str(s) => s != "nan" && (py_float(s).is_some() || is_proto_special(s)),
            _ => false,
        },
        Kind::Enum(names) => match value {
            Json::Str(s) => {
                names.contains_key(s)
                    || py_int(s).is_none_or(|n| names.values().any(|v| *v as i128 == n))
            }
            Json::Int(n) => names.values().any(|v| v == n),
            Json::Bool(b) => names.values().any(|v| *v == *b as i64),
            _ => false,
        },
        Kind::Message(name) => match value {
            Json::Dict(items) => {
                let fields = SCHEMAS.messages.get(name).map(Vec::as_slice).unwrap_or(&[]);
                items.iter().all(|(k, v)| field_parses(k, v, fields))
            }
            // protobuf iterates a non-object's items as field names and
            // ignores the unknown ones: a string or a list of strings passes.
            Json::Str(_) => true,
            Json::List(items) => items.iter().all(|i| matches!(i, Json::Str(_))),
            _ => false,
        },
        Kind::Map => matches!(value, Json::Dict(_)),
        Kind::Any => true,
    }
}

fn is_proto_special(s: &str) -> bool {
    matches!(s, "NaN" | "Infinity" | "-Infinity")
}

/// protobuf's `_ConvertInteger`: ints, integral floats, and strings that
/// Python's `int()` (or an integral `float()`) reads, but no spaces or bools.
fn proto_int(value: &Json) -> Option<i128> {
    match value {
        Json::Int(n) => Some(*n as i128),
        Json::BigInt(s) => s.parse().ok(),
        Json::Float(f) if f.fract() == 0.0 && f.is_finite() => Some(*f as i128),
        Json::Str(s) if !s.contains(' ') => {
            py_int(s).or_else(|| py_float(s).filter(|f| f.fract() == 0.0).map(|f| f as i128))
        }
        _ => None,
    }
}

/// Python's `int(str)`: surrounding whitespace, a sign, digits with single
/// underscores between them.
fn py_int(s: &str) -> Option<i128> {
    let t = s.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    t.replace('_', "").parse().ok()
}

/// Python's `float(str)`.
fn py_float(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t.starts_with('_') || t.ends_with('_') || t.contains("__") {
        return None;
    }
    let cleaned = t.replace('_', "");
    let lower = cleaned.to_ascii_lowercase();
    let negative = lower.starts_with('-');
    match lower.strip_prefix(['+', '-']).unwrap_or(&lower) {
        "nan" => Some(f64::NAN),
        "inf" | "infinity" if negative => Some(f64::NEG_INFINITY),
        "inf" | "infinity" => Some(f64::INFINITY),
        other if other.starts_with(['i', 'n']) => None,
        _ => cleaned.parse().ok(),
    }
}

/// One of the handler's schema checks, with MLflow's message when it fails.
fn run_check(check: &Check, param: &str, value: &Json) -> Result<(), String> {
    let invalid = || {
        Err(format!(
            "Invalid value {} for parameter '{param}' supplied:  Hint: Value was of type '{}'.",
            pyjson::to_string_compact_sorted(value),
            value.type_name()
        ))
    };
    let or_invalid = |ok: bool| if ok { Ok(()) } else { invalid() };
    match check {
        Check::Required => match value {
            Json::Null => Err(format!("Missing value for required parameter '{param}'.")),
            Json::Str(s) if s.is_empty() => {
                Err(format!("Missing value for required parameter '{param}'."))
            }
            _ => Ok(()),
        },
        Check::Str => or_invalid(matches!(value, Json::Str(_))),
        Check::Bool => or_invalid(matches!(value, Json::Bool(_))),
        Check::Array => or_invalid(matches!(value, Json::List(_))),
        Check::Dict => or_invalid(matches!(value, Json::Dict(_))),
        Check::IntLike => or_invalid(python_int(value).is_some()),
        Check::FloatLike => or_invalid(match value {
            Json::Int(_) | Json::BigInt(_) | Json::Float(_) | Json::Bool(_) => true,
            Json::Str(s) => py_float(s).is_some(),
            _ => false,
        }),
        Check::ItemTypeStr => or_invalid(match value {
            Json::List(items) => items.iter().all(|i| matches!(i, Json::Str(_))),
            Json::Str(_) | Json::Dict(_) => true,
            _ => false,
        }),
        Check::MapKeyPresent => or_invalid(match value {
            Json::List(items) => items.iter().all(|i| {
                !matches!(i.get("key"), None | Some(Json::Null))
                    && i.get("key") != Some(&Json::Str(String::new()))
            }),
            _ => false,
        }),
        Check::AtMost {
            of_len,
            max,
            message,
        } => {
            let n = if *of_len {
                match value {
                    Json::List(items) => Some(items.len() as i128),
                    Json::Str(s) => Some(s.chars().count() as i128),
                    Json::Dict(items) => Some(items.len() as i128),
                    _ => None,
                }
            } else {
                python_int(value)
            };
            match n {
                Some(n) if n > *max as i128 => match message {
                    Some(m) => Err(fill(m, n)),
                    None => invalid(),
                },
                _ => Ok(()),
            }
        }
        Check::Within { min, max, message } => match python_int(value) {
            Some(n) if n < *min as i128 || n > *max as i128 => match message {
                Some(m) => Err(fill(m, n)),
                None => invalid(),
            },
            _ => Ok(()),
        },
        Check::ItemsPresent { fields, path } => {
            let Json::List(items) = value else {
                return Ok(());
            };
            for (idx, item) in items.iter().enumerate() {
                for field in fields {
                    match item.get(field) {
                        None | Some(Json::Null) => {
                            return Err(format!(
                                "Missing value for required parameter '{path}[{idx}].{field}'."
                            ))
                        }
                        Some(Json::Str(s)) if s.is_empty() => {
                            return Err(format!(
                                "Missing value for required parameter '{path}[{idx}].{field}'."
                            ))
                        }
                        _ => {}
                    }
                }
            }
            Ok(())
        }
        Check::Unknown => Ok(()),
    }
}

/// A message template from the schema: `{len}` / `{value}` filled, `{{ }}` unescaped.
fn fill(template: &str, n: i128) -> String {
    template
        .replace("{len}", &n.to_string())
        .replace("{value}", &n.to_string())
        .replace("{{", "{")
        .replace("}}", "}")
}

/// Python's `int(x)` for a JSON value.
fn python_int(value: &Json) -> Option<i128> {
    match value {
        Json::Int(n) => Some(*n as i128),
        Json::BigInt(s) => s.parse().ok(),
        Json::Float(f) if f.is_finite() => Some(f.trunc() as i128),
        Json::Bool(b) => Some(*b as i128),
        Json::Str(s) => py_int(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(endpoint: &str, body: &str) -> Result<Request, String> {
        let mut req = Request {
            fields: match serde_json::from_str(body).unwrap_or(Value::Null) {
                Value::Object(m) => m,
                _ => Default::default(),
            },
        };
        validate(endpoint, &Method::POST, body.as_bytes(), &mut req)
            .map(|_| req)
            .map_err(|e| e.message)
    }

    #[test]
    fn numbers_for_strings_are_refused_with_mlflows_message() {
        assert_eq!(
            check("experiments/create", r#"{"name": 123}"#).err().unwrap(),
            "Invalid value 123 for parameter 'name' supplied:  Hint: Value was of type 'int'. See the API docs for more information about request parameters."
        );
        assert!(check(
            "runs/log-metric",
            r#"{"run_id": 31, "key": "m", "value": 1, "timestamp": 1}"#
        )
        .is_err());
        assert!(check("runs/log-batch", r#"{"run_id": "a", "metrics": "foo"}"#).is_err());
        assert!(check("experiments/create", r#"{"name": "a"}"#).is_ok());
    }

    #[test]
    fn messages_quote_values_as_python_json_dumps_does() {
        let err = check(
            "runs/log-batch",
            r#"{"run_id": "a", "metrics": {"b": 1.0, "a": [1e20]}}"#,
        )
        .err()
        .unwrap();
        assert!(
            err.starts_with(r#"Invalid value {"a":[1e+20],"b":1.0} for parameter 'metrics'"#),
            "{err}"
        );
    }

    #[test]
    fn batch_items_need_their_keys() {
        assert_eq!(
            check("runs/log-batch", r#"{"run_id": "a", "metrics": [{"key": "m", "value": 1}]}"#)
                .err()
                .unwrap(),
            "Missing value for required parameter 'metrics[0].timestamp'. See the API docs for more information about request parameters."
        );
    }

    #[test]
    fn proto_integer_strings_follow_python() {
        for ok in ["5", "-5", "+5", "1_000", "5.0", "1e3"] {
            assert!(proto_int(&Json::Str(ok.into())).is_some(), "{ok}");
        }
        for bad in ["5 ", "1.5", "x", "_1", "1__0", ""] {
            assert!(proto_int(&Json::Str(bad.into())).is_none(), "{bad}");
        }
    }
}
