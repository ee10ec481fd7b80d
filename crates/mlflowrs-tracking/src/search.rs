//! MLflow's search filter and order-by syntax (`metrics.acc > 0.9 AND
//! params.lr = '0.1'`, `name LIKE 'iris%'`, `attributes.start_time DESC`),
//! parsed once and evaluated against entities in memory, and the page tokens
//! MLflow hands out (base64 of `{"offset": N}`).

use base64::Engine as _;

use super::error::MlflowError;

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Num(f64),
    List(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    /// `metric`, `param`, `tag`, `attribute` or `dataset`; `attribute` for a bare name.
    pub kind: String,
    pub key: String,
    pub op: String,
    pub value: Literal,
}

/// A field's value on an entity, as a filter sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Str(String),
    Num(f64),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Num(f64),
    Op(String),
    LParen,
    RParen,
    Comma,
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("unterminated string".into()),
                    Some(&q) if q == c => {
                        // '' inside a quoted string is one quote, as in SQL.
                        if chars.get(i + 1) == Some(&c) {
                            s.push(c);
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            // A quoted name directly after `tags.` is a key, not a value.
            if let Some(Token::Ident(prev)) = tokens.last_mut() {
                if prev.ends_with('.') {
                    prev.push_str(&s);
                    continue;
                }
            }
            tokens.push(Token::Str(s));
        } else if c == '`' {
            let end = chars[i + 1..]
                .iter()
                .position(|&ch| ch == '`')
                .ok_or("unterminated backtick")?;
            let s: String = chars[i + 1..i + 1 + end].iter().collect();
            i += end + 2;
            match tokens.last_mut() {
                Some(Token::Ident(prev)) if prev.ends_with('.') => prev.push_str(&s),
                _ => tokens.push(Token::Ident(s)),
            }
        } else if c == '(' {
            tokens.push(Token::LParen);
            i += 1;
        } else if c == ')' {
            tokens.push(Token::RParen);
            i += 1;
        } else if c == ',' {
            tokens.push(Token::Comma);
            i += 1;
        } else if "=!<>".contains(c) {
            let start = i;
            while i < chars.len() && "=!<>".contains(chars[i]) {
                i += 1;
            }
            tokens.push(Token::Op(chars[start..i].iter().collect()));
        } else if c.is_ascii_digit() || (c == '-' || c == '.') && i + 1 < chars.len() {
            let start = i;
            i += 1;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric()
                    || chars[i] == '.'
                    || chars[i] == '-'
                    || chars[i] == '+')
            {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            tokens.push(Token::Num(
                s.parse().map_err(|_| format!("invalid number '{s}'"))?,
            ));
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || "_.-:/".contains(chars[i])) {
                i += 1;
            }
            tokens.push(Token::Ident(chars[start..i].iter().collect()));
        } else {
            // Punctuation where a comparator belongs: reported as a bad comparator.
            tokens.push(Token::Op(c.to_string()));
            i += 1;
        }
    }
    Ok(tokens)
}

/// `metrics.x` → (`metric`, `x`); a bare `name` → (`attribute`, `name`).
pub fn split_key(ident: &str) -> (String, String) {
    if let Some((prefix, key)) = ident.split_once('.') {
        let kind = match prefix.to_ascii_lowercase().as_str() {
            "metric" | "metrics" => Some("metric"),
            "param" | "params" | "parameter" | "parameters" => Some("param"),
            "tag" | "tags" => Some("tag"),
            "attribute" | "attributes" | "attr" | "run" => Some("attribute"),
            "dataset" | "datasets" => Some("dataset"),
            _ => None,
        };
        return match kind {
            Some(kind) => (kind.to_string(), key.to_string()),
            // `foo.acc`: MLflow names the bad entity type.
            None => ("unknown".to_string(), prefix.to_string()),
        };
    }
    ("attribute".to_string(), ident.to_string())
}

/// The filter's tokens as MLflow's registry error lists them (`name, ==`).
pub fn tokens_text(text: &str) -> String {
    match tokenize(text) {
        Ok(tokens) => tokens
            .iter()
            .map(|t| match t {
                Token::Ident(s) | Token::Op(s) => s.clone(),
                Token::Str(s) => format!("'{s}'"),
                Token::Num(n) => format_num(*n),
                Token::LParen => "(".into(),
                Token::RParen => ")".into(),
                Token::Comma => ",".into(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Err(_) => text.to_string(),
    }
}

/// Parses `a AND b AND …`; `None` or blank is no filter.
pub fn parse_filter(filter: Option<&str>) -> Result<Vec<Clause>, MlflowError> {
    let Some(text) = filter.filter(|f| !f.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let invalid = |why: &str| {
        MlflowError::invalid_parameter(
            format!("Invalid filter '{text}'. Could not be parsed. {why}")
                .trim_end()
                .to_string(),
        )
    };
    let tokens = tokenize(text).map_err(|e| invalid(&e))?;
    let mut clauses = Vec::new();
    let mut it = tokens.into_iter().peekable();
    loop {
        let Some(Token::Ident(ident)) = it.next() else {
            return Err(invalid("Expected a key."));
        };
        let (kind, key) = split_key(&ident);
        let op = match it.next() {
            Some(Token::Op(op)) if ["=", "!=", "<", "<=", ">", ">="].contains(&op.as_str()) => op,
            Some(Token::Op(op)) => {
                return Err(MlflowError::invalid_parameter(format!(
                    "Invalid comparator '{op}' not one of '{{'>', '<=', '!=', '=', '>=', '<'}}'"
                )))
            }
            Some(Token::Ident(word)) => {
                let w = word.to_ascii_uppercase();
                if w == "NOT" {
                    match it.next() {
                        Some(Token::Ident(n)) if n.eq_ignore_ascii_case("IN") => "NOT IN".into(),
                        _ => return Err(invalid("Expected IN after NOT.")),
                    }
                } else if ["LIKE", "ILIKE", "IN"].contains(&w.as_str()) {
                    w
                } else if w == "IS" {
                    match it.next() {
                        Some(Token::Ident(n)) if n.eq_ignore_ascii_case("NULL") => "IS NULL".into(),
                        Some(Token::Ident(n)) if n.eq_ignore_ascii_case("NOT") => {
                            it.next();
                            "IS NOT NULL".into()
                        }
                        _ => return Err(invalid("Expected NULL.")),
                    }
                } else {
                    return Err(invalid(&format!("Invalid comparator '{word}'.")));
                }
            }
            _ => return Err(invalid("Expected a comparator.")),
        };
        let value = if op.starts_with("IS") {
            Literal::Str(String::new())
        } else if op.ends_with("IN") {
            if it.next() != Some(Token::LParen) {
                return Err(invalid("Expected '(' after IN."));
            }
            let mut items = Vec::new();
            loop {
                match it.next() {
                    Some(Token::Str(s)) => items.push(s),
                    Some(Token::Num(n)) => items.push(format_num(n)),
                    _ => return Err(invalid("Expected a string in the IN list.")),
                }
                match it.next() {
                    Some(Token::Comma) => continue,
                    Some(Token::RParen) => break,
                    _ => return Err(invalid("Expected ',' or ')'.")),
                }
            }
            Literal::List(items)
        } else {
            match it.next() {
                Some(Token::Str(s)) => Literal::Str(s),
                Some(Token::Num(n)) => Literal::Num(n),
                _ => return Err(invalid("Expected a value.")),
            }
        };
        clauses.push(Clause {
            kind,
            key,
            op,
            value,
        });
        match it.next() {
            None => break,
            Some(Token::Ident(and)) if and.eq_ignore_ascii_case("AND") => continue,
            Some(Token::Ident(or)) if or.eq_ignore_ascii_case("OR") => {
                return Err(invalid("Only AND is supported."))
            }
            _ => return Err(invalid("Expected AND between clauses.")),
        }
    }
    Ok(clauses)
}

fn format_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// SQL LIKE: `%` any run, `_` one character.
pub fn like(value: &str, pattern: &str, case_insensitive: bool) -> bool {
    let (v, p): (Vec<char>, Vec<char>) = if case_insensitive {
        (
            value.to_lowercase().chars().collect(),
            pattern.to_lowercase().chars().collect(),
        )
    } else {
        (value.chars().collect(), pattern.chars().collect())
    };
    fn go(v: &[char], p: &[char]) -> bool {
        match p.split_first() {
            None => v.is_empty(),
            Some(('%', rest)) => (0..=v.len()).any(|i| go(&v[i..], rest)),
            Some(('_', rest)) => !v.is_empty() && go(&v[1..], rest),
            Some((c, rest)) => v.first() == Some(c) && go(&v[1..], rest),
        }
    }
    go(&v, &p)
}

impl Clause {
    /// Whether `field` (None: the entity has no such key) satisfies the clause.
    pub fn matches(&self, field: Option<&Field>) -> bool {
        match self.op.as_str() {
            "IS NULL" => return field.is_none(),
            "IS NOT NULL" => return field.is_some(),
            _ => {}
        }
        let Some(field) = field else {
            // Models never carry MLflow's prompt marker; its filters treat the
            // absence as "not a prompt", as MLflow does.
            if self.kind == "tag" && self.key == "mlflow.prompt.is_prompt" {
                let want = match &self.value {
                    Literal::Str(s) => s.as_str(),
                    _ => "",
                };
                return (self.op == "=" && want == "false") || (self.op == "!=" && want == "true");
            }
            return false;
        };
        match (&self.value, field) {
            (Literal::List(items), f) => {
                let s = match f {
                    Field::Str(s) => s.clone(),
                    Field::Num(n) => format_num(*n),
                };
                let found = items.contains(&s);
                if self.op == "NOT IN" {
                    !found
                } else {
                    found
                }
            }
            (Literal::Num(want), Field::Num(have)) => compare(have.partial_cmp(want), &self.op),
            (Literal::Num(want), Field::Str(have)) => match have.parse::<f64>() {
                Ok(h) => compare(h.partial_cmp(want), &self.op),
                Err(_) => false,
            },
            (Literal::Str(want), Field::Num(have)) => match want.parse::<f64>() {
                Ok(w) => compare(have.partial_cmp(&w), &self.op),
                Err(_) => false,
            },
            (Literal::Str(want), Field::Str(have)) => match self.op.as_str() {
                "LIKE" => like(have, want, false),
                "ILIKE" => like(have, want, true),
                op => compare(Some(have.as_str().cmp(want.as_str())), op),
            },
        }
    }
}

fn compare(ord: Option<std::cmp::Ordering>, op: &str) -> bool {
    use std::cmp::Ordering::*;
    let Some(ord) = ord else {
        return op == "!=";
    };
    match op {
        "=" => ord == Equal,
        "!=" => ord != Equal,
        ">" => ord == Greater,
        ">=" => ord != Less,
        "<" => ord == Less,
        "<=" => ord != Greater,
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    pub kind: String,
    pub key: String,
    pub ascending: bool,
}

/// `metrics.acc DESC`, `name`, `attributes.start_time ASC`.
pub fn parse_order_by(items: &[String]) -> Result<Vec<OrderBy>, MlflowError> {
    items
        .iter()
        .map(|item| {
            let tokens = tokenize(item).map_err(|e| {
                MlflowError::invalid_parameter(format!("Invalid order_by clause '{item}'. {e}"))
            })?;
            let mut it = tokens.into_iter();
            let Some(Token::Ident(ident)) = it.next() else {
                return Err(MlflowError::invalid_parameter(format!(
                    "Invalid order_by clause '{item}'. Could not be parsed."
                )));
            };
            let ascending = match it.next() {
                None => true,
                Some(Token::Ident(d)) if d.eq_ignore_ascii_case("ASC") => true,
                Some(Token::Ident(d)) if d.eq_ignore_ascii_case("DESC") => false,
                _ => {
                    return Err(MlflowError::invalid_parameter(format!(
                        "Invalid ordering key in order_by clause '{item}'."
                    )))
                }
            };
            let (kind, key) = split_key(&ident);
            Ok(OrderBy {
                kind,
                key,
                ascending,
            })
        })
        .collect()
}

/// Compares two optional fields; missing values sort last either way, as
/// MLflow's SQL store does.
pub fn order_fields(a: Option<&Field>, b: Option<&Field>, ascending: bool) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => {
            let o = match (x, y) {
                (Field::Num(x), Field::Num(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
                (Field::Str(x), Field::Str(y)) => x.cmp(y),
                (Field::Num(_), Field::Str(_)) => Ordering::Less,
                (Field::Str(_), Field::Num(_)) => Ordering::Greater,
            };
            if ascending {
                o
            } else {
                o.reverse()
            }
        }
    }
}

/// An entity a filter and an order-by can read fields of.
pub trait Searchable {
    /// The value of `kind.key` (`metric.acc`, `tag.x`, `attribute.name`).
    fn field(&self, kind: &str, key: &str) -> Option<Field>;
}

/// Keeps the items every clause matches and sorts them by `order`, then by
/// `tiebreak` (each search's own default order).
pub fn filter_and_sort<T: Searchable>(
    mut items: Vec<T>,
    clauses: &[Clause],
    order: &[OrderBy],
    tiebreak: impl Fn(&T, &T) -> std::cmp::Ordering,
) -> Vec<T> {
    items.retain(|item| {
        clauses
            .iter()
            .all(|c| c.matches(item.field(&c.kind, &c.key).as_ref()))
    });
    items.sort_by(|a, b| {
        order
            .iter()
            .map(|o| {
                order_fields(
                    a.field(&o.kind, &o.key).as_ref(),
                    b.field(&o.kind, &o.key).as_ref(),
                    o.ascending,
                )
            })
            .find(|o| o.is_ne())
            .unwrap_or_else(|| tiebreak(a, b))
    });
    items
}

pub fn decode_page_token(token: Option<&str>) -> Result<usize, MlflowError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(0);
    };
    let bad = || {
        MlflowError::invalid_parameter(format!(
            "Invalid page token, could not base64-decode and parse as JSON: {token}"
        ))
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| bad())?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    json.get("offset")
        .and_then(|o| o.as_u64())
        .map(|o| o as usize)
        .ok_or_else(bad)
}

pub fn encode_page_token(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{{\"offset\": {offset}}}"))
}

/// One page of `items` from the token's offset, and the next token if more remain.
pub fn paginate<T>(
    items: Vec<T>,
    page_token: Option<&str>,
    max_results: usize,
) -> Result<(Vec<T>, Option<String>), MlflowError> {
    let offset = decode_page_token(page_token)?;
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(offset).take(max_results).collect();
    let next = (offset + max_results < total).then(|| encode_page_token(offset + max_results));
    Ok((page, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_mlflow_syntax() {
        let c = parse_filter(Some(
            "metrics.acc > 0.9 and params.lr = '0.1' AND tags.`mlflow.runName` LIKE 'r%' and attributes.run_id IN ('a', 'b')",
        ))
        .unwrap();
        assert_eq!(c.len(), 4);
        assert_eq!(
            (c[0].kind.as_str(), c[0].key.as_str(), c[0].op.as_str()),
            ("metric", "acc", ">")
        );
        assert_eq!(c[0].value, Literal::Num(0.9));
        assert_eq!(c[2].key, "mlflow.runName");
        assert_eq!(c[3].value, Literal::List(vec!["a".into(), "b".into()]));
        let n = parse_filter(Some("name = 'iris'")).unwrap();
        assert_eq!(
            (n[0].kind.as_str(), n[0].key.as_str()),
            ("attribute", "name")
        );
        let q = parse_filter(Some("tags.\"my key\" != 'x'")).unwrap();
        assert_eq!(q[0].key, "my key");
        assert!(parse_filter(Some("metrics.acc >")).is_err());
        assert!(parse_filter(Some("a = 'x' OR b = 'y'")).is_err());
    }

    #[test]
    fn clauses_compare_as_mlflow_does() {
        let c = &parse_filter(Some("metrics.acc >= 0.5")).unwrap()[0];
        assert!(c.matches(Some(&Field::Num(0.5))));
        assert!(!c.matches(Some(&Field::Num(0.4))));
        assert!(!c.matches(None));
        assert!(like("iris-model", "iris%", false));
        assert!(!like("Iris", "iris%", false));
        assert!(like("Iris", "iris%", true));
        assert!(like("abc", "a_c", false));
    }

    #[test]
    fn page_tokens_round_trip() {
        let (page, next) = paginate((0..5).collect(), None, 2).unwrap();
        assert_eq!(page, vec![0, 1]);
        let (page, next) = paginate((0..5).collect(), next.as_deref(), 2).unwrap();
        assert_eq!(page, vec![2, 3]);
        let (page, next) = paginate((0..5).collect::<Vec<i32>>(), next.as_deref(), 2).unwrap();
        assert_eq!((page, next), (vec![4], None));
        assert!(decode_page_token(Some("garbage!")).is_err());
    }
}
