//! The checks graphql-core runs before executing, for what MLflow's
//! schema holds, with its messages: the operation to run, fields that exist
//! on their type, sub-selections where (and only where) a type has fields,
//! known arguments and directives.

use async_graphql_parser::types::{ExecutableDocument, OperationDefinition, OperationType};
use async_graphql_parser::Positioned;

use super::document::{fields, Fragments};
use super::schema::{self, Kind};
use super::suggest::did_you_mean;

/// graphql-core's `get_operation_ast` rules.
pub(super) fn select_operation<'d>(
    document: &'d ExecutableDocument,
    name: Option<&str>,
) -> Result<&'d OperationDefinition, String> {
    let operations: Vec<_> = document.operations.iter().collect();
    match name {
        Some(name) => operations
            .iter()
            .find(|(n, _)| n.is_some_and(|n| n.as_str() == name))
            .map(|(_, op)| &op.node)
            .ok_or_else(|| format!("Unknown operation named '{name}'.")),
        None if operations.len() == 1 => Ok(&operations[0].1.node),
        None => Err("Must provide operation name if query contains multiple operations.".into()),
    }
}

/// The validation errors of `operation`; none means it may run.
pub(super) fn check(operation: &OperationDefinition, fragments: &Fragments) -> Vec<String> {
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
