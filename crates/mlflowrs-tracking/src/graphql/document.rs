//! Reading a parsed GraphQL document: the fields a selection set selects
//! (fragments spread in place), and literal values as JSON.

use std::collections::{HashMap, HashSet};

use async_graphql_parser::types::{FragmentDefinition, Selection, SelectionSet};
use async_graphql_parser::Positioned;
use async_graphql_value::{Name, Value};
use serde_json::{Map, Value as Json};

/// The document's fragments, by name.
pub(super) type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

/// The fields of a selection set, fragments spread in place, each named
/// fragment once per selection set, as graphql-core's `collect_fields`
/// does: a fragment that spreads itself, or fragments that spread each
/// other twice over, cannot multiply the work. (MLflow's schema declares
/// only `@component`, so `@skip` / `@include` never get this far:
/// validation refuses them.)
pub(super) fn fields<'s>(
    set: &'s SelectionSet,
    fragments: &'s Fragments,
) -> Vec<&'s async_graphql_parser::types::Field> {
    let mut out = Vec::new();
    let mut spread = HashSet::new();
    collect(set, fragments, &mut spread, &mut out);
    out
}

fn collect<'s>(
    set: &'s SelectionSet,
    fragments: &'s Fragments,
    spread: &mut HashSet<&'s Name>,
    out: &mut Vec<&'s async_graphql_parser::types::Field>,
) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => out.push(&field.node),
            Selection::InlineFragment(inline) => {
                collect(&inline.node.selection_set.node, fragments, spread, out)
            }
            Selection::FragmentSpread(s) => {
                let name = &s.node.fragment_name.node;
                if !spread.insert(name) {
                    continue;
                }
                if let Some(def) = fragments.get(name) {
                    collect(&def.node.selection_set.node, fragments, spread, out);
                }
            }
        }
    }
}

/// An id as its text, whether the caller sent it as a string or a number.
pub(super) fn id_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// How deeply brackets nest in a query's text, strings and comments aside:
/// the parser recurses once per level, so a query nested past any sane
/// depth is refused before it is parsed.
pub(super) fn nesting_depth(query: &str) -> usize {
    let bytes = query.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
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

#[cfg(test)]
mod tests {
    #[test]
    fn nesting_is_counted_outside_strings_and_comments() {
        assert_eq!(super::nesting_depth("{ a { b(x: [1]) } }"), 4);
        assert_eq!(super::nesting_depth("{ a(s: \"{{{{\") # {{{{\n }"), 2);
        assert_eq!(super::nesting_depth("{ a(s: \"\"\"{{\\\"\"\"{\"\"\") }"), 2);
        assert_eq!(super::nesting_depth(&"{".repeat(10_000)), 10_000);
    }

    #[test]
    fn a_fragment_is_spread_once_per_selection_set() {
        let doc = async_graphql_parser::parse_query(
            "{ ...A } fragment A on Query { ...A ...B test } fragment B on Query { ...A test }",
        )
        .unwrap();
        let op = doc.operations.iter().next().unwrap().1;
        let got = super::fields(&op.node.selection_set.node, &doc.fragments);
        assert_eq!(got.len(), 2);
    }
}
