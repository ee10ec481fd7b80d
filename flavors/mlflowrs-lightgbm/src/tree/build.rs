//! Building the flat layout from a tree block of the text model, checking
//! every index on the way (`Tree::Tree(const char*)` in LightGBM).

use std::collections::HashMap;

use super::{
    Forest, LinearLeaf, Node, TreeRef, KIND_CATEGORICAL, KIND_NUMERIC, KIND_NUMERIC_ZERO, LEAF,
};
use crate::error::LightGbmError;
use crate::numparse::{array, int_in, precise_f64};

impl Forest {
    /// Parses one tree block and appends it; `num_features` bounds feature indices.
    pub fn push_tree(
        &mut self,
        kv: &HashMap<&str, &str>,
        num_features: usize,
    ) -> Result<(), LightGbmError> {
        let field = |k: &str| {
            kv.get(k).copied().ok_or_else(|| {
                LightGbmError::corrupt(format!(
                    "Tree model string format error, should contain {k} field"
                ))
            })
        };
        // Indices are stored in 31 bits; bounding the counts keeps them so.
        const MAX: i64 = (i32::MAX / 4) as i64;
        let num_leaves = int_in(field("num_leaves")?, 1, MAX, "num_leaves")? as usize;
        let num_cat = int_in(field("num_cat")?, 0, MAX, "num_cat")? as usize;
        let leaf_value = array(field("leaf_value")?, num_leaves, "leaf_value", |t| {
            precise_f64(t, "leaf_value")
        })?;
        let linear = match kv.get("is_linear") {
            Some(v) => int_in(v, i64::MIN, i64::MAX, "is_linear")? != 0,
            None => false,
        };
        let leaf_base = self.leaf_values.len();
        let node_base = self.nodes.len();
        // Internal nodes plus leaf nodes: 2 * num_leaves - 1 more nodes.
        if leaf_base + num_leaves >= LEAF as usize || node_base + 2 * num_leaves >= LEAF as usize {
            return Err(LightGbmError::corrupt("too many tree nodes"));
        }
        let n_inner = num_leaves - 1;
        let leaf_node = |l: usize| LEAF | (node_base + n_inner + l) as u32;
        let mut depth = 0;
        let root = if n_inner == 0 {
            leaf_node(0)
        } else {
            node_base as u32
        };

        if n_inner > 0 {
            let ints = |k: &str| {
                array(field(k)?, n_inner, k, |t| {
                    int_in(t, i32::MIN as i64, i32::MAX as i64, k)
                })
            };
            let left = ints("left_child")?;
            let right = ints("right_child")?;
            let split_feature = ints("split_feature")?;
            let threshold = array(field("threshold")?, n_inner, "threshold", |t| {
                precise_f64(t, "threshold")
            })?;
            let decision_type = match kv.get("decision_type") {
                Some(v) => array(v, n_inner, "decision_type", |t| {
                    int_in(t, 0, 127, "decision_type")
                })?,
                None => vec![0; n_inner],
            };
            depth = check_is_tree(&left, &right, num_leaves)?;

            let cat_base = self.cat_ranges.len();
            if num_cat > 0 {
                let bounds = array(
                    field("cat_boundaries")?,
                    num_cat + 1,
                    "cat_boundaries",
                    |t| int_in(t, 0, i32::MAX as i64, "cat_boundaries"),
                )?;
                let total = *bounds.last().unwrap_or(&0) as usize;
                let bits = array(field("cat_threshold")?, total, "cat_threshold", |t| {
                    int_in(t, 0, u32::MAX as i64, "cat_threshold")
                })?;
                if bounds.first() != Some(&0) || bounds.windows(2).any(|w| w[0] > w[1]) {
                    return Err(LightGbmError::corrupt(
                        "cat_boundaries are not increasing from 0",
                    ));
                }
                let bits_base = self.cat_bits.len();
                if bits_base + total >= u32::MAX as usize {
                    return Err(LightGbmError::corrupt("too many categorical bitsets"));
                }
                for w in bounds.windows(2) {
                    self.cat_ranges
                        .push(((bits_base + w[0] as usize) as u32, (w[1] - w[0]) as u32));
                }
                self.cat_bits.extend(bits.iter().map(|&b| b as u32));
            }

            let child = |c: i64| -> u32 {
                if c < 0 {
                    leaf_node((!c) as usize)
                } else {
                    (node_base + c as usize) as u32
                }
            };
            for i in 0..n_inner {
                let feature = split_feature[i];
                if feature < 0 || feature as usize >= num_features {
                    return Err(LightGbmError::corrupt(format!(
                        "split_feature {feature} is outside the model's {num_features} features"
                    )));
                }
                let dt = decision_type[i] as u8;
                let default_left = dt & 2 != 0;
                let missing = (dt >> 2) & 3;
                // Tree::GetLeaf only looks at the categorical bit when the tree has categories.
                let categorical = num_cat > 0 && dt & 1 != 0;
                let mut thr = threshold[i];
                let kind = if categorical {
                    // LightGBM casts the threshold to int to find the bitset.
                    if !(thr >= 0.0 && thr < num_cat as f64) {
                        return Err(LightGbmError::corrupt(format!(
                            "categorical split {i} names bitset {thr} of {num_cat}"
                        )));
                    }
                    thr = (cat_base + thr as usize) as f64;
                    KIND_CATEGORICAL
                } else if missing == 1 {
                    KIND_NUMERIC_ZERO
                } else {
                    KIND_NUMERIC
                };
                // NaN becomes 0.0 unless the missing type is NaN; 0.0 is "zero"
                // (default direction) for missing type Zero.
                let nan_left = match missing {
                    1 | 2 => default_left,
                    _ => 0.0 <= thr,
                };
                self.nodes.push(Node {
                    threshold: thr,
                    feature: feature as u32,
                    children: [child(left[i]), child(right[i])],
                    kind,
                    default_left,
                    nan_left,
                });
            }
        }

        for l in 0..num_leaves {
            // Every row that reaches a leaf node stays there: all values go left, to itself.
            self.nodes.push(Node {
                threshold: f64::INFINITY,
                feature: 0,
                children: [leaf_node(l), (leaf_base + l) as u32],
                kind: KIND_NUMERIC,
                default_left: true,
                nan_left: true,
            });
        }
        if linear {
            self.push_linear(kv, num_leaves, num_features, leaf_base)?;
        } else if !self.linear_leaves.is_empty() {
            self.linear_leaves
                .extend(std::iter::repeat_n(LinearLeaf::default(), num_leaves));
        }
        self.leaf_values.extend_from_slice(&leaf_value);
        self.trees.push(TreeRef {
            root,
            depth,
            linear,
        });
        Ok(())
    }

    /// The linear models of a linear tree's leaves (`leaf_const`,
    /// `num_features`, `leaf_features`, `leaf_coeff`).
    fn push_linear(
        &mut self,
        kv: &HashMap<&str, &str>,
        num_leaves: usize,
        num_features: usize,
        leaf_base: usize,
    ) -> Result<(), LightGbmError> {
        if self.linear_leaves.len() < leaf_base {
            self.linear_leaves.resize(leaf_base, LinearLeaf::default());
        }
        let konst = match kv.get("leaf_const") {
            Some(v) => array(v, num_leaves, "leaf_const", |t| {
                precise_f64(t, "leaf_const")
            })?,
            None => vec![0.0; num_leaves],
        };
        let counts = match kv.get("num_features") {
            Some(v) => array(v, num_leaves, "num_features", |t| {
                int_in(t, 0, num_features as i64, "num_features")
            })?,
            None => vec![0; num_leaves],
        };
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let (features, coeffs) = if total > 0 {
            let f = kv
                .get("leaf_features")
                .ok_or_else(|| LightGbmError::corrupt("linear tree without leaf_features"))?;
            let c = kv
                .get("leaf_coeff")
                .ok_or_else(|| LightGbmError::corrupt("linear tree without leaf_coeff"))?;
            (
                array(f, total, "leaf_features", |t| {
                    int_in(t, 0, num_features as i64 - 1, "leaf_features")
                })?,
                array(c, total, "leaf_coeff", |t| precise_f64(t, "leaf_coeff"))?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        if self.linear_terms.len() + total >= u32::MAX as usize {
            return Err(LightGbmError::corrupt("too many linear-leaf terms"));
        }
        let mut next = 0usize;
        for (leaf, &count) in counts.iter().enumerate() {
            let start = self.linear_terms.len();
            for j in next..next + count as usize {
                self.linear_terms.push((features[j] as u32, coeffs[j]));
            }
            next += count as usize;
            self.linear_leaves.push(LinearLeaf {
                konst: konst[leaf],
                start: start as u32,
                len: count as u32,
            });
        }
        Ok(())
    }
}

/// Checks that the child arrays describe one binary tree rooted at node 0:
/// every child index in range and no node reachable twice (so no cycles).
/// Returns the tree's depth (edges on its longest root-to-leaf path).
fn check_is_tree(left: &[i64], right: &[i64], num_leaves: usize) -> Result<u32, LightGbmError> {
    let n_inner = left.len();
    let mut seen_node = vec![false; n_inner];
    let mut seen_leaf = vec![false; num_leaves];
    let mut stack = vec![(0usize, 0u32)];
    let mut depth = 0;
    seen_node[0] = true;
    while let Some((i, d)) = stack.pop() {
        depth = depth.max(d + 1);
        for c in [left[i], right[i]] {
            if c < 0 {
                let leaf = (!c) as usize;
                match seen_leaf.get_mut(leaf) {
                    Some(s) if !*s => *s = true,
                    Some(_) => {
                        return Err(LightGbmError::corrupt(format!(
                            "leaf {leaf} is reached twice"
                        )))
                    }
                    None => {
                        return Err(LightGbmError::corrupt(format!(
                            "child leaf {leaf} is outside the tree's {num_leaves} leaves"
                        )))
                    }
                }
            } else {
                let node = c as usize;
                match seen_node.get_mut(node) {
                    Some(s) if !*s => *s = true,
                    Some(_) => {
                        return Err(LightGbmError::corrupt(format!(
                            "node {node} is reached twice"
                        )))
                    }
                    None => {
                        return Err(LightGbmError::corrupt(format!(
                            "child node {node} is outside the tree's {n_inner} nodes"
                        )))
                    }
                }
                stack.push((node, d + 1));
            }
        }
    }
    Ok(depth)
}
