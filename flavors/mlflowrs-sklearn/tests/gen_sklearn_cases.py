"""Trains random scikit-learn models, saves them exactly as MLflow 3.17.2
does (mlflow.sklearn.save_model, skops format) and records what the library
and MLflow's pyfunc answer, for tests/sklearn_parity.rs.

usage: gen_sklearn_cases.py OUT_DIR [SEED] [N_MODELS]
Writes OUT_DIR/cases.json and one MLflow model directory per model.
"""

import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "true"

import mlflow  # noqa: E402
import mlflow.sklearn  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import (  # noqa: E402
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Ridge,
    RidgeClassifier,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler  # noqa: E402

OUT = sys.argv[1]
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 0
N_MODELS = int(sys.argv[3]) if len(sys.argv) > 3 else 48
rng = np.random.default_rng(SEED)


def enc(a):
    """An array as {dtype, shape, data}; floats as their IEEE bit patterns."""
    a = np.asarray(a)
    shape = list(a.shape)
    flat = a.ravel()
    if a.dtype == np.float64:
        return {"dtype": "float64", "shape": shape, "data": flat.view(np.uint64).tolist()}
    if a.dtype == np.float32:
        return {"dtype": "float32", "shape": shape, "data": flat.view(np.uint32).tolist()}
    if a.dtype.kind in "iu":
        return {"dtype": "int64", "shape": shape, "data": [int(v) for v in flat]}
    if a.dtype.kind == "b":
        return {"dtype": "bool", "shape": shape, "data": [bool(v) for v in flat]}
    if a.dtype.kind in "OU" and all(isinstance(v, str) for v in flat):
        return {"dtype": "str", "shape": shape, "data": [str(v) for v in flat]}
    if a.dtype.kind == "O" and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in flat):
        return {"dtype": "int64", "shape": shape, "data": [int(v) for v in flat]}
    if a.dtype.kind == "O" and all(isinstance(v, float) for v in flat):
        return enc(flat.astype(np.float64).reshape(a.shape))
    raise TypeError(f"cannot encode {a.dtype}")


def enc_input(X):
    if isinstance(X, pd.DataFrame):
        return {"frame": [dict(name=str(c), **enc(X[c].to_numpy())) for c in X.columns]}
    return {"ndarray": enc(X)}


# ---- random data -----------------------------------------------------------

def num_col(n, kind, nan_rate):
    if kind == "i64":
        return rng.integers(-5, 6, n).astype(np.int64)
    if kind == "bool":
        return rng.random(n) < 0.5
    v = rng.normal(size=n) * rng.choice([1.0, 10.0, 0.01]) + rng.choice([0.0, 3.0])
    if nan_rate:
        v[rng.random(n) < nan_rate] = np.nan
    return v.astype(np.float32) if kind == "f32" else v


def cat_col(n, levels):
    return rng.choice(levels, n).astype(object)


def labels(n, kind, k):
    base = rng.integers(0, k, n)
    base[:k] = np.arange(k)  # every class appears
    if kind == "int":
        return base * 3 - 2
    if kind == "str":
        return np.array(["cls_" + "abcdefg"[i] for i in base], dtype=object)
    if kind == "float":
        return base * 2.0 - 1.0  # integral floats: still classes
    return base.astype(bool) if k == 2 else base


REGRESSORS = [
    lambda: LinearRegression(fit_intercept=bool(rng.random() < 0.8)),
    lambda: Ridge(alpha=float(rng.choice([0.1, 1.0, 10.0]))),
    lambda: Lasso(alpha=float(rng.choice([0.001, 0.01, 0.1]))),
    lambda: ElasticNet(alpha=0.01, l1_ratio=float(rng.choice([0.2, 0.5, 0.8]))),
    lambda: SGDRegressor(max_iter=50, tol=None, random_state=0),
]
CLASSIFIERS = [
    lambda: LogisticRegression(C=float(rng.choice([0.1, 1.0, 10.0])), max_iter=500),
    lambda: RidgeClassifier(alpha=float(rng.choice([0.1, 1.0]))),
    lambda: SGDClassifier(
        loss=str(rng.choice(["hinge", "log_loss", "modified_huber"])),
        max_iter=50,
        tol=None,
        random_state=0,
    ),
]


def final_estimator():
    if rng.random() < 0.45:
        return rng.choice(REGRESSORS)(), None
    est = rng.choice(CLASSIFIERS)()
    kind = str(rng.choice(["int", "str", "float", "bool"]))
    k = 2 if kind == "bool" else int(rng.choice([2, 2, 3, 4, 5]))
    return est, (kind, k)


def scaler():
    if rng.random() < 0.5:
        return StandardScaler(with_mean=bool(rng.random() < 0.85), with_std=bool(rng.random() < 0.85))
    return MinMaxScaler(feature_range=(-1, 2) if rng.random() < 0.3 else (0, 1), clip=bool(rng.random() < 0.4))


def imputer(numeric=True):
    strategy = str(rng.choice(["mean", "median", "most_frequent", "constant"]))
    if strategy == "constant":
        return SimpleImputer(strategy="constant", fill_value=(float(rng.normal()) if numeric else "missing"))
    return SimpleImputer(strategy=strategy)


def make_model(i):
    """Returns (model, X_train, y, X_tests, family)."""
    family = ["linear", "scaled", "imputed", "columns", "ndarray"][i % 5]
    n_train = int(rng.integers(30, 80))
    d = int(rng.integers(1, 9))
    est, cls = final_estimator()
    kinds = ["f64"] * d
    if family in ("linear", "scaled") and rng.random() < 0.5:
        kinds = [str(rng.choice(["f64", "f64", "f32", "i64", "bool"])) for _ in range(d)]
    nan_rate = 0.15 if family == "imputed" else 0.0
    names = [f"x{j}" for j in range(d)]

    def frame(n, nan=nan_rate):
        return pd.DataFrame({nm: num_col(n, k, nan) for nm, k in zip(names, kinds)})

    cats = {}
    if family == "columns":
        for j in range(int(rng.integers(1, 3))):
            cats[f"c{j}"] = ["red", "green", "blue", "x y", "Ünï"][: int(rng.integers(2, 6))]

    def cframe(n, nan=0.0, unknown=False):
        df = frame(n, nan)
        for c, levels in cats.items():
            df[c] = cat_col(n, levels + (["zzz"] if unknown else []))
        return df

    n_test = int(rng.choice([int(rng.integers(1, 16)), int(rng.integers(16, 60))]))
    if family == "linear":
        model = est
        X, T = frame(n_train), [frame(n_test), frame(1)]
    elif family == "scaled":
        model = Pipeline([("scale", scaler()), ("est", est)])
        X, T = frame(n_train), [frame(n_test), frame(2)]
    elif family == "imputed":
        steps = [("impute", imputer())]
        if rng.random() < 0.5:
            steps.append(("scale", scaler()))
        model = Pipeline(steps + [("est", est)])
        X, T = frame(n_train), [frame(n_test), frame(3)]
    elif family == "columns":
        handle = str(rng.choice(["error", "ignore"]))
        drop = rng.choice([None, "first", "if_binary"]) if handle == "error" else None
        ohe = OneHotEncoder(handle_unknown=handle, drop=drop, sparse_output=bool(rng.random() < 0.5))
        num_steps = [("impute", imputer())] if rng.random() < 0.5 else []
        num_steps.append(("scale", scaler()))
        num_cols = names[: max(1, d - 1)]
        cat_step = ohe
        if rng.random() < 0.4:
            # Categorical imputation (object statistics) before encoding.
            cat_step = Pipeline([("imp", SimpleImputer(strategy=str(rng.choice(["most_frequent", "constant"])), fill_value="missing")), ("ohe", ohe)])
        transformers = [("num", Pipeline(num_steps), num_cols), ("cat", cat_step, list(cats))]
        imputing = num_steps[0][0] == "impute"
        # NaN reaches passthrough columns too, which the estimator refuses.
        remainder = "passthrough" if not imputing and rng.random() < 0.5 else "drop"
        ct = ColumnTransformer(transformers, remainder=remainder, sparse_threshold=float(rng.choice([0.0, 0.3, 0.9])))
        model = Pipeline([("ct", ct), ("est", est)])
        X = cframe(n_train, 0.1 if imputing else 0.0)
        if cat_step is not ohe:
            # Missing categories at fit time (None), imputed by the pipeline.
            first = list(cats)[0]
            X.loc[X.index[::7], first] = None
        T = [cframe(n_test, 0.1 if imputing else 0.0, unknown=handle == "ignore"), cframe(1)]
        # Columns in another order and an extra one: selected by name.
        shuffled = T[0][list(reversed(T[0].columns))].copy()
        shuffled["extra"] = 1.0
        T.append(shuffled)
    else:
        model = Pipeline([("scale", scaler()), ("est", est)]) if rng.random() < 0.5 else est
        # A client's array arrives C-ordered (np.array of JSON lists).
        X = np.ascontiguousarray(frame(n_train).to_numpy(dtype=np.float64))
        T = [np.ascontiguousarray(frame(m).to_numpy(dtype=np.float64)) for m in (n_test, 1)]
    y = labels(len(X), *cls) if cls else rng.normal(size=len(X)) * 3 + 1
    final_name = type(model.steps[-1][1] if isinstance(model, Pipeline) else model).__name__
    if cls is None and final_name != "SGDRegressor" and rng.random() < 0.25:
        # Multi-output regression: coef_ is 2-D, predict answers (n, t).
        y = np.column_stack([y, rng.normal(size=len(X))])
    return model, X, y, T, family


def error_inputs(X, T0, family):
    """Inputs sklearn rejects, to compare error messages."""
    out = []
    if isinstance(T0, pd.DataFrame):
        if T0.shape[1] > 1:
            out.append(T0[list(T0.columns)[1:]])  # a missing column
            if family != "columns":
                out.append(T0[list(reversed(T0.columns))])  # wrong order
        bad = T0.copy()
        num = [c for c in bad.columns if bad[c].dtype == np.float64]
        if num:
            # A string column (as MLflow hands one over): numbers parse,
            # "abc" does not.
            bad[num[0]] = [repr(float(v)) for v in bad[num[0]]]
            bad.loc[bad.index[0], num[0]] = "abc"
            out.append(bad)
            if family in ("linear", "scaled"):
                nan = T0.copy()
                nan.loc[nan.index[0], num[0]] = np.nan
                out.append(nan)
        out.append(T0.iloc[:0])
        if family == "columns":
            unknown = T0.copy()
            cat = [c for c in unknown.columns if not pd.api.types.is_numeric_dtype(unknown[c])][0]
            unknown.loc[unknown.index[0], cat] = "never seen"
            out.append(unknown)
    else:
        out.append(np.hstack([T0, T0[:, :1]]))
        out.append(T0[:0])
    return out


def call(model, method, X):
    try:
        return {"output": enc(getattr(model, method)(X))}
    except Exception as e:  # noqa: BLE001
        return {"error": str(e), "type": type(e).__name__}


cases = []
for i in range(N_MODELS):
    model, X, y, T, family = make_model(i)
    model.fit(X, y)
    final = model.steps[-1][1] if isinstance(model, Pipeline) else model
    method = "predict"
    if hasattr(final, "predict_proba") and rng.random() < 0.6:
        method = str(rng.choice(["predict_proba", "predict_log_proba"]))
    path = os.path.join(OUT, f"m{i:03d}")
    trusted = ["numpy.dtype"] if "SimpleImputer" in repr(model) else None
    mlflow.sklearn.save_model(
        model,
        path,
        pip_requirements=["scikit-learn"],
        pyfunc_predict_fn=method,
        skops_trusted_types=trusted,
    )
    pyfunc = mlflow.pyfunc.load_model(path)
    inputs = []
    for t in T:
        entry = {"input": enc_input(t), "expected": call(model, method, t)}
        try:
            entry["pyfunc"] = {"output": enc(pyfunc.predict(t))}
        except Exception as e:  # noqa: BLE001
            entry["pyfunc"] = {"error": str(e)}
        inputs.append(entry)
    for t in error_inputs(X, T[0], family):
        inputs.append({"input": enc_input(t), "expected": call(model, method, t)})
    cases.append(
        {
            "path": path,
            "family": family,
            "model": repr(model).replace("\n", " "),
            "method": method,
            "skops_trusted_types": trusted,
            "inputs": inputs,
        }
    )

with open(os.path.join(OUT, "cases.json"), "w") as f:
    json.dump(cases, f)
print(f"{len(cases)} models written to {OUT}")
