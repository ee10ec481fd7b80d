//! V2 tensor data as raw bytes: the binary tensor data extension of the
//! HTTP protocol and `raw_input_contents` / `raw_output_contents` of gRPC.
//! Elements are little-endian in row-major order; a `BYTES` element is a
//! 4-byte little-endian length followed by that many bytes.

use mlflowrs_protocol::pyjson::{self, Json};

/// Every datatype the protocol names.
pub const DATATYPES: &[&str] = &[
    "BOOL", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64", "FP16",
    "FP32", "FP64", "BYTES",
];

/// The elements a tensor of `shape` holds; an error naming `input` when the
/// product overflows.
pub fn elements(input: &str, shape: &[usize]) -> Result<usize, String> {
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| format!("input '{input}' has a bad shape"))
}

/// The size of one element; `None` for `BYTES`.
fn element_size(datatype: &str) -> Option<usize> {
    Some(match datatype {
        "BOOL" | "INT8" | "UINT8" => 1,
        "INT16" | "UINT16" | "FP16" => 2,
        "INT32" | "UINT32" | "FP32" => 4,
        "INT64" | "UINT64" | "FP64" => 8,
        _ => return None,
    })
}

/// Raw tensor bytes as the flat list of values a JSON tensor would carry.
pub fn decode(datatype: &str, raw: &[u8], elements: usize) -> Result<Vec<Json>, String> {
    let Some(size) = element_size(datatype) else {
        return decode_bytes(raw, elements);
    };
    if raw.len() != elements * size {
        return Err(format!(
            "{} bytes of {datatype} data for {elements} elements: expected {}",
            raw.len(),
            elements * size
        ));
    }
    let values = raw.chunks_exact(size).map(|c| {
        let b8 = |c: &[u8]| <[u8; 8]>::try_from(c).unwrap_or_default();
        let b4 = |c: &[u8]| <[u8; 4]>::try_from(c).unwrap_or_default();
        let b2 = |c: &[u8]| <[u8; 2]>::try_from(c).unwrap_or_default();
        match datatype {
            "BOOL" => Json::Bool(c[0] != 0),
            "INT8" => Json::Int(c[0] as i8 as i64),
            "UINT8" => Json::Int(c[0] as i64),
            "INT16" => Json::Int(i16::from_le_bytes(b2(c)) as i64),
            "UINT16" => Json::Int(u16::from_le_bytes(b2(c)) as i64),
            "FP16" => Json::Float(f16_to_f64(u16::from_le_bytes(b2(c)))),
            "INT32" => Json::Int(i32::from_le_bytes(b4(c)) as i64),
            "UINT32" => Json::Int(u32::from_le_bytes(b4(c)) as i64),
            "FP32" => Json::Float(f32::from_le_bytes(b4(c)) as f64),
            "INT64" => Json::Int(i64::from_le_bytes(b8(c))),
            "UINT64" => match i64::try_from(u64::from_le_bytes(b8(c))) {
                Ok(v) => Json::Int(v),
                Err(_) => Json::BigInt(u64::from_le_bytes(b8(c)).to_string()),
            },
            _ => Json::Float(f64::from_le_bytes(b8(c))),
        }
    });
    Ok(values.collect())
}

fn decode_bytes(mut raw: &[u8], elements: usize) -> Result<Vec<Json>, String> {
    let mut values = Vec::with_capacity(elements.min(raw.len() / 4));
    while !raw.is_empty() {
        let Some((len, rest)) = raw.split_first_chunk::<4>() else {
            return Err("BYTES data ends inside an element's length".into());
        };
        let len = u32::from_le_bytes(*len) as usize;
        if rest.len() < len {
            return Err("BYTES data ends inside an element".into());
        }
        let (item, rest) = rest.split_at(len);
        let text = std::str::from_utf8(item)
            .map_err(|_| "a BYTES element is not UTF-8 text, which MLflow's input cannot carry")?;
        values.push(Json::Str(text.to_string()));
        raw = rest;
    }
    if values.len() != elements {
        return Err(format!(
            "{} BYTES elements for a shape of {elements}",
            values.len()
        ));
    }
    Ok(values)
}

/// IEEE half precision to double, exactly.
fn f16_to_f64(h: u16) -> f64 {
    let sign = if h >> 15 == 1 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let frac = (h & 0x3ff) as f64;
    sign * match exp {
        0 => frac * 2f64.powi(-24),
        31 if frac == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

/// The datatype of values whose model declares none: what numpy would make
/// of them.
pub fn infer_datatype(values: &[Json]) -> &'static str {
    if values.is_empty() {
        return "BYTES";
    }
    if values.iter().all(|v| matches!(v, Json::Bool(_))) {
        "BOOL"
    } else if values.iter().all(|v| matches!(v, Json::Int(_))) {
        "INT64"
    } else if values
        .iter()
        .all(|v| matches!(v, Json::Int(_) | Json::Float(_)))
    {
        "FP64"
    } else {
        "BYTES"
    }
}

/// Values as raw bytes of `datatype` (numbers converted as numpy's
/// `astype` would; anything else in a `BYTES` tensor as its JSON text).
pub fn encode(datatype: &str, values: &[Json]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * element_size(datatype).unwrap_or(8));
    for v in values {
        let f = || match v {
            Json::Int(i) => *i as f64,
            Json::Float(f) => *f,
            Json::Bool(b) => *b as u8 as f64,
            Json::BigInt(s) => s.parse().unwrap_or(f64::NAN),
            _ => f64::NAN,
        };
        let i = || match v {
            Json::Int(i) => *i,
            Json::Bool(b) => *b as i64,
            _ => f() as i64,
        };
        match datatype {
            "BOOL" => out.push((f() != 0.0) as u8),
            "INT8" => out.push(i() as i8 as u8),
            "UINT8" => out.push(i() as u8),
            "INT16" => out.extend((i() as i16).to_le_bytes()),
            "UINT16" => out.extend((i() as u16).to_le_bytes()),
            "INT32" => out.extend((i() as i32).to_le_bytes()),
            "UINT32" => out.extend((i() as u32).to_le_bytes()),
            "INT64" => out.extend(i().to_le_bytes()),
            "UINT64" => out.extend(
                match v {
                    Json::BigInt(s) => s.parse::<u64>().unwrap_or_default(),
                    _ => i() as u64,
                }
                .to_le_bytes(),
            ),
            "FP32" => out.extend((f() as f32).to_le_bytes()),
            "FP64" => out.extend(f().to_le_bytes()),
            _ => {
                let text = match v {
                    Json::Str(s) => s.clone(),
                    other => pyjson::to_string(other),
                };
                out.extend((text.len() as u32).to_le_bytes());
                out.extend(text.as_bytes());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixed_size_datatype_round_trips() {
        let values = vec![Json::Int(1), Json::Int(-2), Json::Int(3)];
        for dt in ["INT8", "INT16", "INT32", "INT64"] {
            assert_eq!(decode(dt, &encode(dt, &values), 3).unwrap(), values, "{dt}");
        }
        let floats = vec![Json::Float(0.5), Json::Float(-1.25)];
        for dt in ["FP32", "FP64"] {
            assert_eq!(decode(dt, &encode(dt, &floats), 2).unwrap(), floats, "{dt}");
        }
        // 0x3c00 is 1.0 and 0xc000 is -2.0 in half precision.
        assert_eq!(
            decode("FP16", &[0x00, 0x3c, 0x00, 0xc0], 2).unwrap(),
            vec![Json::Float(1.0), Json::Float(-2.0)]
        );
    }

    #[test]
    fn bytes_elements_carry_their_length() {
        let values = vec![Json::Str("ab".into()), Json::Str(String::new())];
        let raw = encode("BYTES", &values);
        assert_eq!(raw, b"\x02\x00\x00\x00ab\x00\x00\x00\x00");
        assert_eq!(decode("BYTES", &raw, 2).unwrap(), values);
        assert!(decode("BYTES", &raw[..5], 2).is_err());
        assert!(decode("BYTES", &raw, 3).is_err());
    }

    #[test]
    fn a_size_that_does_not_match_the_shape_is_refused() {
        assert!(decode("FP32", &[0; 7], 2).is_err());
        assert!(decode("FP32", &[0; 8], 2).is_ok());
    }
}
