"""Crafted tree-model archives for tests/trees_hostile.rs: real models saved
by mlflow.sklearn, then one array or schema field rewritten to break an
invariant the native loader must check (child/feature/bitset indices,
values shape, class counts, cycles).

Usage: trees_hostile.py OUT_DIR   (writes OUT_DIR/hostile.json)
"""

import io
import json
import os
import re
import sys
import warnings
import zipfile

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import mlflow.sklearn  # noqa: E402
import skops.io as sio  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)


def save(model, path):
    mlflow.sklearn.save_model(model, path, skops_trusted_types=sio.get_untrusted_types(data=sio.dumps(model)),
                              pip_requirements=["scikit-learn"])
    return os.path.join(path, "model.skops")


def members(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def write(path, files):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for n, b in files.items():
            z.writestr(n, b)


def npy_bytes(a):
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def find_files(schema, loader_class, key):
    """.npy members stored under `key` inside states of class `loader_class`."""
    out = []

    def walk(n, owner=None):
        if isinstance(n, dict):
            cls = n.get("__class__")
            if isinstance(n.get("content"), dict) and key in n["content"] and owner == loader_class:
                f = n["content"][key].get("file")
                if f:
                    out.append(f)
            for k, v in n.items():
                walk(v, cls if k == "content" else owner)
        elif isinstance(n, list):
            for v in n:
                walk(v, owner)

    walk(schema)
    return out


def variant(out, base, name, edit, expect="err"):
    files = members(base)
    schema = json.loads(files["schema.json"])
    edit(files, schema)
    path = os.path.join(out, name, "model.skops")
    write(path, files)
    CASES.append({"name": name, "path": path, "expect": expect})


def edit_npy(key, cls, fn, which=0):
    def edit(files, schema):
        f = find_files(schema, cls, key)[which]
        a = np.load(io.BytesIO(files[f]))
        files[f] = npy_bytes(fn(a.copy()))
    return edit


def setf(field, idx, value):
    def fn(a):
        a[field][idx] = value
        return a
    return fn


CASES = []


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    rf = save(RandomForestClassifier(n_estimators=3, max_depth=4, random_state=0).fit(X, y), os.path.join(out, "rf"))
    gb = save(GradientBoostingClassifier(n_estimators=3, max_depth=2, random_state=0).fit(X, y),
              os.path.join(out, "gb"))
    Xc = np.column_stack([X, rng.integers(0, 4, 300)])
    hgb = save(HistGradientBoostingClassifier(max_iter=3, categorical_features=[3], random_state=0).fit(Xc, y),
               os.path.join(out, "hgb"))
    CASES.extend([{"name": "rf_ok", "path": rf, "expect": "ok"}, {"name": "gb_ok", "path": gb, "expect": "ok"},
                  {"name": "hgb_ok", "path": hgb, "expect": "ok"}])

    tree = "Tree"
    variant(out, rf, "rf_self_loop", edit_npy("nodes", tree, setf("left_child", 0, 0)))
    variant(out, rf, "rf_child_back", edit_npy("nodes", tree, setf("right_child", 2, 1)))
    variant(out, rf, "rf_child_out", edit_npy("nodes", tree, setf("right_child", 0, 10_000)))
    variant(out, rf, "rf_child_negative", edit_npy("nodes", tree, setf("left_child", 0, -7)))
    variant(out, rf, "rf_feature_out", edit_npy("nodes", tree, setf("feature", 0, 3)))
    variant(out, rf, "rf_feature_negative", edit_npy("nodes", tree, setf("feature", 0, -2)))
    variant(out, rf, "rf_values_short", edit_npy("values", tree, lambda a: a[:-1]))
    variant(out, rf, "rf_values_wide", edit_npy("values", tree, lambda a: np.concatenate([a, a], axis=2)))
    variant(out, rf, "rf_values_int", edit_npy("values", tree, lambda a: a.astype(np.int64)))
    variant(out, rf, "rf_nodes_plain", edit_npy("nodes", tree, lambda a: np.zeros(len(a))))
    variant(out, rf, "rf_nodes_no_field",
            edit_npy("nodes", tree, lambda a: a[["left_child", "right_child", "threshold"]]))
    variant(out, rf, "rf_threshold_nan", edit_npy("nodes", tree, setf("threshold", 0, np.nan)), expect="ok")

    def shared_child(a):
        # Two parents for one node (a DAG): refused as a crafted file.
        a["left_child"][0] = 1
        a["right_child"][0] = 1
        return a
    variant(out, rf, "rf_shared_child", edit_npy("nodes", tree, shared_child))

    def node_count(files, schema):
        files["schema.json"] = re.sub(rb'("node_count": \{[^}]*"content": ")(\d+)"',
                                      lambda m: m.group(1) + b"99999\"", files["schema.json"], count=1)
    variant(out, rf, "rf_node_count", node_count)

    def n_outputs(files, schema):
        # A fresh __id__: skops shares every node of an already seen id.
        schema["content"]["content"]["n_outputs_"].update(content="2", __id__=1)
        files["schema.json"] = json.dumps(schema).encode()
    variant(out, rf, "rf_n_outputs", n_outputs)

    variant(out, gb, "gb_feature_out", edit_npy("nodes", tree, setf("feature", 0, 40), which=4))
    variant(out, gb, "gb_values_short", edit_npy("values", tree, lambda a: a[:2], which=2))

    pred = "TreePredictor"
    variant(out, hgb, "hgb_left_out", edit_npy("nodes", pred, setf("left", 0, 4000)))
    variant(out, hgb, "hgb_left_self", edit_npy("nodes", pred, setf("left", 0, 0)))
    variant(out, hgb, "hgb_feature_out", edit_npy("nodes", pred, setf("feature_idx", 0, 9)))

    def cat_on_numeric(a):
        for i in range(len(a)):
            if not a["is_leaf"][i] and not a["is_categorical"][i]:
                a["is_categorical"][i] = 1
                break
        return a
    variant(out, hgb, "hgb_cat_on_numeric", edit_npy("nodes", pred, cat_on_numeric))

    def bitset_out(a):
        a["bitset_idx"][:] = 1000
        a["is_categorical"][0] = 1
        a["feature_idx"][0] = 0  # the categorical column comes first after remapping
        return a
    variant(out, hgb, "hgb_bitset_out", edit_npy("nodes", pred, bitset_out))
    variant(out, hgb, "hgb_bitsets_shape",
            edit_npy("raw_left_cat_bitsets", pred, lambda a: np.zeros((2, 3), dtype=np.uint32)))
    variant(out, hgb, "hgb_baseline_short",
            lambda files, schema: files.update({
                find_files(schema, "HistGradientBoostingClassifier", "_baseline_prediction")[0]:
                npy_bytes(np.zeros((1, 7)))}))

    with open(os.path.join(out, "hostile.json"), "w") as f:
        json.dump(CASES, f)


if __name__ == "__main__":
    main()
