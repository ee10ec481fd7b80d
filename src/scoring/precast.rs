//! `cast_df_types_according_to_schema`: the lenient parse-time cast MLflow's
//! server applies to DataFrame input (1.5 into a long column becomes 1,
//! numeric strings become numbers, ...).

use mlflowrs_flavor_api::{DType, Tensor};

use super::frame::{Column, Frame};
use super::ndarray::convert_cells;
use crate::mlmodel::{ColType, DataType, Schema};
use mlflowrs_protocol::pyjson::{py_str_repr, Json};
use mlflowrs_protocol::MlflowError;

enum Target {
    Cast(DType),
    /// `astype(object)`: a `string` column of the schema.
    Object,
    Skip,
    Unsupported(String),
}

pub fn precast_frame(mut frame: Frame, schema: &Schema) -> Result<Frame, MlflowError> {
    let plan: Vec<(usize, Target)> = match schema {
        Schema::Tensors(t) if schema.has_names() => t
            .iter()
            .filter_map(|s| {
                let name = s.name.as_deref()?;
                let i = frame.columns.iter().position(|c| c.label.matches(name))?;
                Some((i, Target::Cast(s.dtype)))
            })
            .collect(),
        Schema::Tensors(t) => (0..frame.columns.len())
            .map(|i| (i, Target::Cast(t[0].dtype)))
            .collect(),
        Schema::Columns(c) if schema.has_names() => c
            .iter()
            .filter_map(|s| {
                let name = s.name.as_deref()?;
                let i = frame.columns.iter().position(|c| c.label.matches(name))?;
                Some((i, col_target(&s.ty)))
            })
            .collect(),
        Schema::Columns(c) => (0..frame.columns.len().min(c.len()))
            .map(|i| (i, col_target(&c[i].ty)))
            .collect(),
    };
    let tensor_schema = matches!(schema, Schema::Tensors(_));
    for (i, target) in plan {
        let col = &mut frame.columns[i];
        match target {
            Target::Skip => {}
            // pandas keeps strings (and a string column with missing values,
            // pandas 3's `str` dtype) as they are; anything else becomes a
            // column of Python objects that the model receives unconverted.
            Target::Object => {
                if col.typed.is_none() && col.effective_dtype().is_some() {
                    col.object = true;
                }
            }
            Target::Unsupported(msg) => return Err(MlflowError::invalid_input(msg)),
            Target::Cast(dtype) => {
                let type_name = if dtype == DType::Str {
                    "object".to_string()
                } else {
                    dtype.numpy_name().to_string()
                };
                let fail = |repr: String| {
                    MlflowError::invalid_input(format!(
                        "Data is not compatible with model signature. Failed to convert column {} to type '{}'. Error: '{}'",
                        col.label.key(),
                        type_name,
                        repr
                    ))
                };
                if tensor_schema {
                    match col.cells.first() {
                        None => {
                            return Err(fail(
                                "IndexError('single positional indexer is out-of-bounds')".into(),
                            ))
                        }
                        Some(Json::List(_)) => continue,
                        Some(_) => {}
                    }
                }
                let typed = astype(col, dtype).map_err(&fail)?;
                col.typed = Some(typed);
            }
        }
    }
    Ok(frame)
}

fn col_target(ty: &ColType) -> Target {
    match ty {
        ColType::Data(DataType::Binary | DataType::Datetime) => Target::Unsupported(format!(
            "columns of type '{}' are not supported by mlflowrs's native flavors",
            ty.repr()
        )),
        ColType::Data(DataType::String) => Target::Object,
        ColType::Data(d) => Target::Cast(d.numpy().unwrap_or(DType::F64)),
        ColType::Any => Target::Skip,
        other => Target::Unsupported(format!(
            "columns of type {} are not supported by mlflowrs's native flavors",
            other.repr()
        )),
    }
}

/// `series.astype(dtype)`: numeric columns are C-cast (int32 wraps around),
/// float columns with NaN refuse integer targets, object columns convert
/// cell by cell with Python's `int()` / `float()`.
fn astype(col: &Column, to: DType) -> Result<Tensor, String> {
    let n = col.cells.len();
    match col.effective_dtype() {
        Some(from) if from != DType::Str => {
            let t = match &col.typed {
                Some(t) => t.clone(),
                None => convert_cells(&col.cells, vec![n], from).map_err(|e| value_error(&e))?,
            };
            if to.is_integer() && from.is_float() && (0..n).any(|i| !t.data.get_f64(i).is_finite())
            {
                return Err(
                    "IntCastingNaNError('Cannot convert non-finite values (NA or inf) to integer')"
                        .into(),
                );
            }
            Ok(t.cast(to))
        }
        _ => convert_cells(&col.cells, vec![n], to).map_err(|e| value_error(&e)),
    }
}

fn value_error(msg: &str) -> String {
    let class = if msg.starts_with("int() argument") || msg.starts_with("float() argument") {
        "TypeError"
    } else if msg.contains("too large") || msg.contains("out of bounds") {
        "OverflowError"
    } else {
        "ValueError"
    };
    format!("{class}({})", py_str_repr(msg))
}
