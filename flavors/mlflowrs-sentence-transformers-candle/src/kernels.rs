//! The encoder's CPU kernels between its matrix products (`product`), on
//! plain row-major `f32` slices: everything between two products is fused
//! into one pass per row, the products' biases included, because on a
//! small model like all-MiniLM-L6-v2 a separate tensor (and pass over
//! memory) per elementwise step cost as much as the products themselves.
//! Rows are split over rayon's threads.

use rayon::prelude::*;

use crate::config::Activation;

/// Rows handed to one rayon task: enough work to amortise the task.
pub const ROWS_PER_TASK: usize = 16;

/// Defines a kernel compiled twice: for baseline x86-64 (the crate's
/// target, whose SSE2 vectors hold 4 floats) and with AVX2 (8), the second
/// picked when the CPU has it. Helpers it calls are `#[inline(always)]` so
/// that they are compiled into both.
macro_rules! kernel {
    ($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$doc])*
        fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn body($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn avx2($($arg: $ty),*) {
                    body($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has AVX2, checked just above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}

pub struct LayerNorm {
    pub gamma: Vec<f32>,
    pub beta: Vec<f32>,
    pub eps: f32,
}

impl LayerNorm {
    /// `x = LayerNorm(x + bias + residual)` row by row (`residual` may be
    /// empty, `bias` a row).
    pub fn add_and_normalize(&self, x: &mut [f32], bias: &[f32], residual: &[f32]) {
        let width = self.gamma.len();
        let chunk = width * ROWS_PER_TASK;
        if residual.is_empty() {
            x.par_chunks_mut(chunk)
                .for_each(|rows| add_and_normalize_rows(self, rows, bias, &[]));
            return;
        }
        x.par_chunks_mut(chunk)
            .zip(residual.par_chunks(chunk))
            .for_each(|(rows, add)| add_and_normalize_rows(self, rows, bias, add));
    }
}

kernel! {
    fn add_and_normalize_rows(norm: &LayerNorm, rows: &mut [f32], bias: &[f32], residual: &[f32]) {
        let width = norm.gamma.len();
        for (r, row) in rows.chunks_exact_mut(width).enumerate() {
            if !residual.is_empty() {
                let add = &residual[r * width..(r + 1) * width];
                for ((v, a), b) in row.iter_mut().zip(add).zip(bias) {
                    *v += a + b;
                }
            } else if !bias.is_empty() {
                for (v, b) in row.iter_mut().zip(bias) {
                    *v += b;
                }
            }
            let n = row.len() as f32;
            let mean = sum(row) / n;
            let mut var = [0f32; 8];
            for chunk in row.chunks_exact(8) {
                for k in 0..8 {
                    var[k] += (chunk[k] - mean) * (chunk[k] - mean);
                }
            }
            let tail: f32 = row[row.len() / 8 * 8..].iter().map(|v| (v - mean) * (v - mean)).sum();
            let var = (var.iter().sum::<f32>() + tail) / n;
            let inv = 1.0 / (var + norm.eps).sqrt();
            for ((v, g), b) in row.iter_mut().zip(&norm.gamma).zip(&norm.beta) {
                *v = (*v - mean) * inv * g + b;
            }
        }
    }
}

/// `x = activation(x + bias)` in place, `bias` one row.
pub fn activate(x: &mut [f32], bias: &[f32], activation: Activation) {
    x.par_chunks_mut(bias.len() * ROWS_PER_TASK)
        .for_each(|rows| activate_rows(rows, bias, activation));
}

kernel! {
    fn activate_rows(rows: &mut [f32], bias: &[f32], activation: Activation) {
        for row in rows.chunks_exact_mut(bias.len()) {
            let pairs = row.iter_mut().zip(bias);
            match activation {
                Activation::Gelu => pairs.for_each(|(v, b)| *v = gelu_erf(*v + b)),
                Activation::GeluTanh => pairs.for_each(|(v, b)| *v = gelu_tanh(*v + b)),
                Activation::Relu => pairs.for_each(|(v, b)| *v = (*v + b).max(0.0)),
            }
        }
    }
}

#[inline(always)]
fn gelu_erf(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

#[inline(always)]
fn gelu_tanh(x: f32) -> f32 {
    // tanh(u) = 1 - 2 / (exp(2u) + 1), with the vectorisable exp below.
    let u = 0.797_884_6 * (x + 0.044_715 * x * x * x);
    let tanh = 1.0 - 2.0 / (exp(2.0 * u) + 1.0);
    0.5 * x * (1.0 + tanh)
}

/// The error function as a rational function on [-4, 4] (outside it erf is
/// ±1 in f32), absolute error about 1e-7; branch-free, so the activation
/// loop vectorises, unlike libm's `erff`. The coefficients are the
/// minimax fit Eigen and XLA use for their f32 erf.
#[inline(always)]
fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10_f32;
    p = p * x2 + 2.770_681_4e-8;
    p = p * x2 - 2.101_024e-6;
    p = p * x2 - 5.692_506_4e-5;
    p = p * x2 - 7.349_906_3e-4;
    p = p * x2 - 2.954_600_1e-3;
    p = p * x2 - 1.609_603_3e-2;
    let mut q = -1.456_607_2e-5_f32;
    q = q * x2 - 2.133_740_6e-4;
    q = q * x2 - 1.682_827e-3;
    q = q * x2 - 7.373_329_2e-3;
    q = q * x2 - 1.426_474e-2;
    x * p / q
}

/// e^x to about 2 ulp, branch-free (Cephes' expf: x = n·ln2 + r, a
/// polynomial for e^r, 2^n put into the exponent bits).
#[inline(always)]
fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    // Round x·log2(e) to the nearest integer by adding 1.5·2^23: works on
    // SSE2, where `round` would be a call that stops vectorisation.
    const SHIFT: f32 = 12_582_912.0;
    let t = x * std::f32::consts::LOG2_E + SHIFT;
    let n = t - SHIFT;
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5e-1;
    let e = p * r * r + r + 1.0;
    let bits = ((t.to_bits() as i32 - SHIFT.to_bits() as i32) + 127) << 23;
    e * f32::from_bits(bits as u32)
}

/// Self-attention over packed sentences: `qkv` holds each token's query,
/// key and value products (`[tokens, 3 · hidden]`, `bias` their biases),
/// `lengths` the sentences' token counts in order; each sentence attends
/// only to its own tokens, so no padding is computed or masked. Writes
/// `[tokens, hidden]` into `context`.
pub fn attention(qkv: &[f32], bias: &[f32], lengths: &[usize], heads: usize, context: &mut [f32]) {
    let hidden = bias.len() / 3;
    let mut parts = Vec::with_capacity(lengths.len());
    let mut rest = context;
    let mut start = 0;
    for &len in lengths {
        let (part, tail) = rest.split_at_mut(len * hidden);
        parts.push((start, len, part));
        rest = tail;
        start += len;
    }
    parts.into_par_iter().for_each(|(start, len, out)| {
        let rows = &qkv[start * 3 * hidden..(start + len) * 3 * hidden];
        attend(rows, bias, len, heads, out);
    });
}

/// SIMD width the attention loops are blocked by (AVX2: 8 floats).
const LANES: usize = 8;

kernel! {
    /// One sentence's attention: `rows` its `[len, 3 · hidden]` query, key
    /// and value products, `out` its `[len, hidden]` context.
    fn attend(rows: &[f32], bias: &[f32], len: usize, heads: usize, out: &mut [f32]) {
        let hidden = bias.len() / 3;
        let head = hidden / heads;
        let scale = 1.0 / (head as f32).sqrt();
        // One sequential pass over the rows puts every head's keys,
        // transposed (`[head][c][j]`, so that a query's scores are whole
        // rows scaled and added, in registers), and values (`[head][j][c]`)
        // side by side; both padded with zeros to whole SIMD blocks.
        let len_padded = len.div_ceil(LANES) * LANES;
        let head_padded = head.div_ceil(LANES) * LANES;
        let mut keys = vec![0f32; heads * head * len_padded];
        let mut values = vec![0f32; heads * len * head_padded];
        for j in 0..len {
            let row = &rows[j * 3 * hidden..(j + 1) * 3 * hidden];
            for h in 0..heads {
                let at = hidden + h * head;
                for c in 0..head {
                    keys[(h * head + c) * len_padded + j] = row[at + c] + bias[at + c];
                }
                let at = 2 * hidden + h * head;
                let v = &mut values[(h * len + j) * head_padded..][..head];
                for ((v, r), b) in v.iter_mut().zip(&row[at..at + head]).zip(&bias[at..]) {
                    *v = r + b;
                }
            }
        }
        let mut query = vec![0f32; head];
        let mut scores = vec![0f32; len_padded];
        for i in 0..len {
            let row = &rows[i * 3 * hidden..(i + 1) * 3 * hidden];
            for h in 0..heads {
                let at = h * head;
                for ((q, r), b) in query.iter_mut().zip(&row[at..at + head]).zip(&bias[at..]) {
                    *q = (r + b) * scale;
                }
                let keys = &keys[h * head * len_padded..(h + 1) * head * len_padded];
                for (block, s) in scores.chunks_exact_mut(LANES).enumerate() {
                    let mut acc = [0f32; LANES];
                    for (c, q) in query.iter().enumerate() {
                        let k = &keys[c * len_padded + block * LANES..][..LANES];
                        for t in 0..LANES {
                            acc[t] += q * k[t];
                        }
                    }
                    s.copy_from_slice(&acc);
                }
                let scores = &mut scores[..len];
                let max = scores.iter().fold(f32::MIN, |m, &s| m.max(s));
                for s in scores.iter_mut() {
                    *s = exp(*s - max);
                }
                let inv = 1.0 / sum(scores);
                let values = &values[h * len * head_padded..(h + 1) * len * head_padded];
                let o = &mut out[i * hidden + at..][..head];
                for block in 0..head_padded / LANES {
                    let mut acc = [0f32; LANES];
                    for (s, v) in scores.iter().zip(values.chunks_exact(head_padded)) {
                        let w = s * inv;
                        let v = &v[block * LANES..][..LANES];
                        for t in 0..LANES {
                            acc[t] += w * v[t];
                        }
                    }
                    let width = LANES.min(head - block * LANES);
                    o[block * LANES..][..width].copy_from_slice(&acc[..width]);
                }
            }
        }
    }
}

/// A sum in eight lanes, so that it vectorises without reassociation.
#[inline(always)]
fn sum(a: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let chunks = a.len() / 8 * 8;
    for c in a[..chunks].chunks_exact(8) {
        for k in 0..8 {
            acc[k] += c[k];
        }
    }
    acc.iter().sum::<f32>() + a[chunks..].iter().sum::<f32>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_and_exp_match_the_standard_library() {
        let mut worst_erf = 0f32;
        let mut worst_exp = 0f32;
        for i in -6000..=6000 {
            let x = i as f32 / 1000.0;
            worst_erf = worst_erf.max((erf(x) - libm_erf(x)).abs());
            let rel = ((exp(x) - x.exp()) / x.exp()).abs();
            worst_exp = worst_exp.max(rel);
        }
        assert!(worst_erf < 1e-6, "erf off by {worst_erf}");
        assert!(worst_exp < 1e-6, "exp off by {worst_exp} (relative)");
        // Far below the range, exp flushes towards zero instead of wrapping.
        assert!((0.0..1e-37).contains(&exp(-200.0)));
    }

    /// erf in f64: its Maclaurin series near zero, the continued
    /// fraction of erfc further out.
    fn libm_erf(x: f32) -> f32 {
        let x = x as f64;
        let t = x.abs();
        let v = if t < 2.5 {
            // Maclaurin series.
            let mut sum = 0.0;
            let mut term = t;
            let mut n = 0.0;
            while term.abs() > 1e-17 {
                sum += term / (2.0 * n + 1.0);
                n += 1.0;
                term *= -t * t / n;
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            // Continued fraction for erfc.
            let mut f = 0.0;
            for k in (1..60).rev() {
                f = (k as f64 / 2.0) / (t + f);
            }
            1.0 - (-t * t).exp() / std::f64::consts::PI.sqrt() / (t + f)
        };
        (x.signum() * v) as f32
    }

    #[test]
    fn attention_of_one_token_is_its_value() {
        // One sentence of one token, two heads of size 2.
        let qkv = [1.0, 2.0, 3.0, 4.0, 0.5, 0.5, 0.5, 0.5, 7.0, 8.0, 9.0, 10.0];
        let mut out = [0f32; 4];
        attention(&qkv, &[0.0; 12], &[1], 2, &mut out);
        assert_eq!(out, [7.0, 8.0, 9.0, 10.0]);
        let mut bias = [0f32; 12];
        bias[8..].copy_from_slice(&[1.0, 1.0, 1.0, 1.0]);
        attention(&qkv, &bias, &[1], 2, &mut out);
        assert_eq!(out, [8.0, 9.0, 10.0, 11.0]);
    }
}
