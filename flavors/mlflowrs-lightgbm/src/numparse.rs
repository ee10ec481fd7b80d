//! Number parsing as LightGBM's model loader does it.
//!
//! LightGBM reads tree arrays with two different parsers: thresholds, leaf
//! values and linear-leaf coefficients go through a correctly rounded parser
//! (fast_double_parser / strtod, which `str::parse::<f64>` matches), while
//! objective parameters such as `sigmoid:0.7` go through `Common::Atof`, a
//! hand-written parser that can be an ulp off. The latter is replicated here
//! operation by operation, since the sigmoid factor multiplies every score.

use crate::error::LightGbmError;

/// LightGBM's `Common::Pow`, in its exact recursion order.
fn lgb_pow(base: f64, power: i32) -> f64 {
    if power < 0 {
        1.0 / lgb_pow(base, -power)
    } else if power == 0 {
        1.0
    } else if power % 2 == 0 {
        lgb_pow(base * base, power / 2)
    } else if power % 3 == 0 {
        lgb_pow(base * base * base, power / 3)
    } else {
        base * lgb_pow(base, power - 1)
    }
}

/// LightGBM's `Common::Atof` on one token (the part after `sigmoid:`).
/// Text after the number is ignored, as LightGBM ignores it.
pub(crate) fn lgb_atof(text: &str) -> Result<f64, LightGbmError> {
    let b = text.as_bytes();
    let mut p = 0usize;
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    while at(p) == b' ' {
        p += 1;
    }
    let mut sign = 1.0f64;
    if at(p) == b'-' {
        sign = -1.0;
        p += 1;
    } else if at(p) == b'+' {
        p += 1;
    }
    let c = at(p);
    if c.is_ascii_digit() || c == b'.' || c == b'e' || c == b'E' {
        let mut value = 0.0f64;
        while at(p).is_ascii_digit() {
            value = value * 10.0 + f64::from(at(p) - b'0');
            p += 1;
        }
        if at(p) == b'.' {
            let mut right = 0.0f64;
            let mut nn: i32 = 0;
            p += 1;
            while at(p).is_ascii_digit() {
                right = f64::from(at(p) - b'0') + right * 10.0;
                nn = nn.saturating_add(1);
                p += 1;
            }
            value += right / lgb_pow(10.0, nn);
        }
        let mut frac = false;
        let mut scale = 1.0f64;
        if at(p) == b'e' || at(p) == b'E' {
            p += 1;
            if at(p) == b'-' {
                frac = true;
                p += 1;
            } else if at(p) == b'+' {
                p += 1;
            }
            // uint32 arithmetic in LightGBM: wraps on absurd exponents.
            let mut expon: u32 = 0;
            while at(p).is_ascii_digit() {
                expon = expon.wrapping_mul(10).wrapping_add(u32::from(at(p) - b'0'));
                p += 1;
            }
            if expon > 308 {
                expon = 308;
            }
            while expon >= 50 {
                scale *= 1E50;
                expon -= 50;
            }
            while expon >= 8 {
                scale *= 1E8;
                expon -= 8;
            }
            while expon > 0 {
                scale *= 10.0;
                expon -= 1;
            }
        }
        Ok(sign * if frac { value / scale } else { value * scale })
    } else {
        let word: String = b[p..]
            .iter()
            .take_while(|&&c| !matches!(c, b' ' | b'\t' | b',' | b'\n' | b'\r' | b':'))
            .map(|&c| char::from(c.to_ascii_lowercase()))
            .collect();
        match word.as_str() {
            "" => Ok(f64::NAN),
            "na" | "nan" | "null" => Ok(f64::NAN),
            "inf" | "infinity" => Ok(sign * 1e308),
            _ => Err(LightGbmError::corrupt(format!(
                "Unknown token {word} in objective parameter"
            ))),
        }
    }
}

/// A correctly rounded double, as LightGBM's `AtofPrecise` (fast_double_parser,
/// strtod for `inf`/`nan`) reads a threshold or leaf value.
pub(crate) fn precise_f64(token: &str, what: &str) -> Result<f64, LightGbmError> {
    token
        .parse::<f64>()
        .map_err(|_| LightGbmError::corrupt(format!("{what}: '{}' is not a number", clip(token))))
}

/// A decimal integer in `[min, max]`.
pub(crate) fn int_in(token: &str, min: i64, max: i64, what: &str) -> Result<i64, LightGbmError> {
    let v: i64 = token.trim().parse().map_err(|_| {
        LightGbmError::corrupt(format!("{what}: '{}' is not an integer", clip(token)))
    })?;
    if v < min || v > max {
        return Err(LightGbmError::corrupt(format!(
            "{what}: {v} is outside [{min}, {max}]"
        )));
    }
    Ok(v)
}

/// The space-separated tokens of an array field (LightGBM's `Split` drops empty pieces).
pub(crate) fn tokens(value: &str) -> impl Iterator<Item = &str> {
    value.split(' ').filter(|s| !s.is_empty())
}

/// Parses exactly `n` space-separated values with `parse`.
pub(crate) fn array<T>(
    value: &str,
    n: usize,
    what: &str,
    mut parse: impl FnMut(&str) -> Result<T, LightGbmError>,
) -> Result<Vec<T>, LightGbmError> {
    // Never allocate from the declared count: it is only compared with what is there.
    let out = tokens(value)
        .map(&mut parse)
        .collect::<Result<Vec<T>, _>>()?;
    if out.len() != n {
        return Err(LightGbmError::corrupt(format!(
            "{what} has {} values, expected {n}",
            out.len()
        )));
    }
    Ok(out)
}

/// At most 60 characters of `s`, for error messages.
pub(crate) fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atof_matches_lightgbm_on_simple_values() {
        assert_eq!(lgb_atof("1").unwrap(), 1.0);
        assert_eq!(lgb_atof("0.5").unwrap(), 0.5);
        assert_eq!(lgb_atof("-2.25").unwrap(), -2.25);
        assert_eq!(lgb_atof("1e-3").unwrap(), 1.0 / 1000.0);
        assert_eq!(lgb_atof("inf").unwrap(), 1e308);
        assert!(lgb_atof("nan").unwrap().is_nan());
        assert!(lgb_atof("zz").is_err());
    }

    #[test]
    fn atof_is_not_correctly_rounded() {
        // 0.7 = 7 / 10 here, which happens to be the nearest double; the
        // parser differs from strtod on longer inputs, e.g. 1.23457:
        let v = lgb_atof("1.23457").unwrap();
        assert_eq!(v, 1.0 + 23457.0 / 100000.0);
    }

    #[test]
    fn arrays_check_their_length() {
        let ok = array("1 2  3", 3, "x", |t| int_in(t, 0, 9, "x")).unwrap();
        assert_eq!(ok, vec![1, 2, 3]);
        assert!(array("1 2", 3, "x", |t| int_in(t, 0, 9, "x")).is_err());
        assert!(array("1 2 30", 3, "x", |t| int_in(t, 0, 9, "x")).is_err());
    }
}
