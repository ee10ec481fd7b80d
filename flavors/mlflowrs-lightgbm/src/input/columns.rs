//! Copying typed columns into the row-major double matrix, with the casts
//! numpy applies on the way.

use mlflowrs_flavor_api::{FlavorError, TensorData};

use super::shared::{err, squash};

/// Copies a row-major `[rows, ncol]` buffer into `[rows, nf]`, dropping
/// columns past `nf` (LightGBM ignores feature indices it does not have).
pub(super) fn copy_rows(src: &[f64], rows: usize, ncol: usize, dst: &mut [f64], nf: usize) {
    let keep = ncol.min(nf);
    for r in 0..rows {
        for j in 0..keep {
            dst[r * nf + j] = squash(src[r * ncol + j]);
        }
    }
}

macro_rules! each_numeric_vec {
    ($data:expr, $v:ident => $body:expr) => {
        match $data {
            TensorData::Bool($v) => {
                let $v = $v.iter().map(|&b| if b { 1.0f64 } else { 0.0 });
                $body
            }
            TensorData::I8($v) => {
                let $v = $v.iter().map(|&x| f64::from(x));
                $body
            }
            TensorData::I16($v) => {
                let $v = $v.iter().map(|&x| f64::from(x));
                $body
            }
            TensorData::I32($v) => {
                let $v = $v.iter().map(|&x| f64::from(x));
                $body
            }
            TensorData::I64($v) => {
                let $v = $v.iter().map(|&x| x as f64);
                $body
            }
            TensorData::U8($v) => {
                let $v = $v.iter().map(|&x| f64::from(x));
                $body
            }
            TensorData::U16($v) => {
                let $v = $v.iter().map(|&x| f64::from(x));
                $body
            }
            TensorData::U32($v) => {
                let $v = $v.iter().map(|&x| f64::from(x));
                $body
            }
            TensorData::U64($v) => {
                let $v = $v.iter().map(|&x| x as f64);
                $body
            }
            TensorData::F32($v) => {
                let $v = $v.iter().map(|&x| f64::from(x));
                $body
            }
            TensorData::F64($v) => {
                let $v = $v.iter().copied();
                $body
            }
            TensorData::Str(_) => {}
        }
    };
}

/// Writes a 1-D column into column `j` of the row-major `dst`.
pub(super) fn scatter_column(src: &TensorData, dst: &mut [f64], j: usize, nf: usize) {
    each_numeric_vec!(src, values => {
        for (cell, v) in dst.iter_mut().skip(j).step_by(nf).zip(values) {
            *cell = squash(v);
        }
    });
}

/// Writes column `j` of a row-major `[rows, ncol]` tensor into column `j` of `dst`.
pub(super) fn scatter_strided(
    src: &TensorData,
    j: usize,
    ncol: usize,
    rows: usize,
    dst: &mut [f64],
    nf: usize,
    as_f32: bool,
) {
    // i64 -> f32 must round once, straight from the integer (numpy's cast), not via f64.
    let mut through_f32 = |values: &mut dyn Iterator<Item = f32>| {
        for (cell, x) in dst.iter_mut().skip(j).step_by(nf).zip(values).take(rows) {
            *cell = squash(f64::from(x));
        }
    };
    match src {
        TensorData::I64(v) if as_f32 => {
            through_f32(&mut v.iter().skip(j).step_by(ncol).map(|&x| x as f32))
        }
        TensorData::U64(v) if as_f32 => {
            through_f32(&mut v.iter().skip(j).step_by(ncol).map(|&x| x as f32))
        }
        TensorData::I32(v) if as_f32 => {
            through_f32(&mut v.iter().skip(j).step_by(ncol).map(|&x| x as f32))
        }
        TensorData::U32(v) if as_f32 => {
            through_f32(&mut v.iter().skip(j).step_by(ncol).map(|&x| x as f32))
        }
        // The remaining types are exact in f32, so widening through f64 is the same.
        _ => each_numeric_vec!(src, values => {
            for (cell, v) in dst.iter_mut().skip(j).step_by(nf).zip(values.skip(j).step_by(ncol)).take(rows) {
                *cell = squash(v);
            }
        }),
    }
}

/// Python's `float(str)` closely enough for numeric strings (numpy's
/// string-to-float cast calls it); other text fails with Python's message.
pub(super) fn python_float(s: &str) -> Result<f64, FlavorError> {
    let t = s.trim();
    let cleaned: String;
    let t = if t.contains('_') {
        cleaned = t.replace('_', "");
        cleaned.as_str()
    } else {
        t
    };
    t.parse::<f64>()
        .map_err(|_| err(format!("could not convert string to float: '{s}'")))
}
