"""Creates the conformance fixture models with the real mlflow package.

Run from the repository root:

    .venv/bin/python tests/conformance/make_models.py

Each fixture is written to tests/conformance/models/<name>/ (deleted and
recreated) with mlflow.onnx.save_model. Training is deterministic (fixed seeds,
lbfgs), so model.onnx is byte-identical between runs; only MLmodel's
model_uuid / utc_time_created change.

Fixtures:
  iris_unnamed      LogisticRegression ONNX (input float_input [N,4] float;
                    outputs label int64 [N], probabilities float32 [N,3]);
                    signature: ONE UNNAMED tensor float32 (-1, 4).
  iris_named        same classifier, graph input `input`; named tensor
                    signature `input` float32 (-1, 4) (fixture F2 in the notes).
  multi_input       hand-built graph, inputs x double [N,2], y int64 [N];
                    outputs sum = ReduceSum(x, axis 1) + double(y)  double [N],
                    y_out = Identity(y) int64 [N]; named tensor signature.
  iris_columns      LinearRegression ONNX (input `input` [N,4] float, output
                    `variable` [N,1]); column signature of 4 required doubles.
                    MLflow feeds df.values to the single graph input.
  iris_columns_clf  column signature as above over the two-output classifier
                    (MLflow itself fails DataFrame requests on it).
  py_sklearn_clf    mlflow.sklearn LogisticRegression (skops), 4 double columns.
  py_tree_int       mlflow.sklearn DecisionTreeRegressor (skops), a: long, b: double.
  py_custom_params  PythonModel with params scale: double = 2.0, prefix: string = "row-".
  mixed_columns     column signature a: long, b: double (required),
                    c: boolean (optional); graph inputs a int64 [N] and
                    b double [N] only (MLflow feeds one DataFrame column per
                    graph input, by graph input name, so c is accepted by the
                    signature and never fed); output out = double(a) * 2 + b.
"""

import pathlib
import random
import shutil

import numpy as np
import onnx
import pandas as pd
from onnx import TensorProto, helper
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression

import mlflow.onnx
import mlflow.pyfunc
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, Schema, TensorSpec

random.seed(0)
np.random.seed(0)

ROOT = pathlib.Path(__file__).resolve().parent / "models"
OPSETS = {"": 17, "ai.onnx.ml": 3}
COLS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]

X, y = load_iris(return_X_y=True)
X = X.astype(np.float32)
clf = LogisticRegression(max_iter=1000, random_state=0).fit(X, y)
reg = LinearRegression().fit(X, y.astype(np.float64))


def sk_to_onnx(model, input_name, classifier):
    options = {id(model): {"zipmap": False}} if classifier else None
    onx = convert_sklearn(
        model,
        initial_types=[(input_name, FloatTensorType([None, 4]))],
        options=options,
        target_opset=OPSETS,
    )
    onx.graph.name = type(model).__name__  # skl2onnx names the graph with a random uuid
    return onx


def save(name, onx, signature, example):
    path = ROOT / name
    if path.exists():
        shutil.rmtree(path)
    mlflow.onnx.save_model(onx, str(path), signature=signature, input_example=example)
    print("wrote", path)


def tensor(dtype, shape, name=None):
    return TensorSpec(np.dtype(dtype), shape, name) if name else TensorSpec(np.dtype(dtype), shape)


CLF_OUTPUTS = Schema([tensor(np.int64, (-1,), "label"), tensor(np.float32, (-1, 3), "probabilities")])
IRIS_COLUMNS = Schema([ColSpec("double", c) for c in COLS])
IRIS_DF = pd.DataFrame(X[:2].astype(np.float64), columns=COLS)


def iris_unnamed():
    sig = ModelSignature(inputs=Schema([tensor(np.float32, (-1, 4))]), outputs=CLF_OUTPUTS)
    save("iris_unnamed", sk_to_onnx(clf, "float_input", True), sig, X[:2])


def iris_named():
    sig = ModelSignature(inputs=Schema([tensor(np.float32, (-1, 4), "input")]), outputs=CLF_OUTPUTS)
    save("iris_named", sk_to_onnx(clf, "input", True), sig, {"input": X[:2]})


def multi_input():
    x = helper.make_tensor_value_info("x", TensorProto.DOUBLE, [None, 2])
    yv = helper.make_tensor_value_info("y", TensorProto.INT64, [None])
    s = helper.make_tensor_value_info("sum", TensorProto.DOUBLE, [None])
    yo = helper.make_tensor_value_info("y_out", TensorProto.INT64, [None])
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [1])
    graph = helper.make_graph(
        [
            helper.make_node("ReduceSum", ["x", "axes"], ["xs"], keepdims=0),
            helper.make_node("Cast", ["y"], ["yd"], to=TensorProto.DOUBLE),
            helper.make_node("Add", ["xs", "yd"], ["sum"]),
            helper.make_node("Identity", ["y"], ["y_out"]),
        ],
        "multi_input",
        [x, yv],
        [s, yo],
        initializer=[axes],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    onnx.checker.check_model(model)
    sig = ModelSignature(
        inputs=Schema([tensor(np.float64, (-1, 2), "x"), tensor(np.int64, (-1,), "y")]),
        outputs=Schema([tensor(np.float64, (-1,), "sum"), tensor(np.int64, (-1,), "y_out")]),
    )
    save("multi_input", model, sig, {"x": np.array([[1.0, 2.0], [3.0, 4.0]]), "y": np.array([3, 5])})


def iris_columns():
    sig = ModelSignature(inputs=IRIS_COLUMNS, outputs=Schema([tensor(np.float32, (-1, 1), "variable")]))
    save("iris_columns", sk_to_onnx(reg, "input", False), sig, IRIS_DF)


def iris_columns_clf():
    sig = ModelSignature(inputs=IRIS_COLUMNS, outputs=CLF_OUTPUTS)
    save("iris_columns_clf", sk_to_onnx(clf, "input", True), sig, IRIS_DF)


def mixed_columns():
    a = helper.make_tensor_value_info("a", TensorProto.INT64, [None])
    b = helper.make_tensor_value_info("b", TensorProto.DOUBLE, [None])
    out = helper.make_tensor_value_info("out", TensorProto.DOUBLE, [None])
    two = helper.make_tensor("two", TensorProto.DOUBLE, [], [2.0])
    graph = helper.make_graph(
        [
            helper.make_node("Cast", ["a"], ["ad"], to=TensorProto.DOUBLE),
            helper.make_node("Mul", ["ad", "two"], ["a2"]),
            helper.make_node("Add", ["a2", "b"], ["out"]),
        ],
        "mixed_columns",
        [a, b],
        [out],
        initializer=[two],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    onnx.checker.check_model(model)
    sig = ModelSignature(
        inputs=Schema([
            ColSpec("long", "a"),
            ColSpec("double", "b"),
            ColSpec("boolean", "c", required=False),
        ]),
        outputs=Schema([tensor(np.float64, (-1,), "out")]),
    )
    example = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5], "c": [True, False]})
    save("mixed_columns", model, sig, example)


# ---------------------------------------------------------------- pyfunc
# Models only Python can run; mlflowrs serves them through its Python
# fallback (flavors/mlflowrs-pyfunc), which must answer as `mlflow models serve` does.


def fresh(name):
    path = ROOT / name
    if path.exists():
        shutil.rmtree(path)
    return path


def py_sklearn_clf():
    """iris LogisticRegression fitted on a DataFrame, mlflow.sklearn defaults
    (skops format); signature inferred from the example: 4 double columns ->
    long."""
    import mlflow.sklearn

    df = pd.DataFrame(X.astype(np.float64), columns=COLS)
    model = LogisticRegression(max_iter=1000, random_state=0).fit(df, y)
    mlflow.sklearn.save_model(model, str(fresh("py_sklearn_clf")), input_example=df.iloc[:2])
    print("wrote py_sklearn_clf")


def py_tree_int():
    """DecisionTreeRegressor on an int column `a` and a double column `b`,
    saved in the skops format; signature a: long, b: double."""
    import mlflow.sklearn
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.integers(0, 10, 200).astype(np.int64), "b": rng.normal(size=200)})
    target = df["a"] * 2.0 + df["b"]
    model = DecisionTreeRegressor(max_depth=5, random_state=0).fit(df, target)
    mlflow.sklearn.save_model(
        model, str(fresh("py_tree_int")), serialization_format="skops", input_example=df.iloc[:2],
        skops_trusted_types=["sklearn.tree._tree.Tree"],
    )
    print("wrote py_tree_int")


class ScaleModel(mlflow.pyfunc.PythonModel):
    """y = x * scale + offset (params: double `scale` = 2.0, string `prefix`
    = "row-"); label = prefix + the row's text."""

    def predict(self, context, model_input, params=None):
        params = params or {}
        out = pd.DataFrame()
        out["y"] = model_input["x"] * params.get("scale", 2.0) + 1.0
        out["label"] = [f"{params.get('prefix', 'row-')}{t}" for t in model_input["text"]]
        return out


def py_custom_params():
    from mlflow.models import infer_signature

    example = pd.DataFrame({"x": [1.0, 2.5], "text": ["a", "b"]})
    params = {"scale": 2.0, "prefix": "row-"}
    sig = infer_signature(example, ScaleModel().predict(None, example, params), params=params)
    mlflow.pyfunc.save_model(str(fresh("py_custom_params")), python_model=ScaleModel(), signature=sig, input_example=example)
    print("wrote py_custom_params")


# ------------------------------------------- natively served tabular models
# mlflowrs serves these without Python (flavors/mlflowrs-sklearn,
# -xgboost, -lightgbm); the answers must be mlflow's byte for byte.

def trusted(model):
    """The types skops will not load unless told to (what a user lists in
    skops_trusted_types after MLflow's error names them)."""
    import skops.io

    return skops.io.get_untrusted_types(data=skops.io.dumps(model)) or None


def iris_frame():
    return pd.DataFrame(X.astype(np.float64), columns=COLS)


def sk_forest_clf():
    """RandomForestClassifier (30 trees) on iris, string class labels."""
    import mlflow.sklearn
    from sklearn.ensemble import RandomForestClassifier

    df = iris_frame()
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    model = RandomForestClassifier(n_estimators=30, max_depth=6, random_state=0).fit(df, labels)
    mlflow.sklearn.save_model(model, str(fresh("sk_forest_clf")), input_example=df.iloc[:2], skops_trusted_types=trusted(model))
    print("wrote sk_forest_clf")


def sk_gb_proba():
    """GradientBoostingClassifier on iris served with pyfunc_predict_fn='predict_proba'."""
    import mlflow.sklearn
    from sklearn.ensemble import GradientBoostingClassifier

    df = iris_frame()
    model = GradientBoostingClassifier(n_estimators=10, max_depth=2, random_state=0).fit(df, y)
    mlflow.sklearn.save_model(
        model, str(fresh("sk_gb_proba")), input_example=df.iloc[:2], skops_trusted_types=trusted(model),
        pyfunc_predict_fn="predict_proba",
    )
    print("wrote sk_gb_proba")


def sk_hgb_nan():
    """HistGradientBoostingRegressor trained with missing values in every column."""
    import mlflow.sklearn
    from sklearn.ensemble import HistGradientBoostingRegressor

    df = iris_frame()
    rng = np.random.default_rng(1)
    holes = df.mask(rng.random(df.shape) < 0.15)
    model = HistGradientBoostingRegressor(max_iter=40, random_state=0).fit(holes, df["petal_width"] * 2 + y)
    mlflow.sklearn.save_model(model, str(fresh("sk_hgb_nan")), input_example=df.iloc[:2], skops_trusted_types=trusted(model))
    print("wrote sk_hgb_nan")


def sk_pipeline():
    """Pipeline: ColumnTransformer (SimpleImputer + StandardScaler on the
    numbers, OneHotEncoder on a string column) -> LogisticRegression."""
    import mlflow.sklearn
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    df = iris_frame()
    rng = np.random.default_rng(2)
    df["site"] = rng.choice(["north", "south", "east"], len(df))
    numbers = Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())])
    model = Pipeline([
        ("columns", ColumnTransformer([("num", numbers, COLS), ("cat", OneHotEncoder(handle_unknown="ignore"), ["site"])])),
        ("clf", LogisticRegression(max_iter=1000, random_state=0)),
    ]).fit(df, y)
    mlflow.sklearn.save_model(model, str(fresh("sk_pipeline")), input_example=df.iloc[:2], skops_trusted_types=trusted(model))
    print("wrote sk_pipeline")


def xgb_booster():
    """xgboost.train binary:logistic booster (50 trees) with missing values."""
    import mlflow.xgboost
    import xgboost as xgb

    df = iris_frame()
    rng = np.random.default_rng(3)
    holes = df.mask(rng.random(df.shape) < 0.1)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 4, "seed": 0}, xgb.DMatrix(holes, (y == 2).astype(int)), 50)
    mlflow.xgboost.save_model(booster, str(fresh("xgb_booster")), input_example=df.iloc[:2])
    print("wrote xgb_booster")


def xgb_classifier():
    """XGBClassifier (multi:softprob, 30 rounds) on iris; pyfunc answers labels."""
    import mlflow.xgboost
    import xgboost as xgb

    df = iris_frame()
    model = xgb.XGBClassifier(n_estimators=30, max_depth=3, random_state=0).fit(df, y)
    mlflow.xgboost.save_model(model, str(fresh("xgb_classifier")), input_example=df.iloc[:2])
    print("wrote xgb_classifier")


def lgb_booster():
    """lightgbm.train multiclass booster (30 rounds); pyfunc answers [N, 3] probabilities."""
    import lightgbm as lgb
    import mlflow.lightgbm

    df = iris_frame()
    booster = lgb.train({"objective": "multiclass", "num_class": 3, "verbose": -1, "seed": 0}, lgb.Dataset(df, y), 30)
    mlflow.lightgbm.save_model(booster, str(fresh("lgb_booster")), input_example=df.iloc[:2])
    print("wrote lgb_booster")


def lgb_classifier():
    """LGBMClassifier (binary, string labels, 40 rounds) with missing values."""
    import lightgbm as lgb
    import mlflow.lightgbm

    df = iris_frame()
    rng = np.random.default_rng(4)
    holes = df.mask(rng.random(df.shape) < 0.1)
    labels = np.where(y == 0, "setosa", "other")
    model = lgb.LGBMClassifier(n_estimators=40, random_state=0, verbose=-1).fit(holes, labels)
    mlflow.lightgbm.save_model(model, str(fresh("lgb_classifier")), input_example=df.iloc[:2])
    print("wrote lgb_classifier")


def sk_ridge_nosig():
    """Ridge fitted on a plain array and saved without an example: no
    signature, so requests reach the estimator unconverted."""
    import mlflow.sklearn
    from sklearn.linear_model import Ridge

    model = Ridge(alpha=0.5).fit(X.astype(np.float64), y.astype(np.float64))
    mlflow.sklearn.save_model(model, str(fresh("sk_ridge_nosig")))
    print("wrote sk_ridge_nosig")


def py_sklearn_pickle():
    """The py_sklearn_clf classifier saved with cloudpickle: a format that
    runs code when loaded, so mlflowrs serves it through Python."""
    import mlflow.sklearn

    df = iris_frame()
    model = LogisticRegression(max_iter=1000, random_state=0).fit(df, y)
    mlflow.sklearn.save_model(model, str(fresh("py_sklearn_pickle")), input_example=df.iloc[:2], serialization_format="cloudpickle")
    print("wrote py_sklearn_pickle")


def py_sklearn_knn():
    """KNeighborsClassifier in the skops format: an estimator mlflowrs does
    not evaluate natively, so it is served through Python."""
    import mlflow.sklearn
    from sklearn.neighbors import KNeighborsClassifier

    df = iris_frame()
    model = KNeighborsClassifier(n_neighbors=5).fit(df, y)
    mlflow.sklearn.save_model(model, str(fresh("py_sklearn_knn")), input_example=df.iloc[:2], skops_trusted_types=trusted(model))
    print("wrote py_sklearn_knn")


ALL = (iris_unnamed, iris_named, multi_input, iris_columns, iris_columns_clf, mixed_columns,
       py_sklearn_clf, py_tree_int, py_custom_params,
       sk_forest_clf, sk_gb_proba, sk_hgb_nan, sk_pipeline, xgb_booster, xgb_classifier, lgb_booster, lgb_classifier,
       sk_ridge_nosig, py_sklearn_pickle, py_sklearn_knn)

if __name__ == "__main__":
    import sys

    wanted = set(sys.argv[1:])
    for make in ALL:
        if not wanted or make.__name__ in wanted:
            make()
