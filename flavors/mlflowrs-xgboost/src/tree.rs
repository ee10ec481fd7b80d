//! Trees in one flat, validated node array, laid out for evaluation.
//!
//! XGBoost allocates a node's children as a pair, so the right child is
//! always `left + 1` and its predictor relies on it (`LeftChild + !decision`).
//! A node therefore stores only its left child. A leaf points at itself and
//! compares against NaN with "default left", so once reached it is never
//! left: a row can take exactly `depth` steps through a tree with no
//! per-step leaf test, which lets several rows walk one tree in lock-step.

use crate::error::XgbError;
use crate::value::Value;

/// `Node::feat` flag: a missing value (NaN) goes to the left child.
pub(crate) const DEFAULT_LEFT: u32 = 1 << 31;
/// `Node::feat` flag: a categorical split; `thr` holds the category set index.
pub(crate) const CATEGORICAL: u32 = 1 << 30;
pub(crate) const FEATURE_MASK: u32 = CATEGORICAL - 1;

/// Largest category XGBoost can match: larger float inputs are "invalid"
/// categories (common::InvalidCat) and always go left.
const MAX_CAT: f32 = 16_777_216.0;

#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub(crate) struct Node {
    /// Split threshold (`x < thr` goes left); NaN for a leaf; for a
    /// categorical split, the bits of the category set index.
    pub thr: f32,
    /// Feature index plus the flags above.
    pub feat: u32,
    /// Left child, tree-local; the right child is `left + 1`. A leaf's is itself.
    pub left: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct TreeInfo {
    /// Offset of the tree's first node in `Forest::nodes`.
    pub start: usize,
    pub len: usize,
    /// Steps from the root to the deepest leaf.
    pub depth: u32,
    /// Output group (class or target) the tree adds to.
    pub group: usize,
    pub has_cat: bool,
}

/// A categorical split's category set, as XGBoost's bitfield decides it.
#[derive(Debug, Clone)]
pub(crate) enum CatSet {
    /// Bit `c` set: category `c` goes right.
    Bits(Vec<u32>),
    /// Sorted categories going right (for sparse, large category codes).
    Sorted(Vec<u32>),
}

impl CatSet {
    fn contains(&self, cat: u32) -> bool {
        match self {
            CatSet::Bits(words) => words
                .get((cat / 32) as usize)
                .is_some_and(|w| w & (1 << (cat % 32)) != 0),
            CatSet::Sorted(v) => v.binary_search(&cat).is_ok(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Forest {
    pub nodes: Vec<Node>,
    /// Leaf value per node (0 for internal nodes), already scaled for DART.
    pub values: Vec<f32>,
    pub trees: Vec<TreeInfo>,
    pub cat_sets: Vec<CatSet>,
}

impl Forest {
    /// Tree-local node slice and leaf values of tree `t`.
    #[inline]
    pub(crate) fn tree(&self, t: &TreeInfo) -> (&[Node], &[f32]) {
        (
            &self.nodes[t.start..t.start + t.len],
            &self.values[t.start..t.start + t.len],
        )
    }

    /// Right-or-left for a categorical split (common::Decision): an input
    /// goes right only when it is a valid category in the node's set.
    #[inline]
    pub(crate) fn cat_goes_right(&self, node: &Node, x: f32) -> bool {
        if !(0.0..MAX_CAT).contains(&x) {
            return false;
        }
        self.cat_sets
            .get(node.thr.to_bits() as usize)
            .is_some_and(|set| set.contains(x as u32))
    }
}

/// Fields of one tree in the model document.
fn array_of<'v>(tree: &'v Value, key: &str) -> Result<&'v Value, XgbError> {
    tree.get(key)
        .ok_or_else(|| XgbError::corrupt(format!("tree is missing `{key}`")))
}

fn ints(tree: &Value, key: &str, n: usize) -> Result<Vec<i64>, XgbError> {
    let v = array_of(tree, key)?
        .to_i64_vec()
        .ok_or_else(|| XgbError::corrupt(format!("tree `{key}` is not an integer array")))?;
    if v.len() != n {
        return Err(XgbError::corrupt(format!(
            "tree `{key}` has {} entries for {n} nodes",
            v.len()
        )));
    }
    Ok(v)
}

fn param_int(param: &Value, key: &str) -> Result<Option<i64>, XgbError> {
    let Some(v) = param.get(key) else {
        return Ok(None);
    };
    let n = match v {
        Value::Str(s) => s.trim().parse::<i64>().ok(),
        other => other.as_i64(),
    };
    n.map(Some)
        .ok_or_else(|| XgbError::corrupt(format!("tree_param `{key}` is not an integer")))
}

/// Appends one tree (`RegTree::LoadModel`) to the forest, validating every
/// index reachable from its root.
pub(crate) fn push_tree(
    forest: &mut Forest,
    tree: &Value,
    num_feature: usize,
    group: usize,
    scale: &dyn Fn(f32) -> f32,
) -> Result<(), XgbError> {
    let param = array_of(tree, "tree_param")?;
    if param_int(param, "size_leaf_vector")?.unwrap_or(1) > 1 {
        return Err(XgbError::unsupported(
            "XGBoost multi-target trees (vector leaves, multi_strategy=multi_output_tree) are not served natively",
        ));
    }
    let n = param_int(param, "num_nodes")?
        .ok_or_else(|| XgbError::corrupt("tree_param is missing `num_nodes`"))?;
    let n = usize::try_from(n)
        .ok()
        .filter(|&n| n >= 1 && n < u32::MAX as usize / 2)
        .ok_or_else(|| XgbError::corrupt(format!("tree has {n} nodes")))?;
    let lefts = ints(tree, "left_children", n)?;
    let rights = ints(tree, "right_children", n)?;
    let split_idx = ints(tree, "split_indices", n)?;
    let default_left = ints(tree, "default_left", n)?;
    let conds = array_of(tree, "split_conditions")?
        .to_f32_vec()
        .ok_or_else(|| XgbError::corrupt("tree `split_conditions` is not a number array"))?;
    if conds.len() != n {
        return Err(XgbError::corrupt(format!(
            "tree `split_conditions` has {} entries for {n} nodes",
            conds.len()
        )));
    }
    let cats = if tree.get("split_type").is_some() {
        Some(TreeCats::load(tree, n)?)
    } else {
        None
    };

    let start = forest.nodes.len();
    // Children always follow their parent, so one forward pass sees every
    // reachable node after its parent: it marks reachability and depth.
    let mut depth = vec![u32::MAX; n];
    depth[0] = 0;
    let mut max_depth = 0;
    let mut has_cat = false;
    let mut nodes = Vec::with_capacity(n);
    let mut values = Vec::with_capacity(n);
    for i in 0..n {
        let leaf = Node {
            thr: f32::NAN,
            feat: DEFAULT_LEFT,
            left: i as u32,
        };
        if depth[i] == u32::MAX {
            // Unreachable (deleted by a pruner): never evaluated.
            nodes.push(leaf);
            values.push(0.0);
            continue;
        }
        let d = depth[i];
        max_depth = max_depth.max(d);
        if lefts[i] == -1 {
            nodes.push(leaf);
            values.push(scale(conds[i]));
            continue;
        }
        let left = usize::try_from(lefts[i])
            .ok()
            .filter(|&l| l > i && l + 1 < n)
            .ok_or_else(|| {
                XgbError::corrupt(format!(
                    "node {i}: left child {} is not a later node of the tree",
                    lefts[i]
                ))
            })?;
        if rights[i] != lefts[i] + 1 {
            return Err(XgbError::corrupt(format!(
                "node {i}: right child {} is not left child {} + 1",
                rights[i], lefts[i]
            )));
        }
        let feature = usize::try_from(split_idx[i])
            .ok()
            .filter(|&f| f < num_feature)
            .ok_or_else(|| {
                XgbError::corrupt(format!(
                    "node {i}: split feature {} out of range for {num_feature} features",
                    split_idx[i]
                ))
            })?;
        for child in [left, left + 1] {
            if depth[child] != u32::MAX {
                return Err(XgbError::corrupt(format!("node {child} has two parents")));
            }
            depth[child] = d + 1;
        }
        let mut feat = feature as u32;
        if default_left[i] != 0 {
            feat |= DEFAULT_LEFT;
        }
        let mut thr = conds[i];
        if let Some(set) = cats
            .as_ref()
            .and_then(|c| c.categorical_set(i))
            .transpose()?
        {
            has_cat = true;
            feat |= CATEGORICAL;
            thr = f32::from_bits(forest.cat_sets.len() as u32);
            forest.cat_sets.push(set);
        }
        nodes.push(Node {
            thr,
            feat,
            left: left as u32,
        });
        values.push(0.0);
    }
    forest.nodes.extend(nodes);
    forest.values.extend(values);
    forest.trees.push(TreeInfo {
        start,
        len: n,
        depth: max_depth,
        group,
        has_cat,
    });
    Ok(())
}

/// A tree's categorical split data (`RegTree::LoadCategoricalSplit`).
struct TreeCats {
    split_type: Vec<i64>,
    /// Per node: the range of `categories` XGBoost assigns it.
    segments: Vec<Option<(usize, usize)>>,
    categories: Vec<i64>,
}

impl TreeCats {
    fn load(tree: &Value, n: usize) -> Result<TreeCats, XgbError> {
        let split_type = ints(tree, "split_type", n)?;
        let list = |key: &str| {
            array_of(tree, key)?
                .to_i64_vec()
                .ok_or_else(|| XgbError::corrupt(format!("tree `{key}` is not an integer array")))
        };
        let seg_begin = list("categories_segments")?;
        let seg_size = list("categories_sizes")?;
        let cat_nodes = list("categories_nodes")?;
        let categories = list("categories")?;
        if seg_begin.len() != cat_nodes.len() || seg_size.len() != cat_nodes.len() {
            return Err(XgbError::corrupt(
                "tree categorical segments do not match its categorical nodes",
            ));
        }
        // XGBoost walks the nodes in order, consuming `categories_nodes` as
        // it meets them; mirror that so an unsorted list means the same.
        let mut segments = vec![None; n];
        let mut cnt = 0;
        for (nidx, seg) in segments.iter_mut().enumerate() {
            if cat_nodes.get(cnt).copied() != Some(nidx as i64) {
                continue;
            }
            let (b, s) = (seg_begin[cnt], seg_size[cnt]);
            let begin = usize::try_from(b).ok();
            let size = usize::try_from(s).ok().filter(|&s| s > 0);
            let (Some(begin), Some(size)) = (begin, size) else {
                return Err(XgbError::corrupt(format!(
                    "node {nidx}: bad category segment ({b}, {s})"
                )));
            };
            if begin.checked_add(size).is_none_or(|e| e > categories.len()) {
                return Err(XgbError::corrupt(format!(
                    "node {nidx}: category segment out of range"
                )));
            }
            *seg = Some((begin, size));
            cnt += 1;
        }
        Ok(TreeCats {
            split_type,
            segments,
            categories,
        })
    }

    /// The category set of node `i` when it is a categorical split.
    fn categorical_set(&self, i: usize) -> Option<Result<CatSet, XgbError>> {
        // FeatureType::kCategorical == 1.
        if self.split_type.get(i) != Some(&1) {
            return None;
        }
        let Some((begin, size)) = self.segments.get(i).copied().flatten() else {
            // A categorical node without categories: XGBoost's empty bitfield
            // sends every valid category left.
            return Some(Ok(CatSet::Sorted(Vec::new())));
        };
        let mut cats = Vec::with_capacity(size);
        for &c in &self.categories[begin..begin + size] {
            if !(0..=i64::from(i32::MAX)).contains(&c) {
                return Some(Err(XgbError::corrupt(format!(
                    "node {i}: category {c} out of range"
                ))));
            }
            // Codes from 2^24 up can never be matched (InvalidCat).
            if (c as f32) < MAX_CAT {
                cats.push(c as u32);
            }
        }
        cats.sort_unstable();
        cats.dedup();
        let max = cats.last().copied().unwrap_or(0) as usize;
        let words = max / 32 + 1;
        // A dense bitfield only when it is not much larger than the list,
        // so a file cannot make us allocate far more than it holds.
        Some(Ok(if words <= 2 * cats.len() + 8 {
            let mut bits = vec![0u32; words];
            for &c in &cats {
                bits[(c / 32) as usize] |= 1 << (c % 32);
            }
            CatSet::Bits(bits)
        } else {
            CatSet::Sorted(cats)
        }))
    }
}
