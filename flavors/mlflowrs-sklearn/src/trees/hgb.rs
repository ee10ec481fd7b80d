//! `HistGradientBoostingClassifier` / `HistGradientBoostingRegressor`
//! (sklearn/ensemble/_hist_gradient_boosting: gradient_boosting.py,
//! predictor.py, _predictor.pyx `_predict_one_from_raw_data`).
//!
//! Prediction reads float64 features (`X_DTYPE`), compares numeric splits
//! against `num_threshold` in float64, routes NaN by `missing_go_to_left`,
//! and tests categorical splits against the node's raw-category bitset and
//! the feature's known-category bitset.

use super::layout::breadth_first;
use super::npmath::{self, argmax};
use crate::error::SklearnError;

const MISSING_LEFT: u32 = 1 << 31;
const CATEGORICAL: u32 = 1 << 30;
/// Leaves are nodes looping on themselves, as in [`super::flat`].
const IS_LEAF: u32 = 1 << 29;
const FEATURE_MASK: u32 = !(MISSING_LEFT | CATEGORICAL | IS_LEAF);
/// Rows walked together through one tree.
const LANES: usize = 8;

/// One `TreePredictor`: the `nodes` structured array split into columns
/// (`PREDICTOR_RECORD_DTYPE`) and its `raw_left_cat_bitsets` (`[n, 8]`
/// uint32, flattened), not yet trusted.
#[derive(Debug, Clone, Default)]
pub struct RawPredictor {
    pub value: Vec<f64>,
    pub feature_idx: Vec<i64>,
    pub num_threshold: Vec<f64>,
    pub missing_go_to_left: Vec<u8>,
    pub left: Vec<u32>,
    pub right: Vec<u32>,
    pub is_leaf: Vec<u8>,
    pub is_categorical: Vec<u8>,
    pub bitset_idx: Vec<u32>,
    pub raw_left_cat_bitsets: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct HistNode {
    /// `num_threshold`; +inf for a leaf (which then always steps left, to
    /// itself).
    threshold: f64,
    /// Feature index with [`MISSING_LEFT`], [`CATEGORICAL`], [`IS_LEAF`].
    feature: u32,
    /// Row of the predictor's bitsets for a categorical split (offset into
    /// `bitsets`); the index in `leaf_values` for a leaf.
    aux: u32,
    /// Left child, the right one follows it (see [`super::layout`]); a leaf
    /// names itself.
    left: u32,
}

/// The link turning raw scores into `predict` / `predict_proba` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HgbLink {
    /// squared_error, absolute_error, quantile.
    Identity,
    /// poisson, gamma: `np.exp(raw)`.
    Log,
    /// log_loss, two classes.
    Binomial,
    /// log_loss, more classes.
    Multinomial,
}

#[derive(Debug, Clone)]
pub(crate) struct HistGradientBoosting {
    nodes: Vec<HistNode>,
    /// Per predictor in `_predictors` order (iteration-major), its root.
    roots: Vec<u32>,
    leaf_values: Vec<f64>,
    /// All predictors' `raw_left_cat_bitsets` rows, 8 words each.
    bitsets: Vec<[u32; 8]>,
    /// Per feature, its known categories (`make_known_categories_bitsets`);
    /// all zero for numeric features.
    known: Vec<[u32; 8]>,
    baseline: Vec<f64>,
    k: usize,
    n_features: usize,
    link: HgbLink,
}

/// What [`HistGradientBoosting::build`] needs besides the predictors.
#[derive(Debug, Clone)]
pub(crate) struct HgbSpec {
    pub link: HgbLink,
    /// `n_trees_per_iteration_`.
    pub k: usize,
    /// Features the trees see (after the categorical preprocessor).
    pub n_features: usize,
    /// `_baseline_prediction`, flattened (`k` values).
    pub baseline: Vec<f64>,
    /// Per feature (tree order): `Some(categories)` for a categorical
    /// feature (`_bin_mapper.bin_thresholds_[f]`), `None` for a numeric one.
    pub known_categories: Vec<Option<Vec<f64>>>,
}

impl HistGradientBoosting {
    /// `predictors` is `_predictors` flattened (`[n_iter, k]`).
    pub(crate) fn build(spec: HgbSpec, predictors: &[RawPredictor]) -> Result<Self, SklearnError> {
        let k = spec.k;
        if k == 0 || spec.baseline.len() != k || !predictors.len().is_multiple_of(k) {
            return Err(SklearnError::invalid(
                "_predictors / _baseline_prediction do not match n_trees_per_iteration_",
            ));
        }
        let k_ok = match spec.link {
            HgbLink::Multinomial => k >= 3,
            _ => k == 1,
        };
        if !k_ok {
            return Err(SklearnError::invalid(
                "n_trees_per_iteration_ does not fit the loss",
            ));
        }
        if spec.n_features == 0 || spec.known_categories.len() != spec.n_features {
            return Err(SklearnError::invalid(
                "the categorical mask does not cover every feature",
            ));
        }
        let mut known = Vec::with_capacity(spec.n_features);
        for cats in &spec.known_categories {
            let mut bits = [0u32; 8];
            for &c in cats.iter().flatten() {
                // set_bitset_memoryview takes a uint8: categories are 0..255.
                if !(0.0..=255.0).contains(&c) || c.fract() != 0.0 {
                    return Err(SklearnError::invalid(format!(
                        "known category {c} is not in 0..=255"
                    )));
                }
                let c = c as usize;
                bits[c / 32] |= 1 << (c % 32);
            }
            known.push(bits);
        }
        let mut out = HistGradientBoosting {
            nodes: Vec::new(),
            roots: Vec::with_capacity(predictors.len()),
            leaf_values: Vec::new(),
            bitsets: Vec::new(),
            known,
            baseline: spec.baseline,
            k,
            n_features: spec.n_features,
            link: spec.link,
        };
        let categorical: Vec<bool> = spec.known_categories.iter().map(Option::is_some).collect();
        for p in predictors {
            out.push(p, &categorical)?;
        }
        Ok(out)
    }

    fn push(&mut self, p: &RawPredictor, categorical: &[bool]) -> Result<(), SklearnError> {
        let n = p.value.len();
        if n == 0 {
            return Err(SklearnError::invalid("a predictor has no nodes"));
        }
        let cols = [
            p.feature_idx.len(),
            p.num_threshold.len(),
            p.missing_go_to_left.len(),
            p.left.len(),
            p.right.len(),
            p.is_leaf.len(),
            p.is_categorical.len(),
            p.bitset_idx.len(),
        ];
        if cols.iter().any(|&c| c != n) {
            return Err(SklearnError::invalid(
                "predictor node columns differ in length",
            ));
        }
        if !p.raw_left_cat_bitsets.len().is_multiple_of(8) {
            return Err(SklearnError::invalid("raw_left_cat_bitsets is not [n, 8]"));
        }
        let n_bitsets = p.raw_left_cat_bitsets.len() / 8;
        let base_bitset = self.bitsets.len();
        for row in p.raw_left_cat_bitsets.chunks_exact(8) {
            let mut b = [0u32; 8];
            b.copy_from_slice(row);
            self.bitsets.push(b);
        }

        let base = self.nodes.len();
        let limit = (u32::MAX >> 1) as usize;
        if base + n > limit || self.leaf_values.len() + n > limit {
            return Err(SklearnError::unsupported(
                "models with more than 2^31 nodes",
            ));
        }
        let layout = breadth_first(n, |i| {
            (p.is_leaf[i] == 0).then(|| (i64::from(p.left[i]), i64::from(p.right[i])))
        })?;
        self.nodes.reserve(layout.order.len());
        for (new, &i) in layout.order.iter().enumerate() {
            let here = (base + new) as u32;
            if p.is_leaf[i] != 0 {
                self.nodes.push(HistNode {
                    threshold: f64::INFINITY,
                    feature: IS_LEAF | MISSING_LEFT,
                    aux: self.leaf_values.len() as u32,
                    left: here,
                });
                self.leaf_values.push(p.value[i]);
                continue;
            }
            let f = usize::try_from(p.feature_idx[i])
                .ok()
                .filter(|&f| f < self.n_features)
                .ok_or_else(|| {
                    SklearnError::invalid(format!(
                        "predictor node {i} splits on feature {} but the model has {} features",
                        p.feature_idx[i], self.n_features
                    ))
                })?;
            let mut feature = f as u32;
            if p.missing_go_to_left[i] != 0 {
                feature |= MISSING_LEFT;
            }
            let mut aux = 0u32;
            if p.is_categorical[i] != 0 {
                if !categorical[f] {
                    return Err(SklearnError::invalid(format!(
                        "predictor node {i} splits categorically on numeric feature {f}"
                    )));
                }
                let b = p.bitset_idx[i] as usize;
                if b >= n_bitsets {
                    return Err(SklearnError::invalid(format!(
                        "predictor node {i} names bitset {b} of {n_bitsets}"
                    )));
                }
                aux = u32::try_from(base_bitset + b)
                    .map_err(|_| SklearnError::unsupported("more than 2^32 category bitsets"))?;
                feature |= CATEGORICAL;
            }
            self.nodes.push(HistNode {
                threshold: p.num_threshold[i],
                feature,
                aux,
                left: (base + layout.slot[p.left[i] as usize]) as u32,
            });
        }
        self.roots.push(base as u32);
        Ok(())
    }

    /// One step from node `c` for row `x` (`_predict_one_from_raw_data`);
    /// a leaf steps to itself.
    #[inline(always)]
    fn step(&self, c: u32, x: &[f64]) -> (u32, bool) {
        let s = &self.nodes[c as usize];
        let f = (s.feature & FEATURE_MASK) as usize;
        let v = x[f];
        let missing_left = s.feature & MISSING_LEFT != 0;
        let go_left = if s.feature & CATEGORICAL == 0 {
            (v <= s.threshold) | (v.is_nan() & missing_left)
        } else if v.is_nan() || v < 0.0 {
            // Negative categories are out of range: treated as missing.
            missing_left
        } else {
            let cat = to_uint8(v);
            if in_bitset(&self.bitsets[s.aux as usize], cat) {
                true
            } else if in_bitset(&self.known[f], cat) {
                false
            } else {
                // Unknown categories are treated as missing.
                missing_left
            }
        };
        (s.left + u32::from(!go_left), s.feature & IS_LEAF != 0)
    }

    #[inline]
    fn leaf(&self, root: u32, x: &[f64]) -> f64 {
        let mut c = root;
        loop {
            let (next, leaf) = self.step(c, x);
            if leaf {
                break;
            }
            c = next;
        }
        self.leaf_values[self.nodes[c as usize].aux as usize]
    }

    /// [`LANES`] rows walked in lockstep (see [`super::flat`]).
    #[inline]
    fn leaves(&self, root: u32, rows: [&[f64]; LANES]) -> [f64; LANES] {
        let mut c = [root; LANES];
        loop {
            let mut done = true;
            for (cl, x) in c.iter_mut().zip(&rows) {
                let (next, leaf) = self.step(*cl, x);
                *cl = next;
                done &= leaf;
            }
            if done {
                break;
            }
        }
        c.map(|i| self.leaf_values[self.nodes[i as usize].aux as usize])
    }

    /// `_raw_predict`: `[rows, k]`, float64 `x` with `n_features` columns.
    /// Predictors go one after another over blocks of rows (each predictor
    /// adds to every row in `_predictors` order, as sklearn's loop does).
    pub(crate) fn raw(&self, x: &[f64]) -> Vec<f64> {
        let nf = self.n_features;
        let rows = x.len() / nf;
        let k = self.k;
        let mut acc = Vec::with_capacity(rows * k);
        for _ in 0..rows {
            // `zeros(...) += _baseline_prediction`: 0.0 + b, so -0.0 becomes 0.0.
            acc.extend(self.baseline.iter().map(|&b| 0.0 + b));
        }
        let row = |r: usize| &x[r * nf..(r + 1) * nf];
        let block = super::flat::block_rows(nf * 8 + k * 8, std::mem::size_of_val(&self.nodes[..]));
        let mut start = 0;
        while start < rows {
            let end = (start + block).min(rows);
            for (t, &root) in self.roots.iter().enumerate() {
                let j = t % k;
                let mut r = start;
                while r + LANES <= end {
                    let v = self.leaves(root, std::array::from_fn(|l| row(r + l)));
                    for (l, v) in v.iter().enumerate() {
                        acc[(r + l) * k + j] += v;
                    }
                    r += LANES;
                }
                for r in r..end {
                    acc[r * k + j] += self.leaf(root, row(r));
                }
            }
            start = end;
        }
        acc
    }

    /// Regressor `predict`: the inverse link of the raw scores.
    pub(crate) fn regress(&self, raw: Vec<f64>) -> Vec<f64> {
        let mut raw = raw;
        if self.link == HgbLink::Log {
            npmath::np_exp(&mut raw);
        }
        raw
    }

    /// Classifier `predict`: the class index per row.
    pub(crate) fn class_indices(&self, raw: &[f64]) -> Vec<usize> {
        if self.k == 1 {
            // `(raw > 0).astype(int)`: a tie goes to class 0, like argmax.
            raw.iter().map(|&r| usize::from(r > 0.0)).collect()
        } else {
            raw.chunks_exact(self.k).map(argmax).collect()
        }
    }

    /// Classifier `predict_proba`.
    pub(crate) fn proba(&self, raw: &[f64]) -> Vec<f64> {
        if self.k == 1 {
            let mut out = Vec::with_capacity(raw.len() * 2);
            for &r in raw {
                let p1 = npmath::expit(r);
                out.push(1.0 - p1);
                out.push(p1);
            }
            out
        } else {
            let mut out = raw.to_vec();
            npmath::softmax_rows(&mut out, self.k);
            out
        }
    }
}

/// Cython's `<uint8_t>data_val` for a non-negative double. Categories reach
/// the trees through the model's OrdinalEncoder, so they are 0..=254 here;
/// beyond 255 C leaves the cast undefined and this keeps the low byte of
/// the truncated value (what x86-64 `cvttsd2si` + byte store gives).
fn to_uint8(v: f64) -> u8 {
    if v < 2_147_483_648.0 {
        (v as i64 & 0xff) as u8
    } else {
        0
    }
}

fn in_bitset(bits: &[u32; 8], v: u8) -> bool {
    (bits[usize::from(v / 32)] >> (v % 32)) & 1 != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stump_numeric() -> RawPredictor {
        RawPredictor {
            value: vec![0.0, -1.0, 2.0],
            feature_idx: vec![0, 0, 0],
            num_threshold: vec![0.5, 0.0, 0.0],
            missing_go_to_left: vec![0, 0, 0],
            left: vec![1, 0, 0],
            right: vec![2, 0, 0],
            is_leaf: vec![0, 1, 1],
            is_categorical: vec![0, 0, 0],
            bitset_idx: vec![0, 0, 0],
            raw_left_cat_bitsets: vec![],
        }
    }

    #[test]
    fn numeric_and_categorical_routing() {
        let spec = HgbSpec {
            link: HgbLink::Identity,
            k: 1,
            n_features: 2,
            baseline: vec![10.0],
            known_categories: vec![None, Some(vec![0.0, 1.0, 2.0])],
        };
        let cat = RawPredictor {
            value: vec![0.0, 100.0, 200.0],
            feature_idx: vec![1, 0, 0],
            num_threshold: vec![0.0; 3],
            missing_go_to_left: vec![1, 0, 0],
            left: vec![1, 0, 0],
            right: vec![2, 0, 0],
            is_leaf: vec![0, 1, 1],
            is_categorical: vec![1, 0, 0],
            bitset_idx: vec![0, 0, 0],
            raw_left_cat_bitsets: vec![0b010, 0, 0, 0, 0, 0, 0, 0],
        };
        let m = HistGradientBoosting::build(spec, &[stump_numeric(), cat]).unwrap();
        let x = [
            0.5,
            1.0, // left, category 1 in bitset -> left
            0.6,
            2.0, // right, known not left -> right
            f64::NAN,
            7.0, // NaN -> right; unknown -> missing -> left
            0.0,
            f64::NAN, // left; NaN -> left
            0.0,
            -1.0, // negative category -> missing -> left
        ];
        assert_eq!(m.raw(&x), vec![109.0, 212.0, 112.0, 109.0, 109.0]);
    }

    #[test]
    fn hostile_predictors_are_refused() {
        let spec = HgbSpec {
            link: HgbLink::Identity,
            k: 1,
            n_features: 1,
            baseline: vec![0.0],
            known_categories: vec![None],
        };
        let mut p = stump_numeric();
        p.left[0] = 0;
        assert!(HistGradientBoosting::build(spec.clone(), &[p]).is_err());
        let mut p = stump_numeric();
        p.feature_idx[0] = 1;
        assert!(HistGradientBoosting::build(spec.clone(), &[p]).is_err());
        let mut p = stump_numeric();
        p.is_categorical[0] = 1;
        assert!(HistGradientBoosting::build(spec.clone(), &[p]).is_err());
        let mut p = stump_numeric();
        p.right.pop();
        assert!(HistGradientBoosting::build(spec, &[p]).is_err());
    }
}
