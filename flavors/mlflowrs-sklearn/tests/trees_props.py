"""Random scikit-learn tree models saved as MLflow saves them, with the
library's own predictions, for tests/trees_props.rs.

Usage: trees_props.py OUT_DIR [N_CASES] [SEED]

Writes OUT_DIR/cases.json: one entry per model with the saved model's path,
the test DataFrame (column by column) and what sklearn (in process) and
mlflow.pyfunc.load_model(path).predict answer. Floats are written as the
hex of their IEEE-754 bits so the comparison can be exact (NaN, -0.0).
"""

import json
import os
import struct
import sys
import warnings

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import mlflow.pyfunc  # noqa: E402
import mlflow.sklearn  # noqa: E402
import skops.io as sio  # noqa: E402
from sklearn.dummy import DummyClassifier, DummyRegressor  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.tree import (  # noqa: E402
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
    ExtraTreeRegressor,
)


def f64_bits(v):
    return struct.pack("<d", float(v)).hex()


def encode_array(a):
    """A numpy result as {dtype, shape, values}."""
    a = np.asarray(a)
    shape = list(a.shape)
    flat = a.reshape(-1)
    if a.dtype.kind == "f":
        return {"dtype": "float64" if a.dtype.itemsize == 8 else "float32", "shape": shape,
                "values": [f64_bits(v) for v in flat]}
    if a.dtype.kind in "iu":
        return {"dtype": "int64", "shape": shape, "values": [int(v) for v in flat]}
    if a.dtype.kind == "b":
        return {"dtype": "bool", "shape": shape, "values": [bool(v) for v in flat]}
    if a.dtype.kind in "UO":
        if all(isinstance(v, str) for v in flat):
            return {"dtype": "str", "shape": shape, "values": [str(v) for v in flat]}
    raise TypeError(f"cannot encode {a.dtype}")


def encode_frame(df):
    cols = []
    for name in df.columns:
        s = df[name]
        if s.dtype.kind == "f":
            cols.append({"name": str(name), "dtype": "float64", "values": [f64_bits(v) for v in s]})
        elif s.dtype.kind in "iu":
            cols.append({"name": str(name), "dtype": "int64", "values": [int(v) for v in s]})
        elif s.dtype.kind == "b":
            cols.append({"name": str(name), "dtype": "bool", "values": [bool(v) for v in s]})
        else:
            cols.append({"name": str(name), "dtype": "str", "values": [str(v) for v in s]})
    return cols


def outcome(fn):
    try:
        return {"ok": encode_array(fn())}
    except Exception as e:  # the library's refusal is part of the contract
        return {"error": f"{type(e).__name__}: {e}"}


class Gen:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def choice(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def features(self, n, p, nan):
        X = self.rng.normal(size=(n, p)) * self.choice([1.0, 10.0, 1e-3])
        # Some coarse columns give exact ties on split thresholds.
        for j in range(p):
            if self.rng.random() < 0.3:
                X[:, j] = np.round(X[:, j] * 4) / 4
        if nan:
            X[self.rng.random((n, p)) < 0.1] = np.nan
        return X

    def labels(self, X, n_classes, kind):
        score = np.nan_to_num(X[:, 0]) + 0.5 * self.rng.normal(size=len(X))
        codes = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
        if kind == "int":
            return (codes * 3 - 2).astype(np.int64)
        if kind == "str":
            return np.array(["cls_" + "abcdefghij"[c] for c in codes])
        if kind == "bool":
            return codes.astype(bool)
        return codes * 2.0 - 1.0  # float labels (integral values, else "continuous")

    def target(self, X, positive=False):
        y = np.nan_to_num(X[:, 0]) * 2 + np.sin(np.nan_to_num(X[:, -1])) + self.rng.normal(size=len(X)) * 0.1
        if positive:
            y = np.exp(y / (1 + np.abs(y).max()))
        return y

    def test_frame(self, model_X, n, nan, trees=()):
        """Fresh rows plus rows sitting exactly on (and next to) thresholds."""
        X = self.features(n, model_X.shape[1], nan)
        thresholds = []
        for tree in trees:
            t = tree.threshold[tree.feature >= 0]
            f = tree.feature[tree.feature >= 0]
            thresholds.extend(zip(f, t))
        for i in range(min(len(X), len(thresholds))):
            f, t = thresholds[int(self.rng.integers(len(thresholds)))]
            t32 = np.float32(t)
            X[i, f] = self.choice([t, float(t32), float(np.nextafter(t32, np.float32(np.inf))),
                                   float(np.nextafter(t32, np.float32(-np.inf)))])
        return X


def sk_trees(model):
    if hasattr(model, "tree_"):
        return [model.tree_]
    if hasattr(model, "estimators_"):
        return [e.tree_ for e in np.asarray(model.estimators_).reshape(-1)]
    return []


def make_case(g, i):
    kinds = ["dt_c", "dt_r", "et_c", "et_r", "rf_c", "rf_r", "ets_c", "ets_r",
             "gb_c", "gb_r", "hgb_c", "hgb_r"]
    kind = kinds[i % len(kinds)]
    n, p = int(g.rng.integers(40, 160)), int(g.rng.integers(1, 6))
    nan_ok = kind not in ("gb_c", "gb_r")
    nan = nan_ok and g.rng.random() < 0.6
    X = g.features(n, p, nan)
    columns = [f"f{j}" for j in range(p)]
    multi = kind in ("dt_c", "dt_r", "rf_c", "rf_r", "ets_c", "ets_r", "et_c", "et_r") and g.rng.random() < 0.2
    label_kind = g.choice(["int", "str", "str", "int", "bool", "float"])
    n_classes = int(g.rng.integers(2, 5))
    if label_kind == "bool":
        n_classes = 2
    depth = g.choice([None, 1, 2, 3, 5])
    predict_fn = "predict"
    frame_cat = None

    if kind.endswith("_c"):
        if multi:
            y = np.column_stack([g.labels(X, n_classes, "int"), g.labels(X[:, ::-1], 2, "int")])
        else:
            y = g.labels(X, n_classes, label_kind)
        if not multi and g.rng.random() < 0.35:
            predict_fn = g.choice(["predict_proba", "predict_log_proba"])
    else:
        y = g.target(X)
        if multi:
            y = np.column_stack([y, g.target(X[:, ::-1])])

    if kind == "dt_c":
        model = DecisionTreeClassifier(max_depth=depth, criterion=g.choice(["gini", "entropy", "log_loss"]),
                                       splitter=g.choice(["best", "random"]), random_state=i)
    elif kind == "dt_r":
        crit = g.choice(["squared_error", "friedman_mse", "absolute_error", "poisson"])
        if crit == "poisson" and not multi:
            y = np.abs(y)
        elif crit == "poisson":
            crit = "squared_error"
        model = DecisionTreeRegressor(max_depth=depth, criterion=crit, random_state=i)
    elif kind == "et_c":
        model = ExtraTreeClassifier(max_depth=depth, random_state=i)
    elif kind == "et_r":
        model = ExtraTreeRegressor(max_depth=depth, random_state=i)
    elif kind in ("rf_c", "ets_c"):
        cls = RandomForestClassifier if kind == "rf_c" else ExtraTreesClassifier
        model = cls(n_estimators=int(g.rng.integers(1, 9)), max_depth=depth,
                    bootstrap=bool(g.rng.random() < 0.7) if kind == "rf_c" else False,
                    max_features=g.choice(["sqrt", None, 0.5]), random_state=i)
    elif kind in ("rf_r", "ets_r"):
        cls = RandomForestRegressor if kind == "rf_r" else ExtraTreesRegressor
        model = cls(n_estimators=int(g.rng.integers(1, 9)), max_depth=depth,
                    max_features=g.choice([1.0, "sqrt", 0.5]), random_state=i)
    elif kind == "gb_c":
        loss = "exponential" if n_classes == 2 and g.rng.random() < 0.4 else "log_loss"
        init = g.choice([None, None, "zero", DummyClassifier(strategy="prior"),
                         DummyClassifier(strategy="uniform"), DummyClassifier(strategy="most_frequent")])
        model = GradientBoostingClassifier(loss=loss, n_estimators=int(g.rng.integers(1, 9)),
                                           learning_rate=g.choice([0.1, 0.3, 1.0, 0.05]),
                                           max_depth=g.choice([1, 2, 3]), init=init,
                                           subsample=g.choice([1.0, 0.7]), random_state=i)
    elif kind == "gb_r":
        loss = g.choice(["squared_error", "absolute_error", "huber", "quantile"])
        init = g.choice([None, None, "zero", DummyRegressor(strategy="median"),
                         DummyRegressor(strategy="constant", constant=0.5)])
        model = GradientBoostingRegressor(loss=loss, alpha=g.choice([0.9, 0.3]),
                                          n_estimators=int(g.rng.integers(1, 9)),
                                          learning_rate=g.choice([0.1, 0.3, 1.0]),
                                          max_depth=g.choice([1, 2, 3]), init=init, random_state=i)
    else:
        cat_mode = g.choice([None, None, "from_dtype", "index"])
        if cat_mode is not None:
            cats = g.rng.integers(0, int(g.rng.integers(2, 8)), n)
            if cat_mode == "from_dtype":
                frame_cat = np.array([f"c{v}" for v in cats], dtype=object)
            else:
                X = np.column_stack([X, cats.astype(float)])
                columns.append("code")
                p += 1
        common = dict(max_iter=int(g.rng.integers(1, 9)), max_leaf_nodes=int(g.rng.integers(2, 16)),
                      learning_rate=g.choice([0.1, 0.5, 1.0]), min_samples_leaf=int(g.rng.integers(1, 20)),
                      early_stopping=False, random_state=i,
                      categorical_features=(["cat"] if cat_mode == "from_dtype"
                                            else [p - 1] if cat_mode == "index" else None))
        if kind == "hgb_c":
            model = HistGradientBoostingClassifier(**common)
        else:
            loss = g.choice(["squared_error", "absolute_error", "poisson", "gamma", "quantile"])
            if loss in ("poisson", "gamma"):
                y = g.target(X, positive=True)
            model = HistGradientBoostingRegressor(loss=loss, quantile=0.3 if loss == "quantile" else None,
                                                  **common)

    if not hasattr(model, predict_fn):
        predict_fn = "predict_proba"
    df = pd.DataFrame(X, columns=columns)
    if frame_cat is not None:
        df["cat"] = pd.Categorical(frame_cat)
    fit_on_frame = frame_cat is not None or g.rng.random() < 0.7
    model.fit(df if fit_on_frame else X, y)

    X_test = g.test_frame(X, int(g.rng.integers(5, 40)), nan, sk_trees(model))
    test = pd.DataFrame(X_test, columns=columns)
    if frame_cat is not None:
        # Served requests carry plain strings, including unseen ones.
        test["cat"] = np.array([g.choice(["c0", "c1", "c2", "c3", "zz"]) for _ in range(len(test))],
                               dtype=object)
    if not nan_ok and g.rng.random() < 0.3:
        # GradientBoosting refuses NaN: the error text is part of the contract.
        test.iloc[int(g.rng.integers(len(test))), 0] = np.nan
    if not fit_on_frame:
        test.columns = [f"{j}" for j in range(test.shape[1])]
    if g.rng.random() < 0.06 and test.shape[1] > 1 and frame_cat is None:
        test = test.iloc[:, :-1]  # a missing feature

    path = os.path.join(OUT, f"m{i:03d}_{kind}")
    trusted = sio.get_untrusted_types(data=sio.dumps(model))
    mlflow.sklearn.save_model(model, path, skops_trusted_types=trusted, pyfunc_predict_fn=predict_fn,
                              pip_requirements=["scikit-learn"])
    pyfunc = mlflow.pyfunc.load_model(path)
    arg = test if fit_on_frame else test.to_numpy()
    return {
        "name": os.path.basename(path),
        "path": path,
        "method": predict_fn,
        "class": type(model).__name__,
        "frame": encode_frame(test),
        "plain_array": not fit_on_frame,
        "expect": outcome(lambda: getattr(model, predict_fn)(arg)),
        "pyfunc": outcome(lambda: pyfunc.predict(test)),
    }


def main():
    global OUT
    OUT = sys.argv[1]
    n_cases = int(sys.argv[2]) if len(sys.argv) > 2 else 48
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20240611
    os.makedirs(OUT, exist_ok=True)
    g = Gen(seed)
    cases = [make_case(g, i) for i in range(n_cases)]
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"numpy_uses_svml": None, "cases": cases}, f)


if __name__ == "__main__":
    main()
