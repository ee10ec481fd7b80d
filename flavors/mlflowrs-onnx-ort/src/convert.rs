//! Between mlflowrs tensors and ONNX Runtime values.

use mlflowrs_flavor_api::{DType, FlavorError, IoSpec, Tensor, TensorData};
use ort::value::{DynValue, TensorElementType, ValueType};

pub fn io_spec(outlet: &ort::value::Outlet) -> IoSpec {
    match outlet.dtype() {
        ValueType::Tensor { ty, shape, .. } => IoSpec {
            name: outlet.name().to_string(),
            dtype: dtype_of(*ty),
            shape: shape.iter().copied().collect(),
        },
        _ => IoSpec {
            name: outlet.name().to_string(),
            dtype: None,
            shape: Vec::new(),
        },
    }
}

fn dtype_of(ty: TensorElementType) -> Option<DType> {
    Some(match ty {
        TensorElementType::Float32 => DType::F32,
        TensorElementType::Float64 => DType::F64,
        TensorElementType::Int8 => DType::I8,
        TensorElementType::Int16 => DType::I16,
        TensorElementType::Int32 => DType::I32,
        TensorElementType::Int64 => DType::I64,
        TensorElementType::Uint8 => DType::U8,
        TensorElementType::Uint16 => DType::U16,
        TensorElementType::Uint32 => DType::U32,
        TensorElementType::Uint64 => DType::U64,
        TensorElementType::Bool => DType::Bool,
        TensorElementType::String => DType::Str,
        _ => return None,
    })
}

fn ort_err(e: ort::Error) -> FlavorError {
    FlavorError::Inference(e.to_string())
}

pub fn to_ort(t: &Tensor) -> Result<DynValue, FlavorError> {
    let shape: Vec<i64> = t.shape.iter().map(|&d| d as i64).collect();
    macro_rules! prim {
        ($v:expr) => {
            ort::value::Tensor::from_array((shape, $v.clone()))
                .map(|x| x.into_dyn())
                .map_err(ort_err)
        };
    }
    match &t.data {
        TensorData::Bool(v) => prim!(v),
        TensorData::I8(v) => prim!(v),
        TensorData::I16(v) => prim!(v),
        TensorData::I32(v) => prim!(v),
        TensorData::I64(v) => prim!(v),
        TensorData::U8(v) => prim!(v),
        TensorData::U16(v) => prim!(v),
        TensorData::U32(v) => prim!(v),
        TensorData::U64(v) => prim!(v),
        TensorData::F32(v) => prim!(v),
        TensorData::F64(v) => prim!(v),
        TensorData::Str(v) => {
            let dims: Vec<usize> = t.shape.clone();
            let array = ndarray::ArrayD::from_shape_vec(dims, v.clone())
                .map_err(|e| FlavorError::Internal(e.to_string()))?;
            ort::value::Tensor::from_string_array(&array)
                .map(|x| x.into_dyn())
                .map_err(ort_err)
        }
    }
}

pub fn from_ort(name: &str, value: &DynValue) -> Result<Tensor, FlavorError> {
    let ty = match value.dtype() {
        ValueType::Tensor { ty, .. } => *ty,
        other => {
            return Err(FlavorError::Inference(format!(
            "output '{name}' is a {other} and not a tensor; mlflowrs serves tensor outputs only \
                 (for scikit-learn models convert with skl2onnx option zipmap=False)"
        )))
        }
    };
    macro_rules! prim {
        ($t:ty) => {{
            let (shape, data) = value.try_extract_tensor::<$t>().map_err(ort_err)?;
            (
                shape.iter().map(|&d| d as usize).collect::<Vec<_>>(),
                TensorData::from(data.to_vec()),
            )
        }};
    }
    let (shape, data) = match ty {
        TensorElementType::Float32 => prim!(f32),
        TensorElementType::Float64 => prim!(f64),
        TensorElementType::Int8 => prim!(i8),
        TensorElementType::Int16 => prim!(i16),
        TensorElementType::Int32 => prim!(i32),
        TensorElementType::Int64 => prim!(i64),
        TensorElementType::Uint8 => prim!(u8),
        TensorElementType::Uint16 => prim!(u16),
        TensorElementType::Uint32 => prim!(u32),
        TensorElementType::Uint64 => prim!(u64),
        TensorElementType::Bool => prim!(bool),
        TensorElementType::String => {
            let (shape, data) = value.try_extract_strings().map_err(ort_err)?;
            (
                shape.iter().map(|&d| d as usize).collect(),
                TensorData::Str(data),
            )
        }
        other => {
            return Err(FlavorError::Inference(format!(
                "output '{name}' has element type {other:?}, which mlflowrs cannot encode"
            )))
        }
    };
    Tensor::new(shape, data).map_err(FlavorError::Internal)
}
