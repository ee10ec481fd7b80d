"""Models for tests/serving/pyfunc.rs's fault tests, written with the real mlflow.

Usage: python tests/pyfunc/make_models.py OUT_DIR

  OUT_DIR/faulty       PythonModel on one double column `x`: answers x * 2,
                       sleeps 600 s when x == 777 (a stuck request) and exits
                       the process with status 3 when x == 666 (a crash).
  OUT_DIR/broken_load  PythonModel whose load_context raises
                       ValueError("broken-load-3141").
  OUT_DIR/zipmap_onnx  iris LogisticRegression through skl2onnx with its
                       defaults (a ZipMap output: a list of dicts, not a
                       tensor), saved with mlflow.onnx.save_model; beside it
                       zipmap_onnx.expected.json, mlflow's own answer
                       (scoring_server.invocations, the code behind
                       `mlflow models serve`) to ZIPMAP_REQUEST.
"""

import os
import sys
import time

import pandas as pd

import mlflow.pyfunc
from mlflow.models import infer_signature


class Faulty(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        x = model_input["x"]
        if (x == 777).any():
            time.sleep(600)
        if (x == 666).any():
            os._exit(3)
        return x * 2


class BrokenLoad(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        raise ValueError("broken-load-3141")

    def predict(self, context, model_input, params=None):
        return model_input


ZIPMAP_REQUEST = '{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}'


def zipmap_onnx(out):
    import numpy as np
    from skl2onnx import to_onnx
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    import mlflow.onnx
    from mlflow.pyfunc import scoring_server

    x, y = load_iris(return_X_y=True)
    x = x.astype(np.float32)
    onx = to_onnx(LogisticRegression(max_iter=1000, random_state=0).fit(x, y), x[:1], target_opset=17)
    path = os.path.join(out, "zipmap_onnx")
    mlflow.onnx.save_model(onx, path, input_example=x[:2])
    model = scoring_server.load_model_with_mlflow_config(path)
    answer = scoring_server.invocations(ZIPMAP_REQUEST, "application/json", model, model.metadata.get_input_schema())
    with open(os.path.join(out, "zipmap_onnx.expected.json"), "w") as f:
        f.write(answer.response)


def main(out):
    example = pd.DataFrame({"x": [1.0, 2.0]})
    sig = infer_signature(example, example["x"] * 2)
    mlflow.pyfunc.save_model(os.path.join(out, "faulty"), python_model=Faulty(), signature=sig)
    mlflow.pyfunc.save_model(os.path.join(out, "broken_load"), python_model=BrokenLoad(), signature=sig)
    zipmap_onnx(out)


if __name__ == "__main__":
    main(sys.argv[1])
