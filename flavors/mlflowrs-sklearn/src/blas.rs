//! `X @ coef.T` as numpy computes it, summation order included.
//!
//! numpy hands float64 products to OpenBLAS, whose kernels sum in a fixed
//! but layout-dependent order (SIMD lanes, FMA or not). The routines below
//! reproduce the order of OpenBLAS 0.3.31's Haswell kernels — the ones the
//! numpy 2.x wheels in the project venv select on x86-64 CPUs reported as
//! Haswell/Zen — so that results agree to the bit:
//!
//! * one row (`n == 1`): `ddot` (16 FMA lanes over `d & -16`, then a plain
//!   sequential tail);
//! * C-ordered X: `dgemv_t` (rows in groups of 4 with 4 FMA lanes, 2 and 1
//!   leftover rows with SSE lanes and no FMA, the `d % 4` tail features with
//!   the contractions gcc emitted);
//! * F-ordered X (what `check_array` makes of a DataFrame): `dgemv_n`
//!   (features in groups of 4, no FMA in the C tail code);
//! * several outputs (`k >= 2`, multiclass): `dgemm`, one FMA chain per
//!   element. Known gap: when `n` is odd the last row's outputs in column
//!   groups of 4 come from a micro-kernel whose order is not reproduced and
//!   may differ by an ulp; a single row uses `dgemv_t` over the classes
//!   (exact);
//! * sparse X (scipy CSR from a sparse one-hot encoding): a plain sequential
//!   sum over the stored non-zeros.
//!
//! Verified against numpy on this machine (see tests/linear_exactness);
//! other OpenBLAS kernels (SkylakeX, Zen with AVX-512 in newer OpenBLAS,
//! macOS Accelerate) sum differently and may differ in the last bit.

use crate::table::{Layout, Matrix};

const NBMAX: usize = 2048;

#[inline]
fn fma(a: f64, b: f64, c: f64) -> f64 {
    a.mul_add(b, c)
}

/// OpenBLAS Haswell `ddot` of two equal-length slices.
pub fn ddot(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    let n1 = n & !15;
    let mut dot = 0.0;
    if n1 > 0 {
        let mut acc = [[0.0f64; 4]; 4];
        for i in 0..n1 {
            let a = (i % 16) / 4;
            let l = i % 4;
            acc[a][l] = fma(y[i], x[i], acc[a][l]);
        }
        let h = |a: usize| [acc[a][0] + acc[a][2], acc[a][1] + acc[a][3]];
        let (h4, h5, h6, h7) = (h(0), h(1), h(2), h(3));
        let s45 = [h4[0] + h5[0], h4[1] + h5[1]];
        let s67 = [h6[0] + h7[0], h6[1] + h7[1]];
        let s = [s45[0] + s67[0], s45[1] + s67[1]];
        dot = s[0] + s[1];
    }
    for i in n1..n {
        dot += y[i] * x[i];
    }
    dot
}

/// `dgemv_kernel_4x4` (Haswell): 4 FMA lanes by index mod 4.
fn lanes4_fma(a: &[f64], x: &[f64]) -> f64 {
    let mut l = [0.0f64; 4];
    for (i, (&ai, &xi)) in a.iter().zip(x).enumerate() {
        l[i % 4] = fma(ai, xi, l[i % 4]);
    }
    (l[0] + l[2]) + (l[1] + l[3])
}

/// `dgemv_kernel_4x2` (SSE2): 2 lanes, multiply then add.
fn lanes2(a: &[f64], x: &[f64]) -> f64 {
    let mut l = [0.0f64; 2];
    for (i, (&ai, &xi)) in a.iter().zip(x).enumerate() {
        l[i % 2] += ai * xi;
    }
    l[0] + l[1]
}

/// `dgemv_kernel_4x1` (SSE2): 4 accumulators, multiply then add.
fn lanes4(a: &[f64], x: &[f64]) -> f64 {
    let mut l = [0.0f64; 4];
    for (i, (&ai, &xi)) in a.iter().zip(x).enumerate() {
        l[i % 4] += ai * xi;
    }
    (l[0] + l[2]) + (l[1] + l[3])
}

/// `dgemv_t` (y = A^T x, column-major A of `n` columns of length `d`): the
/// dot product of each of `n` rows of the row-major `a` (stride `d`) with `x`.
pub fn gemv_t(a: &[f64], n: usize, d: usize, x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0f64; n];
    let m3 = d % 4;
    let aligned = d - m3;
    let full4 = n & !3;
    let mut start = 0;
    while start < aligned {
        let end = (start + NBMAX).min(aligned);
        let xs = &x[start..end];
        for (r, yr) in y.iter_mut().enumerate() {
            let row = &a[r * d + start..r * d + end];
            let t = if r < full4 {
                lanes4_fma(row, xs)
            } else if n % 4 >= 2 && r < full4 + 2 {
                lanes2(row, xs)
            } else {
                lanes4(row, xs)
            };
            *yr += t;
        }
        start = end;
    }
    if m3 > 0 {
        let xt = &x[aligned..d];
        for (r, yr) in y.iter_mut().enumerate() {
            let t = &a[r * d + aligned..r * d + d];
            *yr = match m3 {
                1 => fma(t[0], xt[0], *yr),
                2 => *yr + fma(t[0], xt[0], t[1] * xt[1]),
                _ => *yr + fma(t[2], xt[2], fma(t[0], xt[0], t[1] * xt[1])),
            };
        }
    }
    y
}

/// `dgemv_n` (y = A x, column-major A with `n` rows, `d` columns) with A
/// given row-major in `a`.
pub fn gemv_n(a: &[f64], n: usize, d: usize, x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0f64; n];
    let m3 = n % 4;
    let body = n - m3;
    for (r, yr) in y.iter_mut().enumerate().take(body) {
        let row = &a[r * d..r * d + d];
        let mut acc = 0.0f64;
        let mut j = 0;
        while j + 4 <= d {
            let mut t4 = row[j] * x[j];
            let mut t5 = row[j + 1] * x[j + 1];
            t4 = fma(row[j + 2], x[j + 2], t4);
            t5 = fma(row[j + 3], x[j + 3], t5);
            acc += t4 + t5;
            j += 4;
        }
        if d - j >= 2 {
            acc += row[j] * x[j] + row[j + 1] * x[j + 1];
            j += 2;
        }
        if j < d {
            acc += row[j] * x[j];
        }
        *yr = acc;
    }
    for (r, yr) in y.iter_mut().enumerate().skip(body) {
        let row = &a[r * d..r * d + d];
        let mut t = 0.0f64;
        let mut k = 0;
        // The `lda == m3` fast path pairs products (only when n < 4).
        if n == m3 && m3 >= 2 {
            while k + 4 <= d {
                t += row[k] * x[k] + row[k + 1] * x[k + 1];
                t += row[k + 2] * x[k + 2] + row[k + 3] * x[k + 3];
                k += 4;
            }
        }
        while k < d {
            t += row[k] * x[k];
            k += 1;
        }
        *yr = 0.0 + t;
    }
    y
}

/// scipy's CSR mat-vec: a sequential sum over the non-zeros of each row.
fn sparse_dot(row: &[f64], x: &[f64]) -> f64 {
    let mut s = 0.0f64;
    for (&a, &b) in row.iter().zip(x) {
        if a != 0.0 {
            s += a * b;
        }
    }
    s
}

/// `X @ w` for a 1-D `w` of length `x.cols` (also `X @ coef_.T` for a
/// `(1, d)` coef), as numpy/scipy compute it for X's layout.
pub fn matvec(x: &Matrix, w: &[f64]) -> Vec<f64> {
    let (n, d) = (x.rows, x.cols);
    if d == 0 || w.len() != d || x.data.len() != n * d {
        return vec![0.0; n];
    }
    match x.layout {
        Layout::Sparse => (0..n).map(|r| sparse_dot(x.row(r), w)).collect(),
        _ if n == 1 => vec![ddot(x.row(0), w)],
        Layout::C => gemv_t(&x.data, n, d, w),
        Layout::F => gemv_n(&x.data, n, d, w),
    }
}

/// `X @ W.T` for `W` of shape `(k, d)` given row-major; returns `(n, k)`
/// row-major.
pub fn matmat_t(x: &Matrix, w: &[f64], k: usize) -> Vec<f64> {
    let (n, d) = (x.rows, x.cols);
    if k == 1 {
        return matvec(x, w);
    }
    let mut out = vec![0.0f64; n * k];
    if d == 0 || w.len() != k * d || x.data.len() != n * d {
        return out;
    }
    match x.layout {
        Layout::Sparse => {
            for r in 0..n {
                let row = x.row(r);
                for j in 0..k {
                    out[r * k + j] = sparse_dot(row, &w[j * d..j * d + d]);
                }
            }
        }
        _ if n == 1 => {
            // dgemm with M == 1 is forwarded to dgemv over the classes.
            out = gemv_t(w, k, d, x.row(0));
        }
        _ => {
            for r in 0..n {
                let row = x.row(r);
                for j in 0..k {
                    let wj = &w[j * d..j * d + d];
                    let mut c = 0.0f64;
                    for t in 0..d {
                        c = fma(row[t], wj[t], c);
                    }
                    out[r * k + j] = c;
                }
            }
        }
    }
    out
}
