//! Dense layers' matrix products, `y = x · Wᵀ` without the bias (the kernel
//! that reads the product next adds it).
//!
//! Where the CPU has AVX-512, the weights are repacked at load into panels
//! of 64 outputs and multiplied by a register-tiled kernel: 6 rows by 64
//! outputs held in 24 of the 32 vector registers, so each weight loaded
//! feeds six fused multiply-adds and each input value broadcast feeds four.
//! On 2 cores it runs 1.1-1.2x the `gemm` crate's AVX2 kernels, and one
//! layout serves both a batch (row bands per thread) and a single short
//! sentence (panels per thread, each weight read from memory once).
//! Elsewhere the weights keep PyTorch's layout for `gemm` and an AVX2 dot
//! kernel.

use rayon::prelude::*;

use crate::kernels::ROWS_PER_TASK;

/// Outputs per panel: four 16-float AVX-512 vectors.
const PANEL: usize = 64;
/// Rows per register tile of the panel kernel.
const TILE_ROWS: usize = 6;
/// Rows a thread multiplies against every panel before moving on, so that
/// they stay in its cache while the panels stream past.
const BLOCK_ROWS: usize = 48;
/// Up to this many rows, a product is split over threads by outputs, not
/// rows: each weight is then read from memory once, which is what a short
/// sentence's product costs.
const FEW_ROWS: usize = 48;
/// Outputs per task of a product over few rows in PyTorch's layout.
const OUTPUTS_PER_TASK: usize = 32;

/// A dense layer: `outputs × inputs` weights and `outputs` biases.
pub struct Linear {
    weights: Weights,
    pub bias: Vec<f32>,
    pub inputs: usize,
    pub outputs: usize,
}

enum Weights {
    /// PyTorch's layout: `[outputs, inputs]`, row-major.
    Rows(Vec<f32>),
    /// `PANEL` outputs at a time: panel `p` holds, input by input, the
    /// weights of outputs `p·PANEL..(p+1)·PANEL` side by side.
    Panels(Vec<Lanes>),
}

/// Sixteen floats on a 64-byte boundary: one aligned AVX-512 load.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Lanes([f32; 16]);

/// The layout a layer's weights are kept in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    Rows,
    Panels,
}

impl Layout {
    /// Panels where the CPU has AVX-512 and the outputs fill whole panels.
    pub fn best(outputs: usize) -> Layout {
        #[cfg(target_arch = "x86_64")]
        if outputs.is_multiple_of(PANEL) && std::arch::is_x86_feature_detected!("avx512f") {
            return Layout::Panels;
        }
        let _ = outputs;
        Layout::Rows
    }
}

impl Linear {
    /// A layer from PyTorch's `[outputs, inputs]` weights, kept in the best
    /// layout for this CPU.
    pub fn new(weight: Vec<f32>, bias: Vec<f32>, inputs: usize, outputs: usize) -> Linear {
        Linear::with_layout(weight, bias, inputs, outputs, Layout::best(outputs))
    }

    /// `Layout::Panels` needs AVX-512 and outputs a multiple of 64
    /// (`Layout::best` checks both).
    pub fn with_layout(
        weight: Vec<f32>,
        bias: Vec<f32>,
        inputs: usize,
        outputs: usize,
        layout: Layout,
    ) -> Linear {
        assert_eq!(weight.len(), inputs * outputs);
        let weights = match layout {
            Layout::Rows => Weights::Rows(weight),
            Layout::Panels => {
                assert!(outputs.is_multiple_of(PANEL));
                let mut packed = vec![Lanes([0.0; 16]); weight.len() / 16];
                let flat = lanes_as_floats_mut(&mut packed);
                for (p, panel) in flat.chunks_exact_mut(PANEL * inputs).enumerate() {
                    for (k, row) in panel.chunks_exact_mut(PANEL).enumerate() {
                        for (j, w) in row.iter_mut().enumerate() {
                            *w = weight[(p * PANEL + j) * inputs + k];
                        }
                    }
                }
                Weights::Panels(packed)
            }
        };
        Linear {
            weights,
            bias,
            inputs,
            outputs,
        }
    }

    /// `y[rows, outputs] = x[rows, inputs] · Wᵀ`, without the bias.
    pub fn product(&self, x: &[f32], rows: usize, y: &mut [f32]) {
        assert_eq!(x.len(), rows * self.inputs);
        assert_eq!(y.len(), rows * self.outputs);
        if rows == 0 {
            return;
        }
        match &self.weights {
            Weights::Rows(weight) if rows <= FEW_ROWS => {
                split_by_outputs(x, rows, y, OUTPUTS_PER_TASK, |x, first, part| {
                    let w = &weight[first * self.inputs..][..part.len() / rows * self.inputs];
                    dot_rows(x, w, self.inputs, part)
                })
            }
            Weights::Rows(weight) => split_by_rows(x, rows, y, self.inputs, |x, rows, y| {
                gemm_rows(x, rows, weight, self.inputs, self.outputs, y)
            }),
            Weights::Panels(panels) => {
                let panels = lanes_as_floats(panels);
                if rows <= FEW_ROWS {
                    split_by_outputs(x, rows, y, PANEL, |x, first, part| {
                        let panel = &panels[first * self.inputs..][..PANEL * self.inputs];
                        panel_product(x, rows, panel, self.inputs, PANEL, part)
                    })
                } else {
                    split_by_rows(x, rows, y, self.inputs, |x, rows, y| {
                        panel_product(x, rows, panels, self.inputs, self.outputs, y)
                    })
                }
            }
        }
    }
}

fn lanes_as_floats(lanes: &[Lanes]) -> &[f32] {
    // SAFETY: `Lanes` is `repr(C)` around `[f32; 16]`: no padding.
    unsafe { std::slice::from_raw_parts(lanes.as_ptr().cast(), lanes.len() * 16) }
}

fn lanes_as_floats_mut(lanes: &mut [Lanes]) -> &mut [f32] {
    // SAFETY: as in `lanes_as_floats`; the borrow is exclusive.
    unsafe { std::slice::from_raw_parts_mut(lanes.as_mut_ptr().cast(), lanes.len() * 16) }
}

/// Each thread multiplies its own band of rows against all the weights.
fn split_by_rows(
    x: &[f32],
    rows: usize,
    y: &mut [f32],
    inputs: usize,
    band_product: impl Fn(&[f32], usize, &mut [f32]) + Sync,
) {
    let outputs = y.len() / rows;
    let threads = rayon::current_num_threads().max(1);
    let band = rows.div_ceil(threads).max(ROWS_PER_TASK);
    x.par_chunks(band * inputs)
        .zip(y.par_chunks_mut(band * outputs))
        .for_each(|(x, y)| band_product(x, x.len() / inputs, y));
}

/// Each task computes `width` outputs of every row into its own buffer
/// (`part`, `[rows, width]`), given the first output's index; the parts are
/// then copied into place.
fn split_by_outputs(
    x: &[f32],
    rows: usize,
    y: &mut [f32],
    width: usize,
    part_product: impl Fn(&[f32], usize, &mut [f32]) + Sync,
) {
    let outputs = y.len() / rows;
    let parts: Vec<(usize, Vec<f32>)> = (0..outputs.div_ceil(width))
        .into_par_iter()
        .map(|task| {
            let first = task * width;
            let mut part = vec![0f32; rows * width.min(outputs - first)];
            part_product(x, first, &mut part);
            (first, part)
        })
        .collect();
    for (first, part) in parts {
        let width = part.len() / rows;
        for (r, p) in part.chunks_exact(width).enumerate() {
            y[r * outputs + first..][..width].copy_from_slice(p);
        }
    }
}

/// `y[rows, outputs] = x · Wᵀ` through `gemm`, single-threaded: the caller
/// has split the rows over threads already.
fn gemm_rows(x: &[f32], rows: usize, weight: &[f32], inputs: usize, outputs: usize, y: &mut [f32]) {
    // SAFETY: the three matrices are exactly these slices, with the
    // strides given (checked by `product`): Wᵀ is read through W's
    // layout; dst aliases neither input.
    unsafe {
        gemm::gemm(
            rows,
            outputs,
            inputs,
            y.as_mut_ptr(),
            1,
            outputs as isize,
            false,
            x.as_ptr(),
            1,
            inputs as isize,
            weight.as_ptr(),
            inputs as isize,
            1,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// `y[rows, outputs] = x · Wᵀ` with `panels` the panels of these outputs.
fn panel_product(
    x: &[f32],
    rows: usize,
    panels: &[f32],
    inputs: usize,
    outputs: usize,
    y: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    {
        assert!(std::arch::is_x86_feature_detected!("avx512f"));
        assert_eq!(panels.len(), inputs * outputs);
        let mut first = 0;
        while first < rows {
            let block = BLOCK_ROWS.min(rows - first);
            for (p, panel) in panels.chunks_exact(PANEL * inputs).enumerate() {
                let mut r = first;
                while r < first + block {
                    let tile = TILE_ROWS.min(first + block - r);
                    // SAFETY: AVX-512 is there (asserted above); the tile's
                    // rows of `x` and its `tile × PANEL` block of `y` are
                    // within the slices (`product` checked their sizes).
                    unsafe {
                        x86::tile(
                            tile,
                            x[r * inputs..].as_ptr(),
                            inputs,
                            panel.as_ptr(),
                            y[r * outputs + p * PANEL..].as_mut_ptr(),
                            outputs,
                        )
                    };
                    r += tile;
                }
            }
            first += block;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    unreachable!(
        "panels are only made on x86-64 with AVX-512: {rows} {inputs} {outputs} {} {} {}",
        x.len(),
        panels.len(),
        y.len()
    );
}

/// `out[r][o] = x[r] · w[o]`: `x` is `[rows, inputs]`, `w` `[n, inputs]`,
/// `out` `[rows, n]`.
fn dot_rows(x: &[f32], w: &[f32], inputs: usize, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA, checked just above.
        return unsafe { x86::dot_rows(x, w, inputs, out) };
    }
    let n = w.len() / inputs;
    for (o, w) in w.chunks_exact(inputs).enumerate() {
        for (r, x) in x.chunks_exact(inputs).enumerate() {
            out[r * n + o] = w.iter().zip(x).map(|(a, b)| a * b).sum();
        }
    }
}

/// Hand-written SIMD: the compiler vectorises these sums only two lanes
/// wide (it may not reorder float additions) and does not tile registers.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use crate::product::{PANEL, TILE_ROWS};

    /// `c[r][0..64] = a[r] · panel` for `rows` (1 to `TILE_ROWS`) rows of
    /// `inputs` values; `c`'s rows are `ldc` apart.
    ///
    /// # Safety
    /// AVX-512F; the rows of `a` and `c` and the `k × 64` panel in bounds;
    /// `panel` 64-byte aligned.
    pub unsafe fn tile(
        rows: usize,
        a: *const f32,
        inputs: usize,
        panel: *const f32,
        c: *mut f32,
        ldc: usize,
    ) {
        // The row count is a constant in each copy, so that the
        // accumulators live in registers.
        unsafe {
            match rows {
                6 => tile_of::<6>(a, inputs, panel, c, ldc),
                5 => tile_of::<5>(a, inputs, panel, c, ldc),
                4 => tile_of::<4>(a, inputs, panel, c, ldc),
                3 => tile_of::<3>(a, inputs, panel, c, ldc),
                2 => tile_of::<2>(a, inputs, panel, c, ldc),
                1 => tile_of::<1>(a, inputs, panel, c, ldc),
                _ => unreachable!("tiles have 1 to {TILE_ROWS} rows"),
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn tile_of<const M: usize>(
        a: *const f32,
        inputs: usize,
        panel: *const f32,
        c: *mut f32,
        ldc: usize,
    ) {
        let mut acc = [[_mm512_setzero_ps(); 4]; M];
        for k in 0..inputs {
            // SAFETY (this block): within the caller's bounds.
            unsafe {
                let w = panel.add(k * PANEL);
                let w = [
                    _mm512_load_ps(w),
                    _mm512_load_ps(w.add(16)),
                    _mm512_load_ps(w.add(32)),
                    _mm512_load_ps(w.add(48)),
                ];
                for (r, acc) in acc.iter_mut().enumerate() {
                    let v = _mm512_set1_ps(*a.add(r * inputs + k));
                    for (acc, w) in acc.iter_mut().zip(w) {
                        *acc = _mm512_fmadd_ps(v, w, *acc);
                    }
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            for (q, acc) in acc.iter().enumerate() {
                // SAFETY: within the caller's bounds.
                unsafe { _mm512_storeu_ps(c.add(r * ldc + q * 16), *acc) };
            }
        }
    }

    /// `dot_rows` four input rows at a time: each 8 weights loaded feed
    /// four fused multiply-adds.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dot_rows(x: &[f32], w: &[f32], inputs: usize, out: &mut [f32]) {
        let n = w.len() / inputs;
        let rows = x.len() / inputs;
        let whole = inputs / 8 * 8;
        for (o, w) in w.chunks_exact(inputs).enumerate() {
            let mut r = 0;
            while r < rows {
                let block = (rows - r).min(4);
                let mut acc = [_mm256_setzero_ps(); 4];
                let mut k = 0;
                while k < whole {
                    // SAFETY: k + 8 <= whole <= inputs, within every row.
                    let wv = unsafe { _mm256_loadu_ps(w.as_ptr().add(k)) };
                    for (b, acc) in acc.iter_mut().enumerate().take(block) {
                        let xv = unsafe { _mm256_loadu_ps(x.as_ptr().add((r + b) * inputs + k)) };
                        *acc = _mm256_fmadd_ps(wv, xv, *acc);
                    }
                    k += 8;
                }
                for (b, acc) in acc.iter().enumerate().take(block) {
                    let xr = &x[(r + b) * inputs..(r + b + 1) * inputs];
                    let tail: f32 = w[whole..]
                        .iter()
                        .zip(&xr[whole..])
                        .map(|(a, b)| a * b)
                        .sum();
                    out[(r + b) * n + o] = horizontal_sum(*acc) + tail;
                }
                r += block;
            }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    fn horizontal_sum(v: __m256) -> f32 {
        let pair = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let quad = _mm_add_ps(pair, _mm_movehl_ps(pair, pair));
        _mm_cvtss_f32(_mm_add_ss(quad, _mm_shuffle_ps::<1>(quad, quad)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each layout against the product written out, for row counts
    /// around the tile, block and few-rows edges.
    #[test]
    fn every_layout_is_the_product_with_the_transposed_weight() {
        let (inputs, outputs) = (40, 128);
        let mut seed = 7u32;
        let mut next = move || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / 16_777_216.0 - 0.5
        };
        let weight: Vec<f32> = (0..inputs * outputs).map(|_| next()).collect();
        let mut layouts = vec![Layout::Rows];
        if Layout::best(outputs) == Layout::Panels {
            layouts.push(Layout::Panels);
        } else {
            eprintln!("no AVX-512 here: the panel layout is not tried");
        }
        for layout in layouts {
            let layer =
                Linear::with_layout(weight.clone(), vec![0.0; outputs], inputs, outputs, layout);
            for rows in [1, 5, 6, 7, 47, 48, 49, 97, 131] {
                let x: Vec<f32> = (0..rows * inputs).map(|_| next()).collect();
                let mut y = vec![f32::NAN; rows * outputs];
                layer.product(&x, rows, &mut y);
                for r in 0..rows {
                    for o in 0..outputs {
                        let want: f32 = (0..inputs)
                            .map(|k| x[r * inputs + k] * weight[o * inputs + k])
                            .sum();
                        let got = y[r * outputs + o];
                        assert!(
                            (got - want).abs() < 1e-5,
                            "{layout:?}, {rows} rows, [{r}][{o}]: {got} != {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_bias_is_not_added() {
        // W = [[1, 3], [2, 4]] ([out, in]).
        let layer = Linear::new(vec![1.0, 3.0, 2.0, 4.0], vec![10.0, 20.0], 2, 2);
        let mut y = [0f32; 4];
        layer.product(&[1.0, 1.0, 2.0, 0.0], 2, &mut y);
        assert_eq!(y, [4.0, 6.0, 2.0, 4.0]);
    }
}
