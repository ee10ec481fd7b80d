//! Reading a parsed GraphQL document: the fields a selection set selects
//! (fragments spread in place), and literal values as JSON.

use std::collections::HashMap;

use async_graphql_parser::types::{FragmentDefinition, Selection, SelectionSet};
use async_graphql_parser::Positioned;
use async_graphql_value::{Name, Value};
use serde_json::{Map, Value as Json};

/// The document's fragments, by name.
pub(super) type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

/// The fields of a selection set, fragments spread in place. (MLflow's
/// schema declares only `@component`, so `@skip` / `@include` never get
/// this far: validation refuses them.)
pub(super) fn fields<'s>(
    set: &'s SelectionSet,
    fragments: &'s Fragments,
) -> Vec<&'s async_graphql_parser::types::Field> {
    let mut out = Vec::new();
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => out.push(&field.node),
            Selection::InlineFragment(inline) => {
                out.extend(fields(&inline.node.selection_set.node, fragments))
            }
            Selection::FragmentSpread(spread) => {
                if let Some(def) = fragments.get(&spread.node.fragment_name.node) {
                    out.extend(fields(&def.node.selection_set.node, fragments));
                }
            }
        }
    }
    out
}

/// A GraphQL value as JSON, variables substituted.
pub(super) fn to_json(value: &Value, variables: &Map<String, Json>) -> Json {
    match value {
        Value::Variable(name) => variables.get(name.as_str()).cloned().unwrap_or(Json::Null),
        Value::Null => Json::Null,
        Value::Number(n) => serde_json::to_value(n).unwrap_or(Json::Null),
        Value::String(s) => Json::String(s.clone()),
        Value::Boolean(b) => Json::Bool(*b),
        Value::Binary(_) => Json::Null,
        Value::Enum(name) => Json::String(name.to_string()),
        Value::List(items) => Json::Array(items.iter().map(|v| to_json(v, variables)).collect()),
        Value::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.to_string(), to_json(v, variables)))
                .collect(),
        ),
    }
}
