//! `np.array(value, dtype)` on parsed JSON: shape inference, dtype
//! inference and numpy's per-element conversions with its error texts.

use mlflowrs_flavor_api::{shape_repr, DType, Tensor, TensorData};

use mlflowrs_protocol::pyjson::{py_float_repr, py_str_repr, Json};

/// What `np.array` gives: a typed tensor, or an object array numpy would
/// hold as Python objects (mixed or nested values, None).
#[derive(Debug, Clone, PartialEq)]
pub enum NdArray {
    Typed(Tensor),
    Object { shape: Vec<usize>, cells: Vec<Json> },
}

impl NdArray {
    pub fn shape(&self) -> &[usize] {
        match self {
            NdArray::Typed(t) => &t.shape,
            NdArray::Object { shape, .. } => shape,
        }
    }

    pub fn dtype_name(&self) -> &'static str {
        match self {
            NdArray::Typed(t) => t.dtype().numpy_name(),
            NdArray::Object { .. } => "object",
        }
    }

    pub fn shape_repr(&self) -> String {
        shape_repr(self.shape().iter().map(|&d| d as i64))
    }

    /// Length of the first dimension (`len(arr)`); a 0-d array has none.
    pub fn first_dim(&self) -> Option<usize> {
        self.shape().first().copied()
    }
}

/// Shape of a nested list, or numpy's "inhomogeneous" error.
fn infer_shape(v: &Json) -> Result<Vec<usize>, String> {
    let mut shape = Vec::new();
    let mut level: Vec<&Json> = vec![v];
    loop {
        let lists: Vec<&Vec<Json>> = level
            .iter()
            .filter_map(|x| match x {
                Json::List(items) => Some(items),
                _ => None,
            })
            .collect();
        if lists.is_empty() {
            return Ok(shape);
        }
        let n = lists[0].len();
        if lists.len() != level.len() || lists.iter().any(|l| l.len() != n) {
            return Err(format!(
                "setting an array element with a sequence. The requested array has an inhomogeneous shape after {} dimensions. The detected shape was {} + inhomogeneous part.",
                shape.len(),
                shape_repr(shape.iter().map(|&d| d as i64))
            ));
        }
        shape.push(n);
        level = lists.into_iter().flatten().collect();
        if level.is_empty() {
            return Ok(shape);
        }
    }
}

fn leaves<'a>(v: &'a Json, out: &mut Vec<&'a Json>) {
    match v {
        Json::List(items) => items.iter().for_each(|i| leaves(i, out)),
        other => out.push(other),
    }
}

/// `np.array(v)` with no dtype: numpy's promotion of Python scalars.
pub fn array_infer(v: &Json) -> Result<NdArray, String> {
    let shape = infer_shape(v)?;
    let mut cells = Vec::new();
    leaves(v, &mut cells);
    let dtype = infer_dtype_iter(cells.iter().copied());
    match dtype {
        Some(d) => Ok(NdArray::Typed(convert_iter(
            cells.iter().copied(),
            shape,
            d,
        )?)),
        None => Ok(NdArray::Object {
            shape,
            cells: cells.into_iter().cloned().collect(),
        }),
    }
}

/// The dtype numpy (and pandas, for a column) picks for these scalars;
/// `None` means an object array.
pub fn infer_dtype(cells: &[Json]) -> Option<DType> {
    infer_dtype_iter(cells.iter())
}

fn infer_dtype_iter<'a>(cells: impl Iterator<Item = &'a Json>) -> Option<DType> {
    let (mut n, mut ints, mut floats, mut strs, mut other) = (0, 0, 0, 0, 0);
    for c in cells {
        n += 1;
        match c {
            Json::Bool(_) => {}
            Json::Int(_) => ints += 1,
            Json::Float(_) => floats += 1,
            Json::Str(_) => strs += 1,
            _ => other += 1,
        }
    }
    if other > 0 {
        return None;
    }
    if strs > 0 {
        return if strs == n { Some(DType::Str) } else { None };
    }
    if n == 0 || floats > 0 {
        return Some(DType::F64);
    }
    if ints > 0 {
        return Some(DType::I64);
    }
    Some(DType::Bool)
}

/// `np.array(v, dtype)`.
pub fn array_as(v: &Json, dtype: DType) -> Result<NdArray, String> {
    let shape = infer_shape(v)?;
    let mut cells = Vec::new();
    leaves(v, &mut cells);
    Ok(NdArray::Typed(convert_iter(
        cells.iter().copied(),
        shape,
        dtype,
    )?))
}

pub fn convert_cells(cells: &[Json], shape: Vec<usize>, dtype: DType) -> Result<Tensor, String> {
    convert_iter(cells.iter(), shape, dtype)
}

fn convert_iter<'a>(
    cells: impl Iterator<Item = &'a Json>,
    shape: Vec<usize>,
    dtype: DType,
) -> Result<Tensor, String> {
    let data = match dtype {
        DType::F64 => TensorData::F64(cells.map(to_float).collect::<Result<_, _>>()?),
        DType::F32 => TensorData::F32(
            cells
                .map(|c| to_float(c).map(|f| f as f32))
                .collect::<Result<_, _>>()?,
        ),
        DType::Bool => TensorData::Bool(cells.map(to_bool).collect::<Result<_, _>>()?),
        DType::Str => TensorData::Str(cells.map(py_str).collect()),
        int => {
            let wide: Vec<i64> = cells.map(|c| to_int(c, int)).collect::<Result<_, _>>()?;
            TensorData::I64(wide).cast(int)
        }
    };
    Tensor::new(shape, data)
}

/// Python's `float(x)`.
pub fn to_float(c: &Json) -> Result<f64, String> {
    match c {
        Json::Float(f) => Ok(*f),
        Json::Int(i) => Ok(*i as f64),
        Json::BigInt(s) => Ok(s.parse().unwrap_or(f64::INFINITY)),
        Json::Bool(b) => Ok(f64::from(u8::from(*b))),
        Json::Null => Ok(f64::NAN),
        Json::Str(s) => parse_py_float(s)
            .ok_or_else(|| format!("could not convert string to float: {}", py_str_repr(s))),
        Json::List(_) | Json::Dict(_) => Err(format!(
            "float() argument must be a string or a real number, not '{}'",
            short_type(c)
        )),
    }
}

/// Python's `float(str)`: surrounding whitespace, `_` separators, nan/inf words.
pub fn parse_py_float(s: &str) -> Option<f64> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if matches!(unsigned, "nan" | "inf" | "infinity") {
        let neg = lower.starts_with('-');
        return Some(match (unsigned, neg) {
            ("nan", _) => f64::NAN,
            (_, true) => f64::NEG_INFINITY,
            _ => f64::INFINITY,
        });
    }
    if t.is_empty() || t.contains("__") || t.starts_with('_') || t.ends_with('_') {
        return None;
    }
    let cleaned = t.replace('_', "");
    if !cleaned
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    cleaned.parse::<f64>().ok()
}

/// numpy's conversion of a Python scalar to an integer dtype.
fn to_int(c: &Json, dtype: DType) -> Result<i64, String> {
    let v = match c {
        Json::Int(i) => *i,
        Json::Bool(b) => i64::from(*b),
        Json::Float(f) if f.is_nan() => return Err("cannot convert float NaN to integer".into()),
        Json::Float(f) if f.is_infinite() => {
            return Err("cannot convert float infinity to integer".into())
        }
        Json::Float(f) => {
            if f.abs() >= 9.3e18 {
                return Err("Python int too large to convert to C long".into());
            }
            f.trunc() as i64
        }
        // pandas holds ints in [2**63, 2**64) as uint64; they wrap when cast.
        Json::BigInt(b) if dtype == DType::U64 => {
            return b
                .parse::<u64>()
                .map(|u| u as i64)
                .map_err(|_| "Python int too large to convert to C long".into())
        }
        Json::BigInt(_) => return Err("Python int too large to convert to C long".into()),
        Json::Str(s) => {
            let t = s.trim().replace('_', "");
            t.parse::<i64>().map_err(|_| {
                format!("invalid literal for int() with base 10: {}", py_str_repr(s))
            })?
        }
        Json::Null => return Err(
            "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'"
                .into(),
        ),
        Json::List(_) | Json::Dict(_) => {
            return Err(format!(
                "int() argument must be a string, a bytes-like object or a real number, not '{}'",
                short_type(c)
            ))
        }
    };
    let (lo, hi): (i128, i128) = match dtype {
        DType::I8 => (i8::MIN.into(), i8::MAX.into()),
        DType::I16 => (i16::MIN.into(), i16::MAX.into()),
        DType::I32 => (i32::MIN.into(), i32::MAX.into()),
        DType::U8 => (0, u8::MAX.into()),
        DType::U16 => (0, u16::MAX.into()),
        DType::U32 => (0, u32::MAX.into()),
        DType::U64 => (0, u64::MAX.into()),
        _ => (i64::MIN.into(), i64::MAX.into()),
    };
    // numpy 2 refuses out-of-range Python ints (floats are C-cast silently).
    if matches!(c, Json::Int(_)) && !(lo..=hi).contains(&i128::from(v)) {
        return Err(format!("Python integer {v} out of bounds for {dtype}"));
    }
    Ok(v)
}

fn to_bool(c: &Json) -> Result<bool, String> {
    Ok(match c {
        Json::Bool(b) => *b,
        Json::Int(i) => *i != 0,
        Json::BigInt(_) => true,
        Json::Float(f) => *f != 0.0,
        Json::Null => false,
        Json::Str(s) => !s.is_empty(),
        Json::List(l) => !l.is_empty(),
        Json::Dict(d) => !d.is_empty(),
    })
}

/// Python's `str(x)` for a scalar.
pub fn py_str(c: &Json) -> String {
    match c {
        Json::Null => "None".into(),
        Json::Bool(true) => "True".into(),
        Json::Bool(false) => "False".into(),
        Json::Int(i) => i.to_string(),
        Json::BigInt(s) => s.clone(),
        Json::Float(f) => py_float_repr(*f),
        Json::Str(s) => s.clone(),
        other => mlflowrs_protocol::pyjson::to_string(other),
    }
}

fn short_type(c: &Json) -> &'static str {
    match c {
        Json::List(_) => "list",
        Json::Dict(_) => "dict",
        Json::Null => "NoneType",
        Json::Str(_) => "str",
        _ => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlflowrs_protocol::pyjson::parse;

    fn j(s: &str) -> Json {
        parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn numpy_conversions() {
        let NdArray::Typed(t) = array_as(&j("[[1, 2.5, \"3\"]]"), DType::F32).unwrap() else {
            panic!()
        };
        assert_eq!(t.shape, vec![1, 3]);
        assert_eq!(t.data, TensorData::F32(vec![1.0, 2.5, 3.0]));
        let NdArray::Typed(t) = array_as(&j("[3.7, -1.5]"), DType::I64).unwrap() else {
            panic!()
        };
        assert_eq!(t.data, TensorData::I64(vec![3, -1]));
        assert_eq!(
            array_as(&j("[\"x\"]"), DType::F64).unwrap_err(),
            "could not convert string to float: 'x'"
        );
        assert!(array_as(&j("[[1, 2], [3]]"), DType::F64)
            .unwrap_err()
            .contains("inhomogeneous shape after 1 dimensions"));
        assert!(array_as(&j("[null]"), DType::I64)
            .unwrap_err()
            .contains("NoneType"));
    }

    #[test]
    fn numpy_inference() {
        assert_eq!(array_infer(&j("[1, 2]")).unwrap().dtype_name(), "int64");
        assert_eq!(array_infer(&j("[1, 2.0]")).unwrap().dtype_name(), "float64");
        assert_eq!(
            array_infer(&j("[true, false]")).unwrap().dtype_name(),
            "bool"
        );
        assert_eq!(array_infer(&j("[1, null]")).unwrap().dtype_name(), "object");
        assert_eq!(array_infer(&j("5")).unwrap().shape_repr(), "()");
        assert_eq!(array_infer(&j("[]")).unwrap().shape_repr(), "(0,)");
    }
}
