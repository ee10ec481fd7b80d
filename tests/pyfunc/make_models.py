"""Models for tests/pyfunc.rs's fault tests, written with the real mlflow.

Usage: python tests/pyfunc/make_models.py OUT_DIR

  OUT_DIR/faulty       PythonModel on one double column `x`: answers x * 2,
                       sleeps 600 s when x == 777 (a stuck request) and exits
                       the process with status 3 when x == 666 (a crash).
  OUT_DIR/broken_load  PythonModel whose load_context raises
                       ValueError("broken-load-3141").
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


def main(out):
    example = pd.DataFrame({"x": [1.0, 2.0]})
    sig = infer_signature(example, example["x"] * 2)
    mlflow.pyfunc.save_model(os.path.join(out, "faulty"), python_model=Faulty(), signature=sig)
    mlflow.pyfunc.save_model(os.path.join(out, "broken_load"), python_model=BrokenLoad(), signature=sig)


if __name__ == "__main__":
    main(sys.argv[1])
