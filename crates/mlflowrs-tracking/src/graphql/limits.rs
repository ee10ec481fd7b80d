//! MLflow's limits on a GraphQL query (`graphql_no_batching.py`): depth,
//! total selections, root fields and aliases per selection set, checked
//! before anything runs.

use std::collections::HashSet;

use async_graphql_parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql_value::Name;

use super::document::Fragments;
use crate::settings::GraphqlLimits;

const MAX_DEPTH: usize = 10;
const MAX_SELECTIONS: usize = 1000;

/// `check_query_safety`: the first limit exceeded, in MLflow's words.
pub(super) fn check(document: &ExecutableDocument, limits: &GraphqlLimits) -> Result<(), String> {
    let mut root_fields = 0;
    let mut max_aliases = 0;
    let mut total = 0;
    for (_, operation) in document.operations.iter() {
        let mut stack = vec![(&operation.node.selection_set.node, 1usize, HashSet::new())];
        while let Some((set, depth, visited)) = stack.pop() {
            if depth > MAX_DEPTH {
                return Err(format!("Query exceeds maximum depth of {MAX_DEPTH}"));
            }
            let (fields, aliases) = collect(set, &document.fragments, &visited);
            for (field_set, has_children) in fields {
                if depth == 1 {
                    root_fields += 1;
                }
                if has_children {
                    stack.push((field_set, depth + 1, visited.clone()));
                }
                total += 1;
                if total > MAX_SELECTIONS {
                    return Err(format!(
                        "Query exceeds maximum total selections of {MAX_SELECTIONS}"
                    ));
                }
            }
            max_aliases = max_aliases.max(aliases);
        }
    }
    let exceeded = |what: &str, limit: usize, got: usize, var: &str| {
        format!(
            "GraphQL queries should have at most {limit} {what}, got {got} {what}. To increase the limit, set the {var} environment variable."
        )
    };
    if root_fields > limits.max_root_fields {
        return Err(exceeded(
            "root fields",
            limits.max_root_fields,
            root_fields,
            "MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS",
        ));
    }
    if max_aliases > limits.max_aliases {
        return Err(exceeded(
            "aliases",
            limits.max_aliases,
            max_aliases,
            "MLFLOW_SERVER_GRAPHQL_MAX_ALIASES",
        ));
    }
    Ok(())
}

/// The fields of one level, fragments merged in (each fragment once), and
/// how many of them carry an alias.
fn collect<'d>(
    set: &'d SelectionSet,
    fragments: &'d Fragments,
    visited: &HashSet<Name>,
) -> (Vec<(&'d SelectionSet, bool)>, usize) {
    let mut fields = Vec::new();
    let mut aliases = 0;
    let mut seen = visited.clone();
    let mut queue: std::collections::VecDeque<&Selection> =
        set.items.iter().map(|s| &s.node).collect();
    while let Some(selection) = queue.pop_front() {
        match selection {
            Selection::Field(field) => {
                if field.node.alias.is_some() {
                    aliases += 1;
                }
                let children = &field.node.selection_set.node;
                fields.push((children, !children.items.is_empty()));
            }
            Selection::InlineFragment(inline) => {
                queue.extend(inline.node.selection_set.node.items.iter().map(|s| &s.node))
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                if seen.insert(name.clone()) {
                    if let Some(def) = fragments.get(name) {
                        queue.extend(def.node.selection_set.node.items.iter().map(|s| &s.node));
                    }
                }
            }
        }
    }
    (fields, aliases)
}
