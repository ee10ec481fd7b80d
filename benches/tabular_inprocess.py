"""The libraries' own single-threaded predict on the 100,000-row batch of
benches/tabular_models.py: scikit-learn's RandomForestClassifier.predict
(n_jobs=1), XGBoost's Booster.inplace_predict (nthread=1) and LightGBM's
Booster.predict (num_threads=1). Prints `name best_ms` per model (best of
ROUNDS), which benches/tabular.sh sets against mlflowrs's native flavors.

Usage: .venv/bin/python benches/tabular_inprocess.py MODELS_DIR [ROUNDS]
"""

import pathlib
import sys
import time
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

import lightgbm as lgb  # noqa: E402
import mlflow.sklearn  # noqa: E402
import xgboost as xgb  # noqa: E402

FEATURES = [f"f{i}" for i in range(20)]


def best_ms(fn, rounds):
    fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return min(times)


def main(root, rounds):
    root = pathlib.Path(root)
    x = np.fromfile(root / "X.f64", dtype="<f8").reshape(-1, len(FEATURES))
    df = pd.DataFrame(x, columns=FEATURES)
    rf = mlflow.sklearn.load_model(str(root / "rf_100"))
    rf.set_params(n_jobs=1)
    print(f"rf_100 {best_ms(lambda: rf.predict(df), rounds):.1f}")
    booster = xgb.Booster(model_file=str(root / "xgb_300" / "model.ubj"))
    booster.set_param({"nthread": 1})
    # inplace_predict: XGBoost's fastest path, and no prediction cache (a
    # DMatrix predicted twice answers the second time from its cache).
    print(f"xgb_300 {best_ms(lambda: booster.inplace_predict(x), rounds):.1f}")
    lgbm = lgb.Booster(model_file=str(root / "lgb_300" / "model.lgb"))
    print(f"lgb_300 {best_ms(lambda: lgbm.predict(x, num_threads=1), rounds):.1f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5)
