"""Fills a tracking server with what the UI shows, through the real `mlflow`
client: the data the browser test (tests/ui/browser.py), the UI recordings
(tests/tracking/record_ui.py) and the UI benchmark look at.

    .venv/bin/python tests/ui/fill_store.py URL [OUT.json]

`fill(url)` returns the ids it made (experiment, runs, model name), which
callers substitute into their calls; the CLI prints them as JSON.
"""

import json
import os
import struct
import sys
import tempfile
import zlib



def png(width=8, height=8):
    """A small red/blue PNG, made with zlib so no imaging library is needed."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + b"".join(b"\xff\x00\x00" if (x + y) % 2 else b"\x00\x00\xff" for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


T0 = 1700000000000


def fill(url, experiment_name="ui-experiment"):
    import mlflow
    from mlflow import MlflowClient
    from mlflow.models import infer_signature

    mlflow.set_tracking_uri(url)
    client = MlflowClient(url)
    exp = client.create_experiment(experiment_name, tags={"team": "vision"})
    ids = {"experiment_id": exp, "experiment_name": experiment_name}

    # Two sibling runs with params, metrics over 300 steps (one NaN) and tags.
    for name, alpha, scale in (("ridge-small", "0.1", 1.0), ("ridge-large", "10", 3.0)):
        run = client.create_run(exp, run_name=name, start_time=T0, tags={"model_type": "ridge"})
        rid = run.info.run_id
        ids[name] = rid
        client.log_param(rid, "alpha", alpha)
        client.log_param(rid, "solver", "auto")
        metrics = []
        for step in range(300):
            rmse = scale / (1 + step)
            metrics.append(mlflow.entities.Metric("rmse", rmse, T0 + step, step))
            metrics.append(mlflow.entities.Metric("r2", 1 - rmse, T0 + step, step))
        metrics.append(mlflow.entities.Metric("loss", float("nan"), T0 + 300, 300))
        metrics.append(mlflow.entities.Metric("loss", 0.5 * scale, T0 + 301, 301))
        for i in range(0, len(metrics), 500):
            client.log_batch(rid, metrics=metrics[i : i + 500])
        client.set_tag(rid, "mlflow.note.content", f"Run {name}: alpha={alpha}.")
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "notes.txt"), "w") as f:
                f.write(f"hello from {name}\nline two\n")
            with open(os.path.join(d, "table.csv"), "w") as f:
                f.write("a,b\n1,2\n3,4\n")
            os.makedirs(os.path.join(d, "plots"))
            with open(os.path.join(d, "plots", "tiny.png"), "wb") as f:
                f.write(png())
            client.log_artifacts(rid, d)
        client.set_terminated(rid, end_time=T0 + 60000)

    # A parent with a nested child.
    parent = client.create_run(exp, run_name="sweep", start_time=T0)
    child = client.create_run(
        exp,
        run_name="sweep-child",
        start_time=T0,
        tags={"mlflow.parentRunId": parent.info.run_id},
    )
    client.log_metric(child.info.run_id, "rmse", 0.75, timestamp=T0, step=0)
    client.set_terminated(child.info.run_id, end_time=T0 + 1000)
    client.set_terminated(parent.info.run_id, end_time=T0 + 2000)
    ids["parent"] = parent.info.run_id
    ids["child"] = child.info.run_id

    # A registered model whose version has a signature, an alias and a tag.
    import numpy as np

    class Identity(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input

    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    signature = infer_signature(x, np.array([1.0, 2.0]))
    with mlflow.start_run(experiment_id=exp, run_name="with-model") as run:
        mlflow.log_param("alpha", "1")
        mlflow.log_metric("rmse", 0.5)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=Identity(),
            signature=signature,
        )
    ids["model_run"] = run.info.run_id
    ids["logged_model_id"] = info.model_id
    model = "ui-model"
    client.create_registered_model(model, tags={"owner": "ml"}, description="A model for the UI.")
    # mlflow 3.x's server rejects a `models:/m-...` source unless model_id names
    # the same logged model (this is what mlflow.register_model sends too).
    v1 = client.create_model_version(
        model, info.model_uri, run_id=run.info.run_id, model_id=info.model_id
    )
    v2 = client.create_model_version(
        model, info.model_uri, run_id=run.info.run_id, model_id=info.model_id
    )
    client.set_registered_model_alias(model, "champion", v1.version)
    client.set_model_version_tag(model, v1.version, "validated", "yes")
    ids["model_name"] = model
    ids["model_version"] = v1.version
    ids["model_version_2"] = v2.version
    return ids


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    found = fill(sys.argv[1])
    text = json.dumps(found, indent=1)
    if len(sys.argv) == 3:
        with open(sys.argv[2], "w") as f:
            f.write(text)
    print(text)
