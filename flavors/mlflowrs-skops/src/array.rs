//! Decoded numpy arrays: a shape and typed elements in C (row-major) order.

use crate::error::{Result, SkopsError};

/// The element type of an array (or of one field of a structured array).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarType {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
    /// numpy `<U{n}`: fixed-width UTF-32 strings of `n` characters.
    Unicode(usize),
    /// numpy `|S{n}`: fixed-width byte strings of `n` bytes.
    Bytes(usize),
}

impl ScalarType {
    /// Bytes one element occupies in a .npy buffer, `None` on overflow.
    pub fn item_size(self) -> Option<usize> {
        Some(match self {
            ScalarType::Bool | ScalarType::I8 | ScalarType::U8 => 1,
            ScalarType::I16 | ScalarType::U16 => 2,
            ScalarType::I32 | ScalarType::U32 | ScalarType::F32 => 4,
            ScalarType::I64 | ScalarType::U64 | ScalarType::F64 => 8,
            ScalarType::Unicode(n) => n.checked_mul(4)?,
            ScalarType::Bytes(n) => n,
        })
    }

    /// numpy's name for the type (`float64`, `<U5`, ...), for messages.
    pub fn numpy_name(self) -> String {
        match self {
            ScalarType::Bool => "bool".into(),
            ScalarType::I8 => "int8".into(),
            ScalarType::I16 => "int16".into(),
            ScalarType::I32 => "int32".into(),
            ScalarType::I64 => "int64".into(),
            ScalarType::U8 => "uint8".into(),
            ScalarType::U16 => "uint16".into(),
            ScalarType::U32 => "uint32".into(),
            ScalarType::U64 => "uint64".into(),
            ScalarType::F32 => "float32".into(),
            ScalarType::F64 => "float64".into(),
            ScalarType::Unicode(n) => format!("<U{n}"),
            ScalarType::Bytes(n) => format!("|S{n}"),
        }
    }

    pub fn is_integer(self) -> bool {
        matches!(
            self,
            ScalarType::I8
                | ScalarType::I16
                | ScalarType::I32
                | ScalarType::I64
                | ScalarType::U8
                | ScalarType::U16
                | ScalarType::U32
                | ScalarType::U64
        )
    }

    pub fn is_float(self) -> bool {
        matches!(self, ScalarType::F32 | ScalarType::F64)
    }
}

/// Elements of an array, flat, in C order.
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayData {
    Bool(Vec<bool>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    /// Unicode strings with numpy's trailing NULs removed.
    Str(Vec<String>),
    /// Byte strings with numpy's trailing NULs removed.
    Bytes(Vec<Vec<u8>>),
    /// A structured array, stored field by field (padding fields dropped).
    Record(Vec<Field>),
}

/// One named field of a structured array, decoded as its own column.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub dtype: ScalarType,
    /// Never [`ArrayData::Record`]: nested structures are refused.
    pub data: ArrayData,
}

macro_rules! numeric_to_f64 {
    ($data:expr, $v:ident => $body:expr) => {
        match $data {
            ArrayData::Bool($v) => Some($v.iter().map(|&x| f64::from(u8::from(x))).collect()),
            ArrayData::I8($v) => Some($v.iter().map(|&x| f64::from(x)).collect()),
            ArrayData::I16($v) => Some($v.iter().map(|&x| f64::from(x)).collect()),
            ArrayData::I32($v) => Some($v.iter().map(|&x| f64::from(x)).collect()),
            // Round-to-nearest, as numpy's astype(float64) does.
            ArrayData::I64($v) => Some($v.iter().map(|&x| x as f64).collect()),
            ArrayData::U8($v) => Some($v.iter().map(|&x| f64::from(x)).collect()),
            ArrayData::U16($v) => Some($v.iter().map(|&x| f64::from(x)).collect()),
            ArrayData::U32($v) => Some($v.iter().map(|&x| f64::from(x)).collect()),
            ArrayData::U64($v) => Some($v.iter().map(|&x| x as f64).collect()),
            ArrayData::F32($v) => Some($v.iter().map(|&x| f64::from(x)).collect()),
            ArrayData::F64($v) => Some($body),
            ArrayData::Str(_) | ArrayData::Bytes(_) | ArrayData::Record(_) => None,
        }
    };
}

impl ArrayData {
    /// Number of elements (rows, for a structured array).
    pub fn len(&self) -> usize {
        match self {
            ArrayData::Bool(v) => v.len(),
            ArrayData::I8(v) => v.len(),
            ArrayData::I16(v) => v.len(),
            ArrayData::I32(v) => v.len(),
            ArrayData::I64(v) => v.len(),
            ArrayData::U8(v) => v.len(),
            ArrayData::U16(v) => v.len(),
            ArrayData::U32(v) => v.len(),
            ArrayData::U64(v) => v.len(),
            ArrayData::F32(v) => v.len(),
            ArrayData::F64(v) => v.len(),
            ArrayData::Str(v) => v.len(),
            ArrayData::Bytes(v) => v.len(),
            ArrayData::Record(fields) => fields.first().map_or(0, |f| f.data.len()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The numeric or boolean elements widened to f64 as numpy's
    /// `astype(np.float64)` would; `None` for strings and records.
    pub fn to_f64(&self) -> Option<Vec<f64>> {
        numeric_to_f64!(self, v => v.clone())
    }

    /// Integer elements as i64; `None` for other types or a u64 above i64::MAX.
    pub fn to_i64(&self) -> Option<Vec<i64>> {
        match self {
            ArrayData::I8(v) => Some(v.iter().map(|&x| i64::from(x)).collect()),
            ArrayData::I16(v) => Some(v.iter().map(|&x| i64::from(x)).collect()),
            ArrayData::I32(v) => Some(v.iter().map(|&x| i64::from(x)).collect()),
            ArrayData::I64(v) => Some(v.clone()),
            ArrayData::U8(v) => Some(v.iter().map(|&x| i64::from(x)).collect()),
            ArrayData::U16(v) => Some(v.iter().map(|&x| i64::from(x)).collect()),
            ArrayData::U32(v) => Some(v.iter().map(|&x| i64::from(x)).collect()),
            ArrayData::U64(v) => v.iter().map(|&x| i64::try_from(x).ok()).collect(),
            _ => None,
        }
    }
}

/// A decoded numpy array. Elements are always in C order (a Fortran-ordered
/// .npy is transposed while reading), so `data` indexes as row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct NdArray {
    shape: Vec<usize>,
    dtype: ArrayDType,
    data: ArrayData,
    fortran: bool,
}

/// The dtype of a whole array.
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayDType {
    Scalar(ScalarType),
    /// A structured dtype: field names and types, in declaration order.
    Record(Vec<(String, ScalarType)>),
}

impl NdArray {
    /// Builds an array, checking that the shape matches the element count.
    pub fn new(shape: Vec<usize>, dtype: ArrayDType, data: ArrayData) -> Result<NdArray> {
        let n = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| SkopsError::Access("array shape overflows".into()))?;
        if n != data.len() {
            return Err(SkopsError::Access(format!(
                "array shape {shape:?} does not match its {} elements",
                data.len()
            )));
        }
        Ok(NdArray {
            shape,
            dtype,
            data,
            fortran: false,
        })
    }

    /// Marks the array as Fortran-ordered in its source (see
    /// [`NdArray::fortran_order`]); the data stays in C order.
    pub fn with_fortran_order(mut self, fortran: bool) -> NdArray {
        self.fortran = fortran && self.shape.len() > 1;
        self
    }

    /// Whether the .npy stored the array in Fortran order, i.e. the memory
    /// layout numpy gives it after `np.load` (which decides BLAS's summation
    /// order when the array is multiplied). `data` is C order regardless.
    pub fn fortran_order(&self) -> bool {
        self.fortran
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Total number of elements (1 for a 0-d array).
    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn dtype(&self) -> &ArrayDType {
        &self.dtype
    }

    /// The element type, `None` for a structured array.
    pub fn scalar_type(&self) -> Option<ScalarType> {
        match &self.dtype {
            ArrayDType::Scalar(t) => Some(*t),
            ArrayDType::Record(_) => None,
        }
    }

    pub fn data(&self) -> &ArrayData {
        &self.data
    }

    pub fn into_data(self) -> ArrayData {
        self.data
    }

    pub fn as_f64(&self) -> Option<&[f64]> {
        match &self.data {
            ArrayData::F64(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_f32(&self) -> Option<&[f32]> {
        match &self.data {
            ArrayData::F32(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<&[i64]> {
        match &self.data {
            ArrayData::I64(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<&[bool]> {
        match &self.data {
            ArrayData::Bool(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&[String]> {
        match &self.data {
            ArrayData::Str(v) => Some(v),
            _ => None,
        }
    }

    /// Numeric elements widened to f64 (see [`ArrayData::to_f64`]).
    pub fn to_f64(&self) -> Result<Vec<f64>> {
        self.data.to_f64().ok_or_else(|| {
            SkopsError::Access(format!(
                "expected a numeric array, found {}",
                self.describe()
            ))
        })
    }

    /// Integer elements as i64 (see [`ArrayData::to_i64`]).
    pub fn to_i64(&self) -> Result<Vec<i64>> {
        self.data.to_i64().ok_or_else(|| {
            SkopsError::Access(format!(
                "expected an integer array, found {}",
                self.describe()
            ))
        })
    }

    /// A field of a structured array.
    pub fn field(&self, name: &str) -> Option<&Field> {
        match &self.data {
            ArrayData::Record(fields) => fields.iter().find(|f| f.name == name),
            _ => None,
        }
    }

    /// The single element of a 0-d (or one-element) numeric array as f64.
    pub fn scalar_f64(&self) -> Option<f64> {
        if self.len() != 1 {
            return None;
        }
        self.data.to_f64().and_then(|v| v.first().copied())
    }

    /// `float64 array of shape (3, 2)`, for messages.
    pub fn describe(&self) -> String {
        let t = match &self.dtype {
            ArrayDType::Scalar(t) => t.numpy_name(),
            ArrayDType::Record(_) => "structured".into(),
        };
        format!("{t} array of shape {:?}", self.shape)
    }
}
