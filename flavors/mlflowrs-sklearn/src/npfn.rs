//! The numpy/scipy elementwise functions the linear models need.
//!
//! TODO(trees helper): once `crate::trees::npmath` is `pub(crate)`, these
//! delegate to it (it reproduces numpy's AVX-512 SVML exp/log bit for bit);
//! until then they use libm, which equals numpy on CPUs without AVX-512.

/// `np.argmax` of one row: the first maximum, or the first NaN.
pub(crate) fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x.is_nan() {
            return i;
        }
        if let Some(&b) = v.get(best) {
            if x > b {
                best = i;
            }
        }
    }
    best
}

/// `scipy.special.expit`: `1 / (1 + exp(-x))` with libm's exp.
pub(crate) fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// numpy's pairwise summation (`np.add.reduce` over a contiguous axis).
pub(crate) fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &v in a {
            res += v;
        }
        // numpy starts from -0.0 for n < 8? No: from 0. and adds in order.
        res
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for k in 0..8 {
                r[k] += a[i + k];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// `np.exp(x, out=x)`.
pub(crate) fn np_exp(x: &mut [f64]) {
    for v in x {
        *v = v.exp();
    }
}

/// `np.log(x, out=x)`.
pub(crate) fn np_log(x: &mut [f64]) {
    for v in x {
        *v = v.ln();
    }
}

/// `sklearn.utils.extmath.softmax` on a row-major `[rows, k]` array.
pub(crate) fn softmax_rows(x: &mut [f64], k: usize) {
    if k == 0 {
        return;
    }
    for row in x.chunks_exact_mut(k) {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, |m, v| {
            if m.is_nan() || v.is_nan() {
                f64::NAN
            } else if v > m {
                v
            } else {
                m
            }
        });
        for v in row.iter_mut() {
            *v -= max;
        }
    }
    np_exp(x);
    for row in x.chunks_exact_mut(k) {
        let sum = pairwise_sum(row);
        for v in row.iter_mut() {
            *v /= sum;
        }
    }
}
