//! A small dense tensor: a shape and a typed flat buffer in row-major order.

use std::fmt;

/// Element types, named as numpy names them (MLflow's TensorSpec uses numpy names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
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
    Str,
}

impl DType {
    /// Parses a numpy dtype name as MLflow writes it in a TensorSpec.
    pub fn from_numpy(name: &str) -> Option<DType> {
        Some(match name {
            "bool" | "bool_" => DType::Bool,
            "int8" => DType::I8,
            "int16" => DType::I16,
            "int32" => DType::I32,
            "int64" => DType::I64,
            "uint8" => DType::U8,
            "uint16" => DType::U16,
            "uint32" => DType::U32,
            "uint64" => DType::U64,
            "float32" => DType::F32,
            "float64" => DType::F64,
            "str" | "object" => DType::Str,
            _ => return None,
        })
    }

    pub fn numpy_name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::U8 => "uint8",
            DType::U16 => "uint16",
            DType::U32 => "uint32",
            DType::U64 => "uint64",
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::Str => "object",
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }

    pub fn is_integer(self) -> bool {
        matches!(
            self,
            DType::I8
                | DType::I16
                | DType::I32
                | DType::I64
                | DType::U8
                | DType::U16
                | DType::U32
                | DType::U64
        )
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.numpy_name())
    }
}

/// The flat, typed contents of a tensor.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
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
    Str(Vec<String>),
}

macro_rules! each_numeric {
    ($data:expr, $v:ident => $body:expr, $s:ident => $sbody:expr) => {
        match $data {
            TensorData::Bool($v) => $body,
            TensorData::I8($v) => $body,
            TensorData::I16($v) => $body,
            TensorData::I32($v) => $body,
            TensorData::I64($v) => $body,
            TensorData::U8($v) => $body,
            TensorData::U16($v) => $body,
            TensorData::U32($v) => $body,
            TensorData::U64($v) => $body,
            TensorData::F32($v) => $body,
            TensorData::F64($v) => $body,
            TensorData::Str($s) => $sbody,
        }
    };
}

impl TensorData {
    pub fn dtype(&self) -> DType {
        match self {
            TensorData::Bool(_) => DType::Bool,
            TensorData::I8(_) => DType::I8,
            TensorData::I16(_) => DType::I16,
            TensorData::I32(_) => DType::I32,
            TensorData::I64(_) => DType::I64,
            TensorData::U8(_) => DType::U8,
            TensorData::U16(_) => DType::U16,
            TensorData::U32(_) => DType::U32,
            TensorData::U64(_) => DType::U64,
            TensorData::F32(_) => DType::F32,
            TensorData::F64(_) => DType::F64,
            TensorData::Str(_) => DType::Str,
        }
    }

    pub fn len(&self) -> usize {
        each_numeric!(self, v => v.len(), s => s.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `i` as f64 (strings give NaN); used by numeric casts and encoders.
    pub fn get_f64(&self, i: usize) -> f64 {
        match self {
            TensorData::Bool(v) => f64::from(u8::from(v[i])),
            TensorData::I8(v) => f64::from(v[i]),
            TensorData::I16(v) => f64::from(v[i]),
            TensorData::I32(v) => f64::from(v[i]),
            TensorData::I64(v) => v[i] as f64,
            TensorData::U8(v) => f64::from(v[i]),
            TensorData::U16(v) => f64::from(v[i]),
            TensorData::U32(v) => f64::from(v[i]),
            TensorData::U64(v) => v[i] as f64,
            TensorData::F32(v) => f64::from(v[i]),
            TensorData::F64(v) => v[i],
            TensorData::Str(_) => f64::NAN,
        }
    }

    /// Element `i` as i64 with numpy's C-cast semantics (truncation toward zero).
    pub fn get_i64(&self, i: usize) -> i64 {
        match self {
            TensorData::Bool(v) => i64::from(v[i]),
            TensorData::I8(v) => i64::from(v[i]),
            TensorData::I16(v) => i64::from(v[i]),
            TensorData::I32(v) => i64::from(v[i]),
            TensorData::I64(v) => v[i],
            TensorData::U8(v) => i64::from(v[i]),
            TensorData::U16(v) => i64::from(v[i]),
            TensorData::U32(v) => i64::from(v[i]),
            TensorData::U64(v) => v[i] as i64,
            TensorData::F32(v) => c_cast_i64(f64::from(v[i])),
            TensorData::F64(v) => c_cast_i64(v[i]),
            TensorData::Str(_) => 0,
        }
    }

    /// Elements `start..end` of the flat buffer.
    pub fn slice(&self, start: usize, end: usize) -> TensorData {
        each_numeric!(self, v => v[start..end].to_vec().into(), s => TensorData::Str(s[start..end].to_vec()))
    }

    /// A numpy `astype` between numeric types (C casts: truncation and wrap-around).
    pub fn cast(&self, to: DType) -> TensorData {
        if self.dtype() == to {
            return self.clone();
        }
        let n = self.len();
        match to {
            DType::Bool => TensorData::Bool((0..n).map(|i| self.get_f64(i) != 0.0).collect()),
            DType::I8 => TensorData::I8((0..n).map(|i| self.get_i64(i) as i8).collect()),
            DType::I16 => TensorData::I16((0..n).map(|i| self.get_i64(i) as i16).collect()),
            DType::I32 => TensorData::I32((0..n).map(|i| self.get_i64(i) as i32).collect()),
            DType::I64 => TensorData::I64((0..n).map(|i| self.get_i64(i)).collect()),
            DType::U8 => TensorData::U8((0..n).map(|i| self.get_i64(i) as u8).collect()),
            DType::U16 => TensorData::U16((0..n).map(|i| self.get_i64(i) as u16).collect()),
            DType::U32 => TensorData::U32((0..n).map(|i| self.get_i64(i) as u32).collect()),
            DType::U64 => TensorData::U64((0..n).map(|i| self.get_i64(i) as u64).collect()),
            DType::F32 => TensorData::F32((0..n).map(|i| self.get_f64(i) as f32).collect()),
            DType::F64 => TensorData::F64((0..n).map(|i| self.get_f64(i)).collect()),
            DType::Str => TensorData::Str((0..n).map(|i| self.get_f64(i).to_string()).collect()),
        }
    }
}

macro_rules! from_vec {
    ($t:ty, $var:ident) => {
        impl From<Vec<$t>> for TensorData {
            fn from(v: Vec<$t>) -> Self {
                TensorData::$var(v)
            }
        }
    };
}
from_vec!(bool, Bool);
from_vec!(i8, I8);
from_vec!(i16, I16);
from_vec!(i32, I32);
from_vec!(i64, I64);
from_vec!(u8, U8);
from_vec!(u16, U16);
from_vec!(u32, U32);
from_vec!(u64, U64);
from_vec!(f32, F32);
from_vec!(f64, F64);
from_vec!(String, Str);

/// numpy's float-to-int64 cast on x86: NaN and out-of-range values become
/// `i64::MIN` (Rust's `as` would saturate instead).
fn c_cast_i64(v: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !(-LIMIT..LIMIT).contains(&v) {
        i64::MIN
    } else {
        v as i64
    }
}

/// A dense row-major tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: TensorData,
}

impl Tensor {
    /// Builds a tensor, checking that the buffer fills the shape.
    pub fn new(shape: Vec<usize>, data: TensorData) -> Result<Tensor, String> {
        let want: usize = shape.iter().product();
        if want != data.len() {
            return Err(format!(
                "cannot reshape array of size {} into shape {:?}",
                data.len(),
                shape
            ));
        }
        Ok(Tensor { shape, data })
    }

    pub fn dtype(&self) -> DType {
        self.data.dtype()
    }

    /// Number of rows (first dimension); a 0-d tensor has one.
    pub fn rows(&self) -> usize {
        self.shape.first().copied().unwrap_or(1)
    }

    pub fn cast(&self, to: DType) -> Tensor {
        Tensor {
            shape: self.shape.clone(),
            data: self.data.cast(to),
        }
    }

    /// Rows `start..end` along the first dimension.
    pub fn slice_rows(&self, start: usize, end: usize) -> Tensor {
        let row: usize = self.shape.iter().skip(1).product();
        let mut shape = self.shape.clone();
        shape[0] = end - start;
        Tensor {
            shape,
            data: self.data.slice(start * row, end * row),
        }
    }

    /// Stacks tensors along the first dimension; `None` unless they share
    /// dtype and inner dimensions.
    pub fn concat_rows(parts: &[&Tensor]) -> Option<Tensor> {
        let first = parts.first()?;
        if first.shape.is_empty()
            || parts
                .iter()
                .any(|t| t.dtype() != first.dtype() || t.shape.get(1..) != first.shape.get(1..))
        {
            return None;
        }
        let rows: usize = parts.iter().map(|t| t.shape[0]).sum();
        let mut shape = first.shape.clone();
        shape[0] = rows;
        macro_rules! cat {
            ($var:ident) => {
                TensorData::$var(
                    parts
                        .iter()
                        .flat_map(|t| match &t.data {
                            TensorData::$var(v) => v.iter().cloned(),
                            _ => unreachable!("dtypes checked equal"),
                        })
                        .collect(),
                )
            };
        }
        let data = match first.data {
            TensorData::Bool(_) => cat!(Bool),
            TensorData::I8(_) => cat!(I8),
            TensorData::I16(_) => cat!(I16),
            TensorData::I32(_) => cat!(I32),
            TensorData::I64(_) => cat!(I64),
            TensorData::U8(_) => cat!(U8),
            TensorData::U16(_) => cat!(U16),
            TensorData::U32(_) => cat!(U32),
            TensorData::U64(_) => cat!(U64),
            TensorData::F32(_) => cat!(F32),
            TensorData::F64(_) => cat!(F64),
            TensorData::Str(_) => cat!(Str),
        };
        Some(Tensor { shape, data })
    }

    /// numpy's `shape` repr: `(1, 3)`, `(2,)`, `()`.
    pub fn shape_repr(&self) -> String {
        shape_repr(self.shape.iter().map(|&d| d as i64))
    }
}

/// Formats a shape the way Python prints a tuple of ints.
pub fn shape_repr(dims: impl IntoIterator<Item = i64>) -> String {
    let dims: Vec<String> = dims.into_iter().map(|d| d.to_string()).collect();
    match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_then_slice_gives_the_parts_back() {
        let a = Tensor::new(vec![1, 2], TensorData::F32(vec![1.0, 2.0])).unwrap();
        let b = Tensor::new(vec![2, 2], TensorData::F32(vec![3.0, 4.0, 5.0, 6.0])).unwrap();
        let both = Tensor::concat_rows(&[&a, &b]).unwrap();
        assert_eq!(both.shape, vec![3, 2]);
        assert_eq!(both.slice_rows(0, 1), a);
        assert_eq!(both.slice_rows(1, 3), b);
        let c = Tensor::new(vec![1, 3], TensorData::F32(vec![0.0; 3])).unwrap();
        assert!(
            Tensor::concat_rows(&[&a, &c]).is_none(),
            "inner dimensions differ"
        );
        let d = Tensor::new(vec![1, 2], TensorData::F64(vec![0.0; 2])).unwrap();
        assert!(Tensor::concat_rows(&[&a, &d]).is_none(), "dtypes differ");
    }
}
