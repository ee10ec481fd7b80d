//! Request bodies to model input, as `mlflow.pyfunc.scoring_server` parses
//! them: the four JSON formats, params, unified-LLM bodies; CSV and Parquet
//! live in their own modules.

use super::frame::Frame;
use super::ndarray::{array_as, array_infer, NdArray};
use super::precast::precast_frame;
use crate::mlmodel::{ColSpec, ColType, MlModel, Schema, TensorSpec};
use mlflowrs_protocol::pyjson::{self, Json};
use mlflowrs_protocol::{ErrorCode, MlflowError};

pub const REQUIRED_INPUT_FORMAT: &str = "The input must be a JSON dictionary with exactly one of the input fields {'dataframe_split', 'instances', 'inputs', 'dataframe_records'}";
pub const SCORING_PROTOCOL_CHANGE_INFO: &str = "IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0. If you are seeing this error, you are likely using an outdated scoring request format. To resolve the error, either update your request format or adjust your MLflow Model's requirements file to specify an older version of MLflow (for example, change the 'mlflow' requirement specifier to 'mlflow==1.30.0'). If you are making a request using the MLflow client (e.g. via `mlflow.pyfunc.spark_udf()`), upgrade your MLflow client to a version >= 2.0 in order to use the new request format. For more information about the updated MLflow Model scoring protocol in MLflow 2.0, see https://mlflow.org/docs/latest/models.html#deploy-mlflow-models.";

const FORMATS: [&str; 4] = [
    "dataframe_split",
    "dataframe_records",
    "instances",
    "inputs",
];
const LLM_KEYS: [&str; 3] = ["messages", "prompt", "input"];
/// The longest request echo put into an error message.
const MAX_ECHO: usize = 4096;

/// The object `PyFuncModel.predict` would receive.
#[derive(Debug, Clone)]
pub enum PyInput {
    Frame(Frame),
    Dict(Vec<(String, NdArray)>),
    Array(NdArray),
    /// A list of dicts from `inputs` (each value converted).
    Records(Vec<Json>),
    /// Passed through unconverted (unified-LLM bodies, type-hint models).
    Raw(Json),
}

impl PyInput {
    /// Rows of the input, as the row limit counts them.
    pub fn rows(&self) -> usize {
        match self {
            PyInput::Frame(f) => f.nrows,
            PyInput::Dict(items) => items
                .iter()
                .filter_map(|(_, a)| a.first_dim())
                .max()
                .unwrap_or(1),
            PyInput::Array(a) => a.first_dim().unwrap_or(1),
            PyInput::Records(r) => r.len(),
            PyInput::Raw(Json::List(items)) => items.len(),
            PyInput::Raw(_) => 1,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ParsedRequest {
    pub data: PyInput,
    pub params: Option<Json>,
    pub unified_llm: bool,
}

pub fn parse_json(body: &[u8], model: &MlModel) -> Result<ParsedRequest, MlflowError> {
    let decoded = pyjson::parse(body).map_err(|e| {
        MlflowError::invalid_input(format!(
            "Ensure that input is a valid JSON formatted string. Error: '{}'\nInput: \n{}\n",
            e.repr,
            bytes_repr(body)
        ))
    })?;
    let items = match decoded {
        Json::Dict(items) => items,
        Json::List(_) => {
            return Err(MlflowError::invalid_input(format!(
                "{REQUIRED_INPUT_FORMAT}. Received a list."
            )))
        }
        other => {
            return Err(MlflowError::invalid_input(format!(
                "{REQUIRED_INPUT_FORMAT}. Received unexpected input type '{}.",
                other.py_type()
            )))
        }
    };
    if items.iter().any(|(k, _)| LLM_KEYS.contains(&k.as_str())) {
        let param_names: Vec<&str> = model
            .signature
            .as_ref()
            .and_then(|s| s.params.as_ref())
            .map(|p| p.iter().map(|p| p.name.as_str()).collect())
            .unwrap_or_default();
        let (params, data): (Vec<_>, Vec<_>) = items
            .into_iter()
            .partition(|(k, _)| param_names.contains(&k.as_str()));
        return Ok(ParsedRequest {
            data: PyInput::Raw(Json::Dict(data)),
            params: Some(Json::Dict(params)),
            unified_llm: true,
        });
    }
    let params = items
        .iter()
        .find(|(k, _)| k == "params")
        .map(|(_, v)| v.clone())
        .filter(|v| *v != Json::Null);
    let data: Vec<(String, Json)> = items
        .into_iter()
        .filter(|(k, _)| FORMATS.contains(&k.as_str()))
        .collect();
    if model.is_signature_from_type_hint {
        let inputs = data
            .iter()
            .find(|(k, _)| k == "inputs")
            .map(|(_, v)| v.clone());
        let Some(inputs) = inputs else {
            let keys: Vec<String> = data.iter().map(|(k, _)| pyjson::py_str_repr(k)).collect();
            return Err(MlflowError::invalid_parameter(format!(
                "Request payload must be a dictionary with 'inputs' key when the model contains a valid type hint. Found keys in payload: dict_keys([{}]).",
                keys.join(", ")
            )));
        };
        return Ok(ParsedRequest {
            data: PyInput::Raw(inputs),
            params,
            unified_llm: false,
        });
    }
    if data.len() != 1 {
        let keys: Vec<String> = data.iter().map(|(k, _)| pyjson::py_str_repr(k)).collect();
        return Err(MlflowError::new(
            ErrorCode::BadRequest,
            format!(
                "{REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: [{}]. {SCORING_PROTOCOL_CHANGE_INFO}",
                keys.join(", ")
            ),
        ));
    }
    let (format, value) = data.into_iter().next().expect("one format key");
    let schema = model.input_schema();
    let data = match format.as_str() {
        "dataframe_split" => PyInput::Frame(frame_from_split(&value, schema)?),
        "dataframe_records" => PyInput::Frame(frame_from_records(&value, schema)?),
        "instances" => parse_instances(value, schema)?,
        _ => cast_schema_type(value, schema)?,
    };
    Ok(ParsedRequest {
        data,
        params,
        unified_llm: false,
    })
}

fn frame_from_split(v: &Json, schema: Option<&Schema>) -> Result<Frame, MlflowError> {
    let Json::Dict(items) = v else {
        let got = if matches!(v, Json::List(_)) {
            "list".to_string()
        } else {
            format!("type {}", v.py_type())
        };
        return Err(MlflowError::invalid_input(format!(
            "Dataframe split format must be a dictionary. Got {got}."
        )));
    };
    let keys: Vec<&str> = items.iter().map(|(k, _)| k.as_str()).collect();
    if !keys.contains(&"data")
        || keys
            .iter()
            .any(|k| !["columns", "data", "index"].contains(k))
    {
        let set: Vec<String> = keys.iter().map(|k| pyjson::py_str_repr(k)).collect();
        return Err(MlflowError::invalid_input(format!(
            "Dataframe split format must have 'data' field and optionally 'columns' and 'index' fields. Got {{{}}}.'",
            set.join(", ")
        )));
    }
    let frame = Frame::from_split(v.get("columns"), v.get("data").unwrap_or(&Json::Null), v.get("index"))
        .map_err(|e| {
            MlflowError::invalid_input(format!(
                "Provided dataframe_split field is not a valid dataframe representation in 'split' format. Error: '{e}'"
            ))
        })?;
    precast(frame, schema)
}

fn frame_from_records(v: &Json, schema: Option<&Schema>) -> Result<Frame, MlflowError> {
    let Json::List(records) = v else {
        let got = if matches!(v, Json::Dict(_)) {
            "dictionary".to_string()
        } else {
            format!("type {}", v.py_type())
        };
        return Err(MlflowError::invalid_input(format!(
            "Dataframe records format must be a list of records. Got {got}."
        )));
    };
    let frame = Frame::from_records(records).map_err(|e| {
        MlflowError::invalid_input(format!(
            "Provided dataframe_records field is not a valid dataframe representation in 'records' format. Error: '{e}'"
        ))
    })?;
    precast(frame, schema)
}

fn precast(frame: Frame, schema: Option<&Schema>) -> Result<Frame, MlflowError> {
    match schema {
        Some(s) => precast_frame(frame, s),
        None => Ok(frame),
    }
}

/// A spec an `inputs`/`instances` value is converted with.
#[derive(Clone, Copy)]
pub enum Spec<'a> {
    Tensor(&'a TensorSpec),
    Col(&'a ColSpec),
}

fn named_specs(schema: Option<&Schema>) -> Vec<(&str, Spec<'_>)> {
    match schema {
        Some(Schema::Tensors(t)) if schema.is_some_and(Schema::has_names) => t
            .iter()
            .map(|s| (s.name.as_deref().unwrap_or(""), Spec::Tensor(s)))
            .collect(),
        Some(Schema::Columns(c)) if schema.is_some_and(Schema::has_names) => c
            .iter()
            .map(|s| (s.name.as_deref().unwrap_or(""), Spec::Col(s)))
            .collect(),
        _ => Vec::new(),
    }
}

fn first_spec(schema: Option<&Schema>) -> Option<Spec<'_>> {
    match schema? {
        Schema::Tensors(t) => t.first().map(Spec::Tensor),
        Schema::Columns(c) => c.first().map(Spec::Col),
    }
}

/// `convert_data_type`: `np.array(v, spec dtype)`, or inferred without a spec.
pub fn convert_data_type(v: &Json, spec: Option<Spec<'_>>) -> Result<NdArray, MlflowError> {
    let r = match spec {
        None => array_infer(v),
        Some(Spec::Tensor(t)) => array_as(v, t.dtype),
        Some(Spec::Col(c)) => match &c.ty {
            ColType::Data(d) => match d.numpy() {
                Some(dtype) => array_as(v, dtype),
                None => Err(format!(
                    "columns of type '{}' are not supported by mlflowrs's native flavors",
                    d.name()
                )),
            },
            ColType::Any => array_infer(v),
            other => Err(format!(
                "columns of type {} are not supported by mlflowrs's native flavors",
                other.repr()
            )),
        },
    };
    r.map_err(MlflowError::invalid_input)
}

fn lookup<'a>(specs: &[(&str, Spec<'a>)], name: &str) -> Option<Spec<'a>> {
    specs.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// `_cast_schema_type` for the `inputs` key.
pub fn cast_schema_type(mut v: Json, schema: Option<&Schema>) -> Result<PyInput, MlflowError> {
    let specs = named_specs(schema);
    if let Some(s) = schema {
        let is_list_without_dicts =
            matches!(&v, Json::List(items) if !items.iter().any(|i| matches!(i, Json::Dict(_))));
        if specs.len() == 1 && is_list_without_dicts {
            v = Json::Dict(vec![(specs[0].0.to_string(), v)]);
        } else if !s.has_names()
            && !matches!(
                v,
                Json::List(_)
                    | Json::Str(_)
                    | Json::Int(_)
                    | Json::Float(_)
                    | Json::Bool(_)
                    | Json::BigInt(_)
            )
        {
            return Err(MlflowError::invalid_input(format!(
                "Failed to parse input data. This model contains an un-named  model signature which expects a single n-dimensional array or a single value as input, however, an input of type {} was found.",
                v.py_type()
            )));
        }
    }
    match &v {
        Json::Dict(items) => Ok(PyInput::Dict(
            items
                .iter()
                .map(|(k, val)| Ok((k.clone(), convert_data_type(val, lookup(&specs, k))?)))
                .collect::<Result<_, MlflowError>>()?,
        )),
        Json::List(items) if items.iter().all(|i| matches!(i, Json::Dict(_))) => {
            let Json::List(items) = v else {
                unreachable!("matched a list")
            };
            Ok(PyInput::Records(items))
        }
        Json::List(_) => Ok(PyInput::Array(convert_data_type(&v, first_spec(schema))?)),
        scalar => convert_data_type(scalar, first_spec(schema))
            .map(PyInput::Array)
            .map_err(|_| {
                MlflowError::invalid_input(format!(
                    "Failed to convert data `{}` to type `{}` defined in the model signature.",
                    super::ndarray::py_str(scalar),
                    first_spec(schema).map(spec_repr).unwrap_or_default()
                ))
            }),
    }
}

fn spec_repr(s: Spec<'_>) -> String {
    match s {
        Spec::Tensor(t) => format!(
            "Tensor('{}', {})",
            t.dtype,
            mlflowrs_flavor_api::shape_repr(t.shape.iter().copied())
        ),
        Spec::Col(c) => c.ty.repr(),
    }
}

/// `parse_instances_data`: a list of row objects is pivoted into columns.
fn parse_instances(v: Json, schema: Option<&Schema>) -> Result<PyInput, MlflowError> {
    let data = match &v {
        Json::List(rows) if matches!(rows.first(), Some(Json::Dict(_))) => {
            let specs = named_specs(schema);
            let mut cols: Vec<(String, Vec<Json>)> = Vec::new();
            for row in rows {
                let Json::Dict(items) = row else {
                    return Err(MlflowError::invalid_input(format!(
                        "Ensure that the input is a valid JSON-formatted string.\nError: AttributeError(\"'{}' object has no attribute 'items'\")",
                        row.py_type().trim_start_matches("<class '").trim_end_matches("'>")
                    )));
                };
                for (k, val) in items {
                    match cols.iter_mut().find(|(n, _)| n == k) {
                        Some((_, vals)) => vals.push(val.clone()),
                        None => cols.push((k.clone(), vec![val.clone()])),
                    }
                }
            }
            PyInput::Dict(
                cols.into_iter()
                    .map(|(k, vals)| {
                        Ok((
                            k.clone(),
                            convert_data_type(&Json::List(vals), lookup(&specs, &k))?,
                        ))
                    })
                    .collect::<Result<_, MlflowError>>()?,
            )
        }
        _ => cast_schema_type(v, schema)?,
    };
    if let PyInput::Dict(items) = &data {
        let required: Option<Vec<&str>> = schema.filter(|s| s.has_names()).map(|s| match s {
            Schema::Columns(c) => c
                .iter()
                .filter(|c| c.required && !matches!(c.ty, ColType::Array(_)))
                .filter_map(|c| c.name.as_deref())
                .collect(),
            Schema::Tensors(t) => t.iter().filter_map(|t| t.name.as_deref()).collect(),
        });
        let lens: Vec<usize> = items
            .iter()
            .filter(|(k, _)| required.as_ref().is_none_or(|r| r.contains(&k.as_str())))
            .filter_map(|(_, a)| a.first_dim())
            .collect();
        if lens.windows(2).any(|w| w[0] != w[1]) {
            return Err(MlflowError::invalid_input(
                "The length of values for each input/column name are not the same",
            ));
        }
    }
    Ok(data)
}

/// Python's `repr(bytes)`, cut short for big bodies.
pub fn bytes_repr(body: &[u8]) -> String {
    let shown = &body[..body.len().min(MAX_ECHO)];
    let quote = if shown.contains(&b'\'') && !shown.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = format!("b{quote}");
    for &b in shown {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b if b == quote as u8 => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(b as char),
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push(quote);
    if body.len() > MAX_ECHO {
        out.push_str(&format!("... ({} more bytes)", body.len() - MAX_ECHO));
    }
    out
}
