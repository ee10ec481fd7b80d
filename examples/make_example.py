"""Writes examples/iris-onnx/: an MLflow ONNX model made with the real mlflow.

Run from the repository root (the venv pins are in tests/conformance/requirements.txt):

    .venv/bin/python examples/make_example.py

Iris LogisticRegression(max_iter=1000) converted with skl2onnx (zipmap off,
opsets {"": 17, "ai.onnx.ml": 3}): input float_input [N,4] float, outputs
label int64 [N] and probabilities float32 [N,3]. The signature has one unnamed
float32 (-1, 4) tensor input; the input example is two iris rows. This is the
same model as the tests/conformance/models/iris_unnamed fixture.

Also writes examples/iris-onnx-v2/: the same model trained with strong
regularisation (C=0.01), so that the two "versions" answer differently
(examples/ab-docker.sh serves both side by side).
"""

import pathlib
import shutil

import numpy as np
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import mlflow.onnx
from mlflow.models import ModelSignature
from mlflow.types.schema import Schema, TensorSpec

OUT = pathlib.Path(__file__).resolve().parent / "iris-onnx"

X, y = load_iris(return_X_y=True)
X = X.astype(np.float32)


def write(out, clf):
    onx = convert_sklearn(
        clf,
        initial_types=[("float_input", FloatTensorType([None, 4]))],
        options={id(clf): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    onx.graph.name = "LogisticRegression"  # skl2onnx would use a random uuid
    signature = ModelSignature(
        inputs=Schema([TensorSpec(np.dtype(np.float32), (-1, 4))]),
        outputs=Schema([
            TensorSpec(np.dtype(np.int64), (-1,), "label"),
            TensorSpec(np.dtype(np.float32), (-1, 3), "probabilities"),
        ]),
    )
    if out.exists():
        shutil.rmtree(out)
    mlflow.onnx.save_model(onx, str(out), signature=signature, input_example=X[:2])
    print("wrote", out)


write(OUT, LogisticRegression(max_iter=1000, random_state=0).fit(X, y))
write(OUT.parent / "iris-onnx-v2", LogisticRegression(max_iter=1000, C=0.01, random_state=0).fit(X, y))
