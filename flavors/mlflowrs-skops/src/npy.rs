//! The .npy format (numpy/lib/format.py), versions 1.0, 2.0 and 3.0, read
//! without `allow_pickle`: object arrays are refused, as `np.load` refuses
//! them in skops. Every size is checked before anything is allocated.

use crate::array::{ArrayDType, ArrayData, Field, NdArray, ScalarType};
use crate::error::{Result, SkopsError};
use crate::pylit::{self, Lit};
use crate::Limits;

const MAGIC: &[u8] = b"\x93NUMPY";
/// numpy's NPY_MAXDIMS.
const MAX_DIMS: usize = 64;

/// Parses one .npy file. `name` only labels errors.
pub fn parse_npy(name: &str, bytes: &[u8], limits: &Limits) -> Result<NdArray> {
    let bad = |reason: String| SkopsError::Npy {
        file: name.to_owned(),
        reason,
    };
    let unsupported = |reason: String| SkopsError::Unsupported(format!("{name}: {reason}"));
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(bad("not a .npy file (bad magic)".into()));
    }
    let major = bytes[6];
    let (header_len, start) = match major {
        1 => (
            usize::from(u16::from_le_bytes([bytes[8], bytes[9]])),
            10usize,
        ),
        2 | 3 => {
            let raw = bytes
                .get(8..12)
                .ok_or_else(|| bad("truncated header length".into()))?;
            let n = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
            (
                usize::try_from(n).map_err(|_| bad("header too long".into()))?,
                12usize,
            )
        }
        v => return Err(bad(format!("unsupported format version {v}.{}", bytes[7]))),
    };
    let end = start
        .checked_add(header_len)
        .ok_or_else(|| bad("header too long".into()))?;
    let header = bytes
        .get(start..end)
        .ok_or_else(|| bad("truncated header".into()))?;
    let text: String = if major == 3 {
        std::str::from_utf8(header)
            .map_err(|_| bad("header is not UTF-8".into()))?
            .to_owned()
    } else {
        header.iter().map(|&b| char::from(b)).collect()
    };
    let lit = pylit::parse(&text).map_err(bad)?;
    let Lit::Dict(entries) = lit else {
        return Err(bad("header is not a dictionary".into()));
    };
    let mut descr = None;
    let mut fortran = None;
    let mut shape = None;
    for (k, v) in entries {
        match (k, v) {
            (Lit::Str(k), v) if k == "descr" => descr = Some(v),
            (Lit::Str(k), Lit::Bool(b)) if k == "fortran_order" => fortran = Some(b),
            (Lit::Str(k), Lit::Tuple(t)) if k == "shape" => shape = Some(t),
            (k, _) => return Err(bad(format!("unexpected header entry {k:?}"))),
        }
    }
    let (Some(descr), Some(fortran), Some(shape)) = (descr, fortran, shape) else {
        return Err(bad("header does not contain the correct keys".into()));
    };
    if shape.len() > MAX_DIMS {
        return Err(bad(format!("{} dimensions", shape.len())));
    }
    let shape: Vec<usize> = shape
        .into_iter()
        .map(|d| match d {
            Lit::Int(n) => usize::try_from(n).map_err(|_| bad(format!("bad dimension {n}"))),
            other => Err(bad(format!("bad dimension {other:?}"))),
        })
        .collect::<Result<_>>()?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| SkopsError::Limit(format!("{name}: shape {shape:?} overflows")))?;
    if count as u64 > limits.max_array_elements {
        return Err(SkopsError::Limit(format!(
            "{name}: {count} elements (limit {})",
            limits.max_array_elements
        )));
    }
    let layout = parse_descr(&descr).map_err(|e| match e {
        DescrError::Bad(r) => bad(r),
        DescrError::Unsupported(r) => unsupported(r),
    })?;
    let needed = count
        .checked_mul(layout.item_size)
        .ok_or_else(|| SkopsError::Limit(format!("{name}: data size overflows")))?;
    let body = &bytes[end..];
    if body.len() < needed {
        return Err(bad(format!(
            "truncated data: {} bytes for {needed} expected",
            body.len()
        )));
    }
    let order = if fortran && shape.len() > 1 {
        Some(fortran_permutation(&shape, count))
    } else {
        None
    };
    let read = |f: &FieldLayout| {
        decode(
            body,
            layout.item_size,
            f.offset,
            count,
            f.ty,
            f.big,
            order.as_deref(),
        )
        .map_err(bad)
    };
    let (dtype, data) = match &layout.kind {
        LayoutKind::Scalar => {
            let f = layout
                .fields
                .first()
                .ok_or_else(|| bad("empty dtype".into()))?;
            (ArrayDType::Scalar(f.ty), read(f)?)
        }
        LayoutKind::Record => {
            let mut fields = Vec::with_capacity(layout.fields.len());
            for f in &layout.fields {
                fields.push(Field {
                    name: f.name.clone(),
                    dtype: f.ty,
                    data: read(f)?,
                });
            }
            let names = layout
                .fields
                .iter()
                .map(|f| (f.name.clone(), f.ty))
                .collect();
            (ArrayDType::Record(names), ArrayData::Record(fields))
        }
    };
    NdArray::new(shape, dtype, data)
        .map(|a| a.with_fortran_order(fortran))
        .map_err(|e| bad(e.to_string()))
}

/// For each C-order position, the position of that element in Fortran storage.
fn fortran_permutation(shape: &[usize], count: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(count);
    let mut idx = vec![0usize; shape.len()];
    // Fortran strides (in elements): first axis varies fastest.
    let mut strides = vec![1usize; shape.len()];
    for k in 1..shape.len() {
        strides[k] = strides[k - 1] * shape[k - 1];
    }
    for _ in 0..count {
        out.push(idx.iter().zip(&strides).map(|(i, s)| i * s).sum());
        // Advance the C-order multi-index: last axis fastest.
        for k in (0..shape.len()).rev() {
            idx[k] += 1;
            if idx[k] < shape[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    out
}

enum DescrError {
    Bad(String),
    Unsupported(String),
}

struct FieldLayout {
    name: String,
    ty: ScalarType,
    big: bool,
    offset: usize,
}

enum LayoutKind {
    Scalar,
    Record,
}

struct Layout {
    kind: LayoutKind,
    fields: Vec<FieldLayout>,
    item_size: usize,
}

fn parse_descr(descr: &Lit) -> std::result::Result<Layout, DescrError> {
    match descr {
        Lit::Str(s) => match parse_type_str(s)? {
            TypeStr::Scalar(ty, big) => Ok(Layout {
                kind: LayoutKind::Scalar,
                item_size: ty
                    .item_size()
                    .ok_or_else(|| DescrError::Bad(format!("dtype {s:?} too wide")))?,
                fields: vec![FieldLayout {
                    name: String::new(),
                    ty,
                    big,
                    offset: 0,
                }],
            }),
            TypeStr::Void(_) => Err(DescrError::Unsupported(format!("void dtype {s:?}"))),
        },
        Lit::List(items) => {
            let mut fields = Vec::new();
            let mut offset = 0usize;
            for item in items {
                let parts = match item {
                    Lit::Tuple(p) => p,
                    _ => return Err(DescrError::Bad("bad structured dtype entry".into())),
                };
                let (name, ty) = match parts.as_slice() {
                    [Lit::Str(name), Lit::Str(ty)] => (name, ty),
                    [_, _, _] => {
                        return Err(DescrError::Unsupported(
                            "structured dtype with sub-array fields".into(),
                        ))
                    }
                    [_, Lit::List(_)] => {
                        return Err(DescrError::Unsupported("nested structured dtype".into()))
                    }
                    _ => return Err(DescrError::Bad("bad structured dtype entry".into())),
                };
                let (size, field) = match parse_type_str(ty)? {
                    // numpy writes padding as unnamed void fields.
                    TypeStr::Void(n) if name.is_empty() => (n, None),
                    TypeStr::Void(_) => {
                        return Err(DescrError::Unsupported(format!("void field {name:?}")))
                    }
                    TypeStr::Scalar(t, big) => {
                        let n = t
                            .item_size()
                            .ok_or_else(|| DescrError::Bad(format!("dtype {ty:?} too wide")))?;
                        (n, Some((t, big)))
                    }
                };
                if let Some((t, big)) = field {
                    if name.is_empty() || fields.iter().any(|f: &FieldLayout| &f.name == name) {
                        return Err(DescrError::Bad(format!("bad field name {name:?}")));
                    }
                    fields.push(FieldLayout {
                        name: name.clone(),
                        ty: t,
                        big,
                        offset,
                    });
                }
                offset = offset
                    .checked_add(size)
                    .ok_or_else(|| DescrError::Bad("record too wide".into()))?;
            }
            if fields.is_empty() {
                return Err(DescrError::Bad("structured dtype without fields".into()));
            }
            Ok(Layout {
                kind: LayoutKind::Record,
                fields,
                item_size: offset,
            })
        }
        other => Err(DescrError::Bad(format!("bad descr {other:?}"))),
    }
}

enum TypeStr {
    Scalar(ScalarType, bool),
    Void(usize),
}

/// `'<f8'`, `'|b1'`, `'<U12'`, `'|S3'`, `'|V7'` (numpy's `dtype.str`).
fn parse_type_str(s: &str) -> std::result::Result<TypeStr, DescrError> {
    let (big, rest) = match s.as_bytes().first() {
        Some(b'>') | Some(b'!') => (true, &s[1..]),
        Some(b'<') | Some(b'|') | Some(b'=') => (false, &s[1..]),
        _ => (false, s),
    };
    let unsupported = || DescrError::Unsupported(format!("numpy dtype {s:?} is not supported"));
    let mut chars = rest.chars();
    let kind = chars
        .next()
        .ok_or_else(|| DescrError::Bad("empty dtype".into()))?;
    let size_text = chars.as_str();
    if kind == '?' && size_text.is_empty() {
        return Ok(TypeStr::Scalar(ScalarType::Bool, false));
    }
    if !size_text.bytes().all(|b| b.is_ascii_digit()) || size_text.is_empty() {
        return Err(unsupported());
    }
    let size: usize = size_text
        .parse()
        .map_err(|_| DescrError::Bad(format!("bad dtype {s:?}")))?;
    let ty = match (kind, size) {
        ('b', 1) => ScalarType::Bool,
        ('i', 1) => ScalarType::I8,
        ('i', 2) => ScalarType::I16,
        ('i', 4) => ScalarType::I32,
        ('i', 8) => ScalarType::I64,
        ('u', 1) => ScalarType::U8,
        ('u', 2) => ScalarType::U16,
        ('u', 4) => ScalarType::U32,
        ('u', 8) => ScalarType::U64,
        ('f', 4) => ScalarType::F32,
        ('f', 8) => ScalarType::F64,
        ('U', n) => ScalarType::Unicode(n),
        ('S', n) | ('a', n) => ScalarType::Bytes(n),
        ('V', n) => return Ok(TypeStr::Void(n)),
        _ => return Err(unsupported()),
    };
    Ok(TypeStr::Scalar(ty, big))
}

/// Reads `count` elements of type `ty`, the i-th (C order) at byte
/// `order[i] * stride + offset` of `body`. The caller checked that
/// `count * stride <= body.len()` and `offset + size(ty) <= stride`.
fn decode(
    body: &[u8],
    stride: usize,
    offset: usize,
    count: usize,
    ty: ScalarType,
    big: bool,
    order: Option<&[usize]>,
) -> std::result::Result<ArrayData, String> {
    let size = ty.item_size().ok_or("dtype too wide")?;
    let at = |i: usize| -> std::result::Result<&[u8], String> {
        let pos = order
            .map_or(Some(i), |o| o.get(i).copied())
            .ok_or("bad order")?;
        let start = pos
            .checked_mul(stride)
            .and_then(|p| p.checked_add(offset))
            .ok_or("offset overflows")?;
        body.get(start..start + size)
            .ok_or_else(|| "element out of bounds".to_string())
    };
    macro_rules! num {
        ($variant:ident, $t:ty, $n:expr) => {{
            let mut out: Vec<$t> = Vec::with_capacity(count);
            for i in 0..count {
                let b = at(i)?;
                let mut a = [0u8; $n];
                a.copy_from_slice(b);
                out.push(if big {
                    <$t>::from_be_bytes(a)
                } else {
                    <$t>::from_le_bytes(a)
                });
            }
            ArrayData::$variant(out)
        }};
    }
    Ok(match ty {
        ScalarType::Bool => {
            let mut out = Vec::with_capacity(count);
            for i in 0..count {
                out.push(at(i)?.first().is_some_and(|&b| b != 0));
            }
            ArrayData::Bool(out)
        }
        ScalarType::I8 => num!(I8, i8, 1),
        ScalarType::I16 => num!(I16, i16, 2),
        ScalarType::I32 => num!(I32, i32, 4),
        ScalarType::I64 => num!(I64, i64, 8),
        ScalarType::U8 => num!(U8, u8, 1),
        ScalarType::U16 => num!(U16, u16, 2),
        ScalarType::U32 => num!(U32, u32, 4),
        ScalarType::U64 => num!(U64, u64, 8),
        ScalarType::F32 => num!(F32, f32, 4),
        ScalarType::F64 => num!(F64, f64, 8),
        ScalarType::Unicode(_) => {
            let mut out = Vec::with_capacity(count);
            for i in 0..count {
                let b = at(i)?;
                let mut s = String::new();
                let mut units: Vec<u32> = b
                    .chunks_exact(4)
                    .map(|c| {
                        let a = [c[0], c[1], c[2], c[3]];
                        if big {
                            u32::from_be_bytes(a)
                        } else {
                            u32::from_le_bytes(a)
                        }
                    })
                    .collect();
                while units.last() == Some(&0) {
                    units.pop();
                }
                for u in units {
                    s.push(char::from_u32(u).ok_or_else(|| format!("invalid code point {u:#x}"))?);
                }
                out.push(s);
            }
            ArrayData::Str(out)
        }
        ScalarType::Bytes(_) => {
            let mut out = Vec::with_capacity(count);
            for i in 0..count {
                let mut v = at(i)?.to_vec();
                while v.last() == Some(&0) {
                    v.pop();
                }
                out.push(v);
            }
            ArrayData::Bytes(out)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(header: &str, body: &[u8]) -> Vec<u8> {
        let mut h = header.to_string();
        while !(10 + h.len() + 1).is_multiple_of(64) {
            h.push(' ');
        }
        h.push('\n');
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(h.len() as u16).to_le_bytes());
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn fortran_is_transposed() {
        let body: Vec<u8> = [1i64, 4, 2, 5, 3, 6]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let b = npy(
            "{'descr': '<i8', 'fortran_order': True, 'shape': (2, 3), }",
            &body,
        );
        let a = parse_npy("x", &b, &Limits::default()).unwrap();
        assert_eq!(a.as_i64().unwrap(), &[1, 2, 3, 4, 5, 6]);
        assert!(a.fortran_order());
    }

    #[test]
    fn big_endian_and_strings() {
        let body: Vec<u8> = 1.5f64.to_be_bytes().to_vec();
        let b = npy(
            "{'descr': '>f8', 'fortran_order': False, 'shape': (), }",
            &body,
        );
        let a = parse_npy("x", &b, &Limits::default()).unwrap();
        assert_eq!(a.as_f64().unwrap(), &[1.5]);
        assert_eq!(a.shape(), &[] as &[usize]);
        let mut body = Vec::new();
        for s in ["ab", "c"] {
            let mut units: Vec<u32> = s.chars().map(|c| c as u32).collect();
            units.resize(2, 0);
            for u in units {
                body.extend_from_slice(&u.to_le_bytes());
            }
        }
        let b = npy(
            "{'descr': '<U2', 'fortran_order': False, 'shape': (2,), }",
            &body,
        );
        let a = parse_npy("x", &b, &Limits::default()).unwrap();
        assert_eq!(a.as_str().unwrap(), &["ab".to_string(), "c".to_string()]);
    }

    #[test]
    fn hostile_headers() {
        let l = Limits::default();
        let huge = npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }",
            &[],
        );
        assert!(parse_npy("x", &huge, &l).is_err());
        let zero_width = npy(
            "{'descr': '<U0', 'fortran_order': False, 'shape': (100000000000,), }",
            &[],
        );
        assert!(matches!(
            parse_npy("x", &zero_width, &l),
            Err(SkopsError::Limit(_))
        ));
        let short = npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
            &[0; 16],
        );
        assert!(parse_npy("x", &short, &l).is_err());
        let obj = npy(
            "{'descr': '|O', 'fortran_order': False, 'shape': (3,), }",
            &[0; 24],
        );
        assert!(matches!(
            parse_npy("x", &obj, &l),
            Err(SkopsError::Unsupported(_))
        ));
        let complex = npy(
            "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }",
            &[0; 16],
        );
        assert!(matches!(
            parse_npy("x", &complex, &l),
            Err(SkopsError::Unsupported(_))
        ));
        let neg = npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }",
            &[],
        );
        assert!(parse_npy("x", &neg, &l).is_err());
        assert!(parse_npy("x", b"\x93NUMPY\x01\x00\xff\xff{", &l).is_err());
        assert!(parse_npy("x", b"\x93NUMPY\x02\x00\xff\xff\xff\xff{", &l).is_err());
    }
}
