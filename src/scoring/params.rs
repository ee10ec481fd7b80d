//! `_enforce_params_schema`: params are checked only when the model declares
//! a params schema; otherwise MLflow ignores them (with a warning).

use crate::mlmodel::{DataType, ParamSpec, ParamType};
use mlflowrs_protocol::pyjson::Json;
use mlflowrs_protocol::MlflowError;

pub fn enforce_params(
    params: Option<&Json>,
    specs: Option<&[ParamSpec]>,
) -> Result<Vec<(String, Json)>, MlflowError> {
    let Some(specs) = specs else {
        if params.is_some_and(|p| *p != Json::Dict(Vec::new())) {
            tracing::warn!("params given but the model has no params schema; ignoring them");
        }
        return Ok(Vec::new());
    };
    let given: &[(String, Json)] = match params {
        None => &[],
        Some(Json::Dict(items)) => items,
        Some(other) => {
            let name = other
                .py_type()
                .trim_start_matches("<class '")
                .trim_end_matches("'>");
            return Err(MlflowError::invalid_parameter(format!(
                "Parameters must be a dictionary. Got type '{name}'."
            )));
        }
    };
    let mut out = Vec::new();
    let mut invalid = Vec::new();
    for spec in specs {
        let value = given
            .iter()
            .find(|(k, _)| *k == spec.name)
            .map(|(_, v)| v.clone());
        let Some(value) = value else {
            out.push((spec.name.clone(), spec.default.clone()));
            continue;
        };
        match check(&value, spec) {
            Ok(v) => out.push((spec.name.clone(), v)),
            Err(e) => invalid.push(format!(
                "('{}', \"Failed to validate type and shape for '{}': {}\")",
                spec.name, spec.name, e
            )),
        }
    }
    if !invalid.is_empty() {
        return Err(MlflowError::invalid_parameter(format!(
            "Invalid parameters found: {{{}}}",
            invalid.join(", ")
        )));
    }
    Ok(out)
}

fn check(value: &Json, spec: &ParamSpec) -> Result<Json, String> {
    let ParamType::Data(ty) = &spec.ty else {
        return Ok(value.clone());
    };
    if spec.shape.is_some() {
        let Json::List(items) = value else {
            return Err(format!("Value must be a 1D array with shape (-1,) for param '{}': {} (default: {:?}), received {} with ndim 0", spec.name, ty.name(), spec.default, value.py_type()));
        };
        return items
            .iter()
            .map(|i| scalar(i, *ty))
            .collect::<Result<_, _>>()
            .map(Json::List);
    }
    scalar(value, *ty)
}

fn scalar(v: &Json, ty: DataType) -> Result<Json, String> {
    let ok = matches!(
        (ty, v),
        (_, Json::Null)
            | (DataType::Boolean, Json::Bool(_))
            | (DataType::String | DataType::Datetime, Json::Str(_))
            | (DataType::Integer | DataType::Long, Json::Int(_))
            | (
                DataType::Float | DataType::Double,
                Json::Int(_) | Json::Float(_)
            )
    );
    if !ok {
        return Err(format!(
            "Can not safely convert `{}` to `DataType.{}` for value `{}`",
            v.py_type(),
            ty.name(),
            mlflowrs_protocol::pyjson::to_string(v)
        ));
    }
    Ok(match (ty, v) {
        (DataType::Float | DataType::Double, Json::Int(i)) => Json::Float(*i as f64),
        _ => v.clone(),
    })
}
