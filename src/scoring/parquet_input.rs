//! `application/vnd.apache.parquet` bodies, read with the `parquet` crate
//! into a frame whose columns keep their Parquet types (no schema pre-cast,
//! as `pandas.read_parquet`).

use arrow_array::{cast::AsArray, types, Array, ArrayRef};
use arrow_schema::DataType as ArrowType;
use bytes::Bytes;
use mlflowrs_flavor_api::{DType, Tensor};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::frame::{Column, Frame, Label};
use mlflowrs_protocol::error::trace;
use mlflowrs_protocol::pyjson::Json;
use mlflowrs_protocol::{ErrorCode, MlflowError};

fn parse_error(detail: String) -> MlflowError {
    MlflowError::new(
        ErrorCode::BadRequest,
        format!(
            "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid Parquet Pandas DataFrame produced using the `pandas.DataFrame.to_parquet()` method. Error: '{detail}'"
        ),
    )
    .with_stack_trace(trace("parse_parquet_input", &detail))
}

pub fn parse_parquet(body: &[u8]) -> Result<Frame, MlflowError> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(Bytes::copy_from_slice(body))
        .map_err(|e| parse_error(e.to_string()))?;
    let reader = builder.build().map_err(|e| parse_error(e.to_string()))?;
    let mut frame = Frame::default();
    let mut types: Vec<ArrowType> = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| parse_error(e.to_string()))?;
        if types.is_empty() {
            for field in batch.schema().fields() {
                frame
                    .columns
                    .push(Column::new(Label::Name(field.name().clone()), Vec::new()));
                types.push(field.data_type().clone());
            }
        }
        for (col, array) in frame.columns.iter_mut().zip(batch.columns()) {
            col.cells.extend(cells(array).map_err(parse_error)?);
        }
        frame.nrows += batch.num_rows();
    }
    for (col, ty) in frame.columns.iter_mut().zip(&types) {
        col.typed = typed(&col.cells, ty);
    }
    // pandas stores a non-default index as a column and restores it as the index.
    frame
        .columns
        .retain(|c| !matches!(&c.label, Label::Name(n) if n.starts_with("__index_level_")));
    Ok(frame)
}

fn cells(array: &ArrayRef) -> Result<Vec<Json>, String> {
    let n = array.len();
    // Nulls become None (NaN) whatever the column type.
    let each = |value: &dyn Fn(usize) -> Json| -> Vec<Json> {
        (0..n)
            .map(|i| {
                if array.is_null(i) {
                    Json::Null
                } else {
                    value(i)
                }
            })
            .collect()
    };
    macro_rules! prim {
        ($t:ty, $f:expr) => {{
            let a = array.as_primitive::<$t>();
            each(&|i| $f(a.value(i)))
        }};
    }
    Ok(match array.data_type() {
        ArrowType::Int8 => prim!(types::Int8Type, |v: i8| Json::Int(v.into())),
        ArrowType::Int16 => prim!(types::Int16Type, |v: i16| Json::Int(v.into())),
        ArrowType::Int32 => prim!(types::Int32Type, |v: i32| Json::Int(v.into())),
        ArrowType::Int64 => prim!(types::Int64Type, Json::Int),
        ArrowType::UInt8 => prim!(types::UInt8Type, |v: u8| Json::Int(v.into())),
        ArrowType::UInt16 => prim!(types::UInt16Type, |v: u16| Json::Int(v.into())),
        ArrowType::UInt32 => prim!(types::UInt32Type, |v: u32| Json::Int(v.into())),
        ArrowType::UInt64 => prim!(types::UInt64Type, |v: u64| i64::try_from(v)
            .map(Json::Int)
            .unwrap_or_else(|_| Json::BigInt(v.to_string()))),
        ArrowType::Float32 => prim!(types::Float32Type, |v: f32| Json::Float(v.into())),
        ArrowType::Float64 => prim!(types::Float64Type, Json::Float),
        ArrowType::Boolean => {
            let a = array.as_boolean();
            each(&|i| Json::Bool(a.value(i)))
        }
        ArrowType::Utf8 => {
            let a = array.as_string::<i32>();
            each(&|i| Json::Str(a.value(i).to_string()))
        }
        ArrowType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            each(&|i| Json::Str(a.value(i).to_string()))
        }
        ArrowType::Utf8View => {
            let a = array.as_string_view();
            each(&|i| Json::Str(a.value(i).to_string()))
        }
        // pandas reads list columns as one array per cell; keep them as lists.
        ArrowType::List(_) => {
            let a = array.as_list::<i32>();
            let lists = (0..n)
                .map(|i| cells(&a.value(i)).map(Json::List))
                .collect::<Result<Vec<_>, _>>()?;
            each(&|i| lists[i].clone())
        }
        ArrowType::LargeList(_) => {
            let a = array.as_list::<i64>();
            let lists = (0..n)
                .map(|i| cells(&a.value(i)).map(Json::List))
                .collect::<Result<Vec<_>, _>>()?;
            each(&|i| lists[i].clone())
        }
        other => {
            return Err(format!(
                "Parquet column type {other} is not supported by mlflowrs"
            ))
        }
    })
}

/// The dtype pandas gives a Parquet column: the file's own numeric type
/// (float32 stays float32), float64 for integers with nulls, and float64
/// for booleans with nulls, which pandas' nullable boolean cannot turn
/// into numpy bools either.
fn typed(cells: &[Json], ty: &ArrowType) -> Option<Tensor> {
    let has_null = cells.iter().any(|c| matches!(c, Json::Null));
    let dtype = match ty {
        ArrowType::Int8 if !has_null => DType::I8,
        ArrowType::Int16 if !has_null => DType::I16,
        ArrowType::Int32 if !has_null => DType::I32,
        ArrowType::Int64 if !has_null => DType::I64,
        ArrowType::UInt8 if !has_null => DType::U8,
        ArrowType::UInt16 if !has_null => DType::U16,
        ArrowType::UInt32 if !has_null => DType::U32,
        ArrowType::UInt64 if !has_null => DType::U64,
        ArrowType::Boolean if !has_null => DType::Bool,
        ArrowType::Float32 => DType::F32,
        ArrowType::Int8
        | ArrowType::Int16
        | ArrowType::Int32
        | ArrowType::Int64
        | ArrowType::UInt8
        | ArrowType::UInt16
        | ArrowType::UInt32
        | ArrowType::UInt64
        | ArrowType::Float64
        | ArrowType::Boolean => DType::F64,
        _ => return None,
    };
    super::ndarray::convert_cells(cells, vec![cells.len()], dtype).ok()
}
