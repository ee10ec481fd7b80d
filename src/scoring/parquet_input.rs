//! `application/vnd.apache.parquet` bodies, read with the `parquet` crate
//! into a frame whose columns keep their Parquet types (no schema pre-cast,
//! as `pandas.read_parquet`).

use arrow_array::{cast::AsArray, types, Array, ArrayRef};
use arrow_schema::DataType as ArrowType;
use bytes::Bytes;
use flavor_api::Tensor;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::error::{trace, ErrorCode, MlflowError};
use super::frame::{Column, Frame, Label};
use crate::pyjson::Json;

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
    let mut first = true;
    for batch in reader {
        let batch = batch.map_err(|e| parse_error(e.to_string()))?;
        if first {
            for field in batch.schema().fields() {
                frame
                    .columns
                    .push(Column::new(Label::Name(field.name().clone()), Vec::new()));
            }
            first = false;
        }
        for (col, array) in frame.columns.iter_mut().zip(batch.columns()) {
            col.cells.extend(cells(array).map_err(parse_error)?);
        }
        frame.nrows += batch.num_rows();
    }
    // pandas stores a non-default index as a column and restores it as the index.
    frame
        .columns
        .retain(|c| !matches!(&c.label, Label::Name(n) if n.starts_with("__index_level_")));
    for col in &mut frame.columns {
        col.typed = typed(&col.cells);
    }
    Ok(frame)
}

fn cells(array: &ArrayRef) -> Result<Vec<Json>, String> {
    let n = array.len();
    let null = |i: usize| array.is_null(i);
    macro_rules! prim {
        ($t:ty, $f:expr) => {{
            let a = array.as_primitive::<$t>();
            (0..n)
                .map(|i| if null(i) { Json::Null } else { $f(a.value(i)) })
                .collect()
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
        ArrowType::Float32 => prim!(types::Float32Type, |v: f32| Json::Float(v.into())),
        ArrowType::Float64 => prim!(types::Float64Type, Json::Float),
        ArrowType::Boolean => {
            let a = array.as_boolean();
            (0..n)
                .map(|i| {
                    if null(i) {
                        Json::Null
                    } else {
                        Json::Bool(a.value(i))
                    }
                })
                .collect()
        }
        ArrowType::Utf8 => {
            let a = array.as_string::<i32>();
            (0..n)
                .map(|i| {
                    if null(i) {
                        Json::Null
                    } else {
                        Json::Str(a.value(i).to_string())
                    }
                })
                .collect()
        }
        ArrowType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            (0..n)
                .map(|i| {
                    if null(i) {
                        Json::Null
                    } else {
                        Json::Str(a.value(i).to_string())
                    }
                })
                .collect()
        }
        ArrowType::Utf8View => {
            let a = array.as_string_view();
            (0..n)
                .map(|i| {
                    if null(i) {
                        Json::Null
                    } else {
                        Json::Str(a.value(i).to_string())
                    }
                })
                .collect()
        }
        other => {
            return Err(format!(
                "Parquet column type {other} is not supported by mlflowrs"
            ))
        }
    })
}

/// The pandas dtype a Parquet column arrives as (floats stay float32).
fn typed(cells: &[Json]) -> Option<Tensor> {
    let dtype = super::frame::pandas_dtype(cells)?;
    super::ndarray::convert_cells(cells, vec![cells.len()], dtype).ok()
}
