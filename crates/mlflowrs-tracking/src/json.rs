//! JSON shapes of MLflow's protobuf messages as its server writes them:
//! fields at their default (empty lists, unset optionals) left out.

use serde_json::{Map, Value as Json};

use super::db::Row;

/// An object from (key, value) pairs, leaving out nulls and empty lists.
pub fn object(fields: Vec<(&str, Json)>) -> Json {
    let mut map = Map::new();
    for (k, v) in fields {
        match &v {
            Json::Null => {}
            Json::Array(a) if a.is_empty() => {}
            _ => {
                map.insert(k.to_string(), v);
            }
        }
    }
    Json::Object(map)
}

/// `[{"key": k, "value": v}]` from rows whose first two columns are key and value.
pub fn key_values(rows: &[Row]) -> Json {
    Json::Array(
        rows.iter()
            .map(|r| {
                serde_json::json!({"key": r.text(0), "value": r.opt_text(1).unwrap_or_default()})
            })
            .collect(),
    )
}

pub fn opt_str(v: Option<String>) -> Json {
    v.map(Json::String).unwrap_or(Json::Null)
}

pub fn opt_int(v: Option<i64>) -> Json {
    v.map(Json::from).unwrap_or(Json::Null)
}

/// A double as protobuf's JSON writes it: non-finite values as strings.
pub fn double(v: f64) -> Json {
    if v.is_nan() {
        Json::String("NaN".into())
    } else if v == f64::INFINITY {
        Json::String("Infinity".into())
    } else if v == f64::NEG_INFINITY {
        Json::String("-Infinity".into())
    } else {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .unwrap_or(Json::Null)
    }
}

/// `json.dumps(value)` for the values MLflow quotes in its messages.
pub fn python_dumps(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => if *b { "true" } else { "false" }.into(),
        Json::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(python_dumps)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Json::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!(
                    "{}: {}",
                    python_dumps(&Json::String(k.clone())),
                    python_dumps(v)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// Milliseconds since the epoch, as MLflow stamps its rows.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A new id: 32 lowercase hex digits, as uuid.uuid4().hex.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
