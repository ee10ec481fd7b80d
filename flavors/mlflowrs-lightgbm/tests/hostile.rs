//! Malformed and hostile model files: every one is a load error (or a model
//! that evaluates), never a panic, hang or unbounded allocation.

use std::path::Path;

use mlflowrs_flavor_api::{Flavor, Named, Tensor, TensorData};
use mlflowrs_lightgbm::{load, Booster, FlavorConf, LightGbmError, LightGbmModel};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}

fn text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap()
}

/// Runs every input path once; it must answer or refuse, not panic.
fn exercise(model: &LightGbmModel, nf: usize) {
    let values = [0.0, -1.0, 1e-40, f64::NAN, 3.0, 1e300, -7.5, 40.0];
    let rows = 8;
    let frame: Vec<Named> = (0..nf)
        .map(|j| {
            let col = (0..rows).map(|r| values[(r + j) % values.len()]).collect();
            (
                format!("c{j}"),
                Tensor::new(vec![rows], TensorData::F64(col)).unwrap(),
            )
        })
        .collect();
    let _ = model.predict_tensor(&frame);
    let arr = (0..rows * nf).map(|i| values[i % values.len()]).collect();
    let t = Tensor::new(vec![rows, nf], TensorData::F64(arr)).unwrap();
    let _ = model.predict_tensor(&[(String::new(), t)]);
}

#[test]
fn fixtures_load_and_predict() {
    let m = LightGbmModel::from_model_file(&fixture("multiclass_categorical.lgb")).unwrap();
    assert_eq!(m.booster().num_class(), 3);
    let t = Tensor::new(
        vec![2, 3],
        TensorData::F64(vec![0.5, f64::NAN, 3.0, -1.0, 0.0, 1e9]),
    )
    .unwrap();
    let out = m.predict_tensor(&[(String::new(), t)]).unwrap();
    assert_eq!(out.shape, vec![2, 3]);
    let TensorData::F64(p) = &out.data else {
        panic!()
    };
    for row in p.chunks(3) {
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
    let lin = LightGbmModel::from_model_file(&fixture("linear.lgb")).unwrap();
    exercise(&lin, 2);
    assert_eq!(lin.outputs()[0].shape, vec![-1]);
}

#[test]
fn skops_classifier_loads_through_the_flavor_conf() {
    let dir = std::env::temp_dir().join(format!("mlflowrs-lgb-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("model.skops"), fixture("classifier.skops")).unwrap();
    let conf = FlavorConf::from_json(&serde_json::json!({
        "data": "model.skops",
        "model_class": "lightgbm.sklearn.LGBMClassifier",
        "serialization_format": "skops",
        "skops_trusted_types": ["lightgbm.sklearn.LGBMRegressor", "lightgbm.basic.Booster",
                                "collections.OrderedDict", "lightgbm.sklearn.LGBMClassifier"],
    }))
    .unwrap();
    let m = load(&dir, &conf).unwrap();
    let feeds = vec![
        (
            "a".to_string(),
            Tensor::new(vec![3], TensorData::F64(vec![-1.0, 2.0, f64::NAN])).unwrap(),
        ),
        (
            "b".to_string(),
            Tensor::new(vec![3], TensorData::F64(vec![0.0, 0.0, 1.0])).unwrap(),
        ),
    ];
    let out = m.predict_tensor(&feeds).unwrap();
    assert_eq!(out.data, TensorData::I64(vec![0, 1, 0]));

    // Untrusted types and other serialization formats fall back to Python.
    let mut untrusted = conf.clone();
    untrusted.skops_trusted_types.clear();
    assert!(load(&dir, &untrusted).unwrap_err().is_unsupported());
    let mut pickled = conf.clone();
    pickled.serialization_format = Some("cloudpickle".into());
    assert!(load(&dir, &pickled).unwrap_err().is_unsupported());
    let mut other = conf.clone();
    other.model_class = "lightgbm.sklearn.LGBMModel".into();
    assert!(load(&dir, &other).unwrap_err().is_unsupported());
    let mut escape = conf;
    escape.data = "../model.skops".into();
    assert!(load(&dir, &escape).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_truncation_is_handled() {
    for name in ["multiclass_categorical.lgb", "linear.lgb"] {
        let bytes = fixture(name);
        for cut in 0..bytes.len() {
            if let Ok(m) = LightGbmModel::from_model_file(&bytes[..cut]) {
                exercise(&m, m.booster().num_features());
            }
        }
    }
    let skops = fixture("classifier.skops");
    let trusted: Vec<String> = ["lightgbm.basic.Booster", "lightgbm.sklearn.LGBMClassifier"]
        .map(String::from)
        .to_vec();
    for cut in (0..skops.len()).step_by(31) {
        if let Ok(m) = mlflowrs_lightgbm::from_skops(
            &skops[..cut],
            "lightgbm.sklearn.LGBMClassifier",
            &trusted,
        ) {
            exercise(&m, 2);
        }
    }
}

#[test]
fn byte_flips_never_panic() {
    let bytes = fixture("multiclass_categorical.lgb");
    let mut state = 0x2545F4914F6CDD1Du64;
    for _ in 0..3000 {
        let mut b = bytes.clone();
        for _ in 0..3 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = (state % b.len() as u64) as usize;
            b[i] = b"0123456789-=. \nxe"[(state >> 40) as usize % 17];
        }
        if let Ok(m) = LightGbmModel::from_model_file(&b) {
            exercise(&m, m.booster().num_features());
        }
    }
}

fn corrupt(original: &str, from: &str, to: &str) -> Result<Booster, LightGbmError> {
    assert!(original.contains(from), "fixture lacks {from:?}");
    Booster::parse(original.replacen(from, to, 1).as_bytes())
}

#[test]
fn out_of_range_values_are_load_errors() {
    let m = text("multiclass_categorical.lgb");
    assert!(Booster::parse(m.as_bytes()).is_ok());
    let cases = [
        ("max_feature_idx=2", "max_feature_idx=99999999999"),
        ("max_feature_idx=2", "max_feature_idx=3"),
        ("max_feature_idx=2", "max_feature_idx=-1"),
        ("num_class=3", "num_class=2"),
        ("num_class=3", "num_class=0"),
        ("num_tree_per_iteration=3", "num_tree_per_iteration=1"),
        (
            "objective=multiclass num_class:3",
            "objective=multiclass num_class:4",
        ),
        ("objective=multiclass num_class:3", "objective=nonsense"),
        ("tree_sizes=", "tree_sizes=999999999999 "),
        ("num_leaves=4", "num_leaves=4000000000"),
        ("num_leaves=4", "num_leaves=5"),
        ("split_feature=", "split_feature=7 "),
        ("left_child=", "left_child=0 "),
        ("right_child=", "right_child=-9 "),
        ("cat_boundaries=0 2\n", "cat_boundaries=0 9\n"),
        ("cat_boundaries=0 2\n", "cat_boundaries=1 2\n"),
        ("cat_boundaries=0 2 4", "cat_boundaries=0 3 2"),
        (
            "threshold=1.0000000180025095e-35 0 1",
            "threshold=1.0000000180025095e-35 0 2",
        ),
        (
            "threshold=1.0000000180025095e-35 0 1",
            "threshold=1.0000000180025095e-35 0 -1",
        ),
        (
            "threshold=1.0000000180025095e-35 0 1",
            "threshold=1.0000000180025095e-35 0 nan",
        ),
        ("cat_threshold=", "cat_threshold=99999999999 "),
        ("num_cat=1", "num_cat=1000000000"),
        ("leaf_value=", "leaf_value=abc "),
        ("decision_type=", "decision_type=300 "),
        ("feature_names=", "feature_names=x "),
        ("feature_infos=", "feature_infos=x "),
        ("label_index=0\n", ""),
    ];
    for (from, to) in cases {
        assert!(
            corrupt(&m, from, to).is_err(),
            "{from} -> {to} was accepted"
        );
    }
    let lin = text("linear.lgb");
    for (from, to) in [
        ("num_features=1 1 1", "num_features=9 1 1"),
        ("leaf_features=", "leaf_features=5 "),
        ("leaf_coeff=", "leaf_coeff=x "),
    ] {
        assert!(
            corrupt(&lin, from, to).is_err(),
            "{from} -> {to} was accepted"
        );
    }
}

#[test]
fn cycles_are_refused() {
    let model = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx=0\n\
objective=regression\nfeature_names=a\nfeature_infos=none\n\n\
Tree=0\nnum_leaves=3\nnum_cat=0\nsplit_feature=0 0\nthreshold=0 1\ndecision_type=0 0\n\
left_child=1 0\nright_child=-1 -2\nleaf_value=1 2 3\nshrinkage=1\n\n\nend of trees\n";
    assert!(Booster::parse(model.as_bytes()).is_err());
    let ok = model.replace("left_child=1 0", "left_child=1 -3");
    let b = Booster::parse(ok.as_bytes()).unwrap();
    assert_eq!(b.predict(&[0.5], 0), vec![1.0]);
    assert_eq!(b.predict(&[-1.0], 0), vec![3.0]);
    assert_eq!(
        b.predict(&[f64::NAN], 0),
        vec![3.0],
        "NaN is 0.0 here: left, left"
    );
}

#[test]
fn garbage_is_an_error() {
    for junk in [
        &b""[..],
        b"tree",
        b"tree\n",
        b"\0\0\0",
        b"tree\nnum_class=1\n",
        &[0xff, 0xfe, 0x00][..],
    ] {
        assert!(LightGbmModel::from_model_file(junk).is_err());
    }
    assert!(LightGbmModel::from_model_file(b"nottree\nnum_class=1\n").is_err());
}

#[test]
fn pandas_categorical_models_refuse_frames_but_take_arrays() {
    let m = text("multiclass_categorical.lgb");
    let tail = "pandas_categorical:null";
    assert!(m.trim_end().ends_with(tail), "fixture ends with {tail}");
    let with_cats = format!(
        "{}pandas_categorical:[[\"a\", \"b\"]]\n",
        m.trim_end().strip_suffix(tail).unwrap()
    );
    let model = LightGbmModel::from_model_file(with_cats.as_bytes()).unwrap();
    let frame: Vec<Named> = (0..3)
        .map(|j| {
            (
                format!("c{j}"),
                Tensor::new(vec![1], TensorData::F64(vec![1.0])).unwrap(),
            )
        })
        .collect();
    let e = model.predict_tensor(&frame).unwrap_err();
    assert_eq!(
        e.to_string(),
        "train and valid dataset categorical_feature do not match."
    );
    let t = Tensor::new(vec![1, 3], TensorData::F64(vec![1.0; 3])).unwrap();
    assert!(model.predict_tensor(&[(String::new(), t)]).is_ok());
    let odd = with_cats.replace("[[\"a\", \"b\"]]", "{\"a\": 1}");
    assert!(LightGbmModel::from_model_file(odd.as_bytes())
        .unwrap_err()
        .is_unsupported());
}
