"""Dumps a variety of fitted objects with skops (the version MLflow uses) and
records, for tests/real_archives.rs, what skops itself reports about each:
the untrusted types (`skops.io.get_untrusted_types`) and a few arrays.

usage: gen_skops_archives.py OUT_DIR
"""

import json
import os
import sys
import warnings
import zipfile

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import skops.io as sio  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    GradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression, SGDClassifier  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402
from sklearn.tree import DecisionTreeRegressor  # noqa: E402

out = sys.argv[1]
rng = np.random.default_rng(0)
X = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40), "c": rng.choice(["x", "y", "z"], 40)})
Xn = X[["a", "b"]]
y = (X.a > 0).astype(int)
y3 = rng.integers(0, 3, 40)

objects = {
    "logreg": LogisticRegression().fit(Xn, y3),
    "pipeline": Pipeline(
        [
            ("ct", ColumnTransformer([("n", StandardScaler(), ["a", "b"]), ("c", OneHotEncoder(), ["c"])])),
            ("lr", LogisticRegression()),
        ]
    ).fit(X, y),
    "imputer": SimpleImputer(strategy="most_frequent").fit(X),
    "forest": RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(Xn, y),
    "tree": DecisionTreeRegressor(max_depth=3).fit(Xn, X.a),
    "gb": GradientBoostingClassifier(n_estimators=3).fit(Xn, y),
    "hgb": HistGradientBoostingRegressor(max_iter=3).fit(Xn, X.a),
    "sgd": SGDClassifier(loss="modified_huber").fit(Xn, y),
    "svc": SVC().fit(Xn, y),
    "knn": KNeighborsClassifier(n_neighbors=3).fit(Xn, y),
    "func": FunctionTransformer(np.log1p).fit(Xn),
    "plain": {"a": [1, 2.5, float("nan"), None, True, "s"], 3: (1, 2), 1.5: {"x"}, "b": np.arange(6).reshape(2, 3), "f": np.asfortranarray(np.arange(6.0).reshape(2, 3)), "u": np.array(["ab", "c"]), "s": slice(1, 5, 2), "bytes": b"\x00\x01"},
}

facts = {}
for name, obj in objects.items():
    for compression in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        tag = f"{name}_{'deflated' if compression == zipfile.ZIP_DEFLATED else 'stored'}"
        path = os.path.join(out, tag + ".skops")
        sio.dump(obj, path, compression=compression)
        facts[tag] = {
            "untrusted": sio.get_untrusted_types(file=path),
            "root": f"{type(obj).__module__}.{type(obj).__name__}",
        }
        if name == "logreg":
            facts[tag]["coef_bits"] = obj.coef_.ravel().view(np.uint64).tolist()
            facts[tag]["coef_shape"] = list(obj.coef_.shape)
            facts[tag]["classes"] = obj.classes_.tolist()
            facts[tag]["feature_names"] = obj.feature_names_in_.tolist()

with open(os.path.join(out, "facts.json"), "w") as f:
    json.dump(facts, f)
