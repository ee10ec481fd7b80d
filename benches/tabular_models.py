"""Writes the models of the native tabular benchmarks (benches/tabular.sh)
with the real libraries and mlflow, into OUT_DIR:

  rf_100      scikit-learn RandomForestClassifier, 100 trees of depth 8 (skops format)
  xgb_300     xgboost.train binary:logistic booster, 300 trees of depth 6
  lgb_300     lightgbm.train binary booster, 300 trees (31 leaves)

All on the same synthetic data: 20 double columns f0..f19, 20,000 rows, a
binary target. OUT_DIR/X.f64 holds 100,000 rows (row-major little-endian
float64) for the in-process comparison.

Usage: .venv/bin/python benches/tabular_models.py OUT_DIR
"""

import pathlib
import shutil
import sys
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

import lightgbm as lgb  # noqa: E402
import mlflow.lightgbm  # noqa: E402
import mlflow.sklearn  # noqa: E402
import mlflow.xgboost  # noqa: E402
import skops.io  # noqa: E402
import xgboost as xgb  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402

FEATURES = [f"f{i}" for i in range(20)]


def data(rows, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, len(FEATURES)))
    y = ((x[:, 0] + x[:, 1] * x[:, 2] - x[:, 3] + rng.normal(scale=0.5, size=rows)) > 0).astype(int)
    return pd.DataFrame(x, columns=FEATURES), y


def main(out):
    out = pathlib.Path(out)
    df, y = data(20_000, 0)
    example = df.iloc[:2]
    big, _ = data(100_000, 1)
    for name in ("rf_100", "xgb_300", "lgb_300"):
        if (out / name).exists():
            shutil.rmtree(out / name)
    rf = RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0, n_jobs=2).fit(df, y)
    # Trained on both cores, saved to predict on one: a forest keeps n_jobs,
    # and joblib's per-call thread start-up would dominate a 1-row predict.
    rf.set_params(n_jobs=None)
    trusted = skops.io.get_untrusted_types(data=skops.io.dumps(rf))
    mlflow.sklearn.save_model(rf, str(out / "rf_100"), input_example=example, skops_trusted_types=trusted)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 6, "seed": 0, "nthread": 2}, xgb.DMatrix(df, y), 300)
    mlflow.xgboost.save_model(booster, str(out / "xgb_300"), input_example=example)
    lgbm = lgb.train({"objective": "binary", "verbose": -1, "seed": 0, "num_threads": 2}, lgb.Dataset(df, y), 300)
    mlflow.lightgbm.save_model(lgbm, str(out / "lgb_300"), input_example=example)
    # Row-major little-endian float64, 100,000 x 20: what both sides read.
    big.to_numpy().astype("<f8").tofile(out / "X.f64")
    print(f"wrote {out}: rf_100, xgb_300, lgb_300, X.f64")


if __name__ == "__main__":
    main(sys.argv[1])
