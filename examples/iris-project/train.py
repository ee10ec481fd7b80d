"""Trains a logistic regression on iris inside the run `mlflowrs run` (or
`mlflow run`) created, logs it as an ONNX model, registers it and points an
alias at the new version, so `models:/<name>@<alias>` serves it."""

import argparse

import mlflow
import numpy as np
from mlflow import MlflowClient
from skl2onnx import to_onnx
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--max-iter", type=int, default=200)
    parser.add_argument("--model-name", default="iris-classifier")
    parser.add_argument("--alias", default="champion")
    args = parser.parse_args()

    x, y = load_iris(return_X_y=True)
    x = x.astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=0)
    # MLFLOW_RUN_ID (set by the project runner) makes this the project's run.
    with mlflow.start_run() as run:
        model = LogisticRegression(C=args.C, max_iter=args.max_iter).fit(x_train, y_train)
        accuracy = model.score(x_test, y_test)
        mlflow.log_metric("accuracy", accuracy)
        onx = to_onnx(model, x_train[:1], options={"zipmap": False})
        info = mlflow.onnx.log_model(
            onx,
            name="model",
            input_example=x_test[:2],
            registered_model_name=args.model_name,
        )
        version = info.registered_model_version
        MlflowClient().set_registered_model_alias(args.model_name, args.alias, version)
        print(f"run {run.info.run_id}: accuracy {accuracy:.3f}, {args.model_name} version {version} is @{args.alias}")


if __name__ == "__main__":
    main()
