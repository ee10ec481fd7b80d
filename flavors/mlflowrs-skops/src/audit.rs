//! skops's trust audit (`Node.get_unsafe_set` of each loader, and
//! `audit_tree`), reproduced so a caller can tell whether `skops.io.load(path,
//! trusted=...)` — what mlflow.sklearn calls — would accept the file.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use crate::node::{DictKey, Loader, Node, NodeKind};
use crate::trusted_defaults as td;

fn in_any(name: &str, lists: &[&[&str]]) -> bool {
    lists.iter().any(|l| l.binary_search(&name).is_ok())
}

/// The types of this node alone that skops does not trust by default.
fn self_unsafe(node: &Node, out: &mut BTreeSet<String>) {
    let name = node.type_name();
    let mut check = |trusted: &[&[&str]]| {
        if !in_any(&name, trusted) {
            out.insert(name.clone());
        }
    };
    match node.kind() {
        // JsonNode and SliceNode report nothing, whatever their type.
        NodeKind::Json(_) | NodeKind::Slice { .. } => {}
        NodeKind::Dict(entries) => {
            check(&[&["builtins.dict", "collections.OrderedDict"]]);
            for (k, _) in entries {
                if let DictKey::Other { key_type, .. } = k {
                    if !in_any(key_type, &[td::PRIMITIVE, td::CONTAINER, td::NUMPY_DTYPE]) {
                        out.insert(key_type.clone());
                    }
                }
            }
        }
        NodeKind::DefaultDict { .. } => check(&[&["collections.defaultdict"]]),
        NodeKind::List(_) => check(&[&["builtins.list"]]),
        NodeKind::Set(_) => check(&[&["builtins.set"]]),
        NodeKind::Tuple(_) => check(&[&["builtins.tuple"]]),
        NodeKind::Function => check(&[td::SCIPY_UFUNC, td::NUMPY_UFUNC]),
        NodeKind::Type => check(&[td::PRIMITIVE, td::CONTAINER, td::NUMPY_DTYPE]),
        NodeKind::Object(_) => check(&[td::SKLEARN_OBJECT]),
        NodeKind::Method { func, obj } => {
            check(&[]);
            out.insert(format!("{}.{func}", obj.type_name()));
        }
        NodeKind::Bytes(_) => check(&[&["builtins.bytes"]]),
        NodeKind::Bytearray(_) => check(&[&["builtins.bytearray"]]),
        NodeKind::Array(_) | NodeKind::ObjectArray { .. } => {
            check(&[&["numpy.ndarray"], td::NUMPY_DTYPE])
        }
        NodeKind::MaskedArray { .. } => check(&[&["numpy.ma.MaskedArray"]]),
        NodeKind::RandomState(_) => check(&[&["numpy.random.mtrand.RandomState"]]),
        NodeKind::RandomGenerator { name: bg, .. } => {
            check(&[&["numpy.random._generator.Generator"]]);
            let full = format!("numpy.random.{bg}");
            if !in_any(&full, &[td::BIT_GENERATOR]) {
                out.insert(full);
            }
        }
        NodeKind::SparseMatrix(_) => check(&[&[
            "scipy.sparse._base.sparray",
            "scipy.sparse._matrix.spmatrix",
        ]]),
        NodeKind::Tree { .. } => check(&[]),
        NodeKind::Loss { .. } => check(&[td::LOSS]),
        NodeKind::Partial { .. }
        | NodeKind::ConstructorFromReduce(_)
        | NodeKind::OperatorFunc(_)
        | NodeKind::DType(_) => check(&[]),
    }
}

/// Every node reachable from `root`, each once, in pre-order.
pub(crate) fn walk(root: &Arc<Node>) -> Vec<&Node> {
    let mut seen: HashSet<*const Node> = HashSet::new();
    let mut out = Vec::new();
    let mut stack: Vec<&Arc<Node>> = vec![root];
    while let Some(n) = stack.pop() {
        if !seen.insert(Arc::as_ptr(n)) {
            continue;
        }
        out.push(n.as_ref());
        let children = n.children();
        stack.extend(children.into_iter().rev());
    }
    out
}

/// `sorted(tree.get_unsafe_set() - set(trusted))`.
pub(crate) fn untrusted(root: &Arc<Node>, trusted: &[String]) -> Vec<String> {
    let mut out = BTreeSet::new();
    for n in walk(root) {
        self_unsafe(n, &mut out);
    }
    for t in trusted {
        out.remove(t);
    }
    out.into_iter().collect()
}

/// Distinct (loader, type) pairs in pre-order of first appearance.
pub(crate) fn types(root: &Arc<Node>) -> Vec<(Loader, String)> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for n in walk(root) {
        let key = (n.loader(), n.type_name());
        if seen.insert(key.clone()) {
            out.push(key);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_lists_are_sorted() {
        for l in [
            td::PRIMITIVE,
            td::CONTAINER,
            td::NUMPY_DTYPE,
            td::NUMPY_UFUNC,
            td::SCIPY_UFUNC,
            td::SKLEARN_OBJECT,
            td::BIT_GENERATOR,
            td::LOSS,
        ] {
            assert!(l.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
