//! scikit-learn `Tree` objects (decision trees, forests, gradient boosting)
//! compiled into one flat, checked node array.
//!
//! Layout (after Treelite/FIL): 16-byte nodes, trees one after another,
//! each laid out breadth-first with the two children of a split side by
//! side ([`super::layout`]), so a step is `left + went_right`. A leaf is a
//! node that loops on itself (+inf threshold: everything "goes left", to
//! itself) and names its row of the leaf table; so a walk can step a group
//! of rows in lockstep with no per-row "is leaf" branch, which hides the
//! latency of the dependent loads of deep forests (see
//! [`TreeSet::accumulate`]).

use super::layout::breadth_first;
use crate::error::SklearnError;

/// Set on [`Node::feature`] when NaN goes to the left child.
const MISSING_LEFT: u32 = 1 << 31;
/// Set on [`Node::feature`] of a leaf.
const IS_LEAF: u32 = 1 << 30;
const FEATURE_MASK: u32 = !(MISSING_LEFT | IS_LEAF);
/// sklearn's `_TREE_LEAF`.
const TREE_LEAF: i64 = -1;

/// One node of a float32-input tree.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub(crate) struct Node {
    /// The largest float32 not above sklearn's float64 threshold: for a
    /// float32 `x`, `x as f64 <= t` holds exactly when `x <= floor32(t)`.
    /// +inf for a leaf.
    threshold: f32,
    /// Feature index, with [`MISSING_LEFT`] and [`IS_LEAF`] folded in (a
    /// leaf has both, so NaN also stays).
    feature: u32,
    /// Left child (the right one follows it); a leaf names itself.
    left: u32,
    /// For a leaf, its row of the leaf table.
    leaf: u32,
}

/// A sklearn `Tree` as its pickled state holds it (the `nodes` structured
/// array split into columns, and `values` flattened), not yet trusted.
#[derive(Debug, Clone, Default)]
pub struct RawTree {
    pub left_child: Vec<i64>,
    pub right_child: Vec<i64>,
    pub feature: Vec<i64>,
    pub threshold: Vec<f64>,
    pub missing_go_to_left: Vec<u8>,
    /// `values` in C order: `[node_count, n_outputs, max_n_classes]`.
    pub values: Vec<f64>,
    /// The declared `values` shape, checked against the node count.
    pub values_shape: Vec<usize>,
}

/// Many sklearn trees sharing one node array and one leaf table.
#[derive(Debug, Clone, Default)]
pub(crate) struct TreeSet {
    nodes: Vec<Node>,
    /// Per tree, the index of its root node.
    roots: Vec<u32>,
    /// Leaf rows of `stride` values each.
    leaf_values: Vec<f64>,
    stride: usize,
    n_features: usize,
}

/// Largest f32 `<= t` (NaN stays NaN, so every comparison with it is false,
/// as sklearn's float64 comparison is).
pub(crate) fn floor_f32(t: f64) -> f32 {
    let c = t as f32;
    if f64::from(c) > t {
        c.next_down()
    } else {
        c
    }
}

/// Rows walked together through one tree.
const LANES: usize = 8;

/// Rows per block, for rows of `row_bytes` (input and accumulators) and a
/// model of `model_bytes` nodes. Each tree walks a whole block before the
/// next tree starts. A model that fits in L2 stays there whatever the
/// order, so blocks are small and the block's rows stay in L1. A larger
/// model is walked one tree at a time over big blocks (about 8 MiB, sized
/// for a shared L3), so each tree's nodes stay in L2 while the rows stream
/// past. Measured on a 100-tree RandomForest (40 MB of nodes): blocks of
/// 512 rows ran 3-5x slower than whole 100k-row batches, which re-read the
/// forest once per block; on a 200-tree HistGradientBoosting (400 kB),
/// 50k-row blocks ran 2x slower than 256-row ones.
pub(crate) fn block_rows(row_bytes: usize, model_bytes: usize) -> usize {
    const SMALL_MODEL: usize = 1 << 20;
    const BUDGET: usize = 8 << 20;
    if model_bytes <= SMALL_MODEL {
        256
    } else {
        (BUDGET / row_bytes.max(1)).max(4096)
    }
}

impl TreeSet {
    /// An empty set whose leaf rows hold `stride` values and whose trees may
    /// read features `0..n_features` (at least one).
    pub(crate) fn new(stride: usize, n_features: usize) -> TreeSet {
        TreeSet {
            stride,
            n_features,
            ..TreeSet::default()
        }
    }

    pub(crate) fn n_trees(&self) -> usize {
        self.roots.len()
    }

    pub(crate) fn stride(&self) -> usize {
        self.stride
    }

    /// Adds one tree. `leaf_row` maps a leaf's `values` block (all its
    /// `n_outputs * max_n_classes` values) to the `stride` values stored for
    /// it, so callers can keep only the columns they read, or pre-scale them.
    pub(crate) fn push(
        &mut self,
        raw: &RawTree,
        value_shape: [usize; 2],
        mut leaf_row: impl FnMut(&[f64], &mut Vec<f64>),
    ) -> Result<(), SklearnError> {
        let n = raw.left_child.len();
        if n == 0 {
            return Err(SklearnError::invalid("a tree has no nodes"));
        }
        if self.n_features == 0 {
            return Err(SklearnError::invalid("the model has no features"));
        }
        if raw.right_child.len() != n
            || raw.feature.len() != n
            || raw.threshold.len() != n
            || raw.missing_go_to_left.len() != n
        {
            return Err(SklearnError::invalid("tree node columns differ in length"));
        }
        let per_node = value_shape[0]
            .checked_mul(value_shape[1])
            .filter(|&p| p > 0)
            .ok_or_else(|| SklearnError::invalid("tree values have an empty or huge shape"))?;
        let want_shape = [n, value_shape[0], value_shape[1]];
        if raw.values_shape.as_slice() != want_shape
            || Some(raw.values.len()) != n.checked_mul(per_node)
        {
            return Err(SklearnError::invalid(format!(
                "tree values have shape {:?}, expected {:?}",
                raw.values_shape, want_shape
            )));
        }
        let base = self.nodes.len();
        let limit = (u32::MAX >> 1) as usize;
        if base + n > limit || (self.leaf_values.len() / self.stride.max(1)) + n > limit {
            return Err(SklearnError::unsupported(
                "tree models with more than 2^31 nodes",
            ));
        }
        let layout = breadth_first(n, |i| {
            (raw.left_child[i] != TREE_LEAF).then(|| (raw.left_child[i], raw.right_child[i]))
        })?;
        self.nodes.reserve(layout.order.len());
        let mut row = Vec::with_capacity(self.stride);
        for (new, &i) in layout.order.iter().enumerate() {
            let here = (base + new) as u32;
            if raw.left_child[i] == TREE_LEAF {
                row.clear();
                leaf_row(&raw.values[i * per_node..(i + 1) * per_node], &mut row);
                if row.len() != self.stride {
                    return Err(SklearnError::invalid(
                        "a leaf gives the wrong number of values",
                    ));
                }
                let leaf = self.leaf_values.len() / self.stride.max(1);
                self.leaf_values.extend_from_slice(&row);
                self.nodes.push(Node {
                    threshold: f32::INFINITY,
                    feature: IS_LEAF | MISSING_LEFT,
                    left: here,
                    leaf: leaf as u32,
                });
                continue;
            }
            let feature = usize::try_from(raw.feature[i])
                .ok()
                .filter(|&f| f < self.n_features)
                .ok_or_else(|| {
                    SklearnError::invalid(format!(
                        "tree node {i} splits on feature {} but the model has {} features",
                        raw.feature[i], self.n_features
                    ))
                })?;
            let mut feature = feature as u32;
            if raw.missing_go_to_left[i] != 0 {
                feature |= MISSING_LEFT;
            }
            // `breadth_first` placed the right child right after the left.
            let left = layout.slot[raw.left_child[i] as usize];
            self.nodes.push(Node {
                threshold: floor_f32(raw.threshold[i]),
                feature,
                left: (base + left) as u32,
                leaf: 0,
            });
        }
        self.roots.push(base as u32);
        Ok(())
    }

    /// One step from node `c` for row `x` (sklearn's `Tree._apply_dense`:
    /// NaN follows `missing_go_to_left`, else `x <= threshold` goes left).
    /// A leaf steps to itself.
    #[inline(always)]
    fn step(&self, c: u32, x: &[f32]) -> (u32, bool) {
        let n = &self.nodes[c as usize];
        let v = x[(n.feature & FEATURE_MASK) as usize];
        let left = (v <= n.threshold) | (v.is_nan() & (n.feature & MISSING_LEFT != 0));
        (n.left + u32::from(!left), n.feature & IS_LEAF != 0)
    }

    /// The leaf row of the tree rooted at `root` that row `x` reaches.
    #[inline]
    fn leaf_row(&self, root: u32, x: &[f32]) -> usize {
        let mut c = root;
        loop {
            let (next, leaf) = self.step(c, x);
            if leaf {
                break;
            }
            c = next;
        }
        self.nodes[c as usize].leaf as usize
    }

    /// Leaf rows for [`LANES`] rows walked in lockstep: their loads are
    /// independent, so the CPU overlaps them, and the only branch is "all
    /// lanes at a leaf".
    #[inline]
    fn leaf_rows(&self, root: u32, rows: [&[f32]; LANES]) -> [usize; LANES] {
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
        c.map(|i| self.nodes[i as usize].leaf as usize)
    }

    fn leaf(&self, row: usize) -> &[f64] {
        let at = row * self.stride;
        &self.leaf_values[at..at + self.stride]
    }

    /// For every row of `x` (`n_features` float32 each) and every tree in
    /// order, calls `add(row_accumulator, tree_index, leaf_values)`. Rows go
    /// in blocks ([`block_rows`]), tree by tree, [`LANES`] at a time; each
    /// row still sees the trees in order, which keeps float sums identical
    /// to sklearn's tree-after-tree accumulation.
    pub(crate) fn accumulate(
        &self,
        x: &[f32],
        acc: &mut [f64],
        acc_width: usize,
        mut add: impl FnMut(&mut [f64], usize, &[f64]),
    ) {
        let nf = self.n_features.max(1);
        let rows = (x.len() / nf).min(acc.len() / acc_width.max(1));
        let row = |r: usize| &x[r * nf..(r + 1) * nf];
        let block = block_rows(
            nf * 4 + acc_width * 8,
            std::mem::size_of_val(&self.nodes[..]),
        );
        let mut start = 0;
        while start < rows {
            let end = (start + block).min(rows);
            for (t, &root) in self.roots.iter().enumerate() {
                let mut r = start;
                while r + LANES <= end {
                    let leaves = self.leaf_rows(root, std::array::from_fn(|l| row(r + l)));
                    for (l, &leaf) in leaves.iter().enumerate() {
                        let a = &mut acc[(r + l) * acc_width..(r + l + 1) * acc_width];
                        add(a, t, self.leaf(leaf));
                    }
                    r += LANES;
                }
                for r in r..end {
                    let leaf = self.leaf_row(root, row(r));
                    add(
                        &mut acc[r * acc_width..(r + 1) * acc_width],
                        t,
                        self.leaf(leaf),
                    );
                }
            }
            start = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stump(threshold: f64, mgl: u8) -> RawTree {
        RawTree {
            left_child: vec![1, -1, -1],
            right_child: vec![2, -1, -1],
            feature: vec![0, -2, -2],
            threshold: vec![threshold, -2.0, -2.0],
            missing_go_to_left: vec![mgl, 0, 0],
            values: vec![0.5, 1.0, 2.0],
            values_shape: vec![3, 1, 1],
        }
    }

    #[test]
    fn float32_threshold_floor_is_exact() {
        for t in [0.1f64, -0.1, 1e-45, 3.4e38, 3.5e38, -3.5e38, 1.0, 0.0, -0.0] {
            let f = floor_f32(t);
            assert!(f64::from(f) <= t);
            assert!(f64::from(f.next_up()) > t, "{t}");
        }
        assert!(floor_f32(f64::NAN).is_nan());
    }

    #[test]
    fn walks_and_routes_nan() {
        for (mgl, nan_value) in [(1u8, 1.0), (0, 2.0)] {
            let mut set = TreeSet::new(1, 1);
            set.push(&stump(0.25, mgl), [1, 1], |v, out| out.extend_from_slice(v))
                .unwrap();
            let root = set.roots[0];
            let at = |x: f32| set.leaf(set.leaf_row(root, &[x]))[0];
            assert_eq!(at(0.25), 1.0);
            assert_eq!(at(0.2500001), 2.0);
            assert_eq!(at(f32::NAN), nan_value);
            let lanes = set.leaf_rows(
                root,
                [
                    &[0.25],
                    &[0.3],
                    &[f32::NAN],
                    &[-1.0],
                    &[9.0],
                    &[0.0],
                    &[0.25],
                    &[1.0],
                ],
            );
            let got: Vec<f64> = lanes.iter().map(|&l| set.leaf(l)[0]).collect();
            assert_eq!(got, vec![1.0, 2.0, nan_value, 1.0, 2.0, 1.0, 1.0, 2.0]);
        }
    }

    #[test]
    fn hostile_trees_are_refused() {
        let mut bad = stump(0.0, 0);
        bad.left_child[0] = 0; // self loop
        assert!(TreeSet::new(1, 1)
            .push(&bad, [1, 1], |v, o| o.extend_from_slice(v))
            .is_err());
        let mut bad = stump(0.0, 0);
        bad.right_child[0] = 3;
        assert!(TreeSet::new(1, 1)
            .push(&bad, [1, 1], |v, o| o.extend_from_slice(v))
            .is_err());
        let mut bad = stump(0.0, 0);
        bad.feature[0] = 1;
        assert!(TreeSet::new(1, 1)
            .push(&bad, [1, 1], |v, o| o.extend_from_slice(v))
            .is_err());
        let mut bad = stump(0.0, 0);
        bad.values.pop();
        assert!(TreeSet::new(1, 1)
            .push(&bad, [1, 1], |v, o| o.extend_from_slice(v))
            .is_err());
        let bad = RawTree::default();
        assert!(TreeSet::new(1, 1)
            .push(&bad, [1, 1], |v, o| o.extend_from_slice(v))
            .is_err());
    }
}
