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


ALL = (iris_unnamed, iris_named, multi_input, iris_columns, iris_columns_clf, mixed_columns,
       py_sklearn_clf, py_tree_int, py_custom_params)

if __name__ == "__main__":
    import sys

    wanted = set(sys.argv[1:])
    for make in ALL:
        if not wanted or make.__name__ in wanted:
            make()
