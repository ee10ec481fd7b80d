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


if __name__ == "__main__":
    for make in (iris_unnamed, iris_named, multi_input, iris_columns, iris_columns_clf, mixed_columns):
        make()
