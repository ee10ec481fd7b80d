//! Malformed and hostile archives: each must be an `Err`, never a panic, a
//! hang or an unbounded allocation.

use std::io::Write;

use mlflowrs_skops::{Archive, JsonValue, Limits, NodeKind, SkopsError};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

fn zip_of(entries: &[(&str, &[u8])], method: CompressionMethod) -> Vec<u8> {
    let mut w = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(
            *name,
            SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn archive(schema: &str) -> Result<Archive, SkopsError> {
    Archive::from_bytes(&zip_of(
        &[("schema.json", schema.as_bytes())],
        CompressionMethod::Stored,
    ))
}

fn npy(header: &str, body: &[u8]) -> Vec<u8> {
    let mut h = header.to_string();
    while !(10 + h.len() + 1).is_multiple_of(64) {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(body);
    out
}

const JSON1: &str = r#"{"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode", "content": "1", "is_json": true, "__id__": 7}"#;

fn with_protocol(state: &str) -> String {
    let trimmed = state.trim_end();
    let body = trimmed.strip_suffix('}').unwrap_or(trimmed);
    format!(r#"{body}, "protocol": 2, "_skops_version": "0.16.0"}}"#)
}

#[test]
fn not_a_zip() {
    assert!(matches!(
        Archive::from_bytes(b"hello"),
        Err(SkopsError::Zip(_))
    ));
    assert!(Archive::from_bytes(&[]).is_err());
    assert!(Archive::from_bytes(&[0x50, 0x4b, 0x05, 0x06, 0, 0]).is_err());
}

#[test]
fn missing_schema_and_members() {
    let z = zip_of(&[("other.txt", b"x")], CompressionMethod::Stored);
    assert!(matches!(
        Archive::from_bytes(&z),
        Err(SkopsError::MissingMember(_))
    ));
    let s = with_protocol(
        r#"{"__class__": "ndarray", "__module__": "numpy", "__loader__": "NdArrayNode", "type": "numpy", "file": "nope.npy"}"#,
    );
    assert!(matches!(archive(&s), Err(SkopsError::MissingMember(_))));
}

#[test]
fn bad_schemas() {
    assert!(matches!(archive("not json"), Err(SkopsError::Schema(_))));
    assert!(matches!(archive("[]"), Err(SkopsError::Schema(_))));
    // The protocol must be an integer in 0..=2.
    assert!(archive(JSON1).is_err());
    let p = |v: &str| JSON1.trim_end_matches('}').to_owned() + &format!(r#", "protocol": {v}}}"#);
    assert!(archive(&p("true")).is_err());
    assert!(archive(&p("\"2\"")).is_err());
    assert!(matches!(archive(&p("3")), Err(SkopsError::Unsupported(_))));
    assert!(archive(&p("-1")).is_err());
    assert!(archive(&p("2")).is_ok());
    // Unknown loader, missing keys, wrong types.
    assert!(archive(&with_protocol(
        r#"{"__class__": "x", "__module__": "m", "__loader__": "EvalNode"}"#
    ))
    .is_err());
    assert!(archive(&with_protocol(
        r#"{"__module__": "m", "__loader__": "ObjectNode"}"#
    ))
    .is_err());
    assert!(archive(&with_protocol(
        r#"{"__class__": 1, "__module__": "m", "__loader__": "ObjectNode"}"#
    ))
    .is_err());
    assert!(archive(&with_protocol(
        r#"{"__class__": "list", "__module__": "builtins", "__loader__": "ListNode", "content": 5}"#
    ))
    .is_err());
    assert!(archive(&with_protocol(
        r#"{"__class__": "x", "__module__": "m", "__loader__": "CachedNode", "__id__": 5}"#
    ))
    .is_err());
    assert!(archive(&with_protocol(r#"{"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode", "content": "{not json"}"#)).is_err());
}

#[test]
fn self_reference_is_refused() {
    let s = with_protocol(
        r#"{"__class__": "list", "__module__": "builtins", "__loader__": "ListNode", "__id__": 9,
           "content": [{"__class__": "list", "__module__": "builtins", "__loader__": "ListNode", "__id__": 9, "content": []}]}"#,
    );
    assert!(matches!(archive(&s), Err(SkopsError::Schema(_))));
}

#[test]
fn shared_ids_are_one_node() {
    // skops memoizes states by id: the second state is the first node, even
    // if its text differs (as skops does).
    let s = with_protocol(&format!(
        r#"{{"__class__": "list", "__module__": "builtins", "__loader__": "ListNode", "content": [{JSON1}, {}]}}"#,
        JSON1.replace("\"1\"", "\"2\"")
    ));
    let a = archive(&s).unwrap();
    let items = a.root().seq().unwrap();
    assert_eq!(items[1].as_json(), Some(&JsonValue::Int(1)));
    assert!(std::sync::Arc::ptr_eq(&items[0], &items[1]));
}

#[test]
fn deep_nesting_is_refused() {
    let mut s = String::new();
    for _ in 0..5000 {
        s.push_str(r#"{"__class__": "list", "__module__": "builtins", "__loader__": "ListNode", "content": ["#);
    }
    for _ in 0..5000 {
        s.push_str("]}");
    }
    assert!(archive(&s).is_err());
}

#[test]
fn json_scalars_like_python() {
    let one = |content: &str| {
        let s = with_protocol(&format!(
            r#"{{"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode", "content": {}}}"#,
            serde_json::to_string(content).unwrap()
        ));
        archive(&s).unwrap().root().as_json().cloned().unwrap()
    };
    assert!(matches!(one("NaN"), JsonValue::Float(f) if f.is_nan()));
    assert_eq!(one("-Infinity"), JsonValue::Float(f64::NEG_INFINITY));
    assert_eq!(one("1.0"), JsonValue::Float(1.0));
    assert_eq!(one("1"), JsonValue::Int(1));
    assert_eq!(
        one("123456789012345678901234567890"),
        JsonValue::BigInt("123456789012345678901234567890".into())
    );
    assert_eq!(one("\"x\""), JsonValue::Str("x".into()));
    assert_eq!(one("null"), JsonValue::Null);
    assert_eq!(one("0.1"), JsonValue::Float(0.1));
}

#[test]
fn dict_keys_follow_key_types() {
    let t = |cls: &str| {
        format!(r#"{{"__class__": "{cls}", "__module__": "builtins", "__loader__": "TypeNode"}}"#)
    };
    let s = with_protocol(&format!(
        r#"{{"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode",
            "content": {{"3": {JSON1}, "1.5": {JSON1}, "b": {JSON1}}},
            "key_types": {{"__class__": "list", "__module__": "builtins", "__loader__": "ListNode",
                           "content": [{}, {}, {}]}}}}"#,
        t("int"),
        t("float"),
        t("str")
    ));
    let a = archive(&s).unwrap();
    let NodeKind::Dict(e) = a.root().kind() else {
        panic!()
    };
    use mlflowrs_skops::DictKey::*;
    assert_eq!(
        e.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        vec![Int(3), Float(1.5), Str("b".into())]
    );
    // A key that its type cannot parse, and a count mismatch, are errors.
    assert!(archive(&s.replace(r#""3":"#, r#""x":"#)).is_err());
    assert!(archive(&s.replace(&format!(", {}]", t("str")), "]")).is_err());
}

fn array_archive(header: &str, body: &[u8], limits: &Limits) -> Result<Archive, SkopsError> {
    let s = with_protocol(
        r#"{"__class__": "ndarray", "__module__": "numpy", "__loader__": "NdArrayNode", "type": "numpy", "file": "a.npy"}"#,
    );
    let data = npy(header, body);
    let z = zip_of(
        &[("schema.json", s.as_bytes()), ("a.npy", &data)],
        CompressionMethod::Deflated,
    );
    Archive::from_bytes_with_limits(&z, limits)
}

#[test]
fn arrays_are_bounded() {
    let l = Limits::default();
    let ok = array_archive(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
        &[0; 16],
        &l,
    );
    assert_eq!(
        ok.unwrap().root().array().unwrap().as_f64().unwrap(),
        &[0.0, 0.0]
    );
    for header in [
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (9223372036854775807, 9223372036854775807), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }",
        "{'descr': '<f8', 'fortran_order': False}",
        "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
        "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }",
        "{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (2,), }",
        "{'descr': [('a', '<f8', (2,))], 'fortran_order': False, 'shape': (1,), }",
        "{'descr': '<U0', 'fortran_order': False, 'shape': (99999999999,), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}",
        "{'descr': __import__('os'), 'fortran_order': False, 'shape': (2,), }",
    ] {
        assert!(array_archive(header, &[0; 16], &l).is_err(), "{header}");
    }
    let small = Limits {
        max_array_elements: 1,
        ..Limits::default()
    };
    assert!(matches!(
        array_archive(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
            &[0; 16],
            &small
        ),
        Err(SkopsError::Limit(_))
    ));
}

#[test]
fn members_are_bounded() {
    let big = vec![b' '; 100_000];
    let mut schema = JSON1.to_owned();
    schema.truncate(schema.len() - 1);
    let schema = format!(
        "{schema}, \"protocol\": 2}}{}",
        String::from_utf8(big).unwrap()
    );
    let z = zip_of(
        &[("schema.json", schema.as_bytes())],
        CompressionMethod::Deflated,
    );
    assert!(Archive::from_bytes(&z).is_ok());
    let tight = Limits {
        max_member_bytes: 10_000,
        ..Limits::default()
    };
    assert!(matches!(
        Archive::from_bytes_with_limits(&z, &tight),
        Err(SkopsError::Limit(_))
    ));
    let total = Limits {
        max_total_bytes: 10_000,
        ..Limits::default()
    };
    assert!(matches!(
        Archive::from_bytes_with_limits(&z, &total),
        Err(SkopsError::Limit(_))
    ));
}

#[test]
fn corrupted_bytes_never_panic() {
    let schema = with_protocol(&format!(
        r#"{{"__class__": "list", "__module__": "builtins", "__loader__": "ListNode", "content": [{JSON1},
            {{"__class__": "ndarray", "__module__": "numpy", "__loader__": "NdArrayNode", "type": "numpy", "file": "a.npy"}}]}}"#
    ));
    let data = npy(
        "{'descr': '<i8', 'fortran_order': True, 'shape': (2, 2), }",
        &[1; 32],
    );
    for method in [CompressionMethod::Stored, CompressionMethod::Deflated] {
        let z = zip_of(
            &[("schema.json", schema.as_bytes()), ("a.npy", &data)],
            method,
        );
        assert!(Archive::from_bytes(&z).is_ok());
        let mut seed = 0x2545F4914F6CDD1Du64;
        for i in 0..3000 {
            let mut m = z.clone();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let pos = (seed as usize) % m.len();
            m[pos] ^= (seed >> 32) as u8 | 1;
            if i % 3 == 0 {
                m.truncate(pos);
            }
            let _ = Archive::from_bytes(&m);
        }
    }
}
