//! Archives written by the real skops (tests/gen_skops_archives.py, run with
//! the project venv): every one must parse, the trust audit must agree with
//! `skops.io.get_untrusted_types`, and values must read back bit for bit.

use std::path::{Path, PathBuf};
use std::process::Command;

use mlflowrs_skops::{Archive, DictKey, JsonValue, Loader, NodeKind};

fn generate() -> Option<PathBuf> {
    let py = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    if !py.exists() {
        panic!("no project venv: run scripts/test.sh once");
    }
    let dir = std::env::temp_dir().join(format!("mlflowrs-skops-real-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gen_skops_archives.py");
    let out = Command::new(py).arg(script).arg(&dir).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(dir)
}

#[test]
fn real_archives_parse_and_audit_like_skops() {
    let Some(dir) = generate() else { return };
    let facts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("facts.json")).unwrap()).unwrap();
    for (tag, fact) in facts.as_object().unwrap() {
        let bytes = std::fs::read(dir.join(format!("{tag}.skops"))).unwrap();
        let archive = Archive::from_bytes(&bytes).unwrap_or_else(|e| panic!("{tag}: {e}"));
        assert_eq!(archive.protocol(), 2);
        assert_eq!(
            archive.root().type_name(),
            fact["root"].as_str().unwrap(),
            "{tag}"
        );
        let want: Vec<String> = fact["untrusted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(archive.untrusted_types(&[]), want, "{tag}");
        // What skops reports is exactly what a caller must trust.
        assert!(archive.untrusted_types(&want).is_empty(), "{tag}");
        assert!(!archive.types().is_empty());
        // Every prefix of the file is refused cleanly.
        for cut in (0..bytes.len()).step_by(bytes.len() / 40 + 1) {
            assert!(
                Archive::from_bytes(&bytes[..cut]).is_err(),
                "{tag} cut at {cut}"
            );
        }
        if let Some(bits) = fact.get("coef_bits") {
            let est = archive.root();
            let coef = est.attr("coef_").unwrap().array().unwrap();
            let shape: Vec<usize> = fact["coef_shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(coef.shape(), shape.as_slice());
            let got: Vec<u64> = coef.as_f64().unwrap().iter().map(|v| v.to_bits()).collect();
            let want: Vec<u64> = bits
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            assert_eq!(got, want);
            let classes = est
                .attr("classes_")
                .unwrap()
                .array()
                .unwrap()
                .to_i64()
                .unwrap();
            let want: Vec<i64> = fact["classes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            assert_eq!(classes, want);
            assert_eq!(
                est.attr("feature_names_in_").unwrap().str_list().unwrap(),
                ["a", "b"]
            );
        }
        if tag.starts_with("plain") {
            check_plain(&archive, tag);
        }
        if tag.starts_with("forest") {
            check_tree(&archive);
        }
    }
}

fn check_plain(archive: &Archive, tag: &str) {
    let root = archive.root();
    let NodeKind::Dict(entries) = root.kind() else {
        panic!("{tag}: not a dict")
    };
    let keys: Vec<&DictKey> = entries.iter().map(|(k, _)| k).collect();
    assert!(keys.contains(&&DictKey::Int(3)), "{keys:?}");
    assert!(keys.contains(&&DictKey::Float(1.5)), "{keys:?}");
    let a = root.get("a").unwrap().seq().unwrap();
    assert_eq!(a[0].as_json(), Some(&JsonValue::Int(1)));
    assert_eq!(a[1].f64().unwrap(), 2.5);
    assert!(a[2].f64().unwrap().is_nan());
    assert!(a[3].is_none());
    assert!(a[4].bool().unwrap());
    assert_eq!(a[5].str().unwrap(), "s");
    let b = root.get("b").unwrap().array().unwrap();
    assert_eq!(b.shape(), &[2, 3]);
    assert_eq!(b.to_i64().unwrap(), vec![0, 1, 2, 3, 4, 5]);
    assert!(!b.fortran_order());
    let f = root.get("f").unwrap().array().unwrap();
    assert_eq!(f.as_f64().unwrap(), &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    assert!(f.fortran_order());
    assert_eq!(root.get("u").unwrap().str_list().unwrap(), ["ab", "c"]);
    assert!(matches!(
        root.get("s").unwrap().kind(),
        NodeKind::Slice { .. }
    ));
    match root.get("bytes").unwrap().kind() {
        NodeKind::Bytes(b) => assert_eq!(b.as_slice(), &[0u8, 1]),
        other => panic!("{other:?}"),
    }
}

fn check_tree(archive: &Archive) {
    let est = archive.root().attr("estimators_").unwrap().seq().unwrap();
    let tree = est[0].attr("tree_").unwrap();
    assert_eq!(tree.loader(), Loader::Tree);
    let NodeKind::Tree { args, state } = tree.kind() else {
        panic!()
    };
    assert_eq!(args.seq().unwrap()[0].i64().unwrap(), 2);
    let nodes = state.get("nodes").unwrap().array().unwrap();
    let n = state.get("node_count").unwrap().i64().unwrap() as usize;
    assert_eq!(nodes.len(), n);
    let left = nodes.field("left_child").unwrap();
    assert_eq!(left.data.len(), n);
    assert!(nodes.field("missing_go_to_left").is_some());
    assert!(nodes.field("").is_none());
}
