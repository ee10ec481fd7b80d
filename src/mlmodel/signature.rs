//! Model signatures: column specs, tensor specs and param specs, each stored
//! in MLmodel as a JSON string (mlflow/types/schema.py).

use mlflowrs_flavor_api::{shape_repr, DType};
use serde_json::Value;

use mlflowrs_protocol::pyjson::Json;

#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    pub inputs: Option<Schema>,
    pub outputs: Option<Schema>,
    pub params: Option<Vec<ParamSpec>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Schema {
    Columns(Vec<ColSpec>),
    Tensors(Vec<TensorSpec>),
}

/// MLflow's scalar column types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    Boolean,
    Integer,
    Long,
    Float,
    Double,
    String,
    Binary,
    Datetime,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ColType {
    Data(DataType),
    Array(Box<ColType>),
    /// Properties sorted by name: (name, type, required).
    Object(Vec<(String, ColType, bool)>),
    Map(Box<ColType>),
    Any,
    SparkVector,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColSpec {
    pub name: Option<String>,
    pub ty: ColType,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TensorSpec {
    pub name: Option<String>,
    pub dtype: DType,
    pub shape: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamType {
    Data(DataType),
    Object(Value),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    pub name: String,
    pub ty: ParamType,
    pub default: Json,
    /// `None` for a scalar, `Some([-1])` for a 1-D list.
    pub shape: Option<Vec<i64>>,
}

impl DataType {
    pub fn from_name(name: &str) -> Option<DataType> {
        Some(match name {
            "boolean" => DataType::Boolean,
            "integer" => DataType::Integer,
            "long" => DataType::Long,
            "float" => DataType::Float,
            "double" => DataType::Double,
            "string" => DataType::String,
            "binary" => DataType::Binary,
            "datetime" => DataType::Datetime,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            DataType::Boolean => "boolean",
            DataType::Integer => "integer",
            DataType::Long => "long",
            DataType::Float => "float",
            DataType::Double => "double",
            DataType::String => "string",
            DataType::Binary => "binary",
            DataType::Datetime => "datetime",
        }
    }

    /// The numpy dtype MLflow converts this type to, where mlflowrs has one.
    pub fn numpy(self) -> Option<DType> {
        Some(match self {
            DataType::Boolean => DType::Bool,
            DataType::Integer => DType::I32,
            DataType::Long => DType::I64,
            DataType::Float => DType::F32,
            DataType::Double => DType::F64,
            DataType::String => DType::Str,
            DataType::Binary | DataType::Datetime => return None,
        })
    }
}

impl ColType {
    fn from_json(v: &Value) -> Result<ColType, String> {
        let ty = v
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("column type must have a string 'type': {v}"))?;
        Ok(match ty {
            "array" => ColType::Array(Box::new(ColType::from_json(
                v.get("items").ok_or("array type needs 'items'")?,
            )?)),
            "map" => ColType::Map(Box::new(ColType::from_json(
                v.get("values").ok_or("map type needs 'values'")?,
            )?)),
            "object" => {
                let props = v
                    .get("properties")
                    .and_then(Value::as_object)
                    .ok_or("object type needs 'properties'")?;
                let mut out = Vec::new();
                for (name, p) in props {
                    let required = p.get("required").and_then(Value::as_bool).unwrap_or(true);
                    out.push((name.clone(), ColType::from_json(p)?, required));
                }
                out.sort_by(|a, b| a.0.cmp(&b.0));
                ColType::Object(out)
            }
            "any" => ColType::Any,
            "sparkml_vector" => ColType::SparkVector,
            other => ColType::Data(
                DataType::from_name(other)
                    .ok_or_else(|| format!("unknown column type '{other}'"))?,
            ),
        })
    }

    /// How MLflow prints the type inside a schema repr.
    pub fn repr(&self) -> String {
        match self {
            ColType::Data(d) => d.name().to_string(),
            ColType::Array(t) => format!("Array({})", t.repr()),
            ColType::Map(t) => format!("Map(str -> {})", t.repr()),
            ColType::Object(props) => {
                let inner: Vec<String> = props
                    .iter()
                    .map(|(n, t, r)| {
                        format!(
                            "{n}: {}{}",
                            t.repr(),
                            if *r { " (required)" } else { " (optional)" }
                        )
                    })
                    .collect();
                format!("Object({})", inner.join(", "))
            }
            ColType::Any => "Any".into(),
            ColType::SparkVector => "SparkML vector".into(),
        }
    }
}

impl Schema {
    fn from_json_text(text: &str) -> Result<Schema, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("is not valid JSON: {e}"))?;
        let items = v.as_array().ok_or("must be a JSON list of specs")?;
        if items.is_empty() {
            return Err("Creating Schema with empty inputs is not allowed.".into());
        }
        let tensors = items
            .iter()
            .filter(|i| i.get("type").and_then(Value::as_str) == Some("tensor"))
            .count();
        let schema = if tensors == items.len() {
            Schema::Tensors(
                items
                    .iter()
                    .map(TensorSpec::from_json)
                    .collect::<Result<_, _>>()?,
            )
        } else if tensors == 0 {
            Schema::Columns(
                items
                    .iter()
                    .map(ColSpec::from_json)
                    .collect::<Result<_, _>>()?,
            )
        } else {
            return Err(
                "Please choose either TensorSpec or ColSpec for all inputs, not both".into(),
            );
        };
        schema.validate()?;
        Ok(schema)
    }

    fn validate(&self) -> Result<(), String> {
        let names: Vec<Option<&String>> = match self {
            Schema::Columns(c) => c.iter().map(|c| c.name.as_ref()).collect(),
            Schema::Tensors(t) => t.iter().map(|t| t.name.as_ref()).collect(),
        };
        let named = names.iter().filter(|n| n.is_some()).count();
        if named != 0 && named != names.len() {
            return Err("Creating Schema with a combination of named and unnamed inputs is not allowed. Got input names [...]".into());
        }
        if named == 0 {
            if let Schema::Tensors(t) = self {
                if t.len() > 1 {
                    return Err("Creating Schema with multiple unnamed TensorSpecs is not supported. Please provide names for each TensorSpec.".into());
                }
            }
            if let Schema::Columns(c) = self {
                if c.iter().any(|c| !c.required) {
                    return Err("Creating Schema with unnamed optional inputs is not supported. Please name all inputs or make all inputs required.".into());
                }
            }
        }
        Ok(())
    }

    pub fn has_names(&self) -> bool {
        match self {
            Schema::Columns(c) => c.iter().all(|c| c.name.is_some()),
            Schema::Tensors(t) => t.iter().all(|t| t.name.is_some()),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Schema::Columns(c) => c.len(),
            Schema::Tensors(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// MLflow's `repr(Schema)`, used inside its error messages.
    pub fn repr(&self) -> String {
        let items: Vec<String> = match self {
            Schema::Columns(c) => c
                .iter()
                .map(|c| {
                    let req = if c.required {
                        " (required)"
                    } else {
                        " (optional)"
                    };
                    match &c.name {
                        Some(n) => format!("'{n}': {}{req}", c.ty.repr()),
                        None => format!("{}{req}", c.ty.repr()),
                    }
                })
                .collect(),
            Schema::Tensors(t) => t
                .iter()
                .map(|t| {
                    let body = format!(
                        "Tensor('{}', {})",
                        t.dtype,
                        shape_repr(t.shape.iter().copied())
                    );
                    match &t.name {
                        Some(n) => format!("'{n}': {body}"),
                        None => body,
                    }
                })
                .collect(),
        };
        format!("[{}]", items.join(", "))
    }
}

impl ColSpec {
    fn from_json(v: &Value) -> Result<ColSpec, String> {
        let ty = ColType::from_json(v)?;
        let name = match v.get("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        };
        // MLflow <= 2.9 wrote "optional": true instead of "required".
        let required = match (v.get("required"), v.get("optional")) {
            (Some(Value::Bool(r)), _) => *r,
            (_, Some(Value::Bool(o))) => !*o,
            _ => true,
        };
        Ok(ColSpec { name, ty, required })
    }
}

impl TensorSpec {
    fn from_json(v: &Value) -> Result<TensorSpec, String> {
        let spec = v
            .get("tensor-spec")
            .ok_or("tensor spec needs 'tensor-spec'")?;
        let dtype_name = spec
            .get("dtype")
            .and_then(Value::as_str)
            .ok_or("tensor-spec needs a string 'dtype'")?;
        let dtype = DType::from_numpy(dtype_name).ok_or_else(|| {
            format!("tensor dtype '{dtype_name}' is not supported by mlflowrs (supported: bool, int8..int64, uint8..uint64, float32, float64, str, object)")
        })?;
        let shape = spec
            .get("shape")
            .and_then(Value::as_array)
            .ok_or("tensor-spec needs a list 'shape'")?
            .iter()
            .map(|d| {
                d.as_i64()
                    .filter(|d| *d >= -1)
                    .ok_or_else(|| format!("bad dimension {d} in tensor shape"))
            })
            .collect::<Result<Vec<i64>, String>>()?;
        Ok(TensorSpec {
            name: v.get("name").and_then(Value::as_str).map(str::to_string),
            dtype,
            shape,
        })
    }
}

impl ParamSpec {
    fn from_json(v: &Value) -> Result<ParamSpec, String> {
        let name = v
            .get("name")
            .and_then(Value::as_str)
            .ok_or("param spec needs a string 'name'")?;
        let ty_name = v
            .get("type")
            .or_else(|| v.get("dtype"))
            .and_then(Value::as_str)
            .ok_or_else(|| format!("param '{name}' needs a 'type'"))?;
        let ty = if ty_name == "object" {
            ParamType::Object(v.get("properties").cloned().unwrap_or(Value::Null))
        } else {
            let d = DataType::from_name(ty_name)
                .ok_or_else(|| format!("param '{name}' has unknown type '{ty_name}'"))?;
            if d == DataType::Binary {
                return Err(format!("param '{name}': binary params are not supported"));
            }
            ParamType::Data(d)
        };
        if v.get("default").is_none() {
            return Err(format!("param '{name}' needs a 'default'"));
        }
        let default = mlflowrs_protocol::pyjson::parse(v["default"].to_string().as_bytes())
            .map_err(|e| e.message)?;
        let shape = match v.get("shape") {
            None | Some(Value::Null) => None,
            Some(Value::Array(dims)) => Some(dims.iter().filter_map(Value::as_i64).collect()),
            Some(other) => return Err(format!("param '{name}' has a bad shape {other}")),
        };
        Ok(ParamSpec {
            name: name.to_string(),
            ty,
            default,
            shape,
        })
    }
}

impl Signature {
    pub fn from_value(v: &Value) -> Result<Signature, String> {
        let part = |key: &str| -> Result<Option<&str>, String> {
            match v.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(_) => Err(format!("'{key}' must be a JSON string")),
            }
        };
        let inputs = part("inputs")?
            .map(|t| Schema::from_json_text(t).map_err(|e| format!("inputs: {e}")))
            .transpose()?;
        let outputs = part("outputs")?
            .map(|t| Schema::from_json_text(t).map_err(|e| format!("outputs: {e}")))
            .transpose()?;
        let params = match part("params")? {
            None => None,
            Some(t) => {
                let v: Value =
                    serde_json::from_str(t).map_err(|e| format!("params: not valid JSON: {e}"))?;
                let items = v.as_array().ok_or("params: must be a JSON list")?;
                Some(
                    items
                        .iter()
                        .map(ParamSpec::from_json)
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| format!("params: {e}"))?,
                )
            }
        };
        Ok(Signature {
            inputs,
            outputs,
            params,
        })
    }
}
