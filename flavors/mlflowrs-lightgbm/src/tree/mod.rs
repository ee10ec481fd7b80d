//! Trees in flat arrays, and the per-node decision exactly as LightGBM's
//! `Tree::NumericalDecision` / `Tree::CategoricalDecision` take it.
//!
//! All trees of a model share one node array. A tree occupies its internal
//! nodes followed by one node per leaf; a leaf node loops back to itself
//! (threshold +inf, NaN and zero sent left, left child = itself) and keeps
//! its index into the leaf arrays as its right child. A child reference is a
//! node index with [`LEAF`] set when it names a leaf node. A row that reached
//! its leaf can thus take more steps harmlessly, so a group of rows walks a
//! tree in lockstep for the tree's depth: several independent load chains in
//! flight instead of one (2.4x faster than row by row on 31-leaf trees).
//!
//! Every reference, feature index and bitset range is checked when the model
//! is loaded, so evaluation never leaves the arrays and always terminates.

mod build;

/// Marks a child reference as a leaf node.
pub(crate) const LEAF: u32 = 1 << 31;

/// LightGBM's `kZeroThreshold`: the float `1e-35f` widened to double.
pub(crate) const ZERO_THRESHOLD: f64 = 1e-35f32 as f64;

/// Rows walked through a tree together.
const GROUP: usize = 8;

const KIND_NUMERIC: u8 = 0;
/// Numerical split whose missing type is `Zero` (`zero_as_missing`).
const KIND_NUMERIC_ZERO: u8 = 1;
const KIND_CATEGORICAL: u8 = 2;

/// One node (24 bytes).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    /// The split threshold; for a categorical node, the index of its bitset
    /// range in [`Forest::cat_ranges`] (LightGBM stores the category index in
    /// its threshold array the same way); +inf for a leaf node.
    threshold: f64,
    feature: u32,
    /// Left and right child references. For a leaf node: itself, and its
    /// index into `leaf_values` / `linear_leaves`.
    children: [u32; 2],
    kind: u8,
    /// Direction of "zero" values when the missing type is Zero.
    default_left: bool,
    /// Where NaN goes, resolved at load from the missing type (see `push_tree`).
    nan_left: bool,
}

/// A leaf of a linear tree: `konst + sum(coeff * x[feature])`, or the plain
/// leaf value when one of those features is NaN.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LinearLeaf {
    konst: f64,
    start: u32,
    len: u32,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct TreeRef {
    root: u32,
    /// Edges on the longest root-to-leaf path.
    depth: u32,
    linear: bool,
}

/// All trees of one model.
#[derive(Debug, Clone, Default)]
pub(crate) struct Forest {
    pub trees: Vec<TreeRef>,
    nodes: Vec<Node>,
    leaf_values: Vec<f64>,
    /// Parallel to `leaf_values` once any tree is linear, empty otherwise.
    linear_leaves: Vec<LinearLeaf>,
    linear_terms: Vec<(u32, f64)>,
    cat_ranges: Vec<(u32, u32)>,
    cat_bits: Vec<u32>,
}

/// `Tree::IsZero`.
#[inline(always)]
fn is_zero(f: f64) -> bool {
    (-ZERO_THRESHOLD..=ZERO_THRESHOLD).contains(&f)
}

impl Forest {
    /// One step down from the node `cur` refers to, for row `x`
    /// (`Tree::Decision`); a leaf node stays where it is.
    #[inline(always)]
    fn step(&self, cur: u32, x: &[f64]) -> u32 {
        let n = &self.nodes[(cur & !LEAF) as usize];
        let f = x[n.feature as usize];
        let go_left = match n.kind {
            KIND_NUMERIC => {
                if f.is_nan() {
                    n.nan_left
                } else {
                    f <= n.threshold
                }
            }
            KIND_NUMERIC_ZERO => {
                if f.is_nan() {
                    n.nan_left
                } else if is_zero(f) {
                    n.default_left
                } else {
                    f <= n.threshold
                }
            }
            _ => self.categorical_left(n, f),
        };
        n.children[usize::from(!go_left)]
    }

    /// `Tree::CategoricalDecision`: NaN and negative values go right, others
    /// are truncated to int and looked up in the node's bitset.
    #[cold]
    fn categorical_left(&self, n: &Node, f: f64) -> bool {
        // static_cast<int> of an out-of-range double gives INT_MIN on x86-64,
        // which LightGBM then sends right like any negative category.
        if !(f > -2_147_483_649.0 && f < 2_147_483_648.0) {
            return false;
        }
        let v = f as i32;
        if v < 0 {
            return false;
        }
        let Some(&(start, len)) = self.cat_ranges.get(n.threshold as usize) else {
            return false;
        };
        let word = (v / 32) as u32;
        if word >= len {
            return false;
        }
        self.cat_bits
            .get((start + word) as usize)
            .is_some_and(|bits| (bits >> (v % 32)) & 1 == 1)
    }

    /// `Tree::Predict` once row `x` has reached leaf node `cur`: the leaf's
    /// value, or its linear model.
    #[inline(always)]
    fn leaf_output(&self, tree: TreeRef, cur: u32, x: &[f64]) -> f64 {
        let leaf = self.nodes[(cur & !LEAF) as usize].children[1] as usize;
        if !tree.linear {
            return self.leaf_values[leaf];
        }
        let ll = self.linear_leaves[leaf];
        let mut out = ll.konst;
        let terms = &self.linear_terms[ll.start as usize..(ll.start + ll.len) as usize];
        for &(feature, coeff) in terms {
            let v = x[feature as usize];
            if v.is_nan() {
                return self.leaf_values[leaf];
            }
            out += coeff * v;
        }
        out
    }

    /// `Tree::Predict` for one row.
    pub fn tree_output(&self, tree: TreeRef, x: &[f64]) -> f64 {
        let mut cur = tree.root;
        while cur & LEAF == 0 {
            cur = self.step(cur, x);
        }
        self.leaf_output(tree, cur, x)
    }

    /// Adds `tree`'s output for every row of `xb` (row-major, `nf` columns)
    /// to `out[row * k + class]`.
    pub fn accumulate(
        &self,
        tree: TreeRef,
        xb: &[f64],
        nf: usize,
        out: &mut [f64],
        k: usize,
        class: usize,
    ) {
        let mut rows = xb.chunks_exact(nf).zip(out.chunks_exact_mut(k));
        loop {
            let group: [_; GROUP] = std::array::from_fn(|_| rows.next());
            if group[GROUP - 1].is_none() {
                // Fewer than GROUP rows left: walk them one by one.
                for (x, acc) in group.into_iter().flatten() {
                    acc[class] += self.tree_output(tree, x);
                }
                return;
            }
            let group = group.map(|g| g.unwrap_or_default());
            let mut cur = [tree.root; GROUP];
            for _ in 0..tree.depth {
                let mut done = true;
                for (c, (x, _)) in cur.iter_mut().zip(group.iter()) {
                    *c = self.step(*c, x);
                    done &= *c & LEAF != 0;
                }
                if done {
                    break;
                }
            }
            for (c, (x, acc)) in cur.into_iter().zip(group) {
                acc[class] += self.leaf_output(tree, c, x);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn kv(pairs: &[(&'static str, &'static str)]) -> HashMap<&'static str, &'static str> {
        pairs.iter().copied().collect()
    }

    fn stump(decision_type: &'static str, threshold: &'static str) -> Forest {
        let mut f = Forest::default();
        f.push_tree(
            &kv(&[
                ("num_leaves", "2"),
                ("num_cat", "0"),
                ("split_feature", "0"),
                ("threshold", threshold),
                ("decision_type", decision_type),
                ("left_child", "-1"),
                ("right_child", "-2"),
                ("leaf_value", "1 2"),
            ]),
            1,
        )
        .unwrap();
        f
    }

    fn eval(f: &Forest, v: f64) -> f64 {
        f.tree_output(f.trees[0], &[v])
    }

    #[test]
    fn numerical_missing_types() {
        // None: NaN -> 0.0, then compared.
        let none = stump("0", "0.5");
        assert_eq!(eval(&none, f64::NAN), 1.0);
        assert_eq!(eval(&none, 0.6), 2.0);
        let none_neg = stump("2", "-0.5");
        assert_eq!(
            eval(&none_neg, f64::NAN),
            2.0,
            "default_left ignored for None"
        );
        // Zero, default right: zero and NaN go right whatever the threshold.
        let zero = stump("4", "0.5");
        assert_eq!(eval(&zero, 0.0), 2.0);
        assert_eq!(eval(&zero, f64::NAN), 2.0);
        assert_eq!(eval(&zero, 0.4), 1.0);
        // NaN, default left: NaN left, zero compared.
        let nan = stump("10", "-0.5");
        assert_eq!(eval(&nan, f64::NAN), 1.0);
        assert_eq!(eval(&nan, 0.0), 2.0);
    }

    #[test]
    fn categorical_bitsets() {
        let mut f = Forest::default();
        f.push_tree(
            &kv(&[
                ("num_leaves", "2"),
                ("num_cat", "1"),
                ("split_feature", "0"),
                ("threshold", "0"),
                ("decision_type", "1"),
                ("left_child", "-1"),
                ("right_child", "-2"),
                ("leaf_value", "1 2"),
                ("cat_boundaries", "0 2"),
                ("cat_threshold", "5 1"),
            ]),
            1,
        )
        .unwrap();
        for (v, want) in [
            (0.0, 1.0),
            (0.9, 1.0),
            (-0.5, 1.0),
            (1.0, 2.0),
            (2.0, 1.0),
            (32.0, 1.0),
            (33.0, 2.0),
            (64.0, 2.0),
            (-1.0, 2.0),
            (f64::NAN, 2.0),
            (1e12, 2.0),
        ] {
            assert_eq!(eval(&f, v), want, "category {v}");
        }
    }

    #[test]
    fn malformed_trees_are_refused() {
        let base = [
            ("num_leaves", "3"),
            ("num_cat", "0"),
            ("split_feature", "0 0"),
            ("threshold", "0 1"),
            ("left_child", "1 -1"),
            ("right_child", "-3 -2"),
            ("leaf_value", "1 2 3"),
        ];
        assert!(Forest::default().push_tree(&kv(&base), 1).is_ok());
        for (key, bad) in [
            ("left_child", "0 -1"),
            ("left_child", "1 -4"),
            ("right_child", "-1 -2"),
            ("left_child", "5 -1"),
            ("split_feature", "0 1"),
            ("split_feature", "0 -1"),
            ("leaf_value", "1 2"),
            ("threshold", "0 x"),
            ("num_leaves", "0"),
            ("num_leaves", "99999999999"),
        ] {
            let mut m = kv(&base);
            m.insert(key, bad);
            assert!(Forest::default().push_tree(&m, 1).is_err(), "{key}={bad}");
        }
    }
}
