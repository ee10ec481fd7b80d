"""An ONNX model tract cannot run, written with the real mlflow.

Usage: python tests/tract/make_models.py OUT_DIR

  OUT_DIR/tree_regressor  DecisionTreeRegressor on 4 float features through
                          skl2onnx: one TreeEnsembleRegressor node (ai.onnx.ml),
                          which ONNX Runtime runs and tract does not.
"""

import os
import sys

import numpy as np
from skl2onnx import to_onnx
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeRegressor

import mlflow.onnx


def main(out):
    x, y = load_iris(return_X_y=True)
    x = x.astype(np.float32)
    onx = to_onnx(DecisionTreeRegressor(max_depth=3, random_state=0).fit(x, y), x[:1], target_opset=17)
    mlflow.onnx.save_model(onx, os.path.join(out, "tree_regressor"), input_example=x[:2])


if __name__ == "__main__":
    main(sys.argv[1])
