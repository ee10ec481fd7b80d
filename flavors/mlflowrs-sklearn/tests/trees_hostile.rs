//! Crafted tree-model archives (tests/trees_hostile.py) must fail to load
//! with an error, never panic; the untouched ones must load and predict.
//! Random truncations and byte flips of real archives must not panic either.

use std::path::{Path, PathBuf};
use std::process::Command;

use mlflowrs_flavor_api::{Batch, Flavor, Tensor, TensorData};
use mlflowrs_sklearn::{LoadOptions, Method, SklearnModel};

fn python() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    p.exists().then_some(p)
}

fn options() -> LoadOptions {
    LoadOptions {
        check_trusted_types: false,
        ..LoadOptions::default()
    }
}

fn batch(rows: usize, cols: usize) -> Batch {
    let data: Vec<f64> = (0..rows * cols)
        .map(|i| ((i * 37) % 11) as f64 - 5.0)
        .collect();
    Batch {
        feeds: vec![(
            String::new(),
            Tensor::new(vec![rows, cols], TensorData::F64(data)).expect("tensor"),
        )],
    }
}

/// A tiny deterministic generator (no rand dependency).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn crafted_tree_archives_are_refused() {
    let Some(python) = python() else {
        eprintln!("skipped: no project venv");
        return;
    };
    let dir = std::env::temp_dir().join(format!("trees_hostile_{}", std::process::id()));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/trees_hostile.py");
    let status = Command::new(&python)
        .arg(script)
        .arg(&dir)
        .status()
        .expect("run trees_hostile.py");
    assert!(status.success(), "trees_hostile.py failed");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("hostile.json")).expect("manifest"))
            .expect("json");
    let mut wrong = Vec::new();
    let mut originals = Vec::new();
    for case in manifest.as_array().expect("cases") {
        let name = case["name"].as_str().unwrap_or("?");
        let bytes = std::fs::read(case["path"].as_str().expect("path")).expect("read");
        let loaded = SklearnModel::from_bytes(&bytes, Method::Predict, &options());
        match (case["expect"].as_str(), &loaded) {
            (Some("err"), Err(e)) => eprintln!("{name}: refused: {e}"),
            (Some("ok"), Ok(m)) => {
                let cols = if name.starts_with("hgb") { 4 } else { 3 };
                if let Err(e) = m.predict(batch(20, cols)) {
                    wrong.push(format!("{name}: loads but does not predict: {e}"));
                }
                if name.ends_with("_ok") {
                    originals.push((name.to_owned(), bytes));
                }
            }
            (Some("err"), Ok(_)) => wrong.push(format!("{name}: crafted archive loaded")),
            (_, Err(e)) => wrong.push(format!("{name}: valid archive refused: {e}")),
            (_, Ok(_)) => wrong.push(format!("{name}: bad manifest entry")),
        }
    }
    assert!(originals.len() == 3, "the untouched archives must load");

    // Truncations and byte flips: any outcome but a panic.
    let mut rng = Lcg(0x5eed);
    for (name, bytes) in &originals {
        for i in 0..200 {
            let mut b = bytes.clone();
            if i % 4 == 0 {
                b.truncate((rng.next() as usize) % b.len());
            } else {
                for _ in 0..1 + rng.next() % 8 {
                    let at = (rng.next() as usize) % b.len();
                    b[at] ^= 1 << (rng.next() % 8);
                }
            }
            if let Ok(m) = SklearnModel::from_bytes(&b, Method::Predict, &options()) {
                let cols = if name.starts_with("hgb") { 4 } else { 3 };
                let _ = m.predict(batch(9, cols));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
