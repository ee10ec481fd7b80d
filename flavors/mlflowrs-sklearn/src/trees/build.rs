//! Building tree models from their skops nodes, and their registration.

use mlflowrs_flavor_api::DType;
use mlflowrs_skops::{ArrayData, Node};

use super::flat::RawTree;
use super::forest::{Combine, EnsembleSpec, TreeEnsemble};
use super::gb::{GbInit, GbLoss, GradientBoosting};
use super::hgb::{HgbLink, HgbSpec, HistGradientBoosting};
use super::hgb_pre::HgbPreprocessor;
use super::model::{Evaluator, Labels, TreeModel};
use super::read::{self, feature_names, invalid, object_items, str_attr, usize_attr};
use crate::classes::Classes;
use crate::error::SklearnError;
use crate::estimator::Estimator;
use crate::registry::{LoadCtx, Registry};
use crate::validate::{FloatTarget, InputSpec, NanPolicy};

const TREE: &str = "sklearn.tree._classes.";

/// Types read as data by the builders below (never built on their own).
const AUX: &[&str] = &[
    "sklearn.tree._tree.Tree",
    "sklearn.dummy.DummyClassifier",
    "sklearn.dummy.DummyRegressor",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.preprocessing._label.LabelEncoder",
    // HistGradientBoosting's categorical `_preprocessor` (read by hgb_pre).
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.preprocessing._encoders.OrdinalEncoder",
    "sklearn.preprocessing._function_transformer.FunctionTransformer",
    "functools.partial",
    "sklearn.utils.validation.check_array",
    // Fitted random state of sub-estimators (never used to predict).
    "numpy.random.mtrand.RandomState",
    "numpy.random._generator.Generator",
    // The `_loss` objects; predictions follow the `loss` parameter.
    "sklearn._loss.loss.HalfSquaredError",
    "sklearn._loss.loss.AbsoluteError",
    "sklearn._loss.loss.PinballLoss",
    "sklearn._loss.loss.HuberLoss",
    "sklearn._loss.loss.HalfPoissonLoss",
    "sklearn._loss.loss.HalfGammaLoss",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.loss.HalfMultinomialLoss",
    "sklearn._loss.loss.ExponentialLoss",
    "sklearn._loss._loss.CyHalfSquaredError",
    "sklearn._loss._loss.CyAbsoluteError",
    "sklearn._loss._loss.CyPinballLoss",
    "sklearn._loss._loss.CyHuberLoss",
    "sklearn._loss._loss.CyHalfPoissonLoss",
    "sklearn._loss._loss.CyHalfGammaLoss",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "sklearn._loss._loss.CyHalfMultinomialLoss",
    "sklearn._loss._loss.CyExponentialLoss",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.link.LogLink",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.HalfLogitLink",
    "sklearn._loss.link.MultinomialLogit",
    "sklearn._loss.link.Interval",
];

/// Registers every tree estimator class and the types they read.
pub(crate) fn register(r: &mut Registry) {
    r.add("sklearn.tree._classes.DecisionTreeClassifier", build_tree);
    r.add("sklearn.tree._classes.DecisionTreeRegressor", build_tree);
    r.add("sklearn.tree._classes.ExtraTreeClassifier", build_tree);
    r.add("sklearn.tree._classes.ExtraTreeRegressor", build_tree);
    r.add(
        "sklearn.ensemble._forest.RandomForestClassifier",
        build_forest,
    );
    r.add(
        "sklearn.ensemble._forest.RandomForestRegressor",
        build_forest,
    );
    r.add(
        "sklearn.ensemble._forest.ExtraTreesClassifier",
        build_forest,
    );
    r.add("sklearn.ensemble._forest.ExtraTreesRegressor", build_forest);
    r.add("sklearn.ensemble._gb.GradientBoostingClassifier", build_gb);
    r.add("sklearn.ensemble._gb.GradientBoostingRegressor", build_gb);
    r.add(
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
        build_hgb,
    );
    r.add(
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor",
        build_hgb,
    );
    for aux in AUX {
        r.add_aux(aux);
    }
    tracing::debug!(
        svml = super::npmath::uses_svml(),
        "tree models: np.exp/np.log reproduced with SVML (AVX-512) or libm"
    );
}

fn is_classifier(node: &Node) -> bool {
    node.class().ends_with("Classifier")
}

/// Whether `tree`'s class accepts NaN (its `allow_nan` tag): decision trees
/// always, extra trees with the random splitter.
fn tree_allows_nan(tree: &Node) -> Result<bool, SklearnError> {
    match tree.class() {
        "DecisionTreeClassifier" | "DecisionTreeRegressor" => Ok(true),
        "ExtraTreeClassifier" | "ExtraTreeRegressor" => Ok(str_attr(tree, "splitter")? == "random"),
        other => Err(SklearnError::unsupported(format!("a forest of {other}"))),
    }
}

fn input_spec(
    node: &Node,
    n_features: usize,
    dtype: FloatTarget,
    nan: NanPolicy,
) -> Result<InputSpec, SklearnError> {
    let names = feature_names(node)?;
    if names.as_ref().is_some_and(|n| n.len() != n_features) {
        return Err(invalid("feature_names_in_ does not match n_features_in_"));
    }
    Ok(InputSpec {
        estimator: node.class().to_owned(),
        feature_names_in: names,
        n_features_in: Some(n_features),
        dtype,
        nan,
    })
}

/// `classes_`: one array, or one per output for multi-output models.
fn labels(node: &Node, n_outputs: usize) -> Result<Labels, SklearnError> {
    let classes = node.attr("classes_")?;
    let (nodes, width) = if n_outputs == 1 {
        (vec![classes], read::unicode_width(classes))
    } else {
        let items: Vec<&Node> = classes.seq()?.iter().map(|n| n.as_ref()).collect();
        let width = items.first().and_then(|n| read::unicode_width(n));
        (items, width)
    };
    if nodes.len() != n_outputs {
        return Err(invalid("classes_ does not have one entry per output"));
    }
    let per_output = nodes
        .into_iter()
        .map(Classes::from_node)
        .collect::<Result<Vec<_>, _>>()?;
    let dtype = per_output[0].labels().dtype();
    if per_output.iter().any(|c| c.labels().dtype() != dtype) {
        return Err(SklearnError::unsupported(
            "outputs whose classes_ differ in dtype",
        ));
    }
    Ok(Labels {
        per_output,
        unicode_width: if n_outputs > 1 { width } else { None },
    })
}

fn check_tree_header(
    hdr: &read::TreeHeader,
    n_features: usize,
    n_classes: &[usize],
) -> Result<(), SklearnError> {
    if hdr.n_features != n_features
        || hdr.n_outputs != n_classes.len()
        || hdr.n_classes != n_classes
    {
        return Err(invalid(format!(
            "a tree has {} features and classes {:?}, the model {} and {:?}",
            hdr.n_features, hdr.n_classes, n_features, n_classes
        )));
    }
    Ok(())
}

/// DecisionTree* and ExtraTree*.
fn build_tree(node: &Node, _ctx: &LoadCtx) -> Result<Estimator, SklearnError> {
    let n_features = usize_attr(node, "n_features_in_")?;
    let n_outputs = usize_attr(node, "n_outputs_")?;
    let (hdr, raw) = read::tree(node)?;
    build_ensemble(
        node,
        node,
        Combine::Single,
        n_features,
        n_outputs,
        vec![(hdr, raw)],
    )
}

/// RandomForest* and ExtraTrees*.
fn build_forest(node: &Node, _ctx: &LoadCtx) -> Result<Estimator, SklearnError> {
    let n_features = usize_attr(node, "n_features_in_")?;
    let n_outputs = usize_attr(node, "n_outputs_")?;
    let expected = match node.class() {
        "RandomForestClassifier" => "DecisionTreeClassifier",
        "RandomForestRegressor" => "DecisionTreeRegressor",
        "ExtraTreesClassifier" => "ExtraTreeClassifier",
        _ => "ExtraTreeRegressor",
    };
    let subs = node.attr("estimators_")?.seq()?;
    let first = subs
        .first()
        .ok_or_else(|| invalid("estimators_ is empty"))?;
    let mut trees = Vec::with_capacity(subs.len());
    for sub in subs {
        if sub.type_name() != format!("{TREE}{expected}") {
            return Err(SklearnError::unsupported(format!(
                "{} whose estimators_ holds {}",
                node.class(),
                sub.type_name()
            )));
        }
        trees.push(read::tree(sub)?);
    }
    build_ensemble(node, first, Combine::Mean, n_features, n_outputs, trees)
}

fn build_ensemble(
    node: &Node,
    first_tree: &Node,
    combine: Combine,
    n_features: usize,
    n_outputs: usize,
    trees: Vec<(read::TreeHeader, RawTree)>,
) -> Result<Estimator, SklearnError> {
    let labels = if is_classifier(node) {
        Some(labels(node, n_outputs)?)
    } else {
        None
    };
    let n_classes: Vec<usize> = match &labels {
        Some(l) => l.per_output.iter().map(Classes::len).collect(),
        None => vec![1; n_outputs],
    };
    for (hdr, _) in &trees {
        check_tree_header(hdr, n_features, &n_classes)?;
    }
    let nan = if tree_allows_nan(first_tree)? {
        NanPolicy::AllowNan
    } else {
        NanPolicy::Reject
    };
    let raws: Vec<RawTree> = trees.into_iter().map(|(_, r)| r).collect();
    let ensemble = TreeEnsemble::build(
        EnsembleSpec {
            combine,
            n_features,
            n_outputs,
            n_classes: labels.as_ref().map(|_| n_classes.clone()),
        },
        &raws,
    )?;
    Ok(Estimator::Predictor(Box::new(TreeModel {
        name: node.class().to_owned(),
        spec: input_spec(node, n_features, FloatTarget::F32, nan)?,
        eval: Evaluator::Ensemble(ensemble),
        labels,
        pre: None,
        feature_dtypes: None,
    })))
}

/// GradientBoostingClassifier / GradientBoostingRegressor.
fn build_gb(node: &Node, _ctx: &LoadCtx) -> Result<Estimator, SklearnError> {
    let n_features = usize_attr(node, "n_features_in_")?;
    let k = usize_attr(node, "n_trees_per_iteration_")?;
    let learning_rate = node.attr("learning_rate")?.f64()?;
    let loss_name = str_attr(node, "loss")?;
    let labels = if is_classifier(node) {
        Some(labels(node, 1)?)
    } else {
        None
    };
    let n_classes = labels.as_ref().map_or(0, |l| l.per_output[0].len());
    let loss = match (loss_name, &labels) {
        ("log_loss", Some(_)) if n_classes == 2 => GbLoss::Binomial,
        ("log_loss", Some(_)) if n_classes > 2 => GbLoss::Multinomial,
        ("exponential", Some(_)) if n_classes == 2 => GbLoss::Exponential,
        ("squared_error" | "absolute_error" | "huber" | "quantile", None) => GbLoss::Regression,
        _ => {
            return Err(SklearnError::unsupported(format!(
                "{} with loss={loss_name:?} is not served natively",
                node.class()
            )))
        }
    };
    let init = gb_init(node.attr("init_")?, labels.is_some(), n_classes)?;
    let (stages, shape) = object_items(node.attr("estimators_")?)?;
    if shape.len() != 2 || shape[1] != k {
        return Err(invalid(format!(
            "estimators_ has shape {shape:?}, expected (n, {k})"
        )));
    }
    let mut raws = Vec::with_capacity(stages.len());
    for est in stages {
        if est.type_name() != format!("{TREE}DecisionTreeRegressor") {
            return Err(SklearnError::unsupported(format!(
                "{} whose estimators_ holds {}",
                node.class(),
                est.type_name()
            )));
        }
        let (hdr, raw) = read::tree(est)?;
        check_tree_header(&hdr, n_features, &[1])?;
        raws.push(raw);
    }
    let gb = GradientBoosting::build(loss, k, n_features, learning_rate, &init, &raws)?;
    Ok(Estimator::Predictor(Box::new(TreeModel {
        name: node.class().to_owned(),
        // validate_data(dtype=float32) with the default ensure_all_finite.
        spec: input_spec(node, n_features, FloatTarget::F32, NanPolicy::Reject)?,
        eval: Evaluator::Gb(gb),
        labels,
        pre: None,
        feature_dtypes: None,
    })))
}

/// The fitted `init_` of a gradient boosting model.
fn gb_init(init: &Node, classifier: bool, n_classes: usize) -> Result<GbInit, SklearnError> {
    if init.str().ok() == Some("zero") {
        return Ok(GbInit::Zero);
    }
    let unsupported = || {
        SklearnError::unsupported(format!(
            "GradientBoosting init_ {} is not served natively",
            init.type_name()
        ))
    };
    match (init.type_name().as_str(), classifier) {
        ("sklearn.dummy.DummyRegressor", false) => {
            let c = read::f64_array(init.attr("constant_")?, "DummyRegressor constant_")?;
            match c.as_slice() {
                [v] => Ok(GbInit::Constant(*v)),
                _ => Err(unsupported()),
            }
        }
        ("sklearn.dummy.DummyClassifier", true) => {
            if usize_attr(init, "n_outputs_")? != 1 {
                return Err(unsupported());
            }
            let prior = read::f64_array(init.attr("class_prior_")?, "class_prior_")?;
            if prior.len() != n_classes {
                return Err(invalid(
                    "the init_ estimator's classes do not match the model's",
                ));
            }
            let one_hot = |at: Option<usize>| -> Vec<f64> {
                (0..n_classes)
                    .map(|i| if Some(i) == at { 1.0 } else { 0.0 })
                    .collect()
            };
            let p = match str_attr(init, "_strategy")? {
                "prior" => prior.iter().map(|&v| 1.0 * v).collect(),
                "uniform" => vec![1.0 / n_classes as f64; n_classes],
                "most_frequent" => one_hot(Some(super::npmath::argmax(&prior))),
                "constant" => {
                    // `np.where(classes_ == constant)`: the GB fits its init
                    // on encoded labels, so both are numbers here.
                    let classes = read::f64_array(init.attr("classes_")?, "classes_")?;
                    let constant = init.attr("constant")?.f64().map_err(|_| unsupported())?;
                    one_hot(classes.iter().position(|&c| c == constant))
                }
                _ => return Err(unsupported()),
            };
            Ok(GbInit::Proba(p))
        }
        _ => Err(unsupported()),
    }
}

/// HistGradientBoostingClassifier / HistGradientBoostingRegressor.
fn build_hgb(node: &Node, _ctx: &LoadCtx) -> Result<Estimator, SklearnError> {
    let k = usize_attr(node, "n_trees_per_iteration_")?;
    let loss = str_attr(node, "loss")?;
    let labels = if is_classifier(node) {
        Some(labels(node, 1)?)
    } else {
        None
    };
    let link = match (loss, &labels) {
        ("log_loss", Some(_)) if k == 1 => HgbLink::Binomial,
        ("log_loss", Some(_)) => HgbLink::Multinomial,
        ("squared_error" | "absolute_error" | "quantile", None) => HgbLink::Identity,
        ("poisson" | "gamma", None) => HgbLink::Log,
        _ => {
            return Err(SklearnError::unsupported(format!(
                "{} with loss={loss:?} is not served natively",
                node.class()
            )))
        }
    };
    if let Some(l) = &labels {
        let n = l.per_output[0].len();
        if (k == 1 && n != 2) || (k > 1 && n != k) {
            return Err(invalid("classes_ does not match n_trees_per_iteration_"));
        }
    }
    let baseline = read::f64_array(node.attr("_baseline_prediction")?, "_baseline_prediction")?;

    let bin_mapper = node.attr("_bin_mapper")?;
    let is_cat: Vec<bool> = match bin_mapper.attr("is_categorical_")?.array()?.data() {
        ArrayData::U8(v) => v.iter().map(|&b| b != 0).collect(),
        ArrayData::Bool(v) => v.clone(),
        _ => return Err(invalid("_bin_mapper.is_categorical_ is not a uint8 array")),
    };
    let thresholds = bin_mapper.attr("bin_thresholds_")?.seq()?;
    if thresholds.len() != is_cat.len() {
        return Err(invalid("bin_thresholds_ does not cover every feature"));
    }
    let mut known = Vec::with_capacity(is_cat.len());
    for (cat, t) in is_cat.iter().zip(thresholds) {
        known.push(if *cat {
            Some(read::f64_array(t, "known categories")?)
        } else {
            None
        });
    }

    let pre = match node.get("_preprocessor") {
        Some(p) if !p.is_none() => Some(HgbPreprocessor::from_node(p)?),
        _ => None,
    };
    let n_features = is_cat.len();
    let (spec_features, feature_dtypes) = match &pre {
        Some(p) => {
            let layout = (0..n_features).map(|i| i < p.n_categorical());
            if p.n_features_out() != n_features || !layout.eq(is_cat.iter().copied()) {
                return Err(invalid(
                    "the categorical preprocessor does not match the bin mapper",
                ));
            }
            (p.n_features_in(), Some(p.input_dtypes()))
        }
        None => {
            if is_cat.iter().any(|&c| c) {
                return Err(SklearnError::unsupported(
                    "categorical features without a _preprocessor (scikit-learn < 1.6)",
                ));
            }
            (n_features, None)
        }
    };
    if pre.is_none() && usize_attr(node, "n_features_in_")? != n_features {
        return Err(invalid("n_features_in_ does not match the bin mapper"));
    }

    let mut predictors = Vec::new();
    for iteration in node.attr("_predictors")?.seq()? {
        let trees = iteration.seq()?;
        if trees.len() != k {
            return Err(invalid(
                "an iteration of _predictors does not hold n_trees_per_iteration_ trees",
            ));
        }
        for p in trees {
            predictors.push(read::predictor(p)?);
        }
    }
    let hgb = HistGradientBoosting::build(
        HgbSpec {
            link,
            k,
            n_features,
            baseline,
            known_categories: known,
        },
        &predictors,
    )?;
    Ok(Estimator::Predictor(Box::new(TreeModel {
        name: node.class().to_owned(),
        // Without a preprocessor: validate_data(dtype=[float64],
        // ensure_all_finite=False).
        spec: input_spec(node, spec_features, FloatTarget::F64, NanPolicy::Skip)?,
        eval: Evaluator::Hgb(hgb),
        labels,
        pre,
        feature_dtypes: feature_dtypes.filter(|d| d.iter().any(|&t| t != DType::F64)),
    })))
}
