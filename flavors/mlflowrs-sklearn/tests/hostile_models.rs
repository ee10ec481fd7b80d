//! Hand-built skops archives: valid models answer as sklearn would, corrupt
//! ones are load errors, unimplemented ones are `Unsupported` with a reason,
//! and mutated bytes never panic.

use std::io::Write;

use mlflowrs_flavor_api::{Batch, Flavor, FlavorError, Tensor, TensorData};
use mlflowrs_sklearn::{
    check_serialization_format, LoadOptions, Method, SklearnError, SklearnModel,
};
use zip::write::SimpleFileOptions;
use zip::ZipWriter;

/// A skops state for a Python scalar.
fn json(v: &str) -> String {
    format!(
        r#"{{"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode", "content": {}, "is_json": true}}"#,
        serde_json::to_string(v).unwrap()
    )
}

fn ty(name: &str) -> String {
    format!(r#"{{"__class__": "{name}", "__module__": "builtins", "__loader__": "TypeNode"}}"#)
}

fn list(items: &[String], loader: &str, class: &str) -> String {
    format!(
        r#"{{"__class__": "{class}", "__module__": "builtins", "__loader__": "{loader}", "content": [{}]}}"#,
        items.join(", ")
    )
}

fn dict(entries: &[(&str, String)]) -> String {
    let content: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}: {v}", serde_json::to_string(k).unwrap()))
        .collect();
    let types: Vec<String> = entries.iter().map(|_| ty("str")).collect();
    format!(
        r#"{{"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode", "content": {{{}}}, "key_types": {}}}"#,
        content.join(", "),
        list(&types, "ListNode", "list")
    )
}

fn object(module: &str, class: &str, attrs: &[(&str, String)]) -> String {
    format!(
        r#"{{"__class__": "{class}", "__module__": "{module}", "__loader__": "ObjectNode", "content": {}}}"#,
        dict(attrs)
    )
}

fn array(file: &str) -> String {
    format!(
        r#"{{"__class__": "ndarray", "__module__": "numpy", "__loader__": "NdArrayNode", "type": "numpy", "file": "{file}"}}"#
    )
}

fn str_array(items: &[&str]) -> String {
    let items: Vec<String> = items.iter().map(|s| json(&format!("\"{s}\""))).collect();
    format!(
        r#"{{"__class__": "ndarray", "__module__": "numpy", "__loader__": "NdArrayNode", "type": "json", "content": [{}], "shape": {}}}"#,
        items.join(", "),
        list(&[json(&items.len().to_string())], "TupleNode", "tuple")
    )
}

fn npy_f64(shape: &[usize], values: &[f64]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    npy(
        &format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}"),
        &values
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<_>>(),
    )
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

fn archive(root: &str, files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let body = root.trim_end().strip_suffix('}').unwrap();
    let schema = format!(r#"{body}, "protocol": 2, "_skops_version": "0.16.0"}}"#);
    let mut w = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default();
    w.start_file("schema.json", opts).unwrap();
    w.write_all(schema.as_bytes()).unwrap();
    for (name, data) in files {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// LogisticRegression on features a, b with coef [2, -1], intercept 0.5.
fn logreg(coef_shape: &[usize], n_features: &str, classes: &[&str]) -> Vec<u8> {
    let root = object(
        "sklearn.linear_model._logistic",
        "LogisticRegression",
        &[
            ("feature_names_in_", str_array(&["a", "b"])),
            ("n_features_in_", json(n_features)),
            ("classes_", str_array(classes)),
            ("coef_", array("coef.npy")),
            ("intercept_", array("icpt.npy")),
        ],
    );
    archive(
        &root,
        &[
            ("coef.npy", npy_f64(coef_shape, &[2.0, -1.0])),
            ("icpt.npy", npy_f64(&[1], &[0.5])),
        ],
    )
}

fn opts(method: Method) -> LoadOptions {
    LoadOptions {
        predict_fn: method.name().into(),
        ..LoadOptions::default()
    }
}

fn frame(cols: &[(&str, Vec<f64>)]) -> Batch {
    Batch {
        feeds: cols
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    Tensor {
                        shape: vec![v.len()],
                        data: TensorData::F64(v.clone()),
                    },
                )
            })
            .collect(),
    }
}

#[test]
fn hand_built_logreg_predicts() {
    let bytes = logreg(&[1, 2], "2", &["no", "yes"]);
    let m = SklearnModel::from_bytes(&bytes, Method::Predict, &opts(Method::Predict)).unwrap();
    assert_eq!(m.inputs().len(), 2);
    assert_eq!(m.inputs()[0].name, "a");
    let out = m
        .predict(frame(&[("a", vec![1.0, -1.0]), ("b", vec![0.0, 0.0])]))
        .unwrap();
    assert_eq!(out[0].0, "predictions");
    assert_eq!(
        out[0].1.data,
        TensorData::Str(vec!["yes".into(), "no".into()])
    );
    // sklearn's messages for bad input.
    let err = m
        .predict(frame(&[("b", vec![1.0]), ("a", vec![0.0])]))
        .unwrap_err();
    assert!(
        matches!(&err, FlavorError::Inference(m) if m.contains("same order")),
        "{err}"
    );
    let err = m
        .predict(frame(&[("a", vec![f64::NAN]), ("b", vec![0.0])]))
        .unwrap_err();
    assert!(err
        .to_string()
        .starts_with("Input X contains NaN.\nLogisticRegression does not accept"));
    let arr = Tensor::new(vec![1, 3], TensorData::F64(vec![1.0, 2.0, 3.0])).unwrap();
    let err = m
        .predict(Batch {
            feeds: vec![(String::new(), arr)],
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "X has 3 features, but LogisticRegression is expecting 2 features as input."
    );
    let p = SklearnModel::from_bytes(&bytes, Method::PredictProba, &opts(Method::PredictProba))
        .unwrap();
    let out = p
        .predict(frame(&[("a", vec![0.0]), ("b", vec![0.5])]))
        .unwrap();
    assert_eq!(out[0].1.shape, vec![1, 2]);
    assert_eq!(out[0].1.data, TensorData::F64(vec![0.5, 0.5]));
}

#[test]
fn inconsistent_models_are_refused() {
    let load = |b: &[u8]| SklearnModel::from_bytes(b, Method::Predict, &opts(Method::Predict));
    assert!(matches!(
        load(&logreg(&[1, 2], "3", &["no", "yes"])),
        Err(SklearnError::Invalid(_))
    ));
    assert!(matches!(
        load(&logreg(&[2, 1], "2", &["no", "yes"])),
        Err(SklearnError::Invalid(_))
    ));
    assert!(matches!(
        load(&logreg(&[1, 2], "2", &["a", "b", "c"])),
        Err(SklearnError::Invalid(_))
    ));
    assert!(matches!(
        load(&logreg(&[1, 2], "-1", &["no", "yes"])),
        Err(SklearnError::Invalid(_))
    ));
    assert!(matches!(
        load(&logreg(&[1, 2], "\"x\"", &["no", "yes"])),
        Err(SklearnError::Unsupported(_))
    ));
    assert!(load(&logreg(&[1, 2], "2", &[])).is_err());
}

#[test]
fn unimplemented_things_are_unsupported_with_a_reason() {
    let svc = archive(&object("sklearn.svm._classes", "SVC", &[]), &[]);
    match SklearnModel::from_bytes(&svc, Method::Predict, &opts(Method::Predict)) {
        Err(SklearnError::Unsupported(r)) => {
            assert_eq!(r, "sklearn.svm._classes.SVC is not served natively")
        }
        other => panic!("{other:?}"),
    }
    let bytes = logreg(&[1, 2], "2", &["no", "yes"]);
    let score = LoadOptions {
        predict_fn: "score".into(),
        ..LoadOptions::default()
    };
    let dir = std::env::temp_dir().join(format!("mlflowrs-sklearn-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.skops");
    std::fs::write(&path, &bytes).unwrap();
    assert!(SklearnModel::load_with(&path, &score)
        .unwrap_err()
        .is_unsupported());
    assert!(SklearnModel::load(&path, "predict").is_ok());
    assert!(matches!(
        SklearnModel::load(&dir.join("missing.skops"), "predict"),
        Err(SklearnError::Io(_))
    ));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(check_serialization_format(Some("cloudpickle"))
        .unwrap_err()
        .is_unsupported());
    assert!(check_serialization_format(Some("pickle"))
        .unwrap_err()
        .is_unsupported());
    assert!(check_serialization_format(None)
        .unwrap_err()
        .is_unsupported());
    assert!(check_serialization_format(Some("skops")).is_ok());
    // A transformer alone has no predict.
    let scaler = archive(
        &object(
            "sklearn.preprocessing._data",
            "StandardScaler",
            &[
                ("with_mean", json("false")),
                ("with_std", json("false")),
                ("n_features_in_", json("1")),
            ],
        ),
        &[],
    );
    assert!(
        SklearnModel::from_bytes(&scaler, Method::Predict, &opts(Method::Predict))
            .unwrap_err()
            .is_unsupported()
    );
}

#[test]
fn mutated_archives_never_panic() {
    let bytes = logreg(&[1, 2], "2", &["no", "yes"]);
    let mut seed = 0x9E3779B97F4A7C15u64;
    for i in 0..4000 {
        let mut m = bytes.clone();
        for _ in 0..(1 + i % 4) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let pos = (seed as usize) % m.len();
            m[pos] = (seed >> 40) as u8;
        }
        if let Ok(model) =
            SklearnModel::from_bytes(&m, Method::PredictProba, &opts(Method::PredictProba))
        {
            let _ = model.predict(frame(&[
                ("a", vec![1.0, f64::NAN]),
                ("b", vec![0.0, 1e300]),
            ]));
        }
    }
}
