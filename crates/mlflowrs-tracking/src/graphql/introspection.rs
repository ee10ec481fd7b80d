//! `__type(name:)`: the part of GraphQL introspection that names a type,
//! its kind, its fields, input fields and enum values (graphql-core
//! answers the whole of it; the UI never asks).

use async_graphql_parser::types::SelectionSet;
use serde_json::{json, Map, Value as Json};

use super::execute::{fields, Fragments};
use super::schema;

pub(super) fn type_info(name: &str, set: &SelectionSet, fragments: &Fragments) -> Json {
    let scalar = matches!(
        name,
        "String" | "Int" | "Float" | "Boolean" | "ID" | "LongString"
    );
    let (kind, field_names, input_names, enum_names): (
        &str,
        Option<Vec<&str>>,
        Option<Vec<&str>>,
        Option<Vec<&str>>,
    ) = if let Some(values) = schema::enum_values(name) {
        ("ENUM", None, None, Some(values.to_vec()))
    } else if let Some(fields) = schema::object(name) {
        (
            "OBJECT",
            Some(fields.iter().map(|f| f.name).collect()),
            None,
            None,
        )
    } else if let Some(fields) = schema::input_object(name) {
        (
            "INPUT_OBJECT",
            None,
            Some(fields.iter().map(|f| f.name).collect()),
            None,
        )
    } else if scalar {
        ("SCALAR", None, None, None)
    } else {
        return Json::Null;
    };
    let named = |names: &Option<Vec<&str>>, set: &SelectionSet| -> Json {
        match names {
            None => Json::Null,
            Some(names) => Json::Array(
                names
                    .iter()
                    .map(|n| {
                        let mut item = Map::new();
                        for f in fields(set, fragments) {
                            let key = f.alias.as_ref().unwrap_or(&f.name).node.to_string();
                            let value = match f.name.node.as_str() {
                                "name" => json!(n),
                                "isDeprecated" => json!(false),
                                _ => Json::Null,
                            };
                            item.insert(key, value);
                        }
                        Json::Object(item)
                    })
                    .collect(),
            ),
        }
    };
    let mut out = Map::new();
    for f in fields(set, fragments) {
        let key = f.alias.as_ref().unwrap_or(&f.name).node.to_string();
        let value = match f.name.node.as_str() {
            "name" => json!(name),
            "kind" => json!(kind),
            "__typename" => json!("__Type"),
            "fields" => named(&field_names, &f.selection_set.node),
            "inputFields" => named(&input_names, &f.selection_set.node),
            "enumValues" => named(&enum_names, &f.selection_set.node),
            _ => Json::Null,
        };
        out.insert(key, value);
    }
    Json::Object(out)
}
