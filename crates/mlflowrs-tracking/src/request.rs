//! A REST request's fields, read as MLflow's handlers read them: GET from
//! the query string (repeated keys are lists), other methods from the JSON
//! body (a malformed body counts as empty), and the validation messages its
//! request schemas produce.

use axum::http::{HeaderMap, Method};
use serde_json::{Map, Value as Json};

use super::error::{missing, MlflowError};

pub struct Request {
    pub fields: Map<String, Json>,
}

/// Names of the fields that are lists: a single query value becomes a list of one.
const REPEATED: &[&str] = &[
    "experiment_ids",
    "order_by",
    "stages",
    "tags",
    "metrics",
    "params",
    "models",
    "datasets",
    "run_ids",
];

impl Request {
    pub fn parse(
        method: &Method,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Request, MlflowError> {
        if method == Method::GET {
            let mut fields = Map::new();
            for (k, v) in url_pairs(query.unwrap_or("")) {
                let entry = fields.entry(k.clone());
                if REPEATED.contains(&k.as_str()) {
                    match entry.or_insert_with(|| Json::Array(Vec::new())) {
                        Json::Array(items) => items.push(Json::String(v)),
                        other => *other = Json::String(v),
                    }
                } else {
                    // The first occurrence wins, as Flask's args.get does.
                    entry.or_insert(Json::String(v));
                }
            }
            return Ok(Request { fields });
        }
        if method == Method::POST || method == Method::PUT {
            let ctype = headers
                .get(axum::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            match ctype {
                None => {
                    return Err(MlflowError::invalid_parameter(
                        "Bad Request. Content-Type header is missing.",
                    ))
                }
                Some(c) if c.split(';').next().unwrap_or("").trim() != "application/json" => {
                    return Err(MlflowError::invalid_parameter(
                        "Bad Request. Content-Type must be one of ['application/json'].",
                    ))
                }
                _ => {}
            }
        }
        let mut json: Json = serde_json::from_slice(body).unwrap_or(Json::Null);
        // Old clients double-encode the body as a JSON string.
        if let Json::String(s) = &json {
            json = serde_json::from_str(s).unwrap_or(Json::Null);
        }
        let fields = match json {
            Json::Object(m) => m,
            _ => Map::new(),
        };
        Ok(Request { fields })
    }

    pub fn get(&self, name: &str) -> Option<&Json> {
        self.fields.get(name).filter(|v| !v.is_null())
    }

    /// A string field; numbers are accepted as their text (ids sent as ints).
    pub fn opt_str(&self, name: &str) -> Result<Option<String>, MlflowError> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(Json::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(invalid_value(name, other)),
        }
    }

    /// A required string: absent or empty is MLflow's "Missing value" error.
    pub fn str(&self, name: &str) -> Result<String, MlflowError> {
        match self.opt_str(name)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(missing(name)),
        }
    }

    /// `run_id`, falling back to the legacy `run_uuid`.
    pub fn run_id(&self) -> Result<String, MlflowError> {
        match self.opt_str("run_id")?.filter(|s| !s.is_empty()) {
            Some(id) => Ok(id),
            None => self.str("run_uuid").map_err(|_| missing("run_id")),
        }
    }

    pub fn opt_i64(&self, name: &str) -> Result<Option<i64>, MlflowError> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| invalid_value(name, &Json::Number(n.clone()))),
            Some(v @ Json::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| invalid_value(name, v)),
            Some(other) => Err(invalid_value(name, other)),
        }
    }

    pub fn i64(&self, name: &str) -> Result<i64, MlflowError> {
        self.opt_i64(name)?.ok_or_else(|| missing(name))
    }

    /// A double as protobuf's JSON reads it: a number or "NaN"/"Infinity".
    pub fn f64(&self, name: &str) -> Result<f64, MlflowError> {
        match self.get(name) {
            None => Err(missing(name)),
            Some(v) => json_f64(v).ok_or_else(|| invalid_value(name, v)),
        }
    }

    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, MlflowError> {
        match self.get(name) {
            None => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(*b)),
            Some(Json::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Json::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(Json::String(s)) => Err(MlflowError::invalid_parameter(format!(
                "Invalid boolean value: {s}, must be 'true' or 'false'."
            ))),
            Some(other) => Err(invalid_value(name, other)),
        }
    }

    pub fn str_list(&self, name: &str) -> Result<Vec<String>, MlflowError> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Json::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Json::String(s) => Ok(s.clone()),
                    Json::Number(n) => Ok(n.to_string()),
                    other => Err(invalid_value(name, other)),
                })
                .collect(),
            Some(Json::String(s)) => Ok(vec![s.clone()]),
            Some(other) => Err(invalid_value(name, other)),
        }
    }

    /// `[{"key": …, "value": …}]` lists (tags, params).
    pub fn key_values(&self, name: &str) -> Result<Vec<(String, String)>, MlflowError> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Json::Array(items)) => items
                .iter()
                .map(|item| {
                    let key = item.get("key").and_then(Json::as_str);
                    let value = match item.get("value") {
                        Some(Json::String(s)) => Some(s.clone()),
                        Some(Json::Number(n)) => Some(n.to_string()),
                        Some(Json::Bool(b)) => Some(b.to_string()),
                        _ => None,
                    };
                    match key {
                        Some(k) => Ok((k.to_string(), value.unwrap_or_default())),
                        None => Err(missing("key")),
                    }
                })
                .collect(),
            Some(other) => Err(invalid_value(name, other)),
        }
    }

    pub fn array(&self, name: &str) -> Vec<Json> {
        match self.get(name) {
            Some(Json::Array(items)) => items.clone(),
            _ => Vec::new(),
        }
    }

    /// `max_results` with its default and MLflow's bound.
    pub fn max_results(&self, default: i64, max: i64) -> Result<usize, MlflowError> {
        let value = self.get("max_results");
        let n = match self.opt_i64("max_results")? {
            None => default,
            Some(n) => n,
        };
        if n > max {
            return Err(invalid_value("max_results", value.unwrap_or(&Json::Null)));
        }
        if n <= 0 {
            return Err(MlflowError::invalid_parameter(format!(
                "Invalid value {n} for parameter 'max_results' supplied. It must be a positive integer"
            )));
        }
        Ok(n as usize)
    }
}

pub fn json_f64(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

/// MLflow's schema-validation message for a value of the wrong type or range.
pub fn invalid_value(name: &str, value: &Json) -> MlflowError {
    let ty = match value {
        Json::String(_) => "str",
        Json::Number(n) if n.is_f64() => "float",
        Json::Number(_) => "int",
        Json::Bool(_) => "bool",
        Json::Array(_) => "list",
        Json::Object(_) => "dict",
        Json::Null => "NoneType",
    };
    MlflowError::invalid_parameter(format!(
        "Invalid value {} for parameter '{name}' supplied:  Hint: Value was of type '{ty}'. See the API docs for more information about request parameters.",
        crate::json::python_dumps(value)
    ))
}

/// `a=1&b=x%20y` → pairs, percent- and plus-decoded.
pub fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Percent-decoding of a URL path: `+` stays a plus (only query strings
/// encode spaces as `+`).
pub fn percent_decode_path(s: &str) -> String {
    decode(s, false)
}

pub fn percent_decode(s: &str) -> String {
    decode(s, true)
}

fn decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            // Two hex digits, as Python's unquote wants (from_str_radix
            // would also take a sign).
            b'%' if i + 2 < bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit() =>
            {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode_and_repeat() {
        assert_eq!(
            url_pairs("filter=name%3D%27a+b%27&stages=None&stages=Staging"),
            vec![
                ("filter".into(), "name='a b'".into()),
                ("stages".into(), "None".into()),
                ("stages".into(), "Staging".into())
            ]
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%e2%82%ac"), "€");
    }
}
