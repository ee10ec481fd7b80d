//! The documents describe the project as it is: the README stays a front
//! door, every link resolves, every `mlflowrs` command they show parses,
//! ARCHITECTURE.md lists the modules the tree has, and the import graph has
//! no circle.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::repo_root;

/// Every Markdown document of the project (fixture READMEs aside).
fn documents() -> Vec<PathBuf> {
    let root = repo_root();
    let mut docs: Vec<PathBuf> = [
        "README.md",
        "ARCHITECTURE.md",
        "BENCHMARKS.md",
        "SECURITY.md",
        "tests/README.md",
    ]
    .iter()
    .map(|d| root.join(d))
    .collect();
    for entry in std::fs::read_dir(root.join("docs")).unwrap().flatten() {
        if entry.path().extension().is_some_and(|e| e == "md") {
            docs.push(entry.path());
        }
    }
    docs
}

#[test]
fn the_readme_is_a_short_front_door() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 300,
        "README.md has {lines} lines; details belong in docs/"
    );
    assert!(
        readme.contains("\n## Contents\n"),
        "README.md has no table of contents"
    );
    for command in ["scripts/serve-example.sh", "scripts/test.sh"] {
        assert!(
            readme.contains(command),
            "README.md lacks the set-up command {command}"
        );
    }
}

#[test]
fn every_relative_link_resolves() {
    let mut broken = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let dir = doc.parent().unwrap();
        for target in links(&text) {
            if !dir.join(&target).exists() {
                broken.push(format!("{}: {target}", doc.display()));
            }
        }
    }
    assert!(broken.is_empty(), "links to nothing: {broken:#?}");
}

/// The relative file targets of `[text](target#anchor)` links.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        let Some(end) = rest.find(')') else { break };
        let target = rest[..end].split('#').next().unwrap_or("").trim();
        let external = target.contains("://") || target.starts_with("mailto:");
        if !target.is_empty() && !external && !target.contains(' ') {
            out.push(target.to_string());
        }
    }
    out
}

/// Each `mlflowrs …` line of a shell block, given to the real binary with
/// `--help` appended: clap refuses an unknown flag or value before it gets
/// to the help, so a command that parses exits 0.
#[test]
fn every_mlflowrs_command_shown_parses() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let mut in_shell = false;
        for line in text.lines() {
            if line.starts_with("```") {
                in_shell = line.starts_with("```sh") || line.starts_with("```bash");
                continue;
            }
            if !in_shell {
                continue;
            }
            let command = line
                .split(" #")
                .next()
                .unwrap_or("")
                .trim()
                .trim_end_matches('&');
            // Environment assignments in front of the command.
            let words: Vec<&str> = command
                .split_whitespace()
                .skip_while(|w| w.contains('=') && !w.starts_with('-'))
                .collect();
            if words.first() != Some(&"mlflowrs") {
                continue;
            }
            // Usage synopses (`[-p 5000]`, `json|csv`) and quoted words are
            // documentation, not commands.
            if words.iter().any(|w| w.contains(['[', '|', '\'', '"'])) {
                continue;
            }
            let out = Command::new(env!("CARGO_BIN_EXE_mlflowrs"))
                .args(&words[1..])
                .arg("--help")
                .output()
                .unwrap();
            checked += 1;
            if !out.status.success() {
                failures.push(format!(
                    "{}: {line}\n{}",
                    doc.display(),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
    }
    assert!(checked >= 10, "only {checked} commands found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// ARCHITECTURE.md's module map names every crate, every top-level module
/// of `src/` and every module of `src/serving/`, and nothing else.
#[test]
fn the_architecture_module_map_matches_the_tree() {
    let root = repo_root();
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let listed: std::collections::BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect();
    let mut tree = std::collections::BTreeSet::new();
    for dir in ["src", "src/serving"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let module = entry.path().is_dir() || name.ends_with(".rs");
            if module && name != "mod.rs" && !(dir == "src" && name == "serving") {
                tree.insert(format!("{dir}/{name}"));
            }
        }
    }
    tree.insert("src/serving".into());
    for dir in ["crates", "flavors"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            if entry.path().join("Cargo.toml").is_file() {
                tree.insert(format!("{dir}/{}", entry.file_name().to_string_lossy()));
            }
        }
    }
    let missing: Vec<_> = tree.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&tree).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "ARCHITECTURE.md's module map: not listed {missing:?}, not in the tree {stale:?}"
    );
}

#[test]
fn the_import_graph_has_no_circle() {
    let out = Command::new("python3")
        .arg(Path::new(&repo_root()).join("scripts/import-graph.py"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
