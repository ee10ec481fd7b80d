"""The real mlflow client, pointed at a tracking server, doing what MLflow
users do: experiments, runs, params, metrics with steps, tags, an sklearn and
an ONNX model logged with registered_model_name, a second version, an alias,
a stage transition, searches, artifact downloads, and a model loaded back
through `models:/name@alias` and used to predict.

    .venv/bin/python tests/tracking/client_scenario.py http://127.0.0.1:5000 OUT.json

Writes what it observed, with ids and timestamps left out, so the answers of
two servers can be compared (tests/tracking/rest.rs compares mlflowrs server's
with tests/tracking/recorded/scenario.json, made against `mlflow server`).
"""

import json
import os
import sys
import tempfile

import numpy as np


def main():
    uri, out = sys.argv[1], sys.argv[2]
    import mlflow
    from mlflow import MlflowClient
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    mlflow.set_tracking_uri(uri)
    client = MlflowClient()
    X, y = load_iris(return_X_y=True)
    X = X.astype(np.float64)
    seen = {}

    exp = mlflow.set_experiment("scenario")
    seen["experiment"] = {"name": exp.name, "lifecycle_stage": exp.lifecycle_stage}

    with mlflow.start_run(run_name="train") as run:
        mlflow.log_params({"C": 1.0, "solver": "lbfgs"})
        for step in range(3):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metric("acc", 0.93)
        mlflow.set_tags({"team": "search"})
        clf = LogisticRegression(max_iter=500).fit(X, y)
        mlflow.sklearn.log_model(clf, name="model", registered_model_name="scn-sk", input_example=X[:2])
        first_run = run.info.run_id

    with mlflow.start_run(run_name="onnx") as run:
        from skl2onnx import to_onnx

        mlflow.log_metric("acc", 0.5)
        onx = to_onnx(clf, X[:1].astype(np.float32), options={"zipmap": False})
        mlflow.onnx.log_model(onx, name="model", registered_model_name="scn-onnx", input_example=X[:2].astype(np.float32))

    with mlflow.start_run(run_name="train2") as run:
        mlflow.log_param("max_depth", 3)
        mlflow.log_metric("acc", 0.97)
        tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
        mlflow.sklearn.log_model(
            tree,
            name="model",
            registered_model_name="scn-sk",
            input_example=X[:2],
            skops_trusted_types=["sklearn.tree._tree.Tree"],
        )

    client.set_registered_model_alias("scn-sk", "champion", "2")
    client.set_model_version_tag("scn-sk", "2", "validated", "true")
    client.transition_model_version_stage("scn-sk", "1", "Staging")
    client.update_registered_model("scn-sk", description="iris classifiers")

    runs = mlflow.search_runs([exp.experiment_id], filter_string="metrics.acc > 0.8", order_by=["metrics.acc DESC"], output_format="list")
    seen["runs_acc_over_0.8"] = [r.info.run_name for r in runs]
    runs = mlflow.search_runs([exp.experiment_id], filter_string="params.solver = 'lbfgs' and tags.team = 'search'", output_format="list")
    seen["runs_lbfgs"] = [r.info.run_name for r in runs]
    got = client.get_run(first_run)
    seen["run"] = {
        "name": got.info.run_name,
        "status": got.info.status,
        "params": got.data.params,
        "metrics": got.data.metrics,
        "tags": {k: v for k, v in got.data.tags.items() if k in ("team", "mlflow.runName")},
    }
    seen["loss_history"] = [(m.step, m.value) for m in client.get_metric_history(first_run, "loss")]

    versions = client.search_model_versions("name='scn-sk'", order_by=["version_number ASC"])
    seen["versions"] = [
        {"version": v.version, "stage": v.current_stage, "status": v.status, "aliases": sorted(v.aliases), "tags": v.tags}
        for v in sorted(versions, key=lambda v: int(v.version))
    ]
    rm = client.get_registered_model("scn-sk")
    seen["registered_model"] = {
        "name": rm.name,
        "description": rm.description,
        "aliases": rm.aliases,
        "latest": sorted((v.version, v.current_stage) for v in rm.latest_versions),
    }
    seen["staging"] = [v.version for v in client.get_latest_versions("scn-sk", stages=["Staging"])]
    seen["by_alias"] = client.get_model_version_by_alias("scn-sk", "champion").version
    seen["registered_models"] = sorted(m.name for m in client.search_registered_models())
    seen["download_uri_scheme"] = client.get_model_version_download_uri("scn-sk", "1").split(":")[0]

    with tempfile.TemporaryDirectory() as d:
        path = mlflow.artifacts.download_artifacts("models:/scn-sk/1", dst_path=d)
        seen["downloaded_files"] = sorted(os.listdir(path))
        with open(os.path.join(path, "MLmodel")) as f:
            seen["downloaded_mlmodel_has_sklearn"] = "sklearn" in f.read()

    model = mlflow.pyfunc.load_model("models:/scn-sk@champion")
    seen["champion_predictions"] = [int(p) for p in model.predict(X[[0, 60, 120]])]
    onnx_model = mlflow.pyfunc.load_model("models:/scn-onnx/1")
    pred = onnx_model.predict(X[[0, 60, 120]].astype(np.float32))
    seen["onnx_label"] = [int(v) for v in np.asarray(pred["label"]).ravel()]

    with open(out, "w") as f:
        json.dump(seen, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
