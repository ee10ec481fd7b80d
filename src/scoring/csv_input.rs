//! `text/csv` bodies, read as `pandas.read_csv(dtype=<schema types>)` reads them.

use mlflowrs_flavor_api::DType;

use super::frame::{Column, Frame, Label};
use super::ndarray::{convert_cells, parse_py_float};
use crate::mlmodel::{ColType, Schema};
use mlflowrs_protocol::error::trace;
use mlflowrs_protocol::pyjson::Json;
use mlflowrs_protocol::{ErrorCode, MlflowError};

fn parse_error(detail: String) -> MlflowError {
    MlflowError::new(
        ErrorCode::BadRequest,
        format!(
            "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` method. Error: '{detail}'"
        ),
    )
    .with_stack_trace(trace("parse_csv_input", &detail))
}

/// A CSV field as pandas infers it: int, float, bool, NaN or string.
fn infer_cell(field: &str) -> Json {
    if field.is_empty()
        || matches!(
            field,
            "NaN"
                | "nan"
                | "NA"
                | "N/A"
                | "NULL"
                | "null"
                | "None"
                | "n/a"
                | "<NA>"
                | "-NaN"
                | "-nan"
                | "#N/A"
        )
    {
        return Json::Null;
    }
    if let Ok(i) = field.parse::<i64>() {
        return Json::Int(i);
    }
    if matches!(field, "True" | "TRUE" | "true") {
        return Json::Bool(true);
    }
    if matches!(field, "False" | "FALSE" | "false") {
        return Json::Bool(false);
    }
    if let Some(f) = parse_py_float(field).filter(|_| !field.contains('_')) {
        return Json::Float(f);
    }
    Json::Str(field.to_string())
}

pub fn parse_csv(body: &[u8], schema: Option<&Schema>) -> Result<Frame, MlflowError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        MlflowError::invalid_input(format!(
            "Ensure that input is a valid UTF-8 encoded string. Error: 'UnicodeDecodeError('utf-8', b'...', {}, {}, 'invalid start byte')'",
            e.valid_up_to(),
            e.valid_up_to() + 1
        ))
    })?;
    if let Some(Schema::Tensors(_)) = schema {
        return Err(parse_error(
            "TensorSpec only supports numpy types, use numpy_types() instead".into(),
        ));
    }
    if let Some(Schema::Columns(c)) = schema {
        if c.iter().any(|c| !matches!(c.ty, ColType::Data(_))) {
            return Err(parse_error(
                "Failed to get pandas types for schema with non-scalar columns".into(),
            ));
        }
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = loop {
        match records.next() {
            None => return Err(parse_error("No columns to parse from file".into())),
            Some(Err(e)) => return Err(parse_error(e.to_string())),
            Some(Ok(r)) if r.len() == 1 && r[0].is_empty() => continue,
            Some(Ok(r)) => break r,
        }
    };
    let width = header.len();
    let mut rows: Vec<Vec<Json>> = Vec::new();
    for (line, rec) in records.enumerate() {
        let rec = rec.map_err(|e| parse_error(e.to_string()))?;
        if rec.len() == 1 && rec[0].is_empty() {
            continue;
        }
        if rec.len() > width {
            return Err(parse_error(format!(
                "Error tokenizing data. C error: Expected {width} fields in line {}, saw {}\n",
                line + 2,
                rec.len()
            )));
        }
        let mut row: Vec<Json> = rec.iter().map(infer_cell).collect();
        row.resize(width, Json::Null);
        rows.push(row);
    }
    let mut columns = Vec::with_capacity(width);
    for (j, name) in header.iter().enumerate() {
        let cells: Vec<Json> = rows.iter().map(|r| r[j].clone()).collect();
        let mut col = Column::new(Label::Name(name.to_string()), cells);
        if let Some(dtype) = schema_dtype(schema, name) {
            col.typed = Some(read_as(&col.cells, dtype, j)?);
        }
        columns.push(col);
    }
    Ok(Frame {
        nrows: rows.len(),
        columns,
    })
}

fn schema_dtype(schema: Option<&Schema>, name: &str) -> Option<DType> {
    let Some(Schema::Columns(specs)) = schema else {
        return None;
    };
    specs
        .iter()
        .find(|s| s.name.as_deref() == Some(name))
        .and_then(|s| match &s.ty {
            ColType::Data(d) => d.numpy().filter(|d| *d != DType::Str),
            _ => None,
        })
}

/// read_csv's `dtype=` conversion: stricter than `astype`.
fn read_as(
    cells: &[Json],
    dtype: DType,
    col: usize,
) -> Result<mlflowrs_flavor_api::Tensor, MlflowError> {
    if dtype.is_integer() {
        if cells.iter().any(|c| matches!(c, Json::Null)) {
            return Err(parse_error(format!(
                "Integer column has NA values in column {col}"
            )));
        }
        if cells.iter().any(|c| matches!(c, Json::Float(_))) {
            return Err(parse_error(format!(
                "cannot safely convert passed user dtype of {dtype} for float64 dtyped data in column {col}"
            )));
        }
    }
    if dtype == DType::Bool {
        if cells.iter().any(|c| matches!(c, Json::Null)) {
            return Err(parse_error(format!(
                "Bool column has NA values in column {col}"
            )));
        }
        if cells
            .iter()
            .any(|c| !matches!(c, Json::Bool(_) | Json::Int(0 | 1)))
        {
            return Err(parse_error(format!(
                "cannot safely convert passed user dtype of bool for object dtyped data in column {col}"
            )));
        }
    }
    convert_cells(cells, vec![cells.len()], dtype).map_err(parse_error)
}
