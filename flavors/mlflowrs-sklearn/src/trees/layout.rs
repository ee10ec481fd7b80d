//! Breadth-first re-layout of a tree so that the two children of every
//! split are neighbours: a walk then goes to `left + went_right`, plain
//! arithmetic instead of an unpredictable branch or a second index load.

use crate::error::SklearnError;

/// The nodes of one tree in their new order.
pub(crate) struct Layout {
    /// Old index of each new slot, root first.
    pub order: Vec<usize>,
    /// New slot of each old index (`usize::MAX` for nodes the root never
    /// reaches, which sklearn never visits either).
    pub slot: Vec<usize>,
}

/// Lays out the `n` nodes of a tree given each split's children (`None`
/// for a leaf). Every child must come after its parent (as sklearn builds
/// trees) and have a single parent: a crafted file with a cycle, a shared
/// child or an index out of range is refused here.
pub(crate) fn breadth_first(
    n: usize,
    children: impl Fn(usize) -> Option<(i64, i64)>,
) -> Result<Layout, SklearnError> {
    let mut slot = vec![usize::MAX; n];
    let mut order = Vec::with_capacity(n);
    if n == 0 {
        return Err(SklearnError::invalid("a tree has no nodes"));
    }
    slot[0] = 0;
    order.push(0);
    let mut next = 0;
    while next < order.len() {
        let i = order[next];
        next += 1;
        let Some((l, r)) = children(i) else {
            continue;
        };
        for c in [l, r] {
            let ok = usize::try_from(c)
                .ok()
                .filter(|&c| c > i && c < n && slot[c] == usize::MAX);
            let Some(c) = ok else {
                return Err(SklearnError::invalid(format!(
                    "tree node {i} has child {c}: out of {}..{n} or already used",
                    i + 1
                )));
            };
            slot[c] = order.len();
            order.push(c);
        }
    }
    Ok(Layout { order, slot })
}
