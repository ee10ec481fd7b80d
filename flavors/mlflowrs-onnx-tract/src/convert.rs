//! Between mlflowrs tensors and tract tensors, with the input checks ONNX
//! Runtime makes (tract would broadcast or cast where ORT refuses, and the
//! two backends must answer alike).

use mlflowrs_flavor_api::{DType, FlavorError, IoSpec, Tensor, TensorData};
use tract_onnx::prelude::{DatumType, IntoTensor, Tensor as TTensor};
use tract_onnx::tract_hir::tract_ndarray::{ArrayD, IxDyn};

pub fn dtype_of(dt: DatumType) -> Option<DType> {
    Some(match dt {
        DatumType::Bool => DType::Bool,
        DatumType::I8 => DType::I8,
        DatumType::I16 => DType::I16,
        DatumType::I32 => DType::I32,
        DatumType::I64 => DType::I64,
        DatumType::U8 => DType::U8,
        DatumType::U16 => DType::U16,
        DatumType::U32 => DType::U32,
        DatumType::U64 => DType::U64,
        DatumType::F32 => DType::F32,
        DatumType::F64 => DType::F64,
        DatumType::String => DType::Str,
        _ => return None,
    })
}

/// ONNX's names for element types, as ORT prints them in its errors.
fn onnx_type(d: DType) -> &'static str {
    match d {
        DType::Bool => "tensor(bool)",
        DType::I8 => "tensor(int8)",
        DType::I16 => "tensor(int16)",
        DType::I32 => "tensor(int32)",
        DType::I64 => "tensor(int64)",
        DType::U8 => "tensor(uint8)",
        DType::U16 => "tensor(uint16)",
        DType::U32 => "tensor(uint32)",
        DType::U64 => "tensor(uint64)",
        DType::F32 => "tensor(float)",
        DType::F64 => "tensor(double)",
        DType::Str => "tensor(string)",
    }
}

fn check(name: &str, spec: &IoSpec, t: &Tensor) -> Result<(), FlavorError> {
    if let Some(want) = spec.dtype {
        if want != t.dtype() {
            return Err(FlavorError::Inference(format!(
                "Unexpected input data type. Actual: ({}) , expected: ({})",
                onnx_type(t.dtype()),
                onnx_type(want)
            )));
        }
    }
    if spec.shape.len() != t.shape.len() {
        return Err(FlavorError::Inference(format!(
            "Invalid rank for input: {name} Got: {} Expected: {} Please fix either the inputs/outputs or the model.",
            t.shape.len(),
            spec.shape.len()
        )));
    }
    let bad: Vec<usize> = spec
        .shape
        .iter()
        .zip(&t.shape)
        .enumerate()
        .filter(|(_, (&want, &got))| want >= 0 && want as usize != got)
        .map(|(i, _)| i)
        .collect();
    if let Some(&i) = bad.first() {
        return Err(FlavorError::Inference(format!(
            "Got invalid dimensions for input: {name} for the following indices\n index: {i} Got: {} Expected: {}\n Please fix either the inputs/outputs or the model.",
            t.shape[i], spec.shape[i]
        )));
    }
    Ok(())
}

pub fn to_tract(name: &str, spec: &IoSpec, t: &Tensor) -> Result<TTensor, FlavorError> {
    check(name, spec, t)?;
    let shape = IxDyn(&t.shape);
    let err = |e: tract_onnx::tract_hir::tract_ndarray::ShapeError| {
        FlavorError::Internal(format!("input '{name}': {e}"))
    };
    macro_rules! arr {
        ($v:expr) => {
            ArrayD::from_shape_vec(shape, $v.clone())
                .map(IntoTensor::into_tensor)
                .map_err(err)
        };
    }
    match &t.data {
        TensorData::Bool(v) => arr!(v),
        TensorData::I8(v) => arr!(v),
        TensorData::I16(v) => arr!(v),
        TensorData::I32(v) => arr!(v),
        TensorData::I64(v) => arr!(v),
        TensorData::U8(v) => arr!(v),
        TensorData::U16(v) => arr!(v),
        TensorData::U32(v) => arr!(v),
        TensorData::U64(v) => arr!(v),
        TensorData::F32(v) => arr!(v),
        TensorData::F64(v) => arr!(v),
        TensorData::Str(v) => arr!(v),
    }
}

pub fn from_tract(name: &str, t: &TTensor) -> Result<Tensor, FlavorError> {
    let shape = t.shape().to_vec();
    let err =
        |e: tract_onnx::prelude::TractError| FlavorError::Internal(format!("output '{name}': {e}"));
    macro_rules! flat {
        ($t:ty) => {
            t.to_plain_array_view::<$t>()
                .map(|a| TensorData::from(a.iter().cloned().collect::<Vec<$t>>()))
                .map_err(err)?
        };
    }
    let data = match t.datum_type() {
        DatumType::Bool => flat!(bool),
        DatumType::I8 => flat!(i8),
        DatumType::I16 => flat!(i16),
        DatumType::I32 => flat!(i32),
        DatumType::I64 => flat!(i64),
        DatumType::U8 => flat!(u8),
        DatumType::U16 => flat!(u16),
        DatumType::U32 => flat!(u32),
        DatumType::U64 => flat!(u64),
        DatumType::F32 => flat!(f32),
        DatumType::F64 => flat!(f64),
        DatumType::String => flat!(String),
        other => {
            return Err(FlavorError::Internal(format!(
                "output '{name}' has element type {other:?}, which mlflowrs does not encode"
            )))
        }
    };
    Ok(Tensor { shape, data })
}
