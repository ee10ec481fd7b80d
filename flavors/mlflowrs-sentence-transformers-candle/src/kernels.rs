//! The encoder's CPU kernels on plain row-major `f32` slices: the matrix
//! products go to `gemm` (the kernel library candle's own matmul calls);
//! everything between them is fused into one pass per row, because on a
//! small model like all-MiniLM-L6-v2 a separate tensor (and pass over
//! memory) per elementwise step cost as much as the products themselves.
//! Rows are split over rayon's threads, which gemm shares.

use rayon::prelude::*;

use crate::config::Activation;

/// Rows handed to one rayon task: enough work to amortise the task.
const ROWS_PER_TASK: usize = 16;

/// A dense layer, its weight stored transposed (`[in, out]`, row-major) so
/// that gemm reads it with unit column stride.
pub struct Linear {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
    pub inputs: usize,
    pub outputs: usize,
}

impl Linear {
    /// `y[rows, outputs] = x[rows, inputs] · W + b`.
    pub fn forward(&self, x: &[f32], rows: usize, y: &mut [f32]) {
        assert_eq!(x.len(), rows * self.inputs);
        assert_eq!(y.len(), rows * self.outputs);
        if rows == 0 {
            return;
        }
        // The bias goes in first and gemm adds the product onto it.
        y.par_chunks_mut(self.outputs)
            .with_min_len(ROWS_PER_TASK)
            .for_each(|row| row.copy_from_slice(&self.bias));
        let threads = rayon::current_num_threads();
        let parallelism = if threads > 1 {
            gemm::Parallelism::Rayon(threads)
        } else {
            gemm::Parallelism::None
        };
        // SAFETY: the three matrices are exactly the slices asserted above,
        // with the row strides given; dst does not alias lhs or rhs.
        unsafe {
            gemm::gemm(
                rows,
                self.outputs,
                self.inputs,
                y.as_mut_ptr(),
                1,
                self.outputs as isize,
                true,
                x.as_ptr(),
                1,
                self.inputs as isize,
                self.weight.as_ptr(),
                1,
                self.outputs as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                parallelism,
            );
        }
    }
}

pub struct LayerNorm {
    pub gamma: Vec<f32>,
    pub beta: Vec<f32>,
    pub eps: f32,
}

impl LayerNorm {
    /// `x = LayerNorm(x + residual)` row by row (`residual` may be empty).
    pub fn add_and_normalize(&self, x: &mut [f32], residual: &[f32]) {
        let width = self.gamma.len();
        if residual.is_empty() {
            x.par_chunks_mut(width)
                .with_min_len(ROWS_PER_TASK)
                .for_each(|row| self.normalize_row(row));
            return;
        }
        x.par_chunks_mut(width)
            .zip(residual.par_chunks(width))
            .with_min_len(ROWS_PER_TASK)
            .for_each(|(row, add)| {
                for (v, a) in row.iter_mut().zip(add) {
                    *v += a;
                }
                self.normalize_row(row);
            });
    }

    fn normalize_row(&self, row: &mut [f32]) {
        let n = row.len() as f32;
        let mean = row.iter().sum::<f32>() / n;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        let inv = 1.0 / (var + self.eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(&self.gamma).zip(&self.beta) {
            *v = (*v - mean) * inv * g + b;
        }
    }
}

/// Applies the feed-forward activation in place.
pub fn activate(x: &mut [f32], activation: Activation) {
    x.par_chunks_mut(4096).for_each(|chunk| match activation {
        Activation::Gelu => chunk.iter_mut().for_each(|v| *v = gelu_erf(*v)),
        Activation::GeluTanh => chunk.iter_mut().for_each(|v| *v = gelu_tanh(*v)),
        Activation::Relu => chunk.iter_mut().for_each(|v| *v = v.max(0.0)),
    });
}

fn gelu_erf(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

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
/// key and value (`[tokens, 3 · hidden]`), `lengths` the sentences' token
/// counts in order; each sentence attends only to its own tokens, so no
/// padding is computed or masked. Writes `[tokens, hidden]` into `context`.
pub fn attention(qkv: &[f32], lengths: &[usize], heads: usize, context: &mut [f32]) {
    let hidden = context.len() / lengths.iter().sum::<usize>().max(1);
    let head = hidden / heads;
    let scale = 1.0 / (head as f32).sqrt();
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
        let mut scores = vec![0f32; len];
        for h in 0..heads {
            let (q_at, k_at, v_at) = (h * head, hidden + h * head, 2 * hidden + h * head);
            for i in 0..len {
                let q = &rows[i * 3 * hidden + q_at..][..head];
                let mut max = f32::MIN;
                for (j, s) in scores.iter_mut().enumerate() {
                    let k = &rows[j * 3 * hidden + k_at..][..head];
                    *s = dot(q, k) * scale;
                    max = max.max(*s);
                }
                let mut sum = 0.0;
                for s in scores.iter_mut() {
                    *s = exp(*s - max);
                    sum += *s;
                }
                let o = &mut out[i * hidden + h * head..][..head];
                o.fill(0.0);
                for (j, s) in scores.iter().enumerate() {
                    let v = &rows[j * 3 * hidden + v_at..][..head];
                    let w = s / sum;
                    for (o, v) in o.iter_mut().zip(v) {
                        *o += w * v;
                    }
                }
            }
        }
    });
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight partial sums, so the loop vectorises without reassociation.
    let mut acc = [0f32; 8];
    let chunks = a.len() / 8 * 8;
    for (ca, cb) in a[..chunks].chunks_exact(8).zip(b[..chunks].chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += ca[k] * cb[k];
        }
    }
    let tail: f32 = a[chunks..].iter().zip(&b[chunks..]).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
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
        attention(&qkv, &[1], 2, &mut out);
        assert_eq!(out, [7.0, 8.0, 9.0, 10.0]);
    }

    #[test]
    fn linear_adds_the_bias_to_the_product() {
        // W (stored [in, out]) = [[1, 2], [3, 4]], b = [10, 20].
        let layer = Linear {
            weight: vec![1.0, 2.0, 3.0, 4.0],
            bias: vec![10.0, 20.0],
            inputs: 2,
            outputs: 2,
        };
        let mut y = [0f32; 4];
        layer.forward(&[1.0, 1.0, 2.0, 0.0], 2, &mut y);
        assert_eq!(y, [14.0, 26.0, 12.0, 24.0]);
    }
}
