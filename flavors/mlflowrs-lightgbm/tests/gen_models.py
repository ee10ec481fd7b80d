"""Trains random LightGBM models, saves them as MLflow 3.17.2 does and records
what LightGBM and MLflow's pyfunc predict for random inputs.

Usage: gen_models.py OUT_DIR SEED COUNT

Writes OUT_DIR/cases.json. Every float is written as the integer of its
IEEE-754 bits so that the Rust side can compare bit for bit (and NaN survives).
"""

import json
import os
import sys
import warnings

os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "true"
warnings.filterwarnings("ignore")

import lightgbm as lgb  # noqa: E402
import mlflow  # noqa: E402
import mlflow.lightgbm  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

OUT, SEED, COUNT = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(SEED)


def bits(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.float64)).view(np.uint64).ravel().tolist()


def encode_array(a):
    a = np.asarray(a)
    if a.dtype.kind == "f":
        return {"dtype": "float64", "shape": list(a.shape), "values": bits(a)}
    if a.dtype.kind in "iu":
        return {"dtype": "int64", "shape": list(a.shape), "values": a.astype(np.int64).ravel().tolist()}
    if a.dtype.kind == "b":
        return {"dtype": "bool", "shape": list(a.shape), "values": a.ravel().tolist()}
    return {"dtype": "str", "shape": list(a.shape), "values": [str(v) for v in a.ravel()]}


def encode_frame(df):
    cols = []
    for c in df.columns:
        v = df[c].to_numpy()
        e = encode_array(v)
        e["name"] = str(c)
        cols.append(e)
    return cols


def outcome(fn):
    try:
        return {"ok": encode_array(fn())}
    except Exception as e:  # the library's own message
        return {"error": str(e)}


def make_data(n, nf, cat_cols, nan_p, zero_p):
    X = rng.normal(size=(n, nf)) * rng.choice([1.0, 10.0])
    mask_zero = rng.random((n, nf)) < zero_p
    X[mask_zero] = 0.0
    X[rng.random((n, nf)) < nan_p] = np.nan
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(nf)])
    for c in cat_cols:
        df[f"f{c}"] = rng.integers(0, rng.integers(2, 40), n).astype(np.int64)
    return df


def thresholds(booster):
    """Split thresholds, to probe `<=` exactly at them."""
    out = []
    for t in booster.dump_model()["tree_info"]:
        stack = [t["tree_structure"]]
        while stack:
            node = stack.pop()
            if "split_index" in node:
                if node.get("decision_type") == "<=":
                    out.append((node["split_feature"], float(node["threshold"])))
                stack += [node["left_child"], node["right_child"]]
    return out


def probe_rows(df, booster, cat_cols, n):
    """Fresh rows mixing random values, NaN, zeros, tiny values, thresholds and odd categories."""
    test = make_data(n, df.shape[1], cat_cols, 0.15, 0.15)
    X = test.to_numpy(dtype=np.float64, copy=True)
    nf = X.shape[1]
    for i, (f, thr) in enumerate(thresholds(booster)[: n // 2]):
        if f not in cat_cols:
            X[i % n, f] = thr
    for _ in range(n // 10):
        r, c = rng.integers(n), rng.integers(nf)
        if c not in cat_cols:
            X[r, c] = rng.choice([1e-40, -1e-40, -0.0, 1e-35, 1.0000000180025095e-35, np.inf, -np.inf])
    out = pd.DataFrame(X, columns=df.columns)
    for c in cat_cols:
        col = test[f"f{c}"].to_numpy().copy()
        col[rng.random(n) < 0.1] = rng.choice([-1, -5, 0, 31, 32, 33, 64, 1000, 1 << 31])
        out[f"f{c}"] = col.astype(np.int64)
    return out


OBJECTIVES = [
    "regression", "regression_l1", "huber", "fair", "poisson", "quantile", "mape", "gamma",
    "tweedie", "binary", "multiclass", "multiclassova", "cross_entropy", "cross_entropy_lambda",
]


def random_params(objective, cat_cols):
    p = {
        "objective": objective,
        "verbose": -1,
        "num_leaves": int(rng.integers(2, 32)),
        "max_depth": int(rng.choice([-1, 2, 3, 5, 8])),
        "min_data_in_leaf": int(rng.integers(1, 20)),
        "learning_rate": float(rng.choice([0.05, 0.1, 0.3, 1.0])),
        "use_missing": bool(rng.random() < 0.8),
        "zero_as_missing": bool(rng.random() < 0.3),
        "boosting": str(rng.choice(["gbdt", "gbdt", "dart", "rf", "goss"])),
        "min_data_per_group": 2,
        "cat_smooth": 1.0,
        "max_cat_to_onehot": int(rng.choice([1, 4, 64])),
        "seed": int(rng.integers(1 << 30)),
        "deterministic": True,
        "num_threads": 1,
    }
    if p["boosting"] == "rf":
        p.update(bagging_freq=1, bagging_fraction=0.7, feature_fraction=0.8)
    if objective in ("binary", "multiclassova"):
        p["sigmoid"] = float(rng.choice([1.0, 0.5, 0.7, 1.3, 2.25]))
    if objective in ("regression", "regression_l1", "quantile", "fair", "mape") and rng.random() < 0.3:
        p["reg_sqrt"] = True
    if rng.random() < 0.3 and not cat_cols and p["boosting"] != "rf" and not p["zero_as_missing"]:
        p["linear_tree"] = True
    return p


def labels_for(objective, X, n):
    base = np.nan_to_num(X.iloc[:, 0].to_numpy()) + 0.5 * rng.normal(size=n)
    if objective in ("binary", "cross_entropy", "cross_entropy_lambda"):
        return (base > 0).astype(np.float64)
    if objective in ("multiclass", "multiclassova"):
        return np.digitize(base, [-0.5, 0.5]).astype(np.float64)
    if objective in ("poisson", "gamma", "tweedie", "mape"):
        return np.abs(base) + 0.1
    return base * 3 + 1


def frame_variants(test, predict):
    """Frames the library refuses or treats specially: wider, empty, with a string column."""
    wide = test.copy()
    wide["extra"] = rng.normal(size=len(test))
    text = test.copy()
    text[text.columns[0]] = pd.Series(["x"] * len(test), dtype="str")
    empty = test.iloc[:0]
    frames = [wide, text, empty]
    # (A frame without any column cannot be told apart from an empty one in a batch.)
    if test.shape[1] > 1:
        frames.append(test.iloc[:, :-1])
    return [{"frame": encode_frame(f), "library": outcome(lambda f=f: predict(f))} for f in frames]


def save(model, path, example):
    extra = ["lightgbm.sklearn.LGBMRanker"] if isinstance(model, lgb.LGBMRanker) else None
    mlflow.lightgbm.save_model(
        model, path, input_example=example, pip_requirements=["lightgbm"], skops_trusted_types=extra
    )
    with open(os.path.join(path, "MLmodel")) as f:
        return yaml.safe_load(f)["flavors"]["lightgbm"]


def booster_case(i):
    n, nf = int(rng.integers(150, 400)), int(rng.integers(1, 7))
    cat_cols = [c for c in range(nf) if rng.random() < 0.3]
    df = make_data(n, nf, cat_cols, float(rng.choice([0.0, 0.1, 0.3])), float(rng.choice([0.0, 0.2])))
    objective = str(rng.choice(OBJECTIVES))
    params = random_params(objective, cat_cols)
    if objective in ("multiclass", "multiclassova"):
        params["num_class"] = 3
    y = labels_for(objective, df, n)
    ds = lgb.Dataset(df, y, categorical_feature=[f"f{c}" for c in cat_cols] or "auto")
    try:
        b = lgb.train(params, ds, int(rng.integers(1, 40)))
    except lgb.basic.LightGBMError as e:
        print(f"skip {i}: {e}", file=sys.stderr)
        return None
    path = os.path.join(OUT, f"booster{i}")
    flavor = save(b, path, df.iloc[:3])
    test = probe_rows(df, b, cat_cols, 60)
    pyf = mlflow.pyfunc.load_model(path)
    case = {
        "name": f"booster{i} {params}",
        "dir": path,
        "flavor": flavor,
        "frame": encode_frame(test),
        "library": outcome(lambda: b.predict(test)),
        "pyfunc": outcome(lambda: pyf.predict(test)),
        "arrays": [],
        "frames": frame_variants(test, b.predict),
    }
    X = test.to_numpy(dtype=np.float64)
    case["arrays"].append({"input": encode_array(X), "library": outcome(lambda: b.predict(X))})
    Xi = (np.nan_to_num(X, posinf=0, neginf=0) * 1e7).astype(np.int64)
    Xi[0, 0] = (1 << 24) + 1
    case["arrays"].append({"input": encode_array(Xi), "library": outcome(lambda: b.predict(Xi))})
    Xf = X.astype(np.float32)
    case["arrays"].append({"input": {**encode_array(Xf), "dtype": "float32"}, "library": outcome(lambda: b.predict(Xf))})
    Xw = X[:, :-1] if nf > 1 else np.hstack([X, X])
    case["arrays"].append({"input": encode_array(Xw), "library": outcome(lambda: b.predict(Xw))})
    X1 = X[:, 0].copy()
    case["arrays"].append({"input": encode_array(X1), "library": outcome(lambda: b.predict(X1))})
    return case


def sklearn_case(i):
    n, nf = int(rng.integers(150, 400)), int(rng.integers(1, 6))
    cat_cols = [c for c in range(nf) if rng.random() < 0.25]
    df = make_data(n, nf, cat_cols, float(rng.choice([0.0, 0.1])), float(rng.choice([0.0, 0.2])))
    kind = str(rng.choice(["clf_int", "clf_str", "clf_multi", "clf_multi_str", "clf_bool", "reg", "rank"]))
    base = np.nan_to_num(df.iloc[:, 0].to_numpy()) + 0.5 * rng.normal(size=n)
    kw = dict(
        n_estimators=int(rng.integers(1, 30)),
        num_leaves=int(rng.integers(2, 20)),
        min_child_samples=int(rng.integers(1, 15)),
        verbose=-1,
        n_jobs=1,
        random_state=int(rng.integers(1 << 30)),
    )
    if rng.random() < 0.3:
        kw["zero_as_missing"] = True
    if rng.random() < 0.2:
        kw["predict_disable_shape_check"] = True
    fit_kw = {"categorical_feature": [f"f{c}" for c in cat_cols] or "auto"}
    if kind == "reg":
        est, y = lgb.LGBMRegressor(**kw), base * 2
    elif kind == "rank":
        est, y = lgb.LGBMRanker(**kw), np.digitize(base, [-1, 0, 1])
        fit_kw["group"] = [n // 2, n - n // 2]
    else:
        est = lgb.LGBMClassifier(**kw)
        if kind == "clf_int":
            y = np.where(base > 0, 7, -3)
        elif kind == "clf_str":
            y = np.where(base > 0, "yes", "no")
        elif kind == "clf_bool":
            y = base > 0
        elif kind == "clf_multi":
            y = np.digitize(base, [-0.5, 0.5]) * 10
        else:
            y = np.array(["a", "b", "c"])[np.digitize(base, [-0.5, 0.5])]
    if rng.random() < 0.3 and kind != "rank":
        fit_kw["eval_set"] = [(df, y)]
        fit_kw["callbacks"] = [lgb.early_stopping(2, verbose=False)]
        est.set_params(n_estimators=40, learning_rate=0.5)
    est.fit(df, y, **fit_kw)
    path = os.path.join(OUT, f"sk{i}")
    flavor = save(est, path, df.iloc[:3])
    test = probe_rows(df, est.booster_, cat_cols, 50)
    pyf = mlflow.pyfunc.load_model(path)
    X = test.to_numpy(dtype=np.float64)
    Xw = np.hstack([X, X])
    return {
        "name": f"sk{i} {kind} {kw} es={'callbacks' in fit_kw}",
        "dir": path,
        "flavor": flavor,
        "frame": encode_frame(test),
        "library": outcome(lambda: est.predict(test)),
        "pyfunc": outcome(lambda: pyf.predict(test)),
        "frames": frame_variants(test, est.predict),
        "arrays": [
            {"input": encode_array(X), "library": outcome(lambda: est.predict(X))},
            {"input": encode_array(Xw), "library": outcome(lambda: est.predict(Xw))},
            {"input": encode_array(X[:, 0]), "library": outcome(lambda: est.predict(X[:, 0]))},
            {"input": encode_array(X[:5, 0].round(2)), "library": outcome(lambda: est.predict(X[:5, 0].round(2)))},
            {"input": encode_array(X[None]), "library": outcome(lambda: est.predict(X[None]))},
        ],
    }


cases = []
for i in range(COUNT):
    c = booster_case(i) if i % 3 != 2 else sklearn_case(i)
    if c is not None:
        cases.append(c)
with open(os.path.join(OUT, "cases.json"), "w") as f:
    json.dump(cases, f)
print(f"{len(cases)} cases")
