"""Checks a Python environment before mlflowrs starts pyfunc workers in it.

Usage: python preflight.py [requirements.txt]. Prints one JSON line:
{"python": version, "mlflow": version or null, "mlflow_error": text or null,
 "missing": [requirement, ...], "mismatched": [[requirement, installed], ...]}
"""

import json
import platform
import re
import sys
from importlib import metadata


def check(requirements_path):
    missing, mismatched = [], []
    if not requirements_path:
        return missing, mismatched
    try:
        lines = open(requirements_path, encoding="utf-8").read().splitlines()
    except OSError:
        return missing, mismatched
    try:
        from packaging.requirements import Requirement
    except ImportError:
        Requirement = None
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        if Requirement is not None:
            try:
                req = Requirement(line)
            except Exception:
                continue
            if req.marker is not None and not req.marker.evaluate():
                continue
            name, spec = req.name, req.specifier
        else:
            name, spec = re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0], None
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(line)
            continue
        if spec is not None and not spec.contains(installed, prereleases=True):
            mismatched.append([line, installed])
    return missing, mismatched


def main():
    out = {"python": platform.python_version(), "mlflow": None, "mlflow_error": None}
    # Importing mlflow takes seconds; the workers do that. Here it is enough
    # that the package is installed (a broken install fails the worker load
    # with its traceback).
    import importlib.util

    for dist in ("mlflow", "mlflow-skinny"):
        try:
            out["mlflow"] = metadata.version(dist)
            break
        except metadata.PackageNotFoundError:
            pass
    if out["mlflow"] is None or importlib.util.find_spec("mlflow") is None:
        out["mlflow"] = None
        out["mlflow_error"] = "ModuleNotFoundError: No module named 'mlflow'"
    out["missing"], out["mismatched"] = check(sys.argv[1] if len(sys.argv) > 1 else None)
    print(json.dumps(out))


main()
