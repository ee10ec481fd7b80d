"""Creates the conformance fixture models with the real mlflow package.

Run from the repository root:  .venv/bin/python tests/conformance/make_models.py
Writes tests/conformance/models/<name>/ and examples/iris-onnx/.
"""

import pathlib
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper
import mlflow.onnx
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, Schema, TensorSpec
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression

ROOT = pathlib.Path(__file__).resolve().parent / "models"
EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
OPSETS = {"": 17, "ai.onnx.ml": 3}

X, y = load_iris(return_X_y=True)
X = X.astype(np.float32)
clf = LogisticRegression(max_iter=1000).fit(X, y)
reg = LinearRegression().fit(X, y.astype(np.float64))


def to_onnx(model, input_name, zipmap=True):
    """zipmap=True means: switch ZipMap off (classifiers only)."""
    options = {id(model): {"zipmap": False}} if zipmap else None
    return convert_sklearn(
        model,
        initial_types=[(input_name, FloatTensorType([None, 4]))],
        options=options,
        target_opset=OPSETS,
    )


def save(name, onx, signature, example, base=ROOT):
    path = base / name
    if path.exists():
        shutil.rmtree(path)
    mlflow.onnx.save_model(onx, str(path), signature=signature, input_example=example)
    print("wrote", path)


clf_outputs = Schema([
    TensorSpec(np.dtype(np.int64), (-1,), "label"),
    TensorSpec(np.dtype(np.float32), (-1, 3), "probabilities"),
])
unnamed = ModelSignature(inputs=Schema([TensorSpec(np.dtype(np.float32), (-1, 4))]), outputs=clf_outputs)
save("iris_unnamed", to_onnx(clf, "float_input"), unnamed, X[:2])
save("iris-onnx", to_onnx(clf, "float_input"), unnamed, X[:2], base=EXAMPLES)

named = ModelSignature(inputs=Schema([TensorSpec(np.dtype(np.float32), (-1, 4), "input")]), outputs=clf_outputs)
save("iris_named", to_onnx(clf, "input"), named, {"input": X[:2]})

columns = Schema([ColSpec("double", n) for n in ["sepal_length", "sepal_width", "petal_length", "petal_width"]])
reg_sig = ModelSignature(inputs=columns, outputs=Schema([TensorSpec(np.dtype(np.float32), (-1, 1), "variable")]))
import pandas as pd
df = pd.DataFrame(X[:2].astype(np.float64), columns=["sepal_length", "sepal_width", "petal_length", "petal_width"])
save("iris_columns", to_onnx(reg, "input", zipmap=False), reg_sig, df)
save("iris_columns_clf", to_onnx(clf, "input"), ModelSignature(inputs=columns, outputs=clf_outputs), df)

# Two named inputs of different dtypes: sum = reduce_sum(x, axis 1) + double(y).
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
    "multi",
    [x, yv],
    [s, yo],
    initializer=[axes],
)
multi = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
onnx.checker.check_model(multi)
multi_sig = ModelSignature(
    inputs=Schema([TensorSpec(np.dtype(np.float64), (-1, 2), "x"), TensorSpec(np.dtype(np.int64), (-1,), "y")]),
    outputs=Schema([TensorSpec(np.dtype(np.float64), (-1,), "sum"), TensorSpec(np.dtype(np.int64), (-1,), "y_out")]),
)
save("multi_input", multi, multi_sig, {"x": np.array([[1.0, 2.0]]), "y": np.array([3])})
