//! graphql-core's `coerce_variable_values` for MLflow's input types: the
//! defaults, the required variables, and each value checked against its
//! type, with graphql-core's messages (the invalid value printed as Python
//! prints it).

use async_graphql_parser::types::{BaseType, OperationDefinition, Type};
use mlflowrs_protocol::pyjson;
use serde_json::{Map, Value as Json};

use super::document::to_json;
use super::schema::{self, Kind};
use super::suggest::did_you_mean;

/// The operation's variables, coerced; or every problem, in graphql-core's words.
pub(super) fn coerce(
    operation: &OperationDefinition,
    given: &Map<String, Json>,
    given_in_order: Option<&pyjson::Json>,
) -> Result<Map<String, Json>, Vec<String>> {
    let mut out = Map::new();
    let mut errors = Vec::new();
    for definition in &operation.variable_definitions {
        let name = definition.node.name.node.as_str();
        let ty = &definition.node.var_type.node;
        match given.get(name) {
            None => {
                if let Some(default) = &definition.node.default_value {
                    out.insert(
                        name.into(),
                        default.node.clone().into_json().unwrap_or(Json::Null),
                    );
                } else if !ty.nullable {
                    errors.push(format!(
                        "Variable '${name}' of required type '{ty}' was not provided."
                    ));
                }
            }
            Some(Json::Null) if !ty.nullable => errors.push(format!(
                "Variable '${name}' of non-null type '{ty}' must not be null."
            )),
            Some(value) => {
                let raw = given_in_order.and_then(|v| v.get(name));
                let mut path = Vec::new();
                match coerce_value(value, raw, ty, &mut path) {
                    Ok(v) => {
                        out.insert(name.into(), v);
                    }
                    Err(problem) => errors.push(problem.message(name)),
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

struct Problem {
    path: Vec<String>,
    value: String,
    message: String,
}

impl Problem {
    fn message(&self, variable: &str) -> String {
        let at = if self.path.is_empty() {
            String::new()
        } else {
            format!(" at '{variable}{}'", self.path.concat())
        };
        format!(
            "Variable '${variable}' got invalid value {}{at}; {}",
            self.value, self.message
        )
    }
}

/// Python's repr of the value: from the document (dict order kept) when
/// the value is there, else rebuilt from JSON.
fn shown(value: &Json, raw: Option<&pyjson::Json>) -> String {
    match raw {
        Some(raw) => pyjson::py_repr(raw),
        None => {
            let text = value.to_string();
            pyjson::parse(text.as_bytes())
                .map(|v| pyjson::py_repr(&v))
                .unwrap_or(text)
        }
    }
}

fn coerce_value(
    value: &Json,
    raw: Option<&pyjson::Json>,
    ty: &Type,
    path: &mut Vec<String>,
) -> Result<Json, Problem> {
    if value.is_null() {
        return Ok(Json::Null);
    }
    match &ty.base {
        BaseType::List(item) => each_item(value, raw, path, |v, r, path| {
            coerce_value(v, r, item, path)
        }),
        BaseType::Named(name) => coerce_named(value, raw, name.as_str(), path),
    }
}

/// A list value item by item (`path` names each `[i]`); a single value
/// is a list of one, as graphql-core coerces it.
fn each_item(
    value: &Json,
    raw: Option<&pyjson::Json>,
    path: &mut Vec<String>,
    mut coerce: impl FnMut(&Json, Option<&pyjson::Json>, &mut Vec<String>) -> Result<Json, Problem>,
) -> Result<Json, Problem> {
    let Json::Array(items) = value else {
        return Ok(Json::Array(vec![coerce(value, raw, path)?]));
    };
    let mut out = Vec::new();
    for (i, v) in items.iter().enumerate() {
        let raw_item = match raw {
            Some(pyjson::Json::List(r)) => r.get(i),
            _ => None,
        };
        path.push(format!("[{i}]"));
        out.push(coerce(v, raw_item, path)?);
        path.pop();
    }
    Ok(Json::Array(out))
}

fn problem(path: &[String], value: &Json, raw: Option<&pyjson::Json>, message: String) -> Problem {
    Problem {
        path: path.to_vec(),
        value: shown(value, raw),
        message,
    }
}

fn coerce_named(
    value: &Json,
    raw: Option<&pyjson::Json>,
    type_name: &str,
    path: &mut Vec<String>,
) -> Result<Json, Problem> {
    if let Some(fields) = schema::input_object(type_name) {
        let Json::Object(given) = value else {
            return Err(problem(
                path,
                value,
                raw,
                format!("Expected type '{type_name}' to be a dict."),
            ));
        };
        let mut out = Map::new();
        for field in fields {
            if let Some(v) = given.get(field.name) {
                let raw_field = raw.and_then(|r| r.get(field.name));
                path.push(format!(".{}", field.name));
                let coerced = coerce_kind(v, raw_field, field.kind, path)?;
                path.pop();
                out.insert(field.name.to_string(), coerced);
            }
        }
        let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
        for key in given.keys() {
            if !names.contains(&key.as_str()) {
                return Err(problem(
                    path,
                    value,
                    raw,
                    format!(
                        "Field '{key}' is not defined by type '{type_name}'.{}",
                        did_you_mean(key, &names)
                    ),
                ));
            }
        }
        return Ok(Json::Object(out));
    }
    let kind = match schema::scalar(type_name) {
        Some(kind) => kind,
        None => match schema::enum_values(type_name) {
            Some(values) => Kind::Enum(values),
            None => return Ok(value.clone()),
        },
    };
    coerce_kind(value, raw, kind, path)
}

fn coerce_kind(
    value: &Json,
    raw: Option<&pyjson::Json>,
    kind: Kind,
    path: &mut Vec<String>,
) -> Result<Json, Problem> {
    if value.is_null() {
        return Ok(Json::Null);
    }
    let shown_value = || shown(value, raw);
    let fail = |message: String| Err(problem(path, value, raw, message));
    match kind {
        Kind::String => match value {
            Json::String(_) => Ok(value.clone()),
            _ => fail(format!(
                "String cannot represent a non string value: {}",
                shown_value()
            )),
        },
        Kind::Int => match value.as_i64() {
            Some(i) if i32::try_from(i).is_ok() => Ok(value.clone()),
            Some(_) => fail(format!(
                "Int cannot represent non 32-bit signed integer value: {}",
                shown_value()
            )),
            None => fail(format!(
                "Int cannot represent non-integer value: {}",
                shown_value()
            )),
        },
        Kind::Float | Kind::MetricValue => match value {
            Json::Number(_) => Ok(value.clone()),
            _ => fail(format!(
                "Float cannot represent non numeric value: {}",
                shown_value()
            )),
        },
        Kind::Boolean => match value {
            Json::Bool(_) => Ok(value.clone()),
            _ => fail(format!(
                "Boolean cannot represent a non boolean value: {}",
                shown_value()
            )),
        },
        // LongString.parse_value is Python's int().
        Kind::Long => match python_int(value) {
            Ok(i) => Ok(Json::from(i)),
            Err(why) => fail(format!("Expected type 'LongString'. {why}")),
        },
        Kind::Enum(values) => match value {
            Json::String(s) if values.contains(&s.as_str()) => Ok(value.clone()),
            Json::String(s) => fail(format!(
                "Value '{s}' does not exist in '{}' enum.{}",
                schema::enum_name(values),
                did_you_mean(s, values)
            )),
            _ => fail(format!(
                "Enum '{}' cannot represent non-string value: {}.",
                schema::enum_name(values),
                shown_value()
            )),
        },
        Kind::List(item) => each_item(value, raw, path, |v, r, path| {
            coerce_kind(v, r, *item, path)
        }),
        _ => Ok(value.clone()),
    }
}

/// Python's `int(value)` for a JSON value, or its error text.
fn python_int(value: &Json) -> Result<i64, String> {
    match value {
        Json::Bool(b) => Ok(i64::from(*b)),
        Json::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f.trunc() as i64))
            .ok_or_else(|| format!("int() cannot convert {n}")),
        Json::String(s) => s.trim().replace('_', "").parse::<i64>().map_err(|_| {
            format!(
                "invalid literal for int() with base 10: {}",
                pyjson::py_str_repr(s)
            )
        }),
        Json::Array(_) => Err(
            "int() argument must be a string, a bytes-like object or a real number, not 'list'"
                .into(),
        ),
        Json::Object(_) => Err(
            "int() argument must be a string, a bytes-like object or a real number, not 'dict'"
                .into(),
        ),
        Json::Null => Err(
            "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'"
                .into(),
        ),
    }
}

/// An `input: {…}` literal written in the query: its value, variables
/// substituted. graphql-core hands a LongString literal inside it to
/// `parse_literal` with the variables when the request has any, which
/// MLflow's LongString does not accept: the argument is then invalid.
pub(super) fn literal_input(
    value: &async_graphql_value::Value,
    variables: &Map<String, Json>,
    spec: &[super::schema::Field],
) -> Result<Json, String> {
    if let async_graphql_value::Value::Object(fields) = value {
        let long_literal = spec.iter().any(|f| {
            matches!(f.kind, Kind::Long)
                && fields
                    .get(f.name)
                    .is_some_and(|v| !matches!(v, async_graphql_value::Value::Variable(_)))
        });
        if long_literal && !variables.is_empty() {
            return Err(format!("Argument 'input' has invalid value {value}."));
        }
        // A LongString written as a string literal parses to nothing.
        let mut json = to_json(value, variables);
        if let Json::Object(map) = &mut json {
            for f in spec {
                if matches!(f.kind, Kind::Long) {
                    if let Some(async_graphql_value::Value::String(_)) = fields.get(f.name) {
                        map.remove(f.name);
                    }
                }
            }
        }
        return Ok(json);
    }
    Ok(to_json(value, variables))
}
