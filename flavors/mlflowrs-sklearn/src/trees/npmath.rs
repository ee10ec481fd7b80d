//! The float64 elementary functions and reductions NumPy/SciPy use at
//! prediction time, reproduced bit for bit.
//!
//! * `np.exp` / `np.log` (NumPy 2.x, x86-64 wheels): on CPUs with the
//!   AVX512_SKX feature group NumPy calls Intel SVML's `__svml_exp8_ha` /
//!   `__svml_log8_ha`, which differ from glibc in the last bit for a few
//!   percent of inputs; elsewhere it calls libm. [`np_exp`] / [`np_log`]
//!   make the same choice at run time and, on AVX-512, run the same
//!   instruction sequence (transliterated from numpy/SVML's assembly).
//! * `scipy.special.expit` / `logit` are scalar libm formulas (xsf).
//! * `np.sum` along a contiguous axis is NumPy's pairwise summation.

use super::svml_tables as t;

/// `np.argmax` on float64: the first maximum, or the first NaN.
pub(crate) fn argmax(v: &[f64]) -> usize {
    let Some(&first) = v.first() else {
        return 0;
    };
    if first.is_nan() {
        return 0;
    }
    let (mut best, mut max) = (0, first);
    for (i, &x) in v.iter().enumerate().skip(1) {
        // `!(x <= max)`: greater, or NaN (which then sticks).
        if x.partial_cmp(&max).is_none_or(|o| o.is_gt()) {
            if x.is_nan() {
                return i;
            }
            best = i;
            max = x;
        }
    }
    best
}

/// NumPy's `pairwise_sum` (loops_utils.h), which `np.add.reduce` uses along
/// a contiguous axis: plain below 8 values, 8 accumulators up to 128,
/// halves (on multiples of 8) above.
pub(crate) fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &v in a {
            res += v;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for (j, rj) in r.iter_mut().enumerate() {
                *rj += a[i + j];
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

/// `scipy.special.expit`: `1 / (1 + exp(-x))` with libm's exp.
pub(crate) fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `scipy.special.logit` (xsf `logit`): `log(x / (1 - x))` away from 1/2,
/// `log1p(2(x - 1/2)) - log1p(-2(x - 1/2))` on [0.3, 0.65].
pub(crate) fn logit(x: f64) -> f64 {
    if !(0.3..=0.65).contains(&x) {
        (x / (1.0 - x)).ln()
    } else {
        let s = 2.0 * (x - 0.5);
        s.ln_1p() - (-s).ln_1p()
    }
}

/// `sklearn.utils.extmath.softmax` on a row-major `[rows, k]` array, in
/// place: subtract the row max, `np.exp` the whole array, divide by the
/// pairwise row sum.
pub(crate) fn softmax_rows(x: &mut [f64], k: usize) {
    if k == 0 {
        return;
    }
    for row in x.chunks_exact_mut(k) {
        // np.max propagates NaN.
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

/// `np.exp(x, out=x)`.
pub(crate) fn np_exp(x: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if svml::available() {
        svml::map8(x, 0.0, svml::exp8);
        return;
    }
    for v in x {
        *v = v.exp();
    }
}

/// `np.log(x, out=x)`.
pub(crate) fn np_log(x: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if svml::available() {
        svml::map8(x, 1.0, svml::log8);
        return;
    }
    for v in x {
        *v = v.ln();
    }
}

/// Whether [`np_exp`] / [`np_log`] take the SVML path on this machine
/// (reported in logs and tests).
pub(crate) fn uses_svml() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        svml::available()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
mod svml {
    use super::t;
    use std::arch::x86_64::*;
    use std::sync::OnceLock;

    const RN: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    const RZ: i32 = _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC;
    const SAE: i32 = _MM_FROUND_NO_EXC;
    /// `_CMP_GE_OQ`, `_CMP_LT_OQ`.
    const GE_OQ: i32 = 29;
    const LT_OQ: i32 = 17;

    /// NumPy dispatches its SVML loops on AVX512_SKX: F, CD, BW, DQ, VL.
    pub(super) fn available() -> bool {
        static AVAILABLE: OnceLock<bool> = OnceLock::new();
        *AVAILABLE.get_or_init(|| {
            is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx512cd")
                && is_x86_feature_detected!("avx512bw")
                && is_x86_feature_detected!("avx512dq")
                && is_x86_feature_detected!("avx512vl")
        })
    }

    /// Applies an 8-lane kernel to `x` in place; a short tail is padded
    /// with `fill` as NumPy's `npyv_load_till` pads it (lanes never mix).
    pub(super) fn map8(x: &mut [f64], fill: f64, f: unsafe fn([f64; 8]) -> [f64; 8]) {
        for chunk in x.chunks_mut(8) {
            let mut lanes = [fill; 8];
            lanes[..chunk.len()].copy_from_slice(chunk);
            // SAFETY: `f` is one of the `#[target_feature(avx512f, avx512dq)]`
            // kernels below, and `map8` is only reached after `available()`
            // confirmed those features on this CPU.
            let out = unsafe { f(lanes) };
            chunk.copy_from_slice(&out[..chunk.len()]);
        }
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn c(bits: u64) -> __m512d {
        _mm512_castsi512_pd(_mm512_set1_epi64(bits as i64))
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn table(bits: &[u64]) -> __m512d {
        let mut lanes = [0.0f64; 8];
        for (l, &b) in lanes.iter_mut().zip(bits) {
            *l = f64::from_bits(b);
        }
        // SAFETY: reads the 8 f64 of a local array.
        unsafe { _mm512_loadu_pd(lanes.as_ptr()) }
    }

    /// `__svml_exp8_ha` (svml_z0_exp_d_ha.s): 2^(N/16) by table and
    /// scalef, a degree-6 polynomial for exp(r); |x| >= 707.7 and
    /// infinities go to the scalar callout.
    #[target_feature(enable = "avx512f,avx512dq")]
    pub(super) unsafe fn exp8(input: [f64; 8]) -> [f64; 8] {
        let k = &t::EXP_CONST;
        let x = _mm512_loadu_pd(input.as_ptr());
        // 2^(52-4)*1.5 + x*log2(e), rounded toward zero.
        let z4 = _mm512_fmadd_round_pd::<RZ>(x, c(k[0]), c(k[1]));
        let abs_x = _mm512_castsi512_pd(_mm512_and_si512(
            _mm512_castpd_si512(x),
            _mm512_castpd_si512(c(k[11])),
        ));
        let n = _mm512_sub_round_pd::<RN>(z4, c(k[1]));
        let idx = _mm512_castpd_si512(z4);
        let tlr = _mm512_permutex2var_pd(table(&t::EXP_TLR[..8]), idx, table(&t::EXP_TLR[8..]));
        let th = _mm512_permutex2var_pd(table(&t::EXP_TH[..8]), idx, table(&t::EXP_TH[8..]));
        let r = _mm512_fnmadd_round_pd::<RN>(n, c(k[2]), x);
        let special = _mm512_cmp_round_pd_mask::<GE_OQ, SAE>(abs_x, c(k[12]));
        let r = _mm512_fnmadd_round_pd::<RN>(c(k[3]), n, r);
        let r = _mm512_castsi512_pd(_mm512_and_si512(
            _mm512_castpd_si512(r),
            _mm512_castpd_si512(c(k[4])),
        ));
        let r2 = _mm512_mul_round_pd::<RN>(r, r);
        let p56 = _mm512_fmadd_round_pd::<RN>(c(k[5]), r, c(k[6]));
        let p34 = _mm512_fmadd_round_pd::<RN>(c(k[7]), r, c(k[8]));
        let p12 = _mm512_fmadd_round_pd::<RN>(c(k[9]), r, c(k[10]));
        let p36 = _mm512_fmadd_round_pd::<RN>(r2, p56, p34);
        let p16 = _mm512_fmadd_round_pd::<RN>(r2, p36, p12);
        let p = _mm512_fmadd_round_pd::<RN>(p16, r, tlr);
        let thp = _mm512_fmadd_round_pd::<RN>(th, p, th);
        let res = _mm512_scalef_round_pd::<RN>(thp, n);
        let mut out = [0.0f64; 8];
        _mm512_storeu_pd(out.as_mut_ptr(), res);
        for (i, o) in out.iter_mut().enumerate() {
            if special & (1 << i) != 0 {
                *o = exp_rare(input[i]);
            }
        }
        out
    }

    fn rare(i: usize) -> f64 {
        f64::from_bits(t::EXP_RARE_TAB[i / 8])
    }

    /// `__svml_dexp_ha_cout_rare_internal`: plain SSE2 double arithmetic,
    /// so ordinary Rust float operations reproduce it.
    fn exp_rare(x: f64) -> f64 {
        let bits = x.to_bits();
        let e = (bits >> 52) & 0x7ff;
        if e == 0x7ff {
            if bits >> 63 == 1 && bits & 0x000f_ffff_ffff_ffff == 0 {
                return rare(1136); // exp(-inf) = +0
            }
            return x * x;
        }
        if e <= 970 {
            return rare(1144) + x;
        }
        if rare(1080) < x {
            return rare(1128) * rare(1128);
        }
        if x < rare(1096) {
            return rare(1120) * rare(1120);
        }
        let shifter = rare(1032);
        let s = x * rare(1024) + shifter;
        let n_low = s.to_bits() as u32;
        let j = (n_low & 63) as usize;
        let n = s - shifter;
        let th = f64::from_bits(t::EXP_RARE_TAB[2 * j]);
        let tl = f64::from_bits(t::EXP_RARE_TAB[2 * j + 1]);
        let r = (x - n * rare(1104)) - n * rare(1112);
        let m = n_low >> 6;
        let mut p = rare(1072) * r;
        p += rare(1064);
        p *= r;
        p += rare(1056);
        p *= r;
        p += rare(1048);
        p *= r;
        p += rare(1040);
        p *= r;
        p *= r;
        p += r;
        p += tl;
        p *= th;
        if x < rare(1088) {
            // Subnormal result: scale by 2^(M+60), then back by 2^-60.
            let e = m.wrapping_add(1083) & 2047;
            let scale = f64::from_bits(u64::from(e) << 52);
            let lo = p * scale;
            let hi = scale * th;
            let sum = hi + lo;
            if e <= 50 {
                return sum * rare(1160);
            }
            let err = (hi - sum) + lo;
            let tc = sum * rare(1168);
            let h = (sum + tc) - tc;
            let l = err + (sum - h);
            return h * rare(1160) + l * rare(1160);
        }
        let e = m.wrapping_add(1023) & 2047;
        p += th;
        if e > 2046 {
            let e = (e - 1) & 2047;
            return p * f64::from_bits(u64::from(e) << 52) * rare(1152);
        }
        p * f64::from_bits(u64::from(e) << 52)
    }

    /// `__svml_log8_ha` (svml_z0_log_d_ha.s): log(x) = k log 2 - log(Rcp) +
    /// log1p(Rcp*m - 1), Rcp from `vrcp14pd` rounded to 5 fraction bits;
    /// zeros, negatives, infinities and NaN go to the scalar callout.
    #[target_feature(enable = "avx512f,avx512dq")]
    pub(super) unsafe fn log8(input: [f64; 8]) -> [f64; 8] {
        let k = &t::LOG_CONST;
        let x = _mm512_loadu_pd(input.as_ptr());
        let mant = _mm512_getmant_round_pd::<_MM_MANT_NORM_1_2, _MM_MANT_SIGN_NAN, SAE>(x);
        let one = c(k[0]);
        let expo = _mm512_getexp_round_pd::<SAE>(x);
        let rcp = _mm512_rcp14_pd(mant);
        let special = _mm512_fpclass_pd_mask::<223>(x);
        let rcp = _mm512_roundscale_round_pd::<88, SAE>(rcp);
        let r = _mm512_fmsub_round_pd::<RN>(rcp, mant, one);
        let small_rcp = _mm512_cmp_round_pd_mask::<LT_OQ, SAE>(rcp, c(k[1]));
        let z7 = _mm512_fmadd_round_pd::<RN>(c(k[4]), r, c(k[5]));
        let z1 = _mm512_fmadd_round_pd::<RN>(c(k[2]), r, c(k[3]));
        let r2 = _mm512_mul_round_pd::<RN>(r, r);
        let z9 = _mm512_fmadd_round_pd::<RN>(c(k[6]), r, c(k[7]));
        let idx = _mm512_srli_epi64::<48>(_mm512_castpd_si512(rcp));
        let z1 = _mm512_fmadd_round_pd::<RN>(r2, z1, z7);
        let r4 = _mm512_mul_round_pd::<RN>(r2, r2);
        let z8 = _mm512_fmadd_round_pd::<RN>(c(k[8]), r, c(k[9]));
        let expo = _mm512_mask_add_round_pd::<RN>(expo, small_rcp, expo, one);
        let th = _mm512_permutex2var_pd(table(&t::LOG_TH[..8]), idx, table(&t::LOG_TH[8..]));
        let tl = _mm512_permutex2var_pd(table(&t::LOG_TL[..8]), idx, table(&t::LOG_TL[8..]));
        let z9 = _mm512_fmadd_round_pd::<RN>(r2, z9, z8);
        let kth = _mm512_fmadd_round_pd::<RN>(c(k[10]), expo, th);
        let z1 = _mm512_fmadd_round_pd::<RN>(r4, z1, z9);
        let high = _mm512_add_round_pd::<RN>(kth, r);
        let rh = _mm512_sub_round_pd::<RN>(high, kth);
        let rh = _mm512_mask_mov_pd(rh, special, _mm512_setzero_pd());
        let rl = _mm512_sub_round_pd::<RN>(r, rh);
        let z1 = _mm512_fmadd_round_pd::<RN>(r2, z1, rl);
        let low = _mm512_fmadd_round_pd::<RN>(c(k[11]), expo, tl);
        let res = _mm512_add_round_pd::<RN>(z1, low);
        let res = _mm512_add_round_pd::<RN>(high, res);
        let mut out = [0.0f64; 8];
        _mm512_storeu_pd(out.as_mut_ptr(), res);
        for (i, o) in out.iter_mut().enumerate() {
            if special & (1 << i) != 0 {
                *o = log_rare(input[i]);
            }
        }
        out
    }

    /// `__svml_dlog_ha_cout_rare_internal` for the inputs the kernel sends
    /// it (NaN, zeros, infinities, negatives).
    fn log_rare(x: f64) -> f64 {
        if x.is_nan() {
            return x * x;
        }
        if x == 0.0 {
            return f64::NEG_INFINITY;
        }
        if x == f64::INFINITY {
            return x;
        }
        if x < 0.0 {
            // 0.0 / 0.0 on x86: the default NaN.
            return f64::from_bits(0xfff8_0000_0000_0000);
        }
        // Positive finite values never reach the callout; keep libm as a
        // safe answer should one (a denormal, say) ever do.
        x.ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_is_numpy() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), 1);
        assert_eq!(argmax(&[1.0, f64::NAN, 5.0, f64::NAN]), 1);
        assert_eq!(argmax(&[f64::NAN, 5.0]), 0);
    }

    #[test]
    fn pairwise_matches_the_block_structure() {
        let v: Vec<f64> = (0..300).map(|i| 1.0 / f64::from(i + 1)).collect();
        let s = pairwise_sum(&v);
        assert!((s - v.iter().sum::<f64>()).abs() < 1e-12);
    }

    #[test]
    fn exp_log_special_values() {
        let mut v = vec![
            0.0,
            -0.0,
            1.0,
            -800.0,
            800.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -745.5,
            -708.5,
            709.78,
        ];
        let want: Vec<f64> = v.iter().map(|x| x.exp()).collect();
        np_exp(&mut v);
        for (a, b) in v.iter().zip(&want) {
            assert!(
                a == b || (a.is_nan() && b.is_nan()) || ((a - b) / b).abs() < 1e-15,
                "{a} {b}"
            );
        }
        let mut v = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            5e-324,
            1e300,
        ];
        let want: Vec<f64> = v.iter().map(|x| x.ln()).collect();
        np_log(&mut v);
        for (a, b) in v.iter().zip(&want) {
            assert!(
                a == b || (a.is_nan() && b.is_nan()) || ((a - b) / b).abs() < 1e-15,
                "{a} {b}"
            );
        }
    }
}
