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

use crate::table::{ColMatrix, Layout};

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
    if n.checked_mul(d).is_none_or(|nd| a.len() < nd) || x.len() < d {
        return y;
    }
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
    if n.checked_mul(d).is_none_or(|nd| a.len() < nd) || x.len() < d {
        return y;
    }
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

/// Defines `$name`, which runs `$imp` compiled for FMA+AVX2 when the CPU
/// has them. Results are identical either way (`mul_add` is a fused
/// multiply-add in software too); hardware FMA is faster and row loops
/// vectorise.
macro_rules! fast_kernel {
    ($name:ident => $imp:ident($($a:ident: $t:ty),*) -> $r:ty) => {
        fn $name($($a: $t),*) -> $r {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "fma,avx2")]
                fn fast($($a: $t),*) -> $r {
                    $imp($($a),*)
                }
                if std::arch::is_x86_feature_detected!("fma")
                    && std::arch::is_x86_feature_detected!("avx2")
                {
                    // SAFETY: the CPU supports FMA and AVX2 (checked above).
                    return unsafe { fast($($a),*) };
                }
            }
            $imp($($a),*)
        }
    };
}

fast_kernel!(gemv_t_cols => gemv_t_cols_impl(x: &ColMatrix, w: &[f64]) -> Vec<f64>);
fast_kernel!(gemv_n_cols => gemv_n_cols_impl(x: &ColMatrix, w: &[f64]) -> Vec<f64>);
fast_kernel!(fma_chain => fma_chain_impl(x: &ColMatrix, w: &[f64]) -> Vec<f64>);
fast_kernel!(sparse => sparse_impl(x: &ColMatrix, w: &[f64]) -> Vec<f64>);

/// `dgemv_t` on X stored by column: each row's dot product with `w`, with
/// the lane structure of the Haswell kernels (see [`gemv_t`]).
#[inline(always)]
fn gemv_t_cols_impl(x: &ColMatrix, w: &[f64]) -> Vec<f64> {
    let (n, d) = (x.rows, x.cols);
    let mut y = vec![0.0f64; n];
    let m3 = d % 4;
    let aligned = d - m3;
    let full4 = n & !3;
    let two = n % 4 >= 2;
    let mut lanes = vec![vec![0.0f64; n]; 4];
    let mut start = 0;
    while start < aligned {
        let end = (start + NBMAX).min(aligned);
        for l in lanes.iter_mut() {
            l.iter_mut().for_each(|v| *v = 0.0);
        }
        for (i, &wt) in w[start..end].iter().enumerate() {
            let col = x.col(start + i);
            let lane = &mut lanes[i % 4];
            for (acc, &v) in lane[..full4].iter_mut().zip(&col[..full4]) {
                *acc = v.mul_add(wt, *acc);
            }
            // Leftover rows: SSE kernels without FMA (2 lanes, then 4).
            for r in full4..n {
                let l = if two && r < full4 + 2 { i % 2 } else { i % 4 };
                lanes[l][r] += col[r] * wt;
            }
        }
        for (r, yr) in y.iter_mut().enumerate() {
            let t = if two && r >= full4 && r < full4 + 2 {
                lanes[0][r] + lanes[1][r]
            } else {
                (lanes[0][r] + lanes[2][r]) + (lanes[1][r] + lanes[3][r])
            };
            *yr += t;
        }
        start = end;
    }
    if m3 > 0 {
        let c0 = x.col(aligned);
        let w0 = w[aligned];
        match m3 {
            1 => {
                for (yr, &a) in y.iter_mut().zip(c0) {
                    *yr = a.mul_add(w0, *yr);
                }
            }
            2 => {
                let (c1, w1) = (x.col(aligned + 1), w[aligned + 1]);
                for ((yr, &a), &b) in y.iter_mut().zip(c0).zip(c1) {
                    *yr += a.mul_add(w0, b * w1);
                }
            }
            _ => {
                let (c1, w1) = (x.col(aligned + 1), w[aligned + 1]);
                let (c2, w2) = (x.col(aligned + 2), w[aligned + 2]);
                for (((yr, &a), &b), &c) in y.iter_mut().zip(c0).zip(c1).zip(c2) {
                    *yr += c.mul_add(w2, a.mul_add(w0, b * w1));
                }
            }
        }
    }
    y
}

/// `dgemv_n` on X stored by column (see [`gemv_n`]).
#[inline(always)]
fn gemv_n_cols_impl(x: &ColMatrix, w: &[f64]) -> Vec<f64> {
    let (n, d) = (x.rows, x.cols);
    let mut y = vec![0.0f64; n];
    let m3 = n % 4;
    let body = n - m3;
    let mut j = 0;
    while j + 4 <= d {
        let (c0, c1, c2, c3) = (x.col(j), x.col(j + 1), x.col(j + 2), x.col(j + 3));
        let (w0, w1, w2, w3) = (w[j], w[j + 1], w[j + 2], w[j + 3]);
        for r in 0..body {
            let t4 = c2[r].mul_add(w2, c0[r] * w0);
            let t5 = c3[r].mul_add(w3, c1[r] * w1);
            y[r] += t4 + t5;
        }
        j += 4;
    }
    if d - j >= 2 {
        let (c0, c1, w0, w1) = (x.col(j), x.col(j + 1), w[j], w[j + 1]);
        for r in 0..body {
            y[r] += c0[r] * w0 + c1[r] * w1;
        }
        j += 2;
    }
    if j < d {
        let (c0, w0) = (x.col(j), w[j]);
        for r in 0..body {
            y[r] += c0[r] * w0;
        }
    }
    for (r, yr) in y.iter_mut().enumerate().skip(body) {
        let mut t = 0.0f64;
        let mut k = 0;
        // The `lda == m3` fast path pairs products (only when n < 4).
        if n == m3 && m3 >= 2 {
            while k + 4 <= d {
                t += x.get(r, k) * w[k] + x.get(r, k + 1) * w[k + 1];
                t += x.get(r, k + 2) * w[k + 2] + x.get(r, k + 3) * w[k + 3];
                k += 4;
            }
        }
        while k < d {
            t += x.get(r, k) * w[k];
            k += 1;
        }
        *yr = 0.0 + t;
    }
    y
}

/// One FMA chain per row over the features (dgemm's micro-kernels).
#[inline(always)]
fn fma_chain_impl(x: &ColMatrix, w: &[f64]) -> Vec<f64> {
    let mut acc = vec![0.0f64; x.rows];
    for (t, &wt) in w.iter().enumerate().take(x.cols) {
        for (a, &v) in acc.iter_mut().zip(x.col(t)) {
            *a = v.mul_add(wt, *a);
        }
    }
    acc
}

/// scipy's CSR mat-vec: a sequential sum over the stored non-zeros.
#[inline(always)]
fn sparse_impl(x: &ColMatrix, w: &[f64]) -> Vec<f64> {
    let mut acc = vec![0.0f64; x.rows];
    for (t, &wt) in w.iter().enumerate().take(x.cols) {
        for (a, &v) in acc.iter_mut().zip(x.col(t)) {
            if v != 0.0 {
                *a += v * wt;
            }
        }
    }
    acc
}

/// `X @ w` for a 1-D `w` of length `x.cols` (also `X @ coef_.T` for a
/// `(1, d)` coef), as numpy/scipy compute it for X's layout.
pub fn matvec(x: &ColMatrix, w: &[f64]) -> Vec<f64> {
    let (n, d) = (x.rows, x.cols);
    if d == 0 || w.len() != d || x.data.len() != n * d {
        return vec![0.0; n];
    }
    match x.layout {
        Layout::Sparse => sparse(x, w),
        _ if n == 1 => {
            let row: Vec<f64> = (0..d).map(|t| x.get(0, t)).collect();
            vec![ddot(&row, w)]
        }
        Layout::C => gemv_t_cols(x, w),
        Layout::F => gemv_n_cols(x, w),
    }
}

/// `X @ W.T` for `W` of shape `(k, d)` given row-major; returns `(n, k)`
/// row-major. `w_fortran`: numpy holds W Fortran-ordered (then `W.T` is
/// C-contiguous and a single row goes through `dgemv_n`).
pub fn matmat_t(x: &ColMatrix, w: &[f64], k: usize, w_fortran: bool) -> Vec<f64> {
    let (n, d) = (x.rows, x.cols);
    if k == 1 {
        return matvec(x, w);
    }
    let mut out = vec![0.0f64; n * k];
    if d == 0 || w.len() != k * d || x.data.len() != n * d {
        return out;
    }
    if n == 1 && x.layout != Layout::Sparse {
        // A single row is numpy's vector @ matrix: dgemv over the classes,
        // transposed or not by W's layout.
        let row: Vec<f64> = (0..d).map(|t| x.get(0, t)).collect();
        return if w_fortran {
            gemv_n(w, k, d, &row)
        } else {
            gemv_t(w, k, d, &row)
        };
    }
    for j in 0..k {
        let wj = &w[j * d..j * d + d];
        let col = if x.layout == Layout::Sparse {
            sparse(x, wj)
        } else {
            fma_chain(x, wj)
        };
        for (r, v) in col.into_iter().enumerate() {
            out[r * k + j] = v;
        }
    }
    out
}
