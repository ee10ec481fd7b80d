//! Margin evaluation, as XGBoost's CPU predictor computes it: each row's
//! margin starts at the group's base margin and adds every tree's float32
//! leaf value in tree order (cpu_predictor.cc, `out_predt(row, gid) +=`).
//!
//! Rows are evaluated in blocks: a block of rows is made dense once, then
//! every tree walks all the block's rows. Trees without categorical splits
//! walk them in lock-step, one level at a time, with no per-node branch on
//! missing values or leaves (see `tree.rs`), which keeps many independent
//! node loads in flight.

use crate::input::{fill_block, Features};
use crate::tree::{Forest, Node, TreeInfo, CATEGORICAL, DEFAULT_LEFT, FEATURE_MASK};

/// Rows per block: a block of a few dozen features stays in L1.
const BLOCK_ROWS: usize = 64;
/// Deeper trees walk each row to its leaf instead of in lock-step.
const LOCKSTEP_MAX_DEPTH: u32 = 24;

/// Margins of all rows (`rows × n_groups`, row-major) using the first
/// `tree_end` trees.
pub(crate) fn margins(
    forest: &Forest,
    tree_end: usize,
    base_margin: &[f32],
    num_feature: usize,
    features: &Features<'_>,
) -> Vec<f32> {
    let groups = base_margin.len();
    let rows = features.rows;
    let mut out = Vec::with_capacity(rows * groups);
    for _ in 0..rows {
        out.extend_from_slice(base_margin);
    }
    // Leaves read feature 0, so a row has at least one slot.
    let stride = num_feature.max(1);
    // Keep a block near 1 MiB even for very wide models.
    let block_rows = (262_144 / stride).clamp(1, BLOCK_ROWS);
    let mut block = vec![f32::NAN; block_rows * stride];
    let mut idx = [0u32; BLOCK_ROWS];
    let trees = forest.trees.get(..tree_end).unwrap_or(&forest.trees);
    let mut start = 0;
    while start < rows {
        let n = block_rows.min(rows - start);
        fill_block(features, start, n, &mut block, stride);
        let acc = &mut out[start * groups..(start + n) * groups];
        for t in trees {
            if t.has_cat || t.depth > LOCKSTEP_MAX_DEPTH {
                walk_each(forest, t, &block, stride, n, acc, groups);
            } else {
                walk_lockstep(forest, t, &block, stride, &mut idx[..n], acc, groups);
            }
        }
        start += n;
    }
    out
}

#[inline]
fn walk_lockstep(
    forest: &Forest,
    t: &TreeInfo,
    block: &[f32],
    stride: usize,
    idx: &mut [u32],
    acc: &mut [f32],
    groups: usize,
) {
    let (nodes, values) = forest.tree(t);
    idx.fill(0);
    for _ in 0..t.depth {
        for (r, i) in idx.iter_mut().enumerate() {
            let node: Node = nodes[*i as usize];
            let x = block[r * stride + (node.feat & FEATURE_MASK) as usize];
            // A NaN compares false both ways, so the flag picks the default
            // direction without a separate missing-value test.
            let left_if_present = x < node.thr;
            let right = if node.feat & DEFAULT_LEFT != 0 {
                x >= node.thr
            } else {
                !left_if_present
            };
            *i = node.left + u32::from(right);
        }
    }
    for (r, &i) in idx.iter().enumerate() {
        acc[r * groups + t.group] += values[i as usize];
    }
}

fn walk_each(
    forest: &Forest,
    t: &TreeInfo,
    block: &[f32],
    stride: usize,
    n: usize,
    acc: &mut [f32],
    groups: usize,
) {
    let (nodes, values) = forest.tree(t);
    for r in 0..n {
        let row = &block[r * stride..(r + 1) * stride];
        let mut i = 0usize;
        loop {
            let node = nodes[i];
            // Leaves point at themselves; every other node at a later one.
            if node.left as usize == i {
                break;
            }
            let x = row[(node.feat & FEATURE_MASK) as usize];
            let right = if x.is_nan() {
                node.feat & DEFAULT_LEFT == 0
            } else if node.feat & CATEGORICAL != 0 {
                forest.cat_goes_right(&node, x)
            } else {
                let goes_left = x < node.thr;
                !goes_left
            };
            i = node.left as usize + usize::from(right);
        }
        acc[r * groups + t.group] += values[i];
    }
}
