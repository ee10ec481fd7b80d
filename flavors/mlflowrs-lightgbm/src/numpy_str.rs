//! numpy's `str()` of a 1-D array, for scikit-learn's "Expected 2D array"
//! message: per-dtype formatting with common padding, `...` summarization
//! past 1000 elements and wrapping at 75 columns. Float formatting follows
//! numpy's default `maxprec` mode (at most 8 decimals, fixed or scientific
//! notation chosen for the whole array as numpy chooses it).

use mlflowrs_flavor_api::TensorData;

const EDGE_ITEMS: usize = 3;
const THRESHOLD: usize = 1000;
const LINE_WIDTH: usize = 75;

/// The shortest decimal of `v` with at most 8 digits after the point,
/// without trailing zeros (`2.5`, `-2.`, `0.33333333`).
fn fixed_digits(v: f64) -> String {
    // Display never uses exponents for f64, and prints the shortest round trip.
    let mut s = format!("{v}");
    if s.split_once('.').is_some_and(|(_, frac)| frac.len() > 8) {
        s = format!("{v:.8}");
    }
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
    } else {
        s.push('.');
    }
    s
}

/// Mantissa digits (`1.5`, `1.`) and exponent of `v` in scientific notation.
fn sci_digits(v: f64) -> (String, i32) {
    let mut s = format!("{v:e}");
    if s.split_once('e')
        .and_then(|(m, _)| m.split_once('.'))
        .is_some_and(|(_, frac)| frac.len() > 8)
    {
        s = format!("{v:.8e}");
    }
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let mut m = mantissa.to_string();
    if m.contains('.') {
        while m.ends_with('0') {
            m.pop();
        }
    } else {
        m.push('.');
    }
    (m, exp.parse().unwrap_or(0))
}

fn format_floats(values: &[f64]) -> Vec<String> {
    let finite: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v != 0.0)
        .map(f64::abs)
        .collect();
    let max = finite.iter().copied().fold(0.0f64, f64::max);
    let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let scientific = !finite.is_empty() && (max >= 1e8 || min < 1e-4 || max / min > 1000.0);
    let parts: Vec<Option<(String, String, Option<i32>)>> = values
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                return None;
            }
            let (digits, exp) = if scientific {
                let (m, e) = sci_digits(v);
                (m, Some(e))
            } else {
                (fixed_digits(v), None)
            };
            let (int, frac) = digits.split_once('.').unwrap_or((&digits, ""));
            Some((int.to_string(), frac.to_string(), exp))
        })
        .collect();
    let mut pad_left = parts
        .iter()
        .flatten()
        .map(|(i, _, _)| i.len())
        .max()
        .unwrap_or(0);
    let pad_right = parts
        .iter()
        .flatten()
        .map(|(_, f, _)| f.len())
        .max()
        .unwrap_or(0);
    if !scientific && values.iter().any(|v| !v.is_finite()) {
        // numpy widens the integer part so that `nan` / `inf` / `-inf` fit.
        let neg_inf = values.contains(&f64::NEG_INFINITY);
        let offset = pad_right + 1;
        pad_left = pad_left
            .max(3usize.saturating_sub(offset))
            .max((3 + usize::from(neg_inf)).saturating_sub(offset));
    }
    let exp_width = parts
        .iter()
        .flatten()
        .filter_map(|(_, _, e)| e.map(|e| e.unsigned_abs().to_string().len().max(2)))
        .max()
        .unwrap_or(2);
    let width = if scientific {
        pad_left + 1 + pad_right + 2 + exp_width
    } else {
        pad_left + 1 + pad_right
    };
    values
        .iter()
        .zip(parts)
        .map(|(&v, p)| match p {
            None => {
                let word = if v.is_nan() {
                    "nan"
                } else if v > 0.0 {
                    "inf"
                } else {
                    "-inf"
                };
                format!("{word:>width$}")
            }
            Some((int, frac, Some(e))) => {
                // Scientific mantissas are padded with zeros.
                let sign = if e < 0 { '-' } else { '+' };
                format!(
                    "{int:>pad_left$}.{frac:0<pad_right$}e{sign}{:0>exp_width$}",
                    e.unsigned_abs()
                )
            }
            Some((int, frac, None)) => format!("{int:>pad_left$}.{frac:<pad_right$}"),
        })
        .collect()
}

fn words(data: &TensorData, idx: &[usize]) -> Vec<String> {
    match data {
        TensorData::Str(s) => idx.iter().map(|&i| format!("'{}'", s[i])).collect(),
        TensorData::Bool(b) => idx
            .iter()
            .map(|&i| format!("{:>5}", if b[i] { "True" } else { "False" }))
            .collect(),
        d if d.dtype().is_float() => {
            let v: Vec<f64> = idx.iter().map(|&i| d.get_f64(i)).collect();
            format_floats(&v)
        }
        d => {
            let v: Vec<String> = idx
                .iter()
                .map(|&i| match d {
                    TensorData::U64(u) => u[i].to_string(),
                    _ => d.get_i64(i).to_string(),
                })
                .collect();
            let w = v.iter().map(String::len).max().unwrap_or(0);
            v.into_iter().map(|s| format!("{s:>w$}")).collect()
        }
    }
}

/// `str(np.asarray(data))` for a 1-D array.
pub(crate) fn numpy_str(data: &TensorData) -> String {
    let n = data.len();
    let summarize = n > THRESHOLD;
    let idx: Vec<usize> = if summarize {
        (0..EDGE_ITEMS).chain(n - EDGE_ITEMS..n).collect()
    } else {
        (0..n).collect()
    };
    let mut items = words(data, &idx);
    if summarize {
        items.insert(EDGE_ITEMS, "...".to_string());
    }
    let mut out = String::new();
    let mut line = String::from("[");
    let last = items.len().saturating_sub(1);
    for (i, word) in items.iter().enumerate() {
        // numpy keeps room for the closing bracket on every line.
        if line.len() + word.len() > LINE_WIDTH - 1 && line.len() > 1 {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(" ");
        }
        line.push_str(word);
        if i != last {
            line.push(' ');
        }
    }
    out.push_str(&line);
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: &[f64]) -> String {
        numpy_str(&TensorData::F64(v.to_vec()))
    }

    #[test]
    fn matches_numpy() {
        assert_eq!(f(&[1.0, 2.5]), "[1.  2.5]");
        assert_eq!(numpy_str(&TensorData::I64(vec![1, 10, -3])), "[ 1 10 -3]");
        assert_eq!(
            f(&[0.1, 1.0 / 3.0, f64::NAN, -2.0]),
            "[ 0.1         0.33333333         nan -2.        ]"
        );
        let ramp: Vec<f64> = (0..30).map(|i| f64::from(i) * 1.5).collect();
        assert_eq!(
            f(&ramp),
            "[ 0.   1.5  3.   4.5  6.   7.5  9.  10.5 12.  13.5 15.  16.5 18.  19.5\n \
             21.  22.5 24.  25.5 27.  28.5 30.  31.5 33.  34.5 36.  37.5 39.  40.5\n 42.  43.5]"
        );
        assert_eq!(f(&[1e-5, 1.0]), "[1.e-05 1.e+00]");
        assert_eq!(f(&[1.5e-5, 1.0]), "[1.5e-05 1.0e+00]");
        assert_eq!(f(&[1.0, 2000.0]), "[1.e+00 2.e+03]");
        assert_eq!(f(&[1.0, 999.0]), "[  1. 999.]");
        assert_eq!(f(&[1.0, f64::INFINITY]), "[ 1. inf]");
        assert_eq!(f(&[-0.0, 0.0]), "[-0.  0.]");
        assert_eq!(f(&[123456.789, 0.001]), "[1.23456789e+05 1.00000000e-03]");
        assert_eq!(
            numpy_str(&TensorData::Bool(vec![true, false])),
            "[ True False]"
        );
        assert_eq!(
            numpy_str(&TensorData::Str(vec!["a".into(), "bc".into()])),
            "['a' 'bc']"
        );
        assert_eq!(f(&[1.0; 1001]), "[1. 1. 1. ... 1. 1. 1.]");
        assert_eq!(
            numpy_str(&TensorData::I64((0..1001).collect())),
            "[   0    1    2 ...  998  999 1000]"
        );
    }
}
