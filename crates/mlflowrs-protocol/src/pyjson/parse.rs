//! A `json.loads`-compatible parser with Python's error messages.

use super::Json;

/// Nesting deeper than this is refused (Python would hit its recursion limit).
const MAX_DEPTH: usize = 512;

#[derive(Debug, Clone, PartialEq)]
pub struct JsonError {
    /// The message as Python's `JSONDecodeError` (or `UnicodeDecodeError`) has it.
    pub message: String,
    /// Python's `repr` of the exception.
    pub repr: String,
}

pub fn parse(bytes: &[u8]) -> Result<Json, JsonError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| unicode_error(bytes, e))?;
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
    };
    p.skip_ws();
    let value = p.value()?;
    p.skip_ws();
    if p.pos != p.s.len() {
        return Err(p.error("Extra data", p.pos));
    }
    Ok(value)
}

fn unicode_error(bytes: &[u8], e: std::str::Utf8Error) -> JsonError {
    let start = e.valid_up_to();
    let end = start + e.error_len().unwrap_or(bytes.len() - start).max(1);
    let reason = match e.error_len() {
        None => "unexpected end of data",
        Some(_) if bytes[start] >= 0x80 && bytes[start] < 0xc2 || bytes[start] > 0xf4 => {
            "invalid start byte"
        }
        Some(_) => "invalid continuation byte",
    };
    let message = format!(
        "'utf-8' codec can't decode byte 0x{:02x} in position {start}: {reason}",
        bytes[start]
    );
    JsonError {
        repr: format!(
            "UnicodeDecodeError('utf-8', <{} bytes>, {start}, {end}, '{reason}')",
            bytes.len()
        ),
        message,
    }
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, msg: &str, byte_pos: usize) -> JsonError {
        let before = &self.text[..byte_pos.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let col_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = before[col_start..].chars().count() + 1;
        let ch = before.chars().count();
        let message = format!("{msg}: line {line} column {col} (char {ch})");
        JsonError {
            repr: format!("JSONDecodeError('{msg}: line {line} column {col} (char {ch})')"),
            message,
        }
    }

    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && matches!(self.s[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn starts_with(&self, lit: &[u8]) -> bool {
        self.s[self.pos..].starts_with(lit)
    }

    fn value(&mut self) -> Result<Json, JsonError> {
        let Some(&c) = self.s.get(self.pos) else {
            return Err(self.error("Expecting value", self.pos));
        };
        match c {
            b'"' => Ok(Json::Str(self.string()?)),
            b'{' => self.nested(|p| p.object()),
            b'[' => self.nested(|p| p.array()),
            b'n' if self.starts_with(b"null") => {
                self.pos += 4;
                Ok(Json::Null)
            }
            b't' if self.starts_with(b"true") => {
                self.pos += 4;
                Ok(Json::Bool(true))
            }
            b'f' if self.starts_with(b"false") => {
                self.pos += 5;
                Ok(Json::Bool(false))
            }
            b'N' if self.starts_with(b"NaN") => {
                self.pos += 3;
                Ok(Json::Float(f64::NAN))
            }
            b'I' if self.starts_with(b"Infinity") => {
                self.pos += 8;
                Ok(Json::Float(f64::INFINITY))
            }
            b'-' if self.starts_with(b"-Infinity") => {
                self.pos += 9;
                Ok(Json::Float(f64::NEG_INFINITY))
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(self.error("Expecting value", self.pos)),
        }
    }

    fn nested(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<Json, JsonError>,
    ) -> Result<Json, JsonError> {
        if self.depth >= MAX_DEPTH {
            return Err(JsonError {
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
                repr: "RecursionError('maximum recursion depth exceeded while decoding a JSON document')".into(),
            });
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.pos;
        let s = self.s;
        let mut i = self.pos;
        if s[i] == b'-' {
            i += 1;
        }
        match s.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while i < s.len() && s[i].is_ascii_digit() {
                    i += 1;
                }
            }
            _ => return Err(self.error("Expecting value", start)),
        }
        let mut is_float = false;
        if s.get(i) == Some(&b'.') && s.get(i + 1).is_some_and(u8::is_ascii_digit) {
            is_float = true;
            i += 1;
            while i < s.len() && s[i].is_ascii_digit() {
                i += 1;
            }
        }
        if matches!(s.get(i), Some(b'e' | b'E')) {
            let mut j = i + 1;
            if matches!(s.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            if s.get(j).is_some_and(u8::is_ascii_digit) {
                is_float = true;
                while j < s.len() && s[j].is_ascii_digit() {
                    j += 1;
                }
                i = j;
            }
        }
        self.pos = i;
        let text = &self.text[start..i];
        if is_float {
            Ok(Json::Float(text.parse().unwrap_or(f64::NAN)))
        } else {
            Ok(text
                .parse::<i64>()
                .map(Json::Int)
                .unwrap_or_else(|_| Json::BigInt(text.to_string())))
        }
    }

    fn string(&mut self) -> Result<String, JsonError> {
        let begin = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while self.pos < self.s.len()
                && !matches!(self.s[self.pos], b'"' | b'\\')
                && self.s[self.pos] >= 0x20
            {
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.s.get(self.pos) {
                None => return Err(self.error("Unterminated string starting at", begin)),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let esc_pos = self.pos;
                    let Some(&e) = self.s.get(self.pos + 1) else {
                        return Err(self.error("Unterminated string starting at", begin));
                    };
                    self.pos += 2;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4(esc_pos)?;
                            let code = if (0xd800..0xdc00).contains(&hi)
                                && self.s.get(self.pos) == Some(&b'\\')
                                && self.s.get(self.pos + 1) == Some(&b'u')
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let lo = self.hex4(save)?;
                                if (0xdc00..0xe000).contains(&lo) {
                                    0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                                } else {
                                    self.pos = save;
                                    hi
                                }
                            } else {
                                hi
                            };
                            // Python keeps lone surrogates; Rust strings cannot.
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        _ => return Err(self.error("Invalid \\escape", esc_pos)),
                    }
                }
                Some(_) => return Err(self.error("Invalid control character at", self.pos)),
            }
        }
    }

    fn hex4(&mut self, esc_pos: usize) -> Result<u32, JsonError> {
        let digits = self
            .s
            .get(self.pos..self.pos + 4)
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit));
        match digits {
            Some(d) => {
                self.pos += 4;
                Ok(u32::from_str_radix(std::str::from_utf8(d).unwrap_or("0"), 16).unwrap_or(0))
            }
            None => Err(self.error("Invalid \\uXXXX escape", esc_pos)),
        }
    }

    fn object(&mut self) -> Result<Json, JsonError> {
        self.pos += 1;
        let mut items: Vec<(String, Json)> = Vec::new();
        self.skip_ws();
        if self.s.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Json::Dict(items));
        }
        loop {
            if self.s.get(self.pos) != Some(&b'"') {
                return Err(self.error(
                    "Expecting property name enclosed in double quotes",
                    self.pos,
                ));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.s.get(self.pos) != Some(&b':') {
                return Err(self.error("Expecting ':' delimiter", self.pos));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value()?;
            // A repeated key keeps its first position and its last value, as in a dict.
            match items.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => items.push((key, value)),
            }
            self.skip_ws();
            match self.s.get(self.pos) {
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Dict(items));
                }
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                }
                _ => return Err(self.error("Expecting ',' delimiter", self.pos)),
            }
        }
    }

    fn array(&mut self) -> Result<Json, JsonError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.s.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Json::List(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_ws();
            match self.s.get(self.pos) {
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::List(items));
                }
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                }
                _ => return Err(self.error("Expecting ',' delimiter", self.pos)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_extensions_and_types() {
        let v = parse(b"{\"a\": [1, 1.0, NaN, -Infinity, 123456789012345678901234]}").unwrap();
        let Json::List(items) = v.get("a").unwrap() else {
            panic!()
        };
        assert_eq!(items[0], Json::Int(1));
        assert_eq!(items[1], Json::Float(1.0));
        assert!(matches!(items[2], Json::Float(f) if f.is_nan()));
        assert_eq!(items[3], Json::Float(f64::NEG_INFINITY));
        assert_eq!(items[4], Json::BigInt("123456789012345678901234".into()));
    }

    #[test]
    fn python_error_messages() {
        assert_eq!(
            parse(b"{not json").unwrap_err().message,
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
        );
        assert_eq!(
            parse(b"").unwrap_err().message,
            "Expecting value: line 1 column 1 (char 0)"
        );
        assert_eq!(
            parse(b"[1, 2").unwrap_err().message,
            "Expecting ',' delimiter: line 1 column 6 (char 5)"
        );
        assert_eq!(
            parse(b"{} x").unwrap_err().message,
            "Extra data: line 1 column 4 (char 3)"
        );
        assert!(parse(b"\xff")
            .unwrap_err()
            .repr
            .starts_with("UnicodeDecodeError"));
        let deep = "[".repeat(100_000);
        assert!(parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn nesting_limit_at_its_edge() {
        let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(nest(MAX_DEPTH).as_bytes()).is_ok());
        let err = parse(nest(MAX_DEPTH + 1).as_bytes()).unwrap_err();
        assert!(err.repr.starts_with("RecursionError"), "{err:?}");
    }

    #[test]
    fn duplicate_keys_keep_last_value() {
        assert_eq!(
            parse(b"{\"a\": 1, \"b\": 2, \"a\": 3}").unwrap(),
            Json::Dict(vec![("a".into(), Json::Int(3)), ("b".into(), Json::Int(2))])
        );
    }
}
