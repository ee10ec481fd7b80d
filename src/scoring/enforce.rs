//! `_enforce_schema`: what `PyFuncModel.predict` checks and converts before
//! the model sees its input (mlflow/models/utils.py).

use mlflowrs_flavor_api::{shape_repr, DType, Tensor};

use super::frame::{stack_rows, Frame, Label};
use super::ndarray::{array_infer, convert_cells, NdArray};
use super::parse::PyInput;
use crate::mlmodel::{ColType, DataType, Schema, TensorSpec};
use mlflowrs_protocol::pyjson::Json;
use mlflowrs_protocol::{ErrorCode, MlflowError};

/// The input after enforcement, in the shape the flavor wrapper receives it.
#[derive(Debug, Clone)]
pub enum Enforced {
    Dict(Vec<(String, NdArray)>),
    Array(NdArray),
    Frame(Frame),
    Raw(Json),
}

/// An enforcement failure before it is wrapped into MLflow's message.
struct Failure {
    message: String,
}

fn fail<T>(message: impl Into<String>) -> Result<T, Failure> {
    Err(Failure {
        message: message.into(),
    })
}

pub fn enforce(data: PyInput, schema: Option<&Schema>) -> Result<Enforced, MlflowError> {
    let Some(schema) = schema else {
        return Ok(match data {
            PyInput::Frame(f) => Enforced::Frame(f),
            PyInput::Dict(d) => Enforced::Dict(d),
            PyInput::Array(a) => Enforced::Array(a),
            PyInput::Records(r) => Enforced::Raw(Json::List(r)),
            PyInput::Raw(r) => Enforced::Raw(r),
        });
    };
    // What the error message would show, captured before enforcement takes
    // the input; arrays are only formatted if enforcement fails.
    let shown = Shown::of(&data);
    let result = match schema {
        Schema::Tensors(specs) => enforce_tensors(data, specs, schema.has_names()),
        Schema::Columns(_) => enforce_columns(data, schema),
    };
    result.map_err(|f| {
        let mut e = MlflowError::new(
            ErrorCode::InvalidParameterValue,
            format!(
                "Failed to enforce schema of data '{}' with schema '{}'. Error: {}",
                shown.render(),
                schema.repr(),
                f.message
            ),
        );
        e.schema_enforcement = true;
        e
    })
}

/// The parts of an input its error message renders.
enum Shown {
    Array(Vec<usize>, &'static str),
    Dict(Vec<(String, Vec<usize>, &'static str)>),
    Text(String),
}

impl Shown {
    fn of(data: &PyInput) -> Shown {
        match data {
            PyInput::Array(a) => Shown::Array(a.shape().to_vec(), a.dtype_name()),
            PyInput::Dict(items) => Shown::Dict(
                items
                    .iter()
                    .map(|(k, v)| (k.clone(), v.shape().to_vec(), v.dtype_name()))
                    .collect(),
            ),
            PyInput::Frame(f) => Shown::Text(f.repr()),
            PyInput::Records(r) => {
                Shown::Text(mlflowrs_protocol::pyjson::to_string(&Json::List(r.clone())))
            }
            PyInput::Raw(r) => Shown::Text(mlflowrs_protocol::pyjson::to_string(r)),
        }
    }

    fn render(self) -> String {
        let array = |shape: &[usize], dtype: &str| {
            format!(
                "array(shape={}, dtype={dtype})",
                shape_repr(shape.iter().map(|&d| d as i64))
            )
        };
        match self {
            Shown::Array(shape, dtype) => array(&shape, dtype),
            Shown::Dict(items) => {
                let parts: Vec<String> = items
                    .iter()
                    .map(|(k, shape, dtype)| {
                        format!(
                            "{}: {}",
                            mlflowrs_protocol::pyjson::py_str_repr(k),
                            array(shape, dtype)
                        )
                    })
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
            Shown::Text(t) => t,
        }
    }
}

/// A short Python-like rendering of the model input for error messages.
pub fn input_repr(data: &PyInput) -> String {
    match data {
        PyInput::Frame(f) => f.repr(),
        PyInput::Dict(_) | PyInput::Array(_) => Shown::of(data).render(),
        PyInput::Records(r) => mlflowrs_protocol::pyjson::to_string(&Json::List(r.clone())),
        PyInput::Raw(r) => mlflowrs_protocol::pyjson::to_string(r),
    }
}

fn type_of(data: &PyInput) -> &'static str {
    match data {
        PyInput::Frame(_) => "<class 'pandas.DataFrame'>",
        PyInput::Dict(_) => "<class 'dict'>",
        PyInput::Array(_) => "<class 'numpy.ndarray'>",
        PyInput::Records(_) => "<class 'list'>",
        PyInput::Raw(r) => r.py_type(),
    }
}

fn names_repr<'a>(names: impl IntoIterator<Item = &'a Label>) -> String {
    let parts: Vec<String> = names.into_iter().map(|l| l.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// The missing-inputs check shared by named column and tensor schemas.
fn check_missing(actual: &[Label], required: &[&str], optional: &[&str]) -> Result<(), Failure> {
    let missing: Vec<Label> = required
        .iter()
        .filter(|r| !actual.iter().any(|a| a.matches(r)))
        .map(|r| Label::Name(r.to_string()))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let extra: Vec<&Label> = actual
        .iter()
        .filter(|a| !required.iter().chain(optional).any(|n| a.matches(n)))
        .collect();
    let mut message = format!("Model is missing inputs {}.", names_repr(&missing));
    if !extra.is_empty() {
        message.push_str(&format!(
            " Note that there were extra inputs: {}.",
            names_repr(extra)
        ));
    }
    fail(message)
}

fn enforce_tensors(data: PyInput, specs: &[TensorSpec], named: bool) -> Result<Enforced, Failure> {
    if named {
        let names: Vec<&str> = specs.iter().filter_map(|s| s.name.as_deref()).collect();
        let data = match data {
            PyInput::Array(a) if names.len() == 1 => PyInput::Dict(vec![(names[0].to_string(), a)]),
            other => other,
        };
        let actual: Vec<Label> = match &data {
            PyInput::Frame(f) => f.labels(),
            PyInput::Dict(d) => d.iter().map(|(k, _)| Label::Name(k.clone())).collect(),
            _ => Vec::new(),
        };
        if matches!(data, PyInput::Frame(_) | PyInput::Dict(_)) {
            check_missing(&actual, &names, &[])?;
        }
        match data {
            PyInput::Dict(items) => {
                let mut out = Vec::new();
                for spec in specs {
                    let name = spec.name.clone().unwrap_or_default();
                    let value = items.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()).expect("checked");
                    out.push((name, NdArray::Typed(enforce_tensor_spec(value, spec)?)));
                }
                Ok(Enforced::Dict(out))
            }
            PyInput::Frame(frame) => {
                let mut out = Vec::new();
                for spec in specs {
                    let name = spec.name.clone().unwrap_or_default();
                    let col = frame.column(&name).expect("checked");
                    out.push((name.clone(), NdArray::Typed(reshape_column(Some(&name), col, spec)?)));
                }
                Ok(Enforced::Dict(out))
            }
            other => fail(format!(
                "This model contains a tensor-based model signature with input names, which suggests a dictionary input mapping input name to tensor, or a pandas DataFrame input containing columns mapping input name to flattened list value from tensor, but an input of type {} was found.",
                type_of(&other)
            )),
        }
    } else {
        let spec = &specs[0];
        match data {
            PyInput::Frame(frame) => {
                if frame.is_empty() {
                    return fail("Input DataFrame is empty.");
                }
                if frame.columns.len() == 1 {
                    return Ok(Enforced::Array(NdArray::Typed(reshape_column(None, &frame.columns[0], spec)?)));
                }
                let n = frame.columns.len() as i64;
                if spec.shape != [-1, n] {
                    return fail(format!(
                        "This model contains a model signature with an unnamed input. Since the input data is a pandas DataFrame containing multiple columns, the input shape must be of the structure (-1, number_of_dataframe_columns). Instead, the input DataFrame passed had {n} columns and an input shape of {} with all values within the DataFrame of scalar type. Please adjust the passed in DataFrame to match the expected structure",
                        shape_repr(spec.shape.iter().copied())
                    ));
                }
                let arr = frame.to_numpy().map_err(|m| Failure { message: m })?;
                Ok(Enforced::Array(NdArray::Typed(enforce_tensor_spec(arr, spec)?)))
            }
            PyInput::Array(a) => Ok(Enforced::Array(NdArray::Typed(enforce_tensor_spec(a, spec)?))),
            other => fail(format!(
                "This model contains a tensor-based model signature with no input names, which suggests a numpy array input or a pandas dataframe input with proper column values, but an input of type {} was found.",
                type_of(&other)
            )),
        }
    }
}

/// `_enforce_tensor_spec`: rank, fixed dimensions, then exact dtype.
fn enforce_tensor_spec(value: NdArray, spec: &TensorSpec) -> Result<Tensor, Failure> {
    let actual = value.shape_repr();
    let expected = shape_repr(spec.shape.iter().copied());
    let shape_ok = value.shape().len() == spec.shape.len()
        && value
            .shape()
            .iter()
            .zip(&spec.shape)
            .all(|(&a, &e)| e == -1 || a as i64 == e);
    if !shape_ok {
        return fail(format!(
            "Shape of input {actual} does not match expected shape {expected}."
        ));
    }
    match value {
        NdArray::Typed(t) if t.dtype() == spec.dtype => Ok(t),
        other => fail(format!(
            "dtype of input {} does not match expected dtype {}",
            other.dtype_name(),
            spec.dtype
        )),
    }
}

/// `_reshape_and_cast_pandas_column_values`.
fn reshape_column(
    name: Option<&str>,
    col: &super::frame::Column,
    spec: &TensorSpec,
) -> Result<Tensor, Failure> {
    let what = match name {
        Some(n) => format!("input {n}"),
        None => "the unnamed input".to_string(),
    };
    let shape_str = shape_repr(spec.shape.iter().copied());
    if spec.shape.first() != Some(&-1) || spec.shape[1..].contains(&-1) {
        return fail(format!(
            "For pandas dataframe input, the first dimension of shape must be a variable dimension and other dimensions must be fixed, but in model signature the shape of {what} is {shape_str}."
        ));
    }
    let label = name.map(str::to_string).unwrap_or_else(|| col.label.key());
    match col.cells.first() {
        Some(Json::List(first)) if first.first().is_some_and(Json::is_scalar) => {
            let err = || Failure {
                message: format!(
                    "The value in the Input DataFrame column '{label}' could not be converted to the expected shape of: '{shape_str}'. Ensure that each of the input list elements are of uniform length and that the data can be coerced to the tensor type '{}'",
                    spec.dtype
                ),
            };
            let stacked = match array_infer(&Json::List(col.cells.clone())) {
                Ok(NdArray::Typed(t)) => t.cast(spec.dtype),
                Ok(NdArray::Object { .. }) | Err(_) => stack_rows(&col.cells, spec.dtype).map_err(|_| err())?,
            };
            let inner: i64 = spec.shape[1..].iter().product();
            let total = stacked.data.len() as i64;
            if inner == 0 || total % inner != 0 {
                return Err(err());
            }
            let mut shape = vec![(total / inner) as usize];
            shape.extend(spec.shape[1..].iter().map(|&d| d as usize));
            if shape[0] != col.cells.len() {
                return Err(err());
            }
            Ok(Tensor { shape, data: stacked.data })
        }
        Some(first) if first.is_scalar() => {
            if spec.shape != [-1] && spec.shape != [-1, 1] {
                return Err(Failure {
                    message: format!(
                        "The input pandas dataframe column '{label}' contains scalar values, which requires the shape to be (-1,) or (-1, 1), but got tensor spec shape of {shape_str}."
                    ),
                });
            }
            let values = match &col.typed {
                Some(t) => t.cast(spec.dtype),
                None => convert_cells(&col.cells, vec![col.cells.len()], spec.dtype).map_err(|m| Failure { message: m })?,
            };
            let mut shape = vec![col.cells.len()];
            if spec.shape.len() == 2 {
                shape.push(1);
            }
            enforce_tensor_spec(NdArray::Typed(Tensor { shape, data: values.data }), spec)
        }
        _ => fail("Because the model signature requires tensor spec input, the input pandas dataframe values should be either scalar value, python list containing scalar values or numpy array containing scalar values, other types are not supported."),
    }
}

/// A column-signature input becomes a DataFrame first, as `_enforce_schema` does.
fn to_frame(data: PyInput) -> Result<Frame, Failure> {
    let cells_of = |a: &NdArray| -> Vec<Json> { ndarray_cells(a) };
    match data {
        PyInput::Frame(f) => Ok(f),
        PyInput::Array(a) => match a.shape().len() {
            0 => Frame::from_arrays(vec![(Label::Pos(0), cells_of(&a), None)])
                .map_err(|m| Failure { message: m }),
            1 => {
                let t = typed(&a);
                Frame::from_arrays(vec![(Label::Pos(0), cells_of(&a), t)])
                    .map_err(|m| Failure { message: m })
            }
            2 => {
                let rows = a.shape()[0];
                let width = a.shape()[1];
                let cells = cells_of(&a);
                let cols = (0..width)
                    .map(|j| {
                        (
                            Label::Pos(j as i64),
                            (0..rows).map(|i| cells[i * width + j].clone()).collect(),
                            None,
                        )
                    })
                    .collect();
                Frame::from_arrays(cols).map_err(|m| Failure { message: m })
            }
            _ => fail(format!("Must pass 2-d input. shape={}", a.shape_repr())),
        },
        PyInput::Dict(items) => {
            let all_scalar = items.iter().all(|(_, v)| v.shape().is_empty());
            let any_2d = items.iter().any(|(_, v)| v.shape().len() > 1);
            if all_scalar {
                let cols = items
                    .iter()
                    .map(|(k, v)| (Label::Name(k.clone()), cells_of(v), None))
                    .collect();
                return Frame::from_arrays(cols).map_err(|m| Failure { message: m });
            }
            let n = items
                .iter()
                .filter_map(|(_, v)| v.first_dim())
                .max()
                .unwrap_or(0);
            let mut cols = Vec::new();
            for (k, v) in &items {
                let mut cells = if any_2d && v.shape().len() > 1 {
                    row_lists(v)
                } else {
                    cells_of(v)
                };
                if v.shape().is_empty() {
                    cells = vec![cells[0].clone(); n];
                }
                let t = if v.shape().len() == 1 { typed(v) } else { None };
                cols.push((Label::Name(k.clone()), cells, t));
            }
            Frame::from_arrays(cols).map_err(|m| Failure {
                message: format!(
                    "This model contains a column-based signature, which suggests a DataFrame input. There was an error casting the input data to a DataFrame: {m}"
                ),
            })
        }
        PyInput::Records(r) => Frame::from_records(&r).map_err(|m| Failure { message: m }),
        PyInput::Raw(Json::Dict(items)) => {
            let cols = items
                .into_iter()
                .map(|(k, v)| (Label::Name(k), vec![v], None))
                .collect();
            Frame::from_arrays(cols).map_err(|m| Failure { message: m })
        }
        PyInput::Raw(other) => fail(format!(
            "Expected input to be DataFrame. Found: {}",
            other.py_type()
        )),
    }
}

fn typed(a: &NdArray) -> Option<Tensor> {
    match a {
        NdArray::Typed(t) => Some(t.clone()),
        NdArray::Object { .. } => None,
    }
}

/// The flat elements of an array as JSON scalars.
pub fn ndarray_cells(a: &NdArray) -> Vec<Json> {
    match a {
        NdArray::Object { cells, .. } => cells.clone(),
        NdArray::Typed(t) => super::encode::flat_json(t),
    }
}

/// Each row of a 2-D+ array as one list cell.
fn row_lists(a: &NdArray) -> Vec<Json> {
    match super::encode::ndarray_json(a) {
        Json::List(rows) => rows,
        other => vec![other],
    }
}

fn enforce_columns(data: PyInput, schema: &Schema) -> Result<Enforced, Failure> {
    let Schema::Columns(specs) = schema else {
        unreachable!("column schema")
    };
    if let PyInput::Dict(items) = &data {
        // Values of keys the schema names are numpy scalars after parsing,
        // the others 0-d arrays; pandas builds a one-row frame only when
        // every value is a scalar (`np.isscalar`), and refuses 0-d arrays
        // that have nothing longer beside them.
        let named = |k: &str| specs.iter().any(|s| s.name.as_deref() == Some(k));
        let all_0d = items.iter().all(|(_, v)| v.shape().is_empty());
        if schema.has_names() && all_0d && items.iter().any(|(k, _)| !named(k)) {
            return fail(
                "This model contains a column-based signature, which suggests a DataFrame input. There was an error casting the input data to a DataFrame: If using all scalar values, you must pass an index",
            );
        }
    }
    let frame = to_frame(data)?;
    if schema.has_names() {
        let required: Vec<&str> = specs
            .iter()
            .filter(|s| s.required)
            .filter_map(|s| s.name.as_deref())
            .collect();
        let optional: Vec<&str> = specs
            .iter()
            .filter(|s| !s.required)
            .filter_map(|s| s.name.as_deref())
            .collect();
        check_missing(&frame.labels(), &required, &optional)?;
        // `df[name]` of a repeated column is a DataFrame, which MLflow cannot enforce.
        if let Some(dup) = specs
            .iter()
            .filter_map(|s| s.name.as_deref())
            .find(|n| frame.columns.iter().filter(|c| c.label.matches(n)).count() > 1)
        {
            return fail(format!(
                "Column '{dup}' appears more than once in the input DataFrame."
            ));
        }
        let mut cols = Vec::new();
        for spec in specs {
            let name = spec.name.as_deref().unwrap_or("");
            let Some(col) = frame.column(name) else {
                continue;
            };
            cols.push((
                col.label.clone(),
                col.cells.clone(),
                enforce_datatype(name, col, &spec.ty)?,
            ));
        }
        Ok(Enforced::Frame(
            Frame::from_arrays(cols).map_err(|m| Failure { message: m })?,
        ))
    } else {
        if frame.columns.len() < specs.len() {
            return fail(format!(
                "Model inference is missing inputs. The model signature declares {} inputs  but the provided value only has {} inputs. Note: the inputs were not named in the signature so we can only verify their count.",
                specs.len(),
                frame.columns.len()
            ));
        }
        let mut cols = Vec::new();
        for (spec, col) in specs.iter().zip(&frame.columns) {
            cols.push((
                col.label.clone(),
                col.cells.clone(),
                enforce_datatype(&col.label.key(), col, &spec.ty)?,
            ));
        }
        Ok(Enforced::Frame(
            Frame::from_arrays(cols).map_err(|m| Failure { message: m })?,
        ))
    }
}

/// `_enforce_mlflow_datatype`: the safe conversions MLflow allows.
fn enforce_datatype(
    name: &str,
    col: &super::frame::Column,
    ty: &ColType,
) -> Result<Option<Tensor>, Failure> {
    let ColType::Data(t) = ty else {
        return fail(format!(
            "columns of type {} are not supported by mlflowrs's native flavors",
            ty.repr()
        ));
    };
    let from = col.effective_dtype();
    if *t == DataType::String {
        return match from {
            None | Some(DType::Str) => Ok(None),
            Some(d) => fail(format!("Incompatible input types for column {name}. Can not safely convert {d} to <class 'str'>.")),
        };
    }
    let Some(to) = t.numpy() else {
        return fail(format!(
            "columns of type '{}' are not supported by mlflowrs's native flavors",
            t.name()
        ));
    };
    let values = match col.values() {
        Ok(NdArray::Typed(v)) => v,
        _ if *t == DataType::Boolean => return Ok(None),
        _ => {
            return fail(format!(
            "Incompatible input types for column {name}. Can not safely convert object to {to}."
        ))
        }
    };
    let d = values.dtype();
    if d == to {
        return Ok(Some(values));
    }
    let size = |x: DType| match x {
        DType::Bool | DType::I8 | DType::U8 => 1,
        DType::I16 | DType::U16 => 2,
        DType::I32 | DType::U32 | DType::F32 => 4,
        _ => 8,
    };
    let signed = |x: DType| matches!(x, DType::I8 | DType::I16 | DType::I32 | DType::I64);
    let upcast = if (d.is_float() && to.is_float())
        || (signed(d) && signed(to))
        || (!signed(d) && d.is_integer() && !signed(to) && to.is_integer())
    {
        size(d) <= size(to)
    } else if d.is_integer() && !signed(d) && signed(to) {
        size(d) < size(to)
    } else if d.is_integer() && to == DType::F64 {
        size(d) <= 6
    } else {
        false
    };
    let zero_one = d == DType::I64
        && to.is_float()
        && (0..values.data.len()).all(|i| matches!(values.data.get_i64(i), 0 | 1));
    if upcast || zero_one {
        return Ok(Some(values.cast(to)));
    }
    fail(format!(
        "Incompatible input types for column {name}. Can not safely convert {d} to {to}."
    ))
}
