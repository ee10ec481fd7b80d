//! The checks graphql-core runs before executing, for what MLflow's
//! schema holds, with its messages: the operation to run, fields that exist
//! on their type, sub-selections where (and only where) a type has fields,
//! known arguments and directives, variables defined and used, fragments
//! known and without cycles.

use std::collections::HashMap;

use async_graphql_parser::types::{
    BaseType, ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql_parser::Positioned;
use async_graphql_value::Name;

use super::document::{fields, Fragments};
use super::schema::{self, Kind};
use super::suggest::did_you_mean;

/// graphql-core's `get_operation_ast` rules: the operation, and its name.
pub(super) fn select_operation<'d>(
    document: &'d ExecutableDocument,
    name: Option<&str>,
) -> Result<(Option<&'d Name>, &'d OperationDefinition), String> {
    let operations: Vec<_> = document.operations.iter().collect();
    match name {
        Some(name) => operations
            .iter()
            .find(|(n, _)| n.is_some_and(|n| n.as_str() == name))
            .map(|(n, op)| (*n, &op.node))
            .ok_or_else(|| format!("Unknown operation named '{name}'.")),
        None if operations.len() == 1 => Ok((operations[0].0, &operations[0].1.node)),
        None => Err("Must provide operation name if query contains multiple operations.".into()),
    }
}

/// The validation errors of `operation` (named `name` in the document);
/// none means it may run. In graphql-core's order: what the operation's
/// traversal finds, then its variables, then the fragments' cycles.
pub(super) fn check(
    name: Option<&str>,
    operation: &OperationDefinition,
    fragments: &Fragments,
) -> Vec<String> {
    let mut problems = Vec::new();
    for definition in &operation.variable_definitions {
        let mut ty = &definition.node.var_type.node;
        while let BaseType::List(inner) = &ty.base {
            ty = inner;
        }
        if let BaseType::Named(name) = &ty.base {
            let known = schema::scalar(name).is_some()
                || schema::input_object(name).is_some()
                || schema::enum_values(name).is_some();
            if !known {
                problems.push(format!("Unknown type '{name}'."));
            }
        }
    }
    unknown_fragments(operation, fragments, &mut problems);
    problems.extend(check_fields(operation, fragments));
    variable_use(name, operation, fragments, &mut problems);
    fragment_cycles(fragments, &mut problems);
    problems
}

/// Fields, arguments and directives against MLflow's schema.
fn check_fields(operation: &OperationDefinition, fragments: &Fragments) -> Vec<String> {
    let mut problems = Vec::new();
    for d in &operation.directives {
        directive(d, true, &mut problems);
    }
    let (roots, root_type) = match operation.ty {
        OperationType::Mutation => (schema::MUTATION_ROOTS, "Mutation"),
        OperationType::Subscription => {
            return vec!["Schema is not configured to execute subscription operation.".into()]
        }
        OperationType::Query => (schema::QUERY_ROOTS, "Query"),
    };
    for field in fields(&operation.selection_set.node, fragments) {
        let name = field.name.node.as_str();
        for d in &field.directives {
            directive(d, false, &mut problems);
        }
        if name == "__typename" || (name == "__type" && root_type == "Query") {
            continue;
        }
        let Some(root) = roots.iter().find(|r| r.name == name) else {
            let names: Vec<&str> = roots.iter().map(|r| r.name).collect();
            problems.push(format!(
                "Cannot query field '{name}' on type '{root_type}'.{}",
                did_you_mean(name, &names)
            ));
            continue;
        };
        let argument = if root.input.is_empty() {
            "inputString"
        } else {
            "input"
        };
        for (arg, value) in &field.arguments {
            if arg.node.as_str() != argument {
                problems.push(format!(
                    "Unknown argument '{}' on field '{root_type}.{name}'.{}",
                    arg.node,
                    did_you_mean(arg.node.as_str(), &[argument])
                ));
            } else if !root.input.is_empty() {
                literal(
                    &value.node,
                    root.input,
                    input_type_name(root),
                    &mut problems,
                );
            }
        }
        selection(
            name,
            Kind::Object(root.answer),
            &field.selection_set.node,
            fragments,
            &mut problems,
        );
    }
    problems
}

/// graphql-core's `KnownFragmentNamesRule`.
fn unknown_fragments(
    operation: &OperationDefinition,
    fragments: &Fragments,
    problems: &mut Vec<String>,
) {
    let mut names = Vec::new();
    spreads_in(&operation.selection_set.node, &mut names);
    let mut defs: Vec<_> = fragments.values().collect();
    defs.sort_by_key(|d| (d.pos.line, d.pos.column));
    for def in defs {
        spreads_in(&def.node.selection_set.node, &mut names);
    }
    for name in names {
        if !fragments.contains_key(name) {
            problems.push(format!("Unknown fragment '{name}'."));
        }
    }
}

/// graphql-core's `NoFragmentCyclesRule`: fragments in document order,
/// each followed depth first once, every cycle reported where it closes.
fn fragment_cycles(fragments: &Fragments, problems: &mut Vec<String>) {
    let mut defs: Vec<_> = fragments.iter().collect();
    defs.sort_by_key(|(_, d)| (d.pos.line, d.pos.column));
    let mut visited = std::collections::HashSet::new();
    let mut path: Vec<&Name> = Vec::new();
    let mut on_path: HashMap<&Name, usize> = HashMap::new();
    for (name, _) in defs {
        detect_cycle(
            name,
            fragments,
            &mut visited,
            &mut path,
            &mut on_path,
            problems,
        );
    }
}

fn detect_cycle<'d>(
    name: &'d Name,
    fragments: &'d Fragments,
    visited: &mut std::collections::HashSet<&'d Name>,
    path: &mut Vec<&'d Name>,
    on_path: &mut HashMap<&'d Name, usize>,
    problems: &mut Vec<String>,
) {
    if !visited.insert(name) {
        return;
    }
    let Some(def) = fragments.get(name) else {
        return;
    };
    let mut spreads = Vec::new();
    spreads_in(&def.node.selection_set.node, &mut spreads);
    if spreads.is_empty() {
        return;
    }
    on_path.insert(name, path.len());
    for spread in spreads {
        let cycle_at = on_path.get(spread).copied();
        path.push(spread);
        match cycle_at {
            None => detect_cycle(spread, fragments, visited, path, on_path, problems),
            Some(at) => {
                let via: Vec<String> = path[at..path.len() - 1]
                    .iter()
                    .map(|n| format!("'{n}'"))
                    .collect();
                problems.push(if via.is_empty() {
                    format!("Cannot spread fragment '{spread}' within itself.")
                } else {
                    format!(
                        "Cannot spread fragment '{spread}' within itself via {}.",
                        via.join(", ")
                    )
                });
            }
        }
        path.pop();
    }
    on_path.remove(name);
}

/// The fragments spread anywhere in a selection set, nested ones included.
fn spreads_in<'d>(set: &'d SelectionSet, out: &mut Vec<&'d Name>) {
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => spreads_in(&f.node.selection_set.node, out),
            Selection::InlineFragment(i) => spreads_in(&i.node.selection_set.node, out),
            Selection::FragmentSpread(s) => out.push(&s.node.fragment_name.node),
        }
    }
}

/// graphql-core's `NoUndefinedVariablesRule` and `NoUnusedVariablesRule`:
/// the variables the operation uses, in its fields and the fragments it
/// spreads, against those it defines.
fn variable_use(
    name: Option<&str>,
    operation: &OperationDefinition,
    fragments: &Fragments,
    problems: &mut Vec<String>,
) {
    let mut used = Vec::new();
    let mut spread = std::collections::HashSet::new();
    variables_in(
        &operation.selection_set.node,
        fragments,
        &mut spread,
        &mut used,
    );
    for d in &operation.directives {
        for (_, v) in &d.node.arguments {
            variables_of(&v.node, &mut used);
        }
    }
    let defined: Vec<&str> = operation
        .variable_definitions
        .iter()
        .map(|d| d.node.name.node.as_str())
        .collect();
    let in_operation = |what: &str| match name {
        Some(op) => format!("{what} in operation '{op}'."),
        None => format!("{what}."),
    };
    let mut reported = std::collections::HashSet::new();
    for variable in &used {
        if !defined.contains(&variable.as_str()) && reported.insert(variable.clone()) {
            problems.push(match name {
                Some(op) => format!("Variable '${variable}' is not defined by operation '{op}'."),
                None => format!("Variable '${variable}' is not defined."),
            });
        }
    }
    for variable in defined {
        if !used.iter().any(|u| u == variable) {
            problems.push(in_operation(&format!(
                "Variable '${variable}' is never used"
            )));
        }
    }
}

fn variables_in<'d>(
    set: &'d SelectionSet,
    fragments: &'d Fragments,
    spread: &mut std::collections::HashSet<&'d Name>,
    out: &mut Vec<String>,
) {
    for item in &set.items {
        for d in item.node.directives() {
            for (_, v) in &d.node.arguments {
                variables_of(&v.node, out);
            }
        }
        match &item.node {
            Selection::Field(f) => {
                for (_, v) in &f.node.arguments {
                    variables_of(&v.node, out);
                }
                variables_in(&f.node.selection_set.node, fragments, spread, out);
            }
            Selection::InlineFragment(i) => {
                variables_in(&i.node.selection_set.node, fragments, spread, out)
            }
            Selection::FragmentSpread(s) => {
                let name = &s.node.fragment_name.node;
                if spread.insert(name) {
                    if let Some(def) = fragments.get(name) {
                        variables_in(&def.node.selection_set.node, fragments, spread, out);
                    }
                }
            }
        }
    }
}

fn variables_of(value: &async_graphql_value::Value, out: &mut Vec<String>) {
    match value {
        async_graphql_value::Value::Variable(name) => out.push(name.to_string()),
        async_graphql_value::Value::List(items) => items.iter().for_each(|v| variables_of(v, out)),
        async_graphql_value::Value::Object(map) => map.values().for_each(|v| variables_of(v, out)),
        _ => {}
    }
}

/// MLflow's schema declares one directive, `@component(name: String!)`
/// on queries and mutations, in place of GraphQL's built-in ones.
fn directive(
    d: &Positioned<async_graphql_parser::types::Directive>,
    on_operation: bool,
    problems: &mut Vec<String>,
) {
    let name = d.node.name.node.as_str();
    if name != "component" {
        problems.push(format!("Unknown directive '@{name}'."));
        return;
    }
    if !on_operation {
        problems.push("Directive '@component' may not be used on field.".into());
        return;
    }
    if d.node.get_argument("name").is_none() {
        problems.push(
            "Directive '@component' argument 'name' of type 'String!' is required, but it was not provided."
                .into(),
        );
    }
}

/// An `input: {…}` literal: its fields exist on the input type, and a
/// String field is not written as a number.
fn literal(
    value: &async_graphql_value::Value,
    spec: &[schema::Field],
    type_name: &str,
    problems: &mut Vec<String>,
) {
    let async_graphql_value::Value::Object(fields) = value else {
        return;
    };
    let names: Vec<&str> = spec.iter().map(|f| f.name).collect();
    for (key, v) in fields {
        let Some(field) = spec.iter().find(|f| f.name == key.as_str()) else {
            problems.push(format!(
                "Field '{key}' is not defined by type '{type_name}'.{}",
                did_you_mean(key.as_str(), &names)
            ));
            continue;
        };
        if matches!(field.kind, Kind::String)
            && !matches!(
                v,
                async_graphql_value::Value::String(_)
                    | async_graphql_value::Value::Variable(_)
                    | async_graphql_value::Value::Null
            )
        {
            problems.push(format!("String cannot represent a non string value: {v}"));
        }
    }
}

/// `mlflowGetRun` takes a `MlflowGetRunInput`.
fn input_type_name(root: &schema::Root) -> &'static str {
    match root.name {
        "mlflowGetExperiment" => "MlflowGetExperimentInput",
        "mlflowGetRun" => "MlflowGetRunInput",
        "mlflowGetMetricHistoryBulkInterval" => "MlflowGetMetricHistoryBulkIntervalInput",
        "mlflowListArtifacts" => "MlflowListArtifactsInput",
        "mlflowSearchModelVersions" => "MlflowSearchModelVersionsInput",
        "mlflowSearchRuns" => "MlflowSearchRunsInput",
        _ => "MlflowSearchDatasetsInput",
    }
}

fn selection(
    name: &str,
    kind: Kind,
    set: &async_graphql_parser::types::SelectionSet,
    fragments: &Fragments,
    problems: &mut Vec<String>,
) {
    let object = object_of(kind);
    match (object, set.items.is_empty()) {
        (Some(_), true) => {
            problems.push(format!(
                "Field '{name}' of type '{}' must have a selection of subfields. Did you mean '{name} {{ ... }}'?",
                type_display(kind)
            ));
            return;
        }
        (None, false) => {
            problems.push(format!(
                "Field '{name}' must not have a selection since type '{}' has no subfields.",
                type_display(kind)
            ));
            return;
        }
        (None, true) => return,
        (Some(_), false) => {}
    }
    let type_name = object.unwrap_or_default();
    let Some(spec) = schema::object(type_name) else {
        return;
    };
    for field in fields(set, fragments) {
        let child = field.name.node.as_str();
        for d in &field.directives {
            directive(d, false, problems);
        }
        if child == "__typename" {
            continue;
        }
        match spec.iter().find(|f| f.name == child) {
            Some(f) => {
                for (arg, _) in &field.arguments {
                    problems.push(format!(
                        "Unknown argument '{}' on field '{type_name}.{child}'.",
                        arg.node
                    ));
                }
                let kind = match f.kind {
                    Kind::RunExperiment => Kind::Object("MlflowExperiment"),
                    Kind::RunModelVersions => Kind::List(&Kind::Object("MlflowModelVersion")),
                    Kind::AlwaysNull => Kind::Object("ApiError"),
                    k => k,
                };
                selection(child, kind, &field.selection_set.node, fragments, problems);
            }
            None => {
                let names: Vec<&str> = spec.iter().map(|f| f.name).collect();
                problems.push(format!(
                    "Cannot query field '{child}' on type '{type_name}'.{}",
                    did_you_mean(child, &names)
                ))
            }
        }
    }
}

fn object_of(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Object(name) => Some(name),
        Kind::List(inner) => object_of(*inner),
        _ => None,
    }
}

/// How graphql-core prints a field's type: list items of object type are
/// non-null (`[MlflowRunTag!]`), scalar lists are not.
fn type_display(kind: Kind) -> String {
    match kind {
        Kind::String => "String".into(),
        Kind::Long => "LongString".into(),
        Kind::Int => "Int".into(),
        Kind::Float | Kind::MetricValue => "Float".into(),
        Kind::Boolean => "Boolean".into(),
        Kind::Enum(values) => schema::enum_name(values).into(),
        Kind::Object(name) => name.into(),
        Kind::List(inner @ Kind::Object(_)) => format!("[{}!]", type_display(*inner)),
        Kind::List(inner) => format!("[{}]", type_display(*inner)),
        Kind::AlwaysNull => "ApiError".into(),
        Kind::RunExperiment => "MlflowExperiment".into(),
        Kind::RunModelVersions => "[MlflowModelVersion!]".into(),
    }
}
