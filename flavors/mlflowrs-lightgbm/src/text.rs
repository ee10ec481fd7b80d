//! Splits LightGBM's text model format into its sections, the way
//! `GBDT::LoadModelFromString` and `Tree::Tree(const char*)` walk it.
//!
//! Layout: a header of `key=value` lines (first line `tree`), then one block
//! per tree (`Tree=K` followed by at most 22 `key=value` lines and a blank
//! line), then `end of trees`, feature importances, the `parameters:` section
//! and, appended by the Python package, a last `pandas_categorical:<json>` line.

use std::collections::HashMap;

use crate::error::LightGbmError;
use crate::numparse::{clip, int_in, tokens};

/// The most lines LightGBM reads for one tree.
const MAX_TREE_LINES: usize = 22;

/// The sections of a model file, borrowing from its text.
#[derive(Debug)]
pub(crate) struct ModelText<'a> {
    pub header: HashMap<&'a str, &'a str>,
    pub trees: Vec<HashMap<&'a str, &'a str>>,
}

/// LightGBM's `Common::GetLine`: the length up to the next `\n` or `\r`.
fn line_len(s: &[u8], p: usize) -> usize {
    s.get(p..)
        .map(|rest| {
            rest.iter()
                .position(|&c| c == b'\n' || c == b'\r')
                .unwrap_or(rest.len())
        })
        .unwrap_or(0)
}

/// LightGBM's `Common::SkipNewLine`: one `\r`, then one `\n`.
fn skip_newline(s: &[u8], mut p: usize) -> usize {
    if s.get(p) == Some(&b'\r') {
        p += 1;
    }
    if s.get(p) == Some(&b'\n') {
        p += 1;
    }
    p
}

fn slice(text: &str, start: usize, end: usize) -> Result<&str, LightGbmError> {
    text.get(start..end)
        .ok_or_else(|| LightGbmError::corrupt("a line is not valid UTF-8 text"))
}

impl<'a> ModelText<'a> {
    pub fn parse(text: &'a str) -> Result<ModelText<'a>, LightGbmError> {
        let s = text.as_bytes();
        if s.contains(&0) {
            return Err(LightGbmError::corrupt("the model text contains a NUL byte"));
        }
        let mut header = HashMap::new();
        let mut p = 0usize;
        // Header lines up to the first `Tree=`.
        while p < s.len() {
            let len = line_len(s, p);
            if len > 0 {
                let line = slice(text, p, p + len)?;
                if line.starts_with("Tree=") {
                    break;
                }
                let parts: Vec<&str> = line.split('=').filter(|x| !x.is_empty()).collect();
                match parts.as_slice() {
                    [] => {}
                    [key] => {
                        header.insert(*key, "");
                    }
                    [key, value] => {
                        header.insert(*key, *value);
                    }
                    [key, ..] if *key == "feature_names" || *key == "monotone_constraints" => {
                        let value = line
                            .strip_prefix(*key)
                            .and_then(|rest| rest.strip_prefix('='))
                            .ok_or_else(|| {
                                LightGbmError::corrupt(format!(
                                    "Wrong line at model file: {}",
                                    clip(line)
                                ))
                            })?;
                        header.insert(*key, value);
                    }
                    _ => {
                        return Err(LightGbmError::corrupt(format!(
                            "Wrong line at model file: {}",
                            clip(line)
                        )))
                    }
                }
            }
            p = skip_newline(s, p + len);
        }
        let trees_start = p;
        let mut trees = Vec::new();
        if let Some(sizes) = header.get("tree_sizes") {
            // Each tree sits at a declared offset from the first `Tree=` line.
            let mut offset = 0usize;
            for token in tokens(sizes) {
                let size = int_in(token, 0, s.len() as i64, "tree_sizes")? as usize;
                let start = trees_start
                    .checked_add(offset)
                    .filter(|&x| x < s.len())
                    .ok_or_else(|| {
                        LightGbmError::corrupt("tree_sizes point past the end of the model")
                    })?;
                let len = line_len(s, start);
                let line = slice(text, start, start + len)?;
                if !line.starts_with("Tree=") {
                    return Err(LightGbmError::corrupt(format!(
                        "Model format error, expect a tree here. met {}",
                        clip(line)
                    )));
                }
                let (tree, end) = parse_tree(text, skip_newline(s, start + len))?;
                // Each tree must fit in its declared size, so trees cannot
                // overlap: a list of zero sizes re-parsing one tree a million
                // times is refused (LightGBM would do the work).
                if end > start + size {
                    return Err(LightGbmError::corrupt(format!(
                        "tree {} is longer than its tree_sizes entry",
                        trees.len()
                    )));
                }
                trees.push(tree);
                offset = offset
                    .checked_add(size)
                    .ok_or_else(|| LightGbmError::corrupt("tree_sizes overflow"))?;
            }
        } else {
            while p < s.len() {
                let len = line_len(s, p);
                if len > 0 {
                    let line = slice(text, p, p + len)?;
                    if !line.starts_with("Tree=") {
                        break;
                    }
                    let (tree, used) = parse_tree(text, skip_newline(s, p + len))?;
                    trees.push(tree);
                    p = used;
                }
                p = skip_newline(s, p);
            }
        }
        Ok(ModelText { header, trees })
    }
}

/// One tree's `key=value` lines starting at `p`; returns them and where the
/// blank line that ends the block starts.
fn parse_tree(text: &str, mut p: usize) -> Result<(HashMap<&str, &str>, usize), LightGbmError> {
    let s = text.as_bytes();
    let mut kv = HashMap::new();
    for _ in 0..MAX_TREE_LINES {
        match s.get(p) {
            None | Some(b'\r') | Some(b'\n') => break,
            Some(_) => {}
        }
        let len = line_len(s, p);
        let line = slice(text, p, p + len)?;
        let (key, value) = line.split_once('=').ok_or_else(|| {
            LightGbmError::corrupt(format!("tree line without '=': {}", clip(line)))
        })?;
        kv.insert(key, value);
        p = skip_newline(s, p + len);
    }
    Ok((kv, p))
}

/// The `pandas_categorical:` line the Python package appends, read the way
/// `lightgbm.basic._load_pandas_categorical` reads it: from the last line,
/// or the one before when the last is something else.
pub(crate) fn pandas_categorical(text: &str) -> Result<Option<serde_json::Value>, LightGbmError> {
    const KEY: &str = "pandas_categorical:";
    let mut lines = text.split_inclusive('\n').rev();
    let candidates = [lines.next(), lines.next()];
    for line in candidates.into_iter().flatten() {
        let line = line.trim();
        if let Some(json) = line.strip_prefix(KEY) {
            let value = serde_json::from_str(json).map_err(|e| {
                LightGbmError::corrupt(format!("pandas_categorical is not valid JSON: {e}"))
            })?;
            return Ok(Some(value));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "tree\nversion=v4\nnum_class=1\ntree_sizes=35 35\n\nTree=0\nnum_leaves=1\nleaf_value=1\n\n\nTree=1\nnum_leaves=1\nleaf_value=2\n\n\nend of trees\n\npandas_categorical:[]\n";

    #[test]
    fn splits_header_and_trees() {
        let m = ModelText::parse(SMALL).unwrap();
        assert_eq!(m.header.get("num_class"), Some(&"1"));
        assert_eq!(m.header.get("tree"), Some(&""));
        assert_eq!(m.trees.len(), 2);
        assert_eq!(m.trees[1].get("leaf_value"), Some(&"2"));
        assert_eq!(
            pandas_categorical(SMALL).unwrap(),
            Some(serde_json::json!([]))
        );
    }

    #[test]
    fn sequential_trees_without_sizes() {
        let text = SMALL.replace("tree_sizes=35 35\n", "");
        let m = ModelText::parse(&text).unwrap();
        assert_eq!(m.trees.len(), 2);
    }

    #[test]
    fn bad_offsets_are_errors() {
        let text = SMALL.replace("tree_sizes=35 35", "tree_sizes=35 4000");
        assert!(ModelText::parse(&text).is_err(), "sizes beyond the text");
        let text = SMALL.replace("tree_sizes=35 35", "tree_sizes=36 35");
        assert!(ModelText::parse(&text).is_err());
        let text = SMALL.replace("tree_sizes=35 35", "tree_sizes=99999999 1 1");
        assert!(ModelText::parse(&text).is_err());
        let text = SMALL.replace("tree_sizes=35 35", "tree_sizes=0 0 0 0");
        assert!(ModelText::parse(&text).is_err(), "overlapping trees");
    }
}
