"""Trains random small XGBoost models, saves them with mlflow.xgboost.save_model
and records what the library and MLflow's pyfunc predict, for
tests/parity.rs.

usage: gen_cases.py OUT_DIR [N_CASES] [SEED]

Writes OUT_DIR/cases.json: a list of cases, each with the model directory,
its xgboost flavor configuration, the input (DataFrame columns and/or a plain
array) and the expected predictions. Floats are written as JSON numbers
(float32 predictions widen exactly to float64); NaN is written as null.
"""

import json
import math
import os
import sys
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xgboost as xgb  # noqa: E402
import mlflow  # noqa: E402
import mlflow.xgboost  # noqa: E402
from mlflow.models import Model  # noqa: E402

REGRESSION = [
    "reg:squarederror",
    "reg:squaredlogerror",
    "reg:pseudohubererror",
    "reg:absoluteerror",
    "reg:quantileerror",
    "count:poisson",
    "reg:tweedie",
    "reg:gamma",
    "reg:logistic",
    "binary:logitraw",
    "binary:hinge",
    "survival:cox",
]
BINARY = ["binary:logistic", "binary:logitraw", "binary:hinge"]
MULTI = ["multi:softprob", "multi:softmax"]
RANK = ["rank:pairwise", "rank:ndcg", "rank:map"]


def fnum(x):
    x = float(x)
    return None if math.isnan(x) else x


def labels_for(objective, rng, X, n=None):
    if objective in RANK:
        return rng.integers(0, 2 if objective == "rank:map" else 4, n)
    n = X.shape[0]
    signal = np.nan_to_num(X[:, 0]) + 0.5 * rng.normal(size=n)
    if objective in ("reg:squaredlogerror",):
        return np.abs(signal) * 3
    if objective in ("count:poisson",):
        return rng.poisson(np.exp(np.clip(signal, -2, 2)))
    if objective in ("reg:tweedie",):
        return np.abs(signal) * (rng.random(n) > 0.3)
    if objective in ("reg:gamma",):
        return np.abs(signal) + 0.1
    if objective in ("reg:logistic",):
        return 1 / (1 + np.exp(-signal))
    if objective in BINARY:
        return (signal > 0).astype(int)
    if objective == "survival:cox":
        t = np.abs(signal) + 0.1
        return np.where(rng.random(n) > 0.3, t, -t)
    return signal * 2


def make_data(rng, n_rows, n_feat, nan_rate, with_cat):
    cols = {}
    for j in range(n_feat):
        kind = rng.choice(["float", "float", "float", "int", "bool"]) if j > 0 else "float"
        if kind == "float":
            v = rng.normal(size=n_rows) * rng.choice([1, 10, 1000])
            v[rng.random(n_rows) < nan_rate] = np.nan
            cols[f"x{j}"] = v
        elif kind == "int":
            cols[f"k{j}"] = rng.integers(-5, 50, n_rows)
        else:
            cols[f"b{j}"] = rng.random(n_rows) > 0.5
    if with_cat:
        cats = [f"c{i}" for i in range(int(rng.integers(2, 40)))]
        cols["cat"] = pd.Categorical(rng.choice(cats, n_rows), categories=cats)
    return pd.DataFrame(cols)


def split_values(booster):
    """Float32 thresholds of the model, to probe `<` against `<=`."""
    dump = json.loads(booster.save_raw("json"))
    vals = []
    for t in dump["learner"]["gradient_booster"].get("model", dump["learner"]["gradient_booster"].get("gbtree", {}).get("model", {})).get("trees", []):
        for left, cond in zip(t["left_children"], t["split_conditions"]):
            if left != -1:
                vals.append(cond)
    return vals


def probe_frame(rng, df, booster, n_rows):
    """Test rows: fresh draws, NaNs, and exact split thresholds."""
    test = df.sample(n=n_rows, replace=True, random_state=int(rng.integers(1 << 30))).reset_index(drop=True)
    thresholds = split_values(booster)
    for col in test.columns:
        if test[col].dtype == np.float64 and thresholds:
            mask = rng.random(n_rows) < 0.3
            test.loc[mask, col] = rng.choice(np.array(thresholds, dtype=np.float32), mask.sum()).astype(np.float64)
            mask = rng.random(n_rows) < 0.1
            test.loc[mask, col] = np.nan
    return test


def frame_payload(df):
    cols = []
    for name in df.columns:
        s = df[name]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.cat.codes.astype(np.float64)
        if s.dtype == bool:
            cols.append({"name": name, "dtype": "bool", "values": [bool(v) for v in s]})
        elif np.issubdtype(s.dtype, np.integer):
            cols.append({"name": name, "dtype": "int64", "values": [int(v) for v in s]})
        else:
            cols.append({"name": name, "dtype": "float64", "values": [fnum(v) for v in s]})
    return cols


def as_numeric(df):
    out = df.copy()
    for name in out.columns:
        if isinstance(out[name].dtype, pd.CategoricalDtype):
            out[name] = out[name].cat.codes.astype(np.float64)
    return out


def result_payload(arr):
    arr = np.asarray(arr)
    if arr.dtype.kind == "f":
        values = [fnum(v) for v in arr.ravel()]
    elif arr.dtype.kind == "b":
        values = [bool(v) for v in arr.ravel()]
    else:
        values = [int(v) for v in arr.ravel()]
    return {"dtype": str(arr.dtype), "shape": list(arr.shape), "values": values}


def one_case(rng, idx, out_dir):
    kind = rng.choice(["booster", "classifier", "regressor", "ranker", "rf_classifier", "rf_regressor"],
                      p=[0.35, 0.25, 0.2, 0.08, 0.06, 0.06])
    n_feat = int(rng.integers(1, 9))
    n_rows = int(rng.integers(60, 300))
    nan_rate = float(rng.choice([0.0, 0.1, 0.3]))
    with_cat = bool(rng.random() < 0.15) and kind in ("booster", "classifier", "regressor")
    df = make_data(rng, n_rows, n_feat, nan_rate, with_cat)
    X = df.drop(columns=["cat"]) if "cat" in df else df
    params = {
        "max_depth": int(rng.integers(1, 7)),
        "learning_rate": float(rng.choice([0.1, 0.3, 0.7])),
        "seed": int(rng.integers(1000)),
        "nthread": 1,
    }
    if rng.random() < 0.2:
        params["num_parallel_tree"] = 2
        params["subsample"] = 0.8
    if rng.random() < 0.2 and kind in ("booster", "classifier", "regressor"):
        params["booster"] = "dart"
        params["rate_drop"] = 0.3
    if with_cat:
        params["max_cat_to_onehot"] = int(rng.choice([1, 64]))
    n_rounds = int(rng.integers(1, 16))
    model_class = None

    if kind == "booster":
        family = rng.choice(["reg", "bin", "multi", "rank", "aft"], p=[0.42, 0.2, 0.23, 0.1, 0.05])
        if family == "reg":
            obj = str(rng.choice(REGRESSION))
        elif family == "bin":
            obj = str(rng.choice(BINARY))
        elif family == "multi":
            obj = str(rng.choice(MULTI))
        elif family == "rank":
            obj = str(rng.choice(RANK))
        else:
            obj = "survival:aft"
        params["objective"] = obj
        if family == "multi":
            k = int(rng.integers(2, 6))
            params["num_class"] = k
            y = rng.integers(0, k, n_rows)
        else:
            y = labels_for(obj, rng, np.nan_to_num(X.to_numpy(dtype=float)), n_rows)
        if obj == "reg:quantileerror":
            params["quantile_alpha"] = [0.2, 0.8] if rng.random() < 0.5 else 0.5
        if rng.random() < 0.2 and obj in ("reg:squarederror", "binary:logistic", "count:poisson"):
            params["base_score"] = float(rng.choice([0.3, 0.7]))
        if with_cat:
            dtrain = xgb.DMatrix(df, y, enable_categorical=True)
        else:
            named = rng.random() < 0.8
            dtrain = xgb.DMatrix(df if named else df.to_numpy(dtype=float), y)
        if obj in RANK:
            dtrain.set_group([n_rows // 2, n_rows - n_rows // 2])
        if obj == "survival:aft":
            lower = np.abs(np.nan_to_num(X.iloc[:, 0].to_numpy(dtype=float))) + 0.1
            upper = np.where(rng.random(n_rows) > 0.3, lower, np.inf)
            dtrain.set_float_info("label_lower_bound", lower)
            dtrain.set_float_info("label_upper_bound", upper)
        model = xgb.train(params, dtrain, n_rounds)
        booster = model
        test = probe_frame(rng, df, booster, int(rng.integers(1, 120)))
        test_in = as_numeric(test)
        if booster.feature_names is None:
            expected = booster.predict(xgb.DMatrix(test_in.to_numpy(dtype=float)))
        else:
            expected = booster.predict(xgb.DMatrix(test_in))
    else:
        obj = None
        sk_params = dict(n_estimators=n_rounds, max_depth=params["max_depth"],
                         learning_rate=params["learning_rate"], random_state=params["seed"], n_jobs=1)
        if "booster" in params:
            sk_params.update(booster="dart", rate_drop=0.3)
        if "num_parallel_tree" in params and kind not in ("rf_classifier", "rf_regressor"):
            sk_params.update(num_parallel_tree=2, subsample=0.8)
        if with_cat:
            sk_params.update(enable_categorical=True, max_cat_to_onehot=params["max_cat_to_onehot"])
        early = kind in ("classifier", "regressor") and rng.random() < 0.3 and n_rounds > 3
        if early:
            sk_params["early_stopping_rounds"] = 2
        if kind in ("classifier", "rf_classifier"):
            k = int(rng.choice([2, 2, 3, 4]))
            y = (np.nan_to_num(X.iloc[:, 0].to_numpy(dtype=float)) > 0).astype(int) if k == 2 else rng.integers(0, k, n_rows)
            if k > 2 and rng.random() < 0.3:
                sk_params["objective"] = "multi:softmax"
            if k == 2 and rng.random() < 0.3:
                sk_params["objective"] = str(rng.choice(["binary:logitraw", "binary:hinge"]))
            cls = xgb.XGBClassifier if kind == "classifier" else xgb.XGBRFClassifier
        elif kind in ("regressor", "rf_regressor"):
            obj = str(rng.choice(REGRESSION[:9]))
            sk_params["objective"] = obj
            if obj == "reg:quantileerror":
                sk_params["quantile_alpha"] = [0.3, 0.7] if rng.random() < 0.5 else 0.5
            y = labels_for(obj, rng, np.nan_to_num(X.to_numpy(dtype=float)))
            cls = xgb.XGBRegressor if kind == "regressor" else xgb.XGBRFRegressor
        else:
            obj = str(rng.choice(RANK))
            sk_params["objective"] = obj
            y = labels_for(obj, rng, None, n_rows)
            cls = xgb.XGBRanker
        if kind.startswith("rf_"):
            sk_params.pop("learning_rate", None)
        model = cls(**sk_params)
        fit_kw = {}
        if early:
            # Shuffled labels: the validation loss bottoms out early, so
            # best_iteration falls before the last round.
            fit_kw["eval_set"] = [(df, rng.permutation(y))]
            fit_kw["verbose"] = False
        if kind == "ranker":
            fit_kw["qid"] = np.repeat([0, 1], [n_rows // 2, n_rows - n_rows // 2])
        model.fit(df, y, **fit_kw)
        booster = model.get_booster()
        test = probe_frame(rng, df, booster, int(rng.integers(1, 120)))
        test_in = test
        expected = None if with_cat else model.predict(test)

    fmt = str(rng.choice(["ubj", "json"]))
    path = os.path.join(out_dir, f"m{idx:03d}_{kind}_{fmt}")
    mlflow.xgboost.save_model(model, path, model_format=fmt, pip_requirements=["xgboost"])
    flavor = Model.load(path).flavors["xgboost"]
    pyf = mlflow.pyfunc.load_model(path)
    config = json.loads(booster.save_config())["learner"]
    desc = "{} {} rounds={} depth={} cat={} best_iteration={}".format(
        config["objective"]["name"], config["gradient_booster"]["name"], n_rounds,
        params["max_depth"], with_cat, booster.attributes().get("best_iteration"))
    case = {"name": os.path.basename(path), "dir": path, "flavor": flavor, "kind": str(kind), "desc": desc}

    if expected is not None:
        # What MLflow's pyfunc answers for the same DataFrame.
        if kind == "booster" and booster.feature_names is None:
            got = pyf.predict(test_in.to_numpy(dtype=float))
        else:
            got = pyf.predict(test_in)
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
        if kind == "booster" and booster.feature_names is None:
            case["array"] = {"dtype": "float64", "shape": list(test_in.shape),
                             "values": [fnum(v) for v in test_in.to_numpy(dtype=float).ravel()]}
        else:
            case["frame"] = frame_payload(test_in)
        case["expected"] = result_payload(expected)
    if kind != "booster":
        # A plain array through the scikit-learn wrapper (inplace_predict).
        arr = as_numeric(test).to_numpy(dtype=float)
        got = pyf.predict(arr)
        np.testing.assert_array_equal(np.asarray(got), np.asarray(model.predict(arr)))
        case["array"] = {"dtype": "float64", "shape": list(arr.shape),
                         "values": [fnum(v) for v in arr.ravel()]}
        case["expected_array"] = result_payload(got)
    return case


def xgb_error_text(e):
    """An exception's message as mlflowrs reports it: XGBoost's C++ errors
    without their timestamp and stack trace."""
    text = str(e)
    if isinstance(e, xgb.core.XGBoostError):
        first = text.splitlines()[0]
        return first.split("] ", 1)[1] if first.startswith("[") else first
    return text


def error_cases(out_dir):
    """Inputs XGBoost rejects or treats specially, through MLflow's pyfunc."""
    rng = np.random.default_rng(7)
    n = 80
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.normal(size=n)})
    y = (df.a + df.b > 0).astype(int)
    models = {
        "named_booster": xgb.train({"objective": "binary:logistic", "max_depth": 3}, xgb.DMatrix(df, y), 4),
        "unnamed_booster": xgb.train({"objective": "reg:squarederror", "max_depth": 3},
                                     xgb.DMatrix(df.to_numpy(), df.a), 4),
        "classifier": xgb.XGBClassifier(n_estimators=4, max_depth=3).fit(df, y),
        "ranker": xgb.XGBRanker(n_estimators=3, max_depth=2).fit(df, rng.integers(0, 3, n), qid=np.repeat([0, 1], n // 2)),
    }
    cat_df = df.assign(c=pd.Categorical(rng.choice(["u", "v", "w"], n)))
    models["cat_classifier"] = xgb.XGBClassifier(n_estimators=3, enable_categorical=True, max_depth=3).fit(cat_df, y)
    X = df.to_numpy()
    inf_df = df.head(4).copy()
    inf_df.loc[1, "a"] = np.inf
    inf_df.loc[2, "b"] = 1e300
    probes = {
        "named_booster": [
            ("swapped", df.head(3)[["b", "a", "c"]]),
            ("missing column", df.head(3)[["a", "b"]]),
            ("extra column", df.head(3).assign(d=1.0)),
            ("string column", df.head(3).assign(b=["x", "y", "z"]).astype({"b": "str"})),
            ("infinity", inf_df),
            ("array", X[:3]),
            ("1-d array", X[0]),
        ],
        "unnamed_booster": [
            ("narrow array", X[:5, :2]),
            ("wide array", np.c_[X[:5], X[:5, :1]]),
            ("narrow frame", df.head(5)[["c", "a"]]),
            ("int and bool frame", pd.DataFrame({"p": [1, 2**40 + 1, -3], "q": [True, False, True]})),
        ],
        "classifier": [
            ("infinity", inf_df),
            ("wide array", np.c_[X[:5], X[:5, :1]]),
            ("1-d array", X[0]),
            ("3-d array", X[:2].reshape(2, 3, 1)),
            ("swapped", df.head(3)[["c", "a", "b"]]),
            ("string array", np.array([["x", "yy", "z"]])),
            ("empty frame", df.head(0)),
            ("array", X[:7]),
        ],
        "ranker": [("qid column", df.head(6).assign(qid=[0, 0, 0, 1, 1, 1]))],
        "cat_classifier": [
            ("codes frame", cat_df.head(4).assign(c=cat_df.c.cat.codes.head(4).astype(float))),
            ("codes array", cat_df.head(4).assign(c=cat_df.c.cat.codes.head(4).astype(float)).to_numpy()),
        ],
    }
    # A model as older XGBoost versions wrote it: no iteration_indptr, no
    # categorical fields, boolean default_left, a scalar base_score.
    Xo = rng.normal(size=(300, 4))
    Xo[rng.random(Xo.shape) < 0.2] = np.nan
    models["old_format"] = xgb.train(
        {"objective": "multi:softprob", "num_class": 3, "num_parallel_tree": 2,
         "subsample": 0.7, "max_depth": 3, "seed": 1},
        xgb.DMatrix(Xo, rng.integers(0, 3, 300)), 4)
    Xt = rng.normal(size=(50, 4))
    Xt[rng.random(Xt.shape) < 0.2] = np.nan
    probes["old_format"] = [("array", Xt)]

    def make_old(path):
        with open(os.path.join(path, "model.json")) as f:
            j = json.load(f)
        m = j["learner"]["gradient_booster"]["model"]
        del m["iteration_indptr"], m["cats"]
        for t in m["trees"]:
            for k in ["split_type", "categories", "categories_nodes", "categories_segments", "categories_sizes"]:
                del t[k]
            t["default_left"] = [bool(v) for v in t["default_left"]]
        j["learner"]["learner_model_param"]["base_score"] = "5E-1"
        j["version"] = [1, 7, 6]
        with open(os.path.join(path, "model.json"), "w") as f:
            json.dump(j, f)

    out = []
    for key, model in models.items():
        path = os.path.join(out_dir, "err_" + key)
        fmt = "json" if key == "old_format" else "ubj"
        mlflow.xgboost.save_model(model, path, model_format=fmt, pip_requirements=["xgboost"])
        if key == "old_format":
            make_old(path)
        flavor = Model.load(path).flavors["xgboost"]
        pyf = mlflow.pyfunc.load_model(path)
        for label, data in probes[key]:
            entry = {"name": f"{key}: {label}", "dir": path, "flavor": flavor}
            if isinstance(data, pd.DataFrame):
                cols = []
                for name in data.columns:
                    col = data[name]
                    if not isinstance(col.dtype, np.dtype):
                        cols.append({"name": name, "dtype": "str", "values": [str(v) for v in col]})
                    elif col.dtype == bool:
                        cols.append({"name": name, "dtype": "bool", "values": [bool(v) for v in col]})
                    elif np.issubdtype(col.dtype, np.integer):
                        cols.append({"name": name, "dtype": "int64", "values": [int(v) for v in col]})
                    elif np.issubdtype(col.dtype, np.floating):
                        cols.append({"name": name, "dtype": "float64",
                                     "values": [None if math.isnan(v) else ("inf" if math.isinf(v) else float(v)) for v in col]})
                    else:
                        cols.append({"name": name, "dtype": "str", "values": [str(v) for v in col]})
                entry["frame"] = cols
            else:
                arr = np.asarray(data)
                entry["array"] = {"dtype": "str" if arr.dtype.kind == "U" else "float64",
                                  "shape": list(arr.shape),
                                  "values": [str(v) if arr.dtype.kind == "U" else fnum(v) for v in arr.ravel()]}
            try:
                entry["expected"] = result_payload(pyf.predict(data))
            except Exception as e:  # noqa: BLE001
                entry["error"] = xgb_error_text(e)
            out.append(entry)
    return out


def main():
    out_dir = sys.argv[1]
    n_cases = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20240611
    rng = np.random.default_rng(seed)
    os.makedirs(out_dir, exist_ok=True)
    cases = [one_case(rng, i, out_dir) for i in range(n_cases)]
    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        json.dump({"cases": cases, "errors": error_cases(out_dir)}, f)


if __name__ == "__main__":
    main()
