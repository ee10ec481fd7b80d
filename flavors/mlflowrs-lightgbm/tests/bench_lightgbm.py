"""Benchmark fixture: a 300-tree LightGBM model on 20 features and 100k rows.

Usage: bench_lightgbm.py OUT_DIR [objective]

Writes OUT_DIR/model.lgb, OUT_DIR/x.f64 (row-major float64), OUT_DIR/expected.f64
and prints LightGBM's single-threaded predict time (best of 10) on the numpy array.
Run examples/bench_predict.rs on the same directory to compare.
"""

import os
import sys
import time

import lightgbm as lgb
import numpy as np

out = sys.argv[1]
objective = sys.argv[2] if len(sys.argv) > 2 else "binary"
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
n, nf = 100_000, 20
X = rng.normal(size=(n, nf))
X[rng.random(X.shape) < 0.05] = np.nan
w = rng.normal(size=nf)
y = np.nan_to_num(X) @ w + rng.normal(size=n)
params = {"objective": objective, "verbose": -1, "num_leaves": 31, "num_threads": 2, "seed": 1}
if objective == "binary":
    y = (y > 0).astype(float)
elif objective == "multiclass":
    y = np.digitize(y, [-1, 1]).astype(float)
    params["num_class"] = 3
model_file = os.path.join(out, "model.lgb")
if os.path.exists(model_file):
    b = lgb.Booster(model_file=model_file)
else:
    b = lgb.train(params, lgb.Dataset(X[:20000], y[:20000]), 300 if objective != "multiclass" else 100)
    b.save_model(model_file)
X.astype(np.float64).tofile(os.path.join(out, "x.f64"))
best = float("inf")
for _ in range(10):
    t = time.perf_counter()
    p = b.predict(X, num_threads=1)
    best = min(best, time.perf_counter() - t)
p.astype(np.float64).tofile(os.path.join(out, "expected.f64"))
print(f"lightgbm num_threads=1, numpy input: {best * 1000:.1f} ms for {n} rows")
import pandas as pd  # noqa: E402

df = pd.DataFrame(X, columns=[f"c{i}" for i in range(nf)])
best = float("inf")
for _ in range(10):
    t = time.perf_counter()
    b.predict(df, num_threads=1)
    best = min(best, time.perf_counter() - t)
print(f"lightgbm num_threads=1, DataFrame input: {best * 1000:.1f} ms for {n} rows")
