//! Crafted, truncated and corrupted model files must give an error, never a
//! panic; what is merely not implemented must say so (`Unsupported`).

use mlflowrs_flavor_api::{Batch, Flavor, Tensor, TensorData};
use mlflowrs_xgboost::{ModelClass, ModelFormat, XgbError, XgbModel};
use serde_json::{json, Value};

const JSON_MODEL: &[u8] = include_bytes!("data/small_cat.json");
const UBJ_MODEL: &[u8] = include_bytes!("data/small_cat.ubj");

/// `booster.predict(DMatrix(frame))` from XGBoost 3.2 for the frame below.
const EXPECTED_BITS: [u32; 4] = [0x3f3b3e44, 0x3e8742e3, 0x3e8ea38f, 0x3f3b3e44];

fn frame() -> Vec<(String, Tensor)> {
    let col = |v: Vec<f64>| Tensor::new(vec![4], TensorData::F64(v)).unwrap();
    vec![
        ("a".into(), col(vec![0.5, -0.5, f64::NAN, 0.1])),
        ("b".into(), col(vec![0.0, 1.0, -1.0, f64::NAN])),
        ("c".into(), col(vec![0.0, 1.0, 2.0, f64::NAN])),
    ]
}

fn load_json(v: &Value) -> Result<XgbModel, XgbError> {
    let bytes = serde_json::to_vec(v).unwrap();
    XgbModel::from_bytes(&bytes, ModelFormat::Json, ModelClass::Booster)
}

/// A named edit of the model document.
type Mutation = Box<dyn Fn(&mut Value)>;

fn base() -> Value {
    serde_json::from_slice(JSON_MODEL).unwrap()
}

fn tree0(v: &mut Value) -> &mut Value {
    &mut v["learner"]["gradient_booster"]["model"]["trees"][0]
}

#[test]
fn both_formats_load_and_predict_like_xgboost() {
    for (bytes, format) in [
        (JSON_MODEL, ModelFormat::Json),
        (UBJ_MODEL, ModelFormat::Ubj),
    ] {
        let m = XgbModel::from_bytes(bytes, format, ModelClass::Booster).unwrap();
        let out = m.predict(Batch { feeds: frame() }).unwrap();
        let TensorData::F32(got) = &out[0].1.data else {
            panic!("dtype")
        };
        let bits: Vec<u32> = got.iter().map(|x| x.to_bits()).collect();
        assert_eq!(bits, EXPECTED_BITS, "{format:?}");
    }
}

#[test]
fn every_truncation_is_an_error() {
    for (bytes, format) in [
        (JSON_MODEL, ModelFormat::Json),
        (UBJ_MODEL, ModelFormat::Ubj),
    ] {
        for n in 0..bytes.len() {
            let r = XgbModel::from_bytes(&bytes[..n], format, ModelClass::Booster);
            assert!(r.is_err(), "{format:?} prefix of {n} bytes loaded");
        }
    }
}

#[test]
fn byte_flips_never_panic() {
    for (bytes, format) in [
        (JSON_MODEL, ModelFormat::Json),
        (UBJ_MODEL, ModelFormat::Ubj),
    ] {
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut b = bytes.to_vec();
                b[i] ^= flip;
                if let Ok(m) = XgbModel::from_bytes(&b, format, ModelClass::Classifier) {
                    // A loadable mutant must still evaluate safely.
                    let _ = m.predict(Batch { feeds: frame() });
                }
            }
        }
    }
}

fn assert_corrupt(v: &Value, what: &str) {
    match load_json(v) {
        Err(XgbError::Corrupt(_)) => {}
        other => panic!("{what}: expected a corrupt-model error, got {other:?}"),
    }
}

fn assert_unsupported(v: &Value, what: &str) {
    match load_json(v) {
        Err(XgbError::Unsupported(m)) => assert!(!m.is_empty()),
        other => panic!("{what}: expected Unsupported, got {other:?}"),
    }
}

#[test]
fn out_of_range_indices_are_refused() {
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "left child past the end",
            Box::new(|v| tree0(v)["left_children"][0] = json!(99)),
        ),
        (
            "right child not left + 1",
            Box::new(|v| tree0(v)["right_children"][0] = json!(3)),
        ),
        (
            "child before its parent",
            Box::new(|v| {
                tree0(v)["left_children"][1] = json!(0);
                tree0(v)["right_children"][1] = json!(1);
            }),
        ),
        (
            "two parents",
            Box::new(|v| {
                tree0(v)["left_children"][2] = json!(3);
                tree0(v)["right_children"][2] = json!(4);
            }),
        ),
        (
            "negative child",
            Box::new(|v| tree0(v)["left_children"][0] = json!(-5)),
        ),
        (
            "feature past num_feature",
            Box::new(|v| tree0(v)["split_indices"][0] = json!(3)),
        ),
        (
            "negative feature",
            Box::new(|v| tree0(v)["split_indices"][0] = json!(-1)),
        ),
        (
            "short array",
            Box::new(|v| {
                tree0(v)["split_conditions"].as_array_mut().unwrap().pop();
            }),
        ),
        (
            "num_nodes too large",
            Box::new(|v| tree0(v)["tree_param"]["num_nodes"] = json!("1000000000")),
        ),
        (
            "num_nodes zero",
            Box::new(|v| tree0(v)["tree_param"]["num_nodes"] = json!("0")),
        ),
        (
            "group out of range",
            Box::new(|v| v["learner"]["gradient_booster"]["model"]["tree_info"][1] = json!(1)),
        ),
        (
            "tree count mismatch",
            Box::new(|v| {
                v["learner"]["gradient_booster"]["model"]["gbtree_model_param"]["num_trees"] =
                    json!("3")
            }),
        ),
        (
            "duplicate tree id",
            Box::new(|v| v["learner"]["gradient_booster"]["model"]["trees"][1]["id"] = json!(0)),
        ),
        (
            "tree id out of range",
            Box::new(|v| v["learner"]["gradient_booster"]["model"]["trees"][1]["id"] = json!(7)),
        ),
        (
            "iteration_indptr past the trees",
            Box::new(|v| {
                v["learner"]["gradient_booster"]["model"]["iteration_indptr"] = json!([0, 1, 5])
            }),
        ),
        (
            "iteration_indptr decreasing",
            Box::new(|v| {
                v["learner"]["gradient_booster"]["model"]["iteration_indptr"] = json!([0, 2, 1, 2])
            }),
        ),
        (
            "negative category",
            Box::new(|v| tree0(v)["categories"][0] = json!(-3)),
        ),
        (
            "category segment past the list",
            Box::new(|v| tree0(v)["categories_segments"][1] = json!(40)),
        ),
        (
            "empty category segment",
            Box::new(|v| tree0(v)["categories_sizes"][0] = json!(0)),
        ),
        (
            "segments without nodes",
            Box::new(|v| {
                tree0(v)["categories_nodes"].as_array_mut().unwrap().pop();
            }),
        ),
        (
            "base_score length",
            Box::new(|v| v["learner"]["learner_model_param"]["base_score"] = json!("[5E-1,5E-1]")),
        ),
        (
            "base_score outside (0, 1) for logistic",
            Box::new(|v| v["learner"]["learner_model_param"]["base_score"] = json!("[2E0]")),
        ),
        (
            "base_score not a number",
            Box::new(|v| v["learner"]["learner_model_param"]["base_score"] = json!("[abc]")),
        ),
        (
            "num_feature not a number",
            Box::new(|v| v["learner"]["learner_model_param"]["num_feature"] = json!("three")),
        ),
        (
            "no learner",
            Box::new(|v| *v = json!({"version": [3, 2, 0]})),
        ),
        (
            "trees not an array",
            Box::new(|v| v["learner"]["gradient_booster"]["model"]["trees"] = json!({})),
        ),
    ];
    for (what, mutate) in cases {
        let mut v = base();
        mutate(&mut v);
        assert_corrupt(&v, what);
    }
}

#[test]
fn unimplemented_features_are_unsupported() {
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "objective",
            Box::new(|v| v["learner"]["objective"]["name"] = json!("reg:custom")),
        ),
        (
            "gblinear",
            Box::new(|v| v["learner"]["gradient_booster"]["name"] = json!("gblinear")),
        ),
        (
            "vector leaves",
            Box::new(|v| tree0(v)["tree_param"]["size_leaf_vector"] = json!("2")),
        ),
        (
            "huge num_feature",
            Box::new(|v| v["learner"]["learner_model_param"]["num_feature"] = json!("100000000")),
        ),
        (
            "feature names of another width",
            Box::new(|v| v["learner"]["feature_names"] = json!(["a"])),
        ),
        ("old model", Box::new(|v| v["version"] = json!([0, 90, 0]))),
    ];
    for (what, mutate) in cases {
        let mut v = base();
        mutate(&mut v);
        assert_unsupported(&v, what);
    }
    assert!(
        ModelClass::from_qualified_name("xgboost.dask.DaskXGBClassifier")
            .unwrap_err()
            .is_unsupported()
    );
    assert!(XgbModel::from_bytes(b"binf\0\0\0\0", ModelFormat::Json, ModelClass::Booster).is_err());
}

#[test]
fn sklearn_type_mismatch_and_best_iteration() {
    let mut v = base();
    v["learner"]["attributes"] = json!({"scikit_learn": "{\"_estimator_type\": \"regressor\"}"});
    let bytes = serde_json::to_vec(&v).unwrap();
    let err = XgbModel::from_bytes(&bytes, ModelFormat::Json, ModelClass::Classifier).unwrap_err();
    assert!(
        err.to_string()
            .contains("Expecting: classifier, got: regressor"),
        "{err}"
    );
    // A Booster ignores the scikit-learn metadata and best_iteration.
    v["learner"]["attributes"]["best_iteration"] = json!("0");
    let bytes = serde_json::to_vec(&v).unwrap();
    let m = XgbModel::from_bytes(&bytes, ModelFormat::Json, ModelClass::Booster).unwrap();
    assert_eq!(m.trees_used(), 2);
    let m = XgbModel::from_bytes(&bytes, ModelFormat::Json, ModelClass::Regressor).unwrap();
    assert_eq!(m.trees_used(), 1);
    v["learner"]["attributes"]["best_iteration"] = json!("5");
    let bytes = serde_json::to_vec(&v).unwrap();
    assert!(XgbModel::from_bytes(&bytes, ModelFormat::Json, ModelClass::Regressor).is_err());
}

#[test]
fn model_directory_paths_are_checked() {
    let dir = std::env::temp_dir();
    let escape = json!({"data": "../model.ubj", "model_class": "xgboost.core.Booster"});
    assert!(mlflowrs_xgboost::load(&dir, &escape)
        .unwrap_err()
        .is_unsupported());
    let absolute = json!({"data": "/etc/passwd"});
    assert!(mlflowrs_xgboost::load(&dir, &absolute)
        .unwrap_err()
        .is_unsupported());
    let missing = json!({"data": "no-such-model-file.ubj"});
    assert!(matches!(
        mlflowrs_xgboost::load(&dir, &missing),
        Err(XgbError::Io(_))
    ));
    assert!(matches!(
        mlflowrs_xgboost::load(&dir, &json!({})),
        Err(XgbError::Io(_))
    ));
}

#[test]
fn bad_feeds_are_inference_errors() {
    let m = XgbModel::from_bytes(JSON_MODEL, ModelFormat::Json, ModelClass::Booster).unwrap();
    let mut feeds = frame();
    feeds[1].1 = Tensor::new(vec![2], TensorData::F64(vec![0.0, 1.0])).unwrap();
    assert!(m.predict(Batch { feeds }).is_err());
    let arr = Tensor::new(vec![2, 2, 1], TensorData::F64(vec![0.0; 4])).unwrap();
    assert!(m
        .predict(Batch {
            feeds: vec![(String::new(), arr)]
        })
        .is_err());
}
