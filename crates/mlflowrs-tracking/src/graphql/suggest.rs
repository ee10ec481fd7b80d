//! graphql-core's "Did you mean …?" hints (`suggestion_list` and
//! `did_you_mean`): the names within a lexical distance of the input.

/// ` Did you mean 'a', 'b', or 'c'?` (at most five), or "".
pub(super) fn did_you_mean(input: &str, options: &[&str]) -> String {
    let mut found = suggestion_list(input, options);
    found.truncate(5);
    let quoted: Vec<String> = found.iter().map(|s| format!("'{s}'")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => format!(" Did you mean {}?", quoted[0]),
        2 => format!(" Did you mean {} or {}?", quoted[0], quoted[1]),
        n => format!(
            " Did you mean {}, or {}?",
            quoted[..n - 1].join(", "),
            quoted[n - 1]
        ),
    }
}

fn suggestion_list<'o>(input: &str, options: &[&'o str]) -> Vec<&'o str> {
    let threshold = input.chars().count() * 4 / 10 + 1;
    let mut scored: Vec<(usize, &str)> = options
        .iter()
        .filter_map(|option| {
            // graphql-core's early exit: lengths further apart than the
            // threshold cannot be within it (and a huge input costs nothing).
            if input.chars().count().abs_diff(option.chars().count()) > threshold {
                return None;
            }
            let distance = lexical_distance(input, option);
            (distance <= threshold).then_some((distance, *option))
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    scored.into_iter().map(|(_, o)| o).collect()
}

/// Optimal string alignment distance, case-insensitive first: names that
/// differ only in case are at distance 1.
fn lexical_distance(a: &str, b: &str) -> usize {
    if a == b {
        return 0;
    }
    let (la, lb) = (a.to_lowercase(), b.to_lowercase());
    if la == lb {
        return 1;
    }
    let a: Vec<char> = la.chars().collect();
    let b: Vec<char> = lb.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn close_names_are_suggested() {
        assert_eq!(
            super::did_you_mean(
                "mlflowSearchDatasets",
                &["mlflowSearchRuns", "mlflowGetRun", "test"]
            ),
            " Did you mean 'mlflowSearchRuns'?"
        );
        assert_eq!(super::did_you_mean("zzzzzz", &["mlflowGetRun"]), "");
    }
}
