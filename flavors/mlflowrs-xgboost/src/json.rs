//! A bounded JSON reader for XGBoost's `.json` models.
//!
//! It parses numbers the way XGBoost's reader does: a number with a fraction
//! or exponent becomes a float32 rounded once from its decimal text (going
//! through f64 first could round twice), anything else an int64. It also
//! accepts the `NaN` and `Infinity` literals XGBoost writes.

use std::collections::BTreeMap;

use crate::error::XgbError;
use crate::value::{Value, MAX_DEPTH};

pub(crate) fn parse(bytes: &[u8]) -> Result<Value, XgbError> {
    let mut p = Parser { bytes, pos: 0 };
    p.skip_ws();
    let v = p.value(0)?;
    p.skip_ws();
    if p.pos != bytes.len() {
        return Err(p.err("trailing characters after the document"));
    }
    Ok(v)
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, msg: &str) -> XgbError {
        XgbError::corrupt(format!("JSON: {msg} at offset {}", self.pos))
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, XgbError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b't') if self.literal(b"true") => Ok(Value::Bool(true)),
            Some(b'f') if self.literal(b"false") => Ok(Value::Bool(false)),
            Some(b'n') if self.literal(b"null") => Ok(Value::Null),
            Some(b'N') if self.literal(b"NaN") => Ok(Value::Float(f32::NAN)),
            Some(b'I') if self.literal(b"Infinity") => Ok(Value::Float(f32::INFINITY)),
            Some(b'-' | b'+' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("unexpected character")),
            None => Err(self.err("unexpected end of input")),
        }
    }

    fn number(&mut self) -> Result<Value, XgbError> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.pos += 1;
        }
        if self.literal(b"Infinity") {
            return Ok(Value::Float(if negative {
                f32::NEG_INFINITY
            } else {
                f32::INFINITY
            }));
        }
        let digits = |p: &mut Self| {
            let s = p.pos;
            while let Some(b'0'..=b'9') = p.peek() {
                p.pos += 1;
            }
            p.pos - s
        };
        let int_digits = digits(self);
        let mut is_float = false;
        let mut frac_digits = 0;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            is_float = true;
            frac_digits = digits(self);
        }
        if int_digits + frac_digits == 0 {
            return Err(self.err("expecting digits"));
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            is_float = true;
            if let Some(b'-' | b'+') = self.peek() {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.err("expecting exponent digits"));
            }
        }
        // All bytes here are ASCII digits, signs, '.', 'e': valid UTF-8.
        let text = std::str::from_utf8(&self.bytes[start..self.pos])
            .map_err(|_| self.err("bad number"))?;
        let text = text.strip_prefix('+').unwrap_or(text);
        if is_float {
            text.parse::<f32>()
                .map(Value::Float)
                .map_err(|_| self.err("bad number"))
        } else {
            text.parse::<i64>()
                .map(Value::Int)
                .map_err(|_| self.err("integer out of range"))
        }
    }

    fn hex4(&mut self) -> Result<u32, XgbError> {
        let s = self
            .bytes
            .get(self.pos..self.pos + 4)
            .and_then(|s| std::str::from_utf8(s).ok())
            .and_then(|s| u32::from_str_radix(s, 16).ok())
            .ok_or_else(|| self.err("bad \\u escape"))?;
        self.pos += 4;
        Ok(s)
    }

    fn string(&mut self) -> Result<String, XgbError> {
        self.pos += 1; // opening quote
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(self.err("unterminated string"));
            };
            self.pos += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.err("unterminated escape"));
                    };
                    self.pos += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi)
                                && self.bytes[self.pos..].starts_with(b"\\u")
                            {
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err("bad surrogate pair"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code).ok_or_else(|| self.err("bad \\u escape"))?
                        }
                        _ => return Err(self.err("bad escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                _ => out.push(b),
            }
        }
        String::from_utf8(out).map_err(|_| self.err("string is not valid UTF-8"))
    }

    fn array(&mut self, depth: usize) -> Result<Value, XgbError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::array(items));
                }
                _ => return Err(self.err("expecting `,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, XgbError> {
        self.pos += 1;
        let mut map = BTreeMap::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(map));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expecting a key"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expecting `:`"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth)?;
            // XGBoost's JSON reader keeps the last of duplicate keys.
            map.insert(key, value);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                _ => return Err(self.err("expecting `,` or `}`")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_float32_or_int64() {
        let v =
            parse(br#"{"a": [1, -2.5e-1, NaN, -Infinity], "b": 12, "c": "x\u00e9\n"}"#).unwrap();
        let Some(Value::Nums(a)) = v.get("a") else {
            panic!("{v:?}")
        };
        assert_eq!(a[0], 1.0);
        assert_eq!(a[1], -0.25);
        assert!(a[2].is_nan());
        assert_eq!(a[3], f64::NEG_INFINITY);
        assert_eq!(v.get("b"), Some(&Value::Int(12)));
        assert_eq!(v.get("c"), Some(&Value::Str("x\u{e9}\n".into())));
    }

    #[test]
    fn float_text_is_rounded_once_to_float32() {
        // Halfway between two float32 values by a hair: f64-then-f32 would
        // round twice.
        let text = "1.00000005960464477539062500001";
        let v = parse(text.as_bytes()).unwrap();
        assert_eq!(v, Value::Float(text.parse::<f32>().unwrap()));
    }

    #[test]
    fn rejects_malformed_documents() {
        for bad in [
            &b"{"[..],
            b"[1,",
            b"{\"a\" 1}",
            b"\"abc",
            b"[1 2]",
            b"99999999999999999999",
            b"-",
            b"1e",
            b"{} x",
            b"\"\\ud800\\u0041\"",
        ] {
            assert!(parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert!(parse(&[b'['; 1000]).is_err());
    }
}
