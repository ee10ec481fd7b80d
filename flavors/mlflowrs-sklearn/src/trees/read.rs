//! Reading tree-model state out of skops nodes into the plain structs the
//! evaluators check and compile.

use mlflowrs_skops::{ArrayDType, ArrayData, NdArray, Node, NodeKind, ScalarType};

use super::flat::RawTree;
use super::hgb::RawPredictor;
use crate::error::SklearnError;

pub(crate) fn invalid(msg: impl Into<String>) -> SklearnError {
    SklearnError::invalid(msg)
}

/// A non-negative integer attribute (a Python int or numpy integer).
pub(crate) fn usize_attr(node: &Node, name: &str) -> Result<usize, SklearnError> {
    let v = node.attr(name)?.i64()?;
    usize::try_from(v).map_err(|_| invalid(format!("{name} is {v}")))
}

/// A string attribute.
pub(crate) fn str_attr<'a>(node: &'a Node, name: &str) -> Result<&'a str, SklearnError> {
    Ok(node.attr(name)?.str()?)
}

/// `feature_names_in_`, when present.
pub(crate) fn feature_names(node: &Node) -> Result<Option<Vec<String>>, SklearnError> {
    match node.get("feature_names_in_") {
        Some(n) if !n.is_none() => Ok(Some(n.str_list()?)),
        _ => Ok(None),
    }
}

/// A column of a structured array as i64, whatever integer width numpy used
/// (`intp` is platform dependent).
fn field_i64(a: &NdArray, name: &str) -> Result<Vec<i64>, SklearnError> {
    a.field(name)
        .and_then(|f| f.data.to_i64())
        .ok_or_else(|| invalid(format!("node array has no integer field {name:?}")))
}

fn field_f64(a: &NdArray, name: &str) -> Result<Vec<f64>, SklearnError> {
    match a.field(name).map(|f| &f.data) {
        Some(ArrayData::F64(v)) => Ok(v.clone()),
        Some(ArrayData::F32(v)) => Ok(v.iter().map(|&x| f64::from(x)).collect()),
        _ => Err(invalid(format!("node array has no float field {name:?}"))),
    }
}

fn field_u8(a: &NdArray, name: &str) -> Result<Vec<u8>, SklearnError> {
    match a.field(name).map(|f| &f.data) {
        Some(ArrayData::U8(v)) => Ok(v.clone()),
        Some(ArrayData::Bool(v)) => Ok(v.iter().map(|&b| u8::from(b)).collect()),
        Some(ArrayData::I8(v)) => Ok(v.iter().map(|&b| b as u8).collect()),
        _ => Err(invalid(format!("node array has no uint8 field {name:?}"))),
    }
}

fn field_u32(a: &NdArray, name: &str) -> Result<Vec<u32>, SklearnError> {
    field_i64(a, name)?
        .into_iter()
        .map(|v| u32::try_from(v).map_err(|_| invalid(format!("{name} value {v} out of range"))))
        .collect()
}

fn structured<'a>(node: &'a Node, what: &str) -> Result<&'a NdArray, SklearnError> {
    let a = node.array()?;
    if a.ndim() != 1 || !matches!(a.dtype(), ArrayDType::Record(_)) {
        return Err(invalid(format!(
            "{what} is {}, expected a 1-D structured array",
            a.describe()
        )));
    }
    Ok(a)
}

/// The `(n_features, n_classes, n_outputs)` arguments and the state of a
/// `sklearn.tree._tree.Tree`.
pub(crate) struct TreeHeader {
    pub n_features: usize,
    pub n_classes: Vec<usize>,
    pub n_outputs: usize,
}

/// Reads an estimator's `tree_` (a skops `TreeNode`).
pub(crate) fn tree(est: &Node) -> Result<(TreeHeader, RawTree), SklearnError> {
    let node = est.attr("tree_")?;
    let NodeKind::Tree { args, state } = node.kind() else {
        return Err(invalid(format!("tree_ is {}", node.describe())));
    };
    if node.type_name() != "sklearn.tree._tree.Tree" {
        return Err(SklearnError::unsupported(format!(
            "tree_ of type {}",
            node.type_name()
        )));
    }
    let args = args.seq()?;
    let [nf, nc, no] = args else {
        return Err(invalid(
            "Tree.__reduce__ args are not (n_features, n_classes, n_outputs)",
        ));
    };
    let n_features = usize::try_from(nf.i64()?).map_err(|_| invalid("negative n_features"))?;
    let n_outputs = usize::try_from(no.i64()?).map_err(|_| invalid("negative n_outputs"))?;
    let n_classes = nc
        .array()?
        .to_i64()?
        .into_iter()
        .map(|c| usize::try_from(c).map_err(|_| invalid("negative n_classes")))
        .collect::<Result<Vec<_>, _>>()?;
    if n_classes.len() != n_outputs || n_outputs == 0 {
        return Err(invalid("Tree n_classes does not have n_outputs entries"));
    }
    let nodes = structured(state.attr("nodes")?, "Tree nodes")?;
    let values = state.attr("values")?.array()?;
    let node_count = usize_attr(state, "node_count")?;
    if node_count != nodes.len() {
        return Err(invalid(format!(
            "Tree node_count is {node_count} but nodes has {} rows",
            nodes.len()
        )));
    }
    let raw = RawTree {
        left_child: field_i64(nodes, "left_child")?,
        right_child: field_i64(nodes, "right_child")?,
        feature: field_i64(nodes, "feature")?,
        threshold: field_f64(nodes, "threshold")?,
        missing_go_to_left: field_u8(nodes, "missing_go_to_left")?,
        values: values
            .as_f64()
            .ok_or_else(|| invalid(format!("Tree values is {}", values.describe())))?
            .to_vec(),
        values_shape: values.shape().to_vec(),
    };
    Ok((
        TreeHeader {
            n_features,
            n_classes,
            n_outputs,
        },
        raw,
    ))
}

/// One `TreePredictor` object of a HistGradientBoosting model.
pub(crate) fn predictor(node: &Node) -> Result<RawPredictor, SklearnError> {
    if node.type_name() != "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor" {
        return Err(SklearnError::unsupported(format!(
            "_predictors holds {}",
            node.type_name()
        )));
    }
    let nodes = structured(node.attr("nodes")?, "TreePredictor nodes")?;
    let bitsets = node.attr("raw_left_cat_bitsets")?.array()?;
    let raw_left_cat_bitsets = match bitsets.data() {
        ArrayData::U32(v) if bitsets.ndim() == 2 && bitsets.shape()[1] == 8 => v.clone(),
        _ if bitsets.is_empty() => Vec::new(),
        _ => {
            return Err(invalid(format!(
                "raw_left_cat_bitsets is {}, expected uint32 (n, 8)",
                bitsets.describe()
            )))
        }
    };
    Ok(RawPredictor {
        value: field_f64(nodes, "value")?,
        feature_idx: field_i64(nodes, "feature_idx")?,
        num_threshold: field_f64(nodes, "num_threshold")?,
        missing_go_to_left: field_u8(nodes, "missing_go_to_left")?,
        left: field_u32(nodes, "left")?,
        right: field_u32(nodes, "right")?,
        is_leaf: field_u8(nodes, "is_leaf")?,
        is_categorical: field_u8(nodes, "is_categorical")?,
        bitset_idx: field_u32(nodes, "bitset_idx")?,
        raw_left_cat_bitsets,
    })
}

/// The items of an object ndarray (stored as JSON by skops) or of a list, in
/// C order, with the array's shape.
pub(crate) fn object_items(node: &Node) -> Result<(Vec<&Node>, Vec<usize>), SklearnError> {
    fn flatten<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
        match n.kind() {
            NodeKind::List(v) => v.iter().for_each(|c| flatten(c, out)),
            _ => out.push(n),
        }
    }
    match node.object_array() {
        Some((items, shape)) => {
            let mut out = Vec::new();
            for it in items {
                flatten(it, &mut out);
            }
            let want = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
            if want != Some(out.len()) {
                return Err(invalid("object array items do not fill its shape"));
            }
            Ok((out, shape.to_vec()))
        }
        None => {
            let items: Vec<&Node> = node.seq()?.iter().map(|n| n.as_ref()).collect();
            let n = items.len();
            Ok((items, vec![n]))
        }
    }
}

/// A float64 vector from a numeric array node (any numeric dtype).
pub(crate) fn f64_array(node: &Node, what: &str) -> Result<Vec<f64>, SklearnError> {
    let a = node.array()?;
    a.data()
        .to_f64()
        .ok_or_else(|| invalid(format!("{what} is {}", a.describe())))
}

/// The numpy unicode width of a `classes_` array, if it is one.
pub(crate) fn unicode_width(node: &Node) -> Option<usize> {
    match node.as_array()?.scalar_type()? {
        ScalarType::Unicode(n) => Some(n),
        _ => None,
    }
}
