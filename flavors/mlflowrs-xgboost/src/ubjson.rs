//! A bounded UBJSON (draft 12, big-endian) reader for XGBoost's `.ubj` models.
//!
//! XGBoost writes objects as `{` (int key length, key bytes, value)* `}`,
//! untyped arrays as `[#L<n>` and typed arrays as `[$<type>#L<n>` followed
//! by raw big-endian elements. The reader accepts the whole draft (any
//! integer marker for lengths, `]`-terminated and counted containers, no-op
//! markers) but never trusts a count: a container or string may not declare
//! more elements than there are bytes left to hold them.

use std::collections::BTreeMap;

use crate::error::XgbError;
use crate::value::{Value, MAX_DEPTH};

/// Parses one UBJSON document. Bytes after the first value are ignored, as
/// XGBoost's reader ignores them.
pub(crate) fn parse(bytes: &[u8]) -> Result<Value, XgbError> {
    let mut reader = Reader { bytes, pos: 0 };
    let marker = reader.next_marker()?;
    reader.value(marker, 0)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

fn corrupt(msg: impl Into<String>) -> XgbError {
    XgbError::corrupt(format!("UBJSON: {}", msg.into()))
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], XgbError> {
        if n > self.remaining() {
            return Err(corrupt(format!(
                "truncated input: {n} bytes wanted at offset {}, {} left",
                self.pos,
                self.remaining()
            )));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, XgbError> {
        Ok(self.take(1)?[0])
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The next marker, skipping `N` (no-op) markers.
    fn next_marker(&mut self) -> Result<u8, XgbError> {
        loop {
            let m = self.byte()?;
            if m != b'N' {
                return Ok(m);
            }
        }
    }

    fn peek_marker(&mut self) -> Result<u8, XgbError> {
        while self.peek() == Some(b'N') {
            self.pos += 1;
        }
        self.peek()
            .ok_or_else(|| corrupt("truncated input: container not closed"))
    }

    fn array_n<const N: usize>(&mut self) -> Result<[u8; N], XgbError> {
        let s = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    /// An integer payload for an integer marker.
    fn int_payload(&mut self, marker: u8) -> Result<i64, XgbError> {
        Ok(match marker {
            b'i' => i64::from(self.byte()? as i8),
            b'U' => i64::from(self.byte()?),
            b'I' => i64::from(i16::from_be_bytes(self.array_n()?)),
            b'l' => i64::from(i32::from_be_bytes(self.array_n()?)),
            b'L' => i64::from_be_bytes(self.array_n()?),
            other => {
                return Err(corrupt(format!(
                    "expected an integer marker for a length, got {}",
                    show(other)
                )))
            }
        })
    }

    /// A length or count: an integer no larger than `limit`.
    fn count(&mut self, marker: u8, limit: usize, what: &str) -> Result<usize, XgbError> {
        let n = self.int_payload(marker)?;
        let n = usize::try_from(n).map_err(|_| corrupt(format!("negative {what} {n}")))?;
        if n > limit {
            return Err(corrupt(format!(
                "{what} {n} exceeds the {limit} bytes left in the input"
            )));
        }
        Ok(n)
    }

    fn string_payload(&mut self) -> Result<String, XgbError> {
        let marker = self.next_marker()?;
        let n = self.count(marker, self.remaining(), "string length")?;
        let raw = self.take(n)?;
        String::from_utf8(raw.to_vec()).map_err(|_| corrupt("string is not valid UTF-8"))
    }

    fn value(&mut self, marker: u8, depth: usize) -> Result<Value, XgbError> {
        Ok(match marker {
            b'Z' => Value::Null,
            b'T' => Value::Bool(true),
            b'F' => Value::Bool(false),
            b'i' | b'U' | b'I' | b'l' | b'L' => Value::Int(self.int_payload(marker)?),
            // XGBoost reads `C` as an integer too.
            b'C' => Value::Int(i64::from(self.byte()?)),
            b'd' => Value::Float(f32::from_be_bytes(self.array_n()?)),
            // XGBoost's numbers are float32: a double is narrowed on read.
            b'D' => Value::Float(f64::from_be_bytes(self.array_n()?) as f32),
            b'S' => Value::Str(self.string_payload()?),
            b'H' => return Err(corrupt("high-precision numbers are not supported")),
            b'[' => self.array(depth + 1)?,
            b'{' => self.object(depth + 1)?,
            other => return Err(corrupt(format!("unknown marker {}", show(other)))),
        })
    }

    fn check_depth(&self, depth: usize) -> Result<(), XgbError> {
        if depth > MAX_DEPTH {
            return Err(corrupt(format!("nesting deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    fn array(&mut self, depth: usize) -> Result<Value, XgbError> {
        self.check_depth(depth)?;
        match self.peek_marker()? {
            b'$' => {
                self.pos += 1;
                let ty = self.byte()?;
                if self.byte()? != b'#' {
                    return Err(corrupt("typed array without a count"));
                }
                let count_marker = self.byte()?;
                self.typed_array(ty, count_marker, depth)
            }
            b'#' => {
                self.pos += 1;
                let count_marker = self.byte()?;
                // Every element takes at least one byte (its marker).
                let n = self.count(count_marker, self.remaining(), "array count")?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    let m = self.next_marker()?;
                    items.push(self.value(m, depth)?);
                }
                Ok(Value::array(items))
            }
            _ => {
                let mut items = Vec::new();
                loop {
                    let m = self.next_marker()?;
                    if m == b']' {
                        break;
                    }
                    items.push(self.value(m, depth)?);
                }
                Ok(Value::array(items))
            }
        }
    }

    fn typed_array(&mut self, ty: u8, count_marker: u8, depth: usize) -> Result<Value, XgbError> {
        let width = match ty {
            b'i' | b'U' | b'C' => 1,
            b'I' => 2,
            b'l' | b'd' => 4,
            b'L' | b'D' => 8,
            // Payload-free element types still may not claim more elements
            // than bytes remain, so a tiny file cannot ask for a huge array.
            _ => 1,
        };
        let n = self.count(count_marker, self.remaining() / width, "typed array count")?;
        macro_rules! typed {
            ($var:ident, $t:ty) => {{
                let raw = self.take(n * width)?;
                Value::$var(
                    raw.chunks_exact(width)
                        .map(|c| {
                            let mut b = [0u8; std::mem::size_of::<$t>()];
                            b.copy_from_slice(c);
                            <$t>::from_be_bytes(b)
                        })
                        .collect(),
                )
            }};
        }
        Ok(match ty {
            b'd' => typed!(F32s, f32),
            b'D' => typed!(F64s, f64),
            b'i' => typed!(I8s, i8),
            b'U' | b'C' => typed!(U8s, u8),
            b'I' => typed!(I16s, i16),
            b'l' => typed!(I32s, i32),
            b'L' => typed!(I64s, i64),
            b'T' | b'F' | b'Z' => {
                let v = self.value(ty, depth)?;
                Value::Array(vec![v; n])
            }
            b'S' | b'[' | b'{' | b'H' => {
                let mut items = Vec::with_capacity(n.min(self.remaining()));
                for _ in 0..n {
                    items.push(self.value(ty, depth)?);
                }
                Value::Array(items)
            }
            other => return Err(corrupt(format!("unknown typed array type {}", show(other)))),
        })
    }

    fn object(&mut self, depth: usize) -> Result<Value, XgbError> {
        self.check_depth(depth)?;
        let mut map = BTreeMap::new();
        let mut insert = |key: String, value: Value| {
            // XGBoost's UBJSON reader keeps the first of duplicate keys.
            map.entry(key).or_insert(value);
        };
        match self.peek_marker()? {
            b'$' => return Err(corrupt("typed objects are not supported")),
            b'#' => {
                self.pos += 1;
                let count_marker = self.byte()?;
                // A key takes at least a length marker and a value marker.
                let n = self.count(count_marker, self.remaining() / 2, "object count")?;
                for _ in 0..n {
                    let key = self.string_payload()?;
                    let m = self.next_marker()?;
                    let value = self.value(m, depth)?;
                    insert(key, value);
                }
            }
            _ => loop {
                if self.peek_marker()? == b'}' {
                    self.pos += 1;
                    break;
                }
                let key = self.string_payload()?;
                let m = self.next_marker()?;
                let value = self.value(m, depth)?;
                insert(key, value);
            },
        }
        Ok(Value::Object(map))
    }
}

fn show(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}`", b as char)
    } else {
        format!("0x{b:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_typed_and_counted_containers() {
        let mut doc =
            b"{L\x00\x00\x00\x00\x00\x00\x00\x01a[$d#L\x00\x00\x00\x00\x00\x00\x00\x02".to_vec();
        doc.extend_from_slice(&1.5f32.to_be_bytes());
        doc.extend_from_slice(&(-2.0f32).to_be_bytes());
        doc.extend_from_slice(b"i\x01b[#i\x02i\x05SL\x00\x00\x00\x00\x00\x00\x00\x02hi}");
        let v = parse(&doc).unwrap();
        assert_eq!(v.get("a"), Some(&Value::F32s(vec![1.5, -2.0])));
        assert_eq!(
            v.get("b"),
            Some(&Value::Array(vec![Value::Int(5), Value::Str("hi".into())]))
        );
    }

    #[test]
    fn rejects_counts_larger_than_the_input() {
        assert!(parse(b"[$d#L\x7f\xff\xff\xff\xff\xff\xff\xff").is_err());
        assert!(parse(b"[#L\x00\x00\x00\x00\x10\x00\x00\x00Z").is_err());
        assert!(parse(b"[$T#l\x7f\xff\xff\xff").is_err());
        assert!(parse(b"SL\xff\xff\xff\xff\xff\xff\xff\xff").is_err());
        assert!(parse(b"[#L\xff\xff\xff\xff\xff\xff\xff\xff").is_err());
        assert!(parse(b"{#U\xff").is_err());
    }

    #[test]
    fn rejects_truncation_and_deep_nesting() {
        assert!(parse(b"{L\x00\x00\x00\x00\x00\x00\x00\x01a").is_err());
        assert!(parse(b"[ii").is_err());
        assert!(parse(b"d\x00\x00").is_err());
        assert!(parse(&[b'['; 1000]).is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"?").is_err());
    }
}
