"""Benchmark fixture for tests/trees_bench.rs: a RandomForestClassifier of 100
trees (and a few other tree models) saved by mlflow.sklearn, 100k test rows,
and sklearn's own single-threaded predict time.

Usage: trees_bench.py OUT_DIR   (run with OMP_NUM_THREADS=1)

CPU time (time.thread_time) is recorded next to wall time: on a shared
machine it is the fairer figure to compare.
"""

import json
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import mlflow.sklearn  # noqa: E402
import skops.io as sio  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
X, y = make_classification(n_samples=20000, n_features=20, n_informative=10, random_state=0)
Xr, yr = make_regression(n_samples=20000, n_features=20, noise=1.0, random_state=0)
rng = np.random.default_rng(1)
X_test = rng.normal(size=(100_000, 20)) * X.std(axis=0) + X.mean(axis=0)
np.save(os.path.join(out, "x_test.npy"), X_test)

models = {
    "rf_c100": (RandomForestClassifier(n_estimators=100, n_jobs=1, random_state=0), X, y),
    "rf_r100": (RandomForestRegressor(n_estimators=100, n_jobs=1, random_state=0), Xr, yr),
    "gb_r300": (GradientBoostingRegressor(n_estimators=300, max_depth=4, random_state=0), Xr, yr),
    "hgb_c200": (HistGradientBoostingClassifier(max_iter=200, early_stopping=False, random_state=0), X, y),
}
report = {}
for name, (model, Xf, yf) in models.items():
    model.fit(Xf, yf)
    path = os.path.join(out, name)
    mlflow.sklearn.save_model(model, path, skops_trusted_types=sio.get_untrusted_types(data=sio.dumps(model)),
                              pip_requirements=["scikit-learn"])
    if hasattr(model, "n_jobs"):
        model.set_params(n_jobs=1)
    wall = cpu = float("inf")
    for _ in range(5):
        t, c = time.perf_counter(), time.thread_time()
        pred = model.predict(X_test)
        wall, cpu = min(wall, time.perf_counter() - t), min(cpu, time.thread_time() - c)
    np.save(os.path.join(out, f"{name}_pred.npy"), pred)
    report[name] = {"sklearn_seconds": wall, "sklearn_cpu_seconds": cpu}
    print(f"{name}: sklearn predict (n_jobs=1) best of 5: {wall:.3f} s wall, {cpu:.3f} s cpu", flush=True)
with open(os.path.join(out, "report.json"), "w") as f:
    json.dump(report, f)
