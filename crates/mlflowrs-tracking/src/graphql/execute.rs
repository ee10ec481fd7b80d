//! Runs one GraphQL operation against the store: each root field calls the
//! REST handler its MLflow resolver calls, and the answer is projected
//! through the selection set with graphene's rules (`schema.rs`).

use async_graphql_parser::types::{OperationDefinition, OperationType, SelectionSet};
use serde_json::{Map, Value as Json};

use super::document::{fields, id_text, to_json, Fragments};
use super::schema::{self, Field, Kind, Root};
use super::{authorize, variables};
use crate::auth::permissions::Grants;
use crate::db::Tx;
use crate::error::MlflowError;
use crate::request::Request;
use crate::{artifacts, experiments, model_versions, run_data, runs, Settings};

pub(super) struct Execution<'a> {
    pub tx: &'a mut dyn Tx,
    pub settings: &'a Settings,
    pub variables: &'a Map<String, Json>,
    pub fragments: &'a Fragments,
    /// A caller who is not an admin under basic-auth: what they may read.
    pub grants: Option<&'a Grants>,
    /// An admin under basic-auth: MLflow's middleware runs a protected
    /// field's resolver inside its own `try`, so a failure is a bare null.
    pub quiet_failures: bool,
    /// The `/graphql` request's URL arguments: MLflow's bulk-interval
    /// resolver reads its sampling arguments there, not from its input.
    pub url_args: &'a [(String, String)],
    pub errors: Vec<String>,
    /// Experiments already read for `run.experiment`: a search's runs
    /// mostly share one.
    pub experiments: std::collections::HashMap<String, Result<Json, String>>,
}

impl Execution<'_> {
    pub(super) fn operation(&mut self, op: &OperationDefinition) -> Json {
        let (roots, type_name) = match op.ty {
            OperationType::Mutation => (schema::MUTATION_ROOTS, "Mutation"),
            _ => (schema::QUERY_ROOTS, "Query"),
        };
        let mut data = Map::new();
        for field in fields(&op.selection_set.node, self.fragments) {
            let key = response_key(field);
            let name = field.name.node.as_str();
            if name == "__typename" {
                data.insert(key, Json::String(type_name.into()));
                continue;
            }
            if name == "__type" {
                let wanted = field
                    .get_argument("name")
                    .map(|v| to_json(&v.node, self.variables))
                    .unwrap_or(Json::Null);
                let info = super::introspection::type_info(
                    wanted.as_str().unwrap_or_default(),
                    &field.selection_set.node,
                    self.fragments,
                );
                data.insert(key, info);
                continue;
            }
            let Some(root) = roots.iter().find(|r| r.name == name) else {
                data.insert(key, Json::Null);
                continue;
            };
            if root.name == "testMutation" {
                // MLflow names its resolver resolve_test_mutation: graphene
                // never finds it, and the field is null.
                data.insert(key, Json::Null);
                continue;
            }
            let argument = if root.input.is_empty() {
                "inputString"
            } else {
                "input"
            };
            let input = match field.get_argument(argument) {
                None => None,
                Some(value) => {
                    match variables::literal_input(&value.node, self.variables, root.input) {
                        Ok(json) => Some(json),
                        Err(message) => {
                            self.errors.push(message);
                            data.insert(key, Json::Null);
                            continue;
                        }
                    }
                }
            };
            let answer = match self.resolve_root(root, input) {
                Ok(Some(answer)) => self.project(&answer, root.answer, &field.selection_set.node),
                Ok(None) => Json::Null,
                Err(_) if self.quiet_failures && root.name.starts_with("mlflow") => Json::Null,
                Err(message) => {
                    self.errors.push(message);
                    Json::Null
                }
            };
            data.insert(key, answer);
        }
        Json::Object(data)
    }

    /// The REST answer the root field's resolver returns; `None` where the
    /// auth middleware withholds it.
    fn resolve_root(&mut self, root: &Root, input: Option<Json>) -> Result<Option<Json>, String> {
        if root.name == "test" {
            return match input {
                Some(text) => Ok(Some(serde_json::json!({"output": text}))),
                None => Err(
                    "Query.resolve_test() missing 1 required positional argument: 'input_string'"
                        .into(),
                ),
            };
        }
        let Some(input) = input else {
            let resolver = match root.name {
                "mlflowSearchRuns" => "Query.resolve_mlflow_search_runs".to_string(),
                "mlflowSearchDatasets" => "MutationType.resolve_mlflow_search_datasets".to_string(),
                name => format!("QueryType.resolve_{}", snake_case(name)),
            };
            return Err(format!(
                "{resolver}() missing 1 required positional argument: 'input'"
            ));
        };
        let mut fields = rest_fields(&input, root.input);
        if let Some(grants) = self.grants {
            if !authorize::admits(&mut *self.tx, grants, root.name, &mut fields) {
                return Ok(None);
            }
        }
        let text = |key: &str| fields.get(key).map(id_text).unwrap_or_default();
        if fields.contains_key("run_view_type") {
            // MLflow hands parse_dict graphene's enum class, not a value.
            return Err("Failed to parse run_view_type field: int() argument must be a string, a bytes-like object or a real number, not 'EnumMeta'.".into());
        }
        let (experiment_id, run_id) = (text("experiment_id"), {
            let id = text("run_id");
            if id.is_empty() {
                text("run_uuid")
            } else {
                id
            }
        });
        let url_args = self.url_args;
        let mut req = Request { fields };
        let tx = &mut *self.tx;
        let answer = match root.name {
            // The store reads an empty id as the Default experiment's.
            "mlflowGetExperiment" => {
                let id = if experiment_id.is_empty() {
                    "0".to_string()
                } else {
                    experiment_id
                };
                req.fields.insert("experiment_id".into(), Json::String(id));
                experiments::get(tx, &req)
            }
            "mlflowGetRun" if run_id.is_empty() => {
                return Err("Run with id= not found".into());
            }
            "mlflowGetRun" => {
                req.fields.insert("run_id".into(), Json::String(run_id));
                runs::get(tx, &req)
            }
            "mlflowSearchRuns" => runs::search(tx, &req),
            "mlflowSearchModelVersions" => model_versions::search_versions(tx, &req)
                .map(|answer| authorize::readable_versions(self.grants, answer)),
            "mlflowGetMetricHistoryBulkInterval" => {
                // run_ids and metric_key from the input, the rest from the URL;
                // no key matches no metric.
                if id_text(req.fields.get("metric_key").unwrap_or(&Json::Null)).is_empty() {
                    return Ok(Some(serde_json::json!({"metrics": []})));
                }
                let mut fields = Map::new();
                fields.insert(
                    "run_ids".into(),
                    req.fields
                        .remove("run_ids")
                        .unwrap_or(Json::Array(Vec::new())),
                );
                fields.insert(
                    "metric_key".into(),
                    req.fields
                        .remove("metric_key")
                        .unwrap_or(Json::String(String::new())),
                );
                for (k, v) in url_args {
                    if matches!(k.as_str(), "max_results" | "start_step" | "end_step") {
                        fields.entry(k.clone()).or_insert(Json::String(v.clone()));
                    }
                }
                runs::metric_history_bulk_interval(tx, &Request { fields })
            }
            "mlflowSearchDatasets" => run_data::search_datasets(tx, &req),
            "mlflowListArtifacts" => list_artifacts(tx, self.settings, &req),
            _ => return Ok(None),
        };
        answer.map(Some).map_err(|e| e.message.clone())
    }

    /// `answer` through the selection set as `type_name`.
    fn project(&mut self, answer: &Json, type_name: &str, set: &SelectionSet) -> Json {
        let Some(schema_fields) = schema::object(type_name) else {
            return Json::Null;
        };
        let mut out = Map::new();
        for field in fields(set, self.fragments) {
            let key = response_key(field);
            let name = field.name.node.as_str();
            if name == "__typename" {
                out.insert(key, Json::String(type_name.into()));
                continue;
            }
            let Some(spec) = schema_fields.iter().find(|f| f.name == name) else {
                continue;
            };
            let value = self.field_value(answer, spec, &field.selection_set.node);
            out.insert(key, value);
        }
        Json::Object(out)
    }

    fn field_value(&mut self, parent: &Json, spec: &Field, set: &SelectionSet) -> Json {
        match spec.kind {
            Kind::RunExperiment => {
                let id = id_text(&parent["info"]["experiment_id"]);
                let found = match self.experiments.get(&id) {
                    Some(found) => found.clone(),
                    None => {
                        let req = Request {
                            fields: Map::from_iter([(
                                "experiment_id".to_string(),
                                Json::String(id.clone()),
                            )]),
                        };
                        let found = experiments::get(&mut *self.tx, &req)
                            .map(|answer| answer["experiment"].clone())
                            .map_err(|e| e.message);
                        self.experiments.insert(id, found.clone());
                        found
                    }
                };
                match found {
                    Ok(experiment) => self.project(&experiment, "MlflowExperiment", set),
                    Err(message) => {
                        self.errors.push(message);
                        Json::Null
                    }
                }
            }
            Kind::RunModelVersions => {
                let run_id = id_text(&parent["info"]["run_id"]);
                let req = Request {
                    fields: Map::from_iter([(
                        "filter".to_string(),
                        Json::String(format!("run_id='{run_id}'")),
                    )]),
                };
                match model_versions::search_versions(&mut *self.tx, &req) {
                    Err(_) if self.quiet_failures => Json::Null,
                    Ok(answer) => {
                        let answer = authorize::readable_versions(self.grants, answer);
                        let items = answer["model_versions"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default();
                        Json::Array(
                            items
                                .iter()
                                .map(|v| self.project(v, "MlflowModelVersion", set))
                                .collect(),
                        )
                    }
                    Err(e) => {
                        self.errors.push(e.message.clone());
                        Json::Null
                    }
                }
            }
            kind => self.value(parent.get(spec.key), kind, set),
        }
    }

    fn value(&mut self, value: Option<&Json>, kind: Kind, set: &SelectionSet) -> Json {
        match kind {
            Kind::String => match value {
                Some(Json::String(s)) => Json::String(s.clone()),
                Some(Json::Null) | None => Json::String(String::new()),
                Some(other) => Json::String(other.to_string()),
            },
            Kind::Long => Json::String(match value {
                Some(Json::String(s)) => s.clone(),
                Some(Json::Number(n)) => n.to_string(),
                _ => "0".to_string(),
            }),
            Kind::Int => match value {
                Some(Json::Number(n)) => Json::Number(n.clone()),
                _ => Json::from(0),
            },
            Kind::Float => match value.map(float_of) {
                // graphene refuses NaN and infinities for a plain Float.
                Some(Some(v)) if !v.is_finite() => {
                    let shown = if v.is_nan() {
                        "nan"
                    } else if v > 0.0 {
                        "inf"
                    } else {
                        "-inf"
                    };
                    self.errors
                        .push(format!("Float cannot represent non numeric value: {shown}"));
                    Json::Null
                }
                Some(Some(v)) => serde_json::Number::from_f64(v)
                    .map(Json::Number)
                    .unwrap_or(Json::Null),
                _ => Json::from(0.0),
            },
            Kind::MetricValue => match value.map(float_of) {
                Some(Some(v)) if v.is_nan() => Json::Null,
                Some(Some(v)) => serde_json::Number::from_f64(v)
                    .map(Json::Number)
                    .unwrap_or(Json::Null),
                _ => serde_json::Number::from_f64(0.0)
                    .map(Json::Number)
                    .unwrap_or(Json::Null),
            },
            Kind::Boolean => Json::Bool(value.and_then(Json::as_bool).unwrap_or(false)),
            Kind::Enum(values) => match value {
                Some(Json::String(s)) => Json::String(s.clone()),
                _ if schema::default_unrepresentable(values) => {
                    self.errors.push(format!(
                        "Enum '{}' cannot represent value: 0",
                        schema::enum_name(values)
                    ));
                    Json::Null
                }
                _ => Json::String(values[0].to_string()),
            },
            Kind::Object(name) => self.project(value.unwrap_or(&Json::Null), name, set),
            Kind::List(item) => Json::Array(
                value
                    .and_then(Json::as_array)
                    .map(|items| {
                        items
                            .iter()
                            .map(|v| self.value(Some(v), *item, set))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            Kind::AlwaysNull | Kind::RunExperiment | Kind::RunModelVersions => Json::Null,
        }
    }
}

fn response_key(field: &async_graphql_parser::types::Field) -> String {
    field
        .alias
        .as_ref()
        .map(|a| a.node.to_string())
        .unwrap_or_else(|| field.name.node.to_string())
}

/// The `input` object's fields under their REST names (camelCase to the
/// protobuf field names), as `parse_dict` sees them; nulls dropped.
fn rest_fields(input: &Json, spec: &[Field]) -> Map<String, Json> {
    let mut out = Map::new();
    if let Json::Object(given) = input {
        for field in spec {
            match given.get(field.name) {
                None | Some(Json::Null) => {}
                // graphql-core makes a single value a list of one: the
                // permission checks below then see every id.
                Some(value) if matches!(field.kind, Kind::List(_)) && !value.is_array() => {
                    out.insert(field.key.to_string(), Json::Array(vec![value.clone()]));
                }
                Some(value) => {
                    out.insert(field.key.to_string(), value.clone());
                }
            }
        }
    }
    out
}

fn list_artifacts(
    tx: &mut dyn Tx,
    settings: &Settings,
    req: &Request,
) -> Result<Json, MlflowError> {
    let run_id = req
        .opt_str("run_id")?
        .filter(|s| !s.is_empty())
        .or(req.opt_str("run_uuid")?)
        .unwrap_or_default();
    let path = req.opt_str("path")?.unwrap_or_default();
    let run = runs::load(tx, &run_id)?;
    artifacts::listing(&settings.artifacts_destination, &run.artifact_uri, &path)
}

fn float_of(value: &Json) -> Option<f64> {
    match value {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.parse().ok(),
        },
        _ => None,
    }
}

/// `mlflowGetRun` -> `mlflow_get_run`, as graphene names resolvers.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
