//! The Python literal subset numpy writes in a .npy header
//! (`{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }`), read the way
//! `ast.literal_eval` would for these forms. Nesting is bounded.

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Str(String),
    Int(i128),
    Bool(bool),
    None,
    Tuple(Vec<Lit>),
    List(Vec<Lit>),
    Dict(Vec<(Lit, Lit)>),
}

const MAX_DEPTH: usize = 16;

pub(crate) fn parse(text: &str) -> Result<Lit, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("trailing characters at offset {}", p.i));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Lit, String> {
        if depth > MAX_DEPTH {
            return Err("header nests too deeply".into());
        }
        self.ws();
        match self.peek() {
            Some(b'{') => {
                self.i += 1;
                let mut out = Vec::new();
                loop {
                    if self.eat(b'}') {
                        return Ok(Lit::Dict(out));
                    }
                    let k = self.value(depth + 1)?;
                    if !self.eat(b':') {
                        return Err(format!("expected ':' at offset {}", self.i));
                    }
                    let v = self.value(depth + 1)?;
                    out.push((k, v));
                    if !self.eat(b',') {
                        if self.eat(b'}') {
                            return Ok(Lit::Dict(out));
                        }
                        return Err(format!("expected ',' or '}}' at offset {}", self.i));
                    }
                }
            }
            Some(open @ (b'(' | b'[')) => {
                self.i += 1;
                let close = if open == b'(' { b')' } else { b']' };
                let mut out = Vec::new();
                let mut trailing_comma = false;
                loop {
                    if self.eat(close) {
                        break;
                    }
                    out.push(self.value(depth + 1)?);
                    trailing_comma = self.eat(b',');
                    if !trailing_comma {
                        if self.eat(close) {
                            break;
                        }
                        return Err(format!("expected ',' at offset {}", self.i));
                    }
                }
                if open == b'(' {
                    // `(x)` is x itself in Python; `(x,)` is a tuple.
                    if out.len() == 1 && !trailing_comma {
                        return out.pop().ok_or_else(|| "empty".to_string());
                    }
                    Ok(Lit::Tuple(out))
                } else {
                    Ok(Lit::List(out))
                }
            }
            Some(q @ (b'\'' | b'"')) => self.string(q),
            Some(b'-' | b'+' | b'0'..=b'9') => self.int(),
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.i;
                while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_') {
                    self.i += 1;
                }
                match &self.s[start..self.i] {
                    b"True" => Ok(Lit::Bool(true)),
                    b"False" => Ok(Lit::Bool(false)),
                    b"None" => Ok(Lit::None),
                    other => Err(format!(
                        "unexpected name {:?} in header",
                        String::from_utf8_lossy(other)
                    )),
                }
            }
            Some(c) => Err(format!("unexpected {:?} at offset {}", c as char, self.i)),
            None => Err("unexpected end of header".into()),
        }
    }

    fn int(&mut self) -> Result<Lit, String> {
        let start = self.i;
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.i += 1;
        }
        while matches!(self.peek(), Some(b'0'..=b'9' | b'_')) {
            self.i += 1;
        }
        let text: String = String::from_utf8_lossy(&self.s[start..self.i]).replace('_', "");
        // numpy 1.x headers written by Python 2 may carry an `L` suffix.
        if self.peek() == Some(b'L') {
            self.i += 1;
        }
        text.parse::<i128>()
            .map(Lit::Int)
            .map_err(|_| format!("bad integer {text:?} in header"))
    }

    fn string(&mut self, quote: u8) -> Result<Lit, String> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.peek().ok_or("unterminated string in header")?;
            self.i += 1;
            if c == quote {
                break;
            }
            if c != b'\\' {
                out.push(c);
                continue;
            }
            let e = self.peek().ok_or("unterminated escape in header")?;
            self.i += 1;
            match e {
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'r' => out.push(b'\r'),
                b'0' => out.push(0),
                b'\\' | b'\'' | b'"' => out.push(e),
                b'x' => {
                    let hex = self.s.get(self.i..self.i + 2).ok_or("short \\x escape")?;
                    let v = u8::from_str_radix(std::str::from_utf8(hex).unwrap_or("zz"), 16)
                        .map_err(|_| "bad \\x escape in header")?;
                    self.i += 2;
                    // \xNN is a code point, not a byte.
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(char::from(v).encode_utf8(&mut buf).as_bytes());
                }
                _ => return Err(format!("unsupported escape \\{} in header", e as char)),
            }
        }
        String::from_utf8(out)
            .map(Lit::Str)
            .map_err(|_| "header string is not valid text".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_header() {
        let v = parse("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 1), }   \n").unwrap();
        assert_eq!(
            v,
            Lit::Dict(vec![
                (Lit::Str("descr".into()), Lit::Str("<f8".into())),
                (Lit::Str("fortran_order".into()), Lit::Bool(false)),
                (
                    Lit::Str("shape".into()),
                    Lit::Tuple(vec![Lit::Int(3), Lit::Int(1)])
                ),
            ])
        );
        assert_eq!(parse("(3,)").unwrap(), Lit::Tuple(vec![Lit::Int(3)]));
        assert_eq!(parse("()").unwrap(), Lit::Tuple(vec![]));
        assert_eq!(parse("(3)").unwrap(), Lit::Int(3));
        assert!(parse("[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]").is_err());
        assert!(parse("{'a': __import__}").is_err());
    }
}
