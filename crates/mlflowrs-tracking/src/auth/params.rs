//! Request parameters as MLflow's auth app reads them
//! (`_get_request_param`): GET from the query, POST and PATCH from a JSON
//! body, DELETE from a JSON body or else the query.

use axum::http::{HeaderMap, Method};
use serde_json::{Map, Value as Json};

use crate::error::missing;
use crate::MlflowError;

/// Request parameters as MLflow's `_get_request_param` reads them.
pub struct Params(Map<String, Json>, Vec<(String, String)>);

impl Params {
    pub fn read(method: &Method, query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Params {
        let json_body = || match serde_json::from_slice::<Json>(body) {
            Ok(Json::Object(m)) => m,
            _ => Map::new(),
        };
        let is_json = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| {
                let c = c.split(';').next().unwrap_or("").trim();
                c == "application/json" || c.ends_with("+json")
            });
        let from_query = || {
            let mut m = Map::new();
            for (k, v) in crate::request::url_pairs(query.unwrap_or("")) {
                m.entry(k).or_insert(Json::String(v));
            }
            m
        };
        let query_pairs = crate::request::url_pairs(query.unwrap_or(""));
        let fields = match *method {
            Method::GET => from_query(),
            Method::POST | Method::PATCH if is_json => json_body(),
            Method::DELETE if is_json => json_body(),
            Method::DELETE => from_query(),
            _ => Map::new(),
        };
        Params(fields, query_pairs)
    }

    /// Every value of a query parameter (`run_id=a&run_id=b`), whatever the method.
    pub fn query_all(&self, name: &str) -> Vec<String> {
        self.1
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn fields(&self) -> &Map<String, Json> {
        &self.0
    }

    pub fn opt(&self, name: &str) -> Option<&Json> {
        self.0.get(name)
    }

    /// The value as text; a missing `run_id` falls back to `run_uuid`.
    pub fn get(&self, name: &str) -> Result<String, MlflowError> {
        match self.0.get(name) {
            Some(Json::String(s)) => Ok(s.clone()),
            Some(Json::Null) => Ok(String::new()),
            Some(other) => Ok(other.to_string()),
            None if name == "run_id" => self.get("run_uuid").map_err(|_| missing("run_uuid")),
            None => Err(missing(name)),
        }
    }
}
