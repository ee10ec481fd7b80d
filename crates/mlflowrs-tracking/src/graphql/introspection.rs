//! `__type(name:)`: the part of GraphQL introspection that names a type,
//! its kind, its fields, input fields and enum values (graphql-core
//! answers the whole of it; the UI never asks).

use async_graphql_parser::types::SelectionSet;
use serde_json::{json, Map, Value as Json};

use super::document::{fields, Fragments};
use super::schema;

/// What a type lists, under the introspection field that lists it.
enum Members {
    Fields(Vec<&'static str>),
    InputFields(Vec<&'static str>),
    EnumValues(Vec<&'static str>),
    Nothing,
}

pub(super) fn type_info(name: &str, set: &SelectionSet, fragments: &Fragments) -> Json {
    let (kind, members) = if let Some(values) = schema::enum_values(name) {
        ("ENUM", Members::EnumValues(values.to_vec()))
    } else if let Some(fields) = schema::object(name) {
        (
            "OBJECT",
            Members::Fields(fields.iter().map(|f| f.name).collect()),
        )
    } else if let Some(fields) = schema::input_object(name) {
        (
            "INPUT_OBJECT",
            Members::InputFields(fields.iter().map(|f| f.name).collect()),
        )
    } else if schema::scalar(name).is_some() {
        ("SCALAR", Members::Nothing)
    } else {
        return Json::Null;
    };
    let mut out = Map::new();
    for f in fields(set, fragments) {
        let key = f.alias.as_ref().unwrap_or(&f.name).node.to_string();
        let listed = match (f.name.node.as_str(), &members) {
            ("fields", Members::Fields(names))
            | ("inputFields", Members::InputFields(names))
            | ("enumValues", Members::EnumValues(names)) => Some(names),
            _ => None,
        };
        let value = match (f.name.node.as_str(), listed) {
            (_, Some(names)) => Json::Array(
                names
                    .iter()
                    .map(|n| named(n, &f.selection_set.node, fragments))
                    .collect(),
            ),
            ("name", _) => json!(name),
            ("kind", _) => json!(kind),
            ("__typename", _) => json!("__Type"),
            _ => Json::Null,
        };
        out.insert(key, value);
    }
    Json::Object(out)
}

/// One field or enum value: its name, not deprecated.
fn named(name: &str, set: &SelectionSet, fragments: &Fragments) -> Json {
    let mut item = Map::new();
    for f in fields(set, fragments) {
        let key = f.alias.as_ref().unwrap_or(&f.name).node.to_string();
        let value = match f.name.node.as_str() {
            "name" => json!(name),
            "isDeprecated" => json!(false),
            _ => Json::Null,
        };
        item.insert(key, value);
    }
    Json::Object(item)
}
