//! schema.json parsed into an order-preserving tree.
//!
//! skops pairs a dict's `content` keys with its `key_types` list by position,
//! so key order matters; serde_json's `Map` sorts keys unless the workspace
//! enables `preserve_order` (which would change JSON output elsewhere). Duplicate
//! keys keep the first position and the last value, as Python's `json.loads` does.

use std::collections::HashMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Arr(Vec<Raw>),
    Obj(Vec<(String, Raw)>),
}

impl Raw {
    pub(crate) fn get(&self, key: &str) -> Option<&Raw> {
        match self {
            Raw::Obj(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Raw::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Raw::Null => "null",
            Raw::Bool(_) => "a boolean",
            Raw::Int(_) | Raw::UInt(_) => "an integer",
            Raw::Float(_) => "a float",
            Raw::Str(_) => "a string",
            Raw::Arr(_) => "a list",
            Raw::Obj(_) => "an object",
        }
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Raw, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
        Ok(match i64::try_from(v) {
            Ok(i) => Raw::Int(i),
            Err(_) => Raw::UInt(v),
        })
    }
    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<Raw>()? {
            out.push(v);
        }
        Ok(Raw::Arr(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut out: Vec<(String, Raw)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        while let Some((k, v)) = map.next_entry::<String, Raw>()? {
            match index.get(&k) {
                Some(&i) => {
                    if let Some(slot) = out.get_mut(i) {
                        slot.1 = v;
                    }
                }
                None => {
                    index.insert(k.clone(), out.len());
                    out.push((k, v));
                }
            }
        }
        Ok(Raw::Obj(out))
    }
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Raw, String> {
    serde_json::from_slice::<Raw>(bytes).map_err(|e| e.to_string())
}
