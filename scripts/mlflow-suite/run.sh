#!/usr/bin/env bash
# MLflow's own REST, registry and artifact test files against `mlflowrs
# server`, with only the server start-up redirected (mlflowrs_redirect.py),
# or against the real `mlflow server` for comparison. MLflow's tests are not
# in this repository: give a checkout of its `tests/` folder (an upstream
# copy a few minor versions before the pinned mlflow; see tests/README.md).
#
#   scripts/mlflow-suite/run.sh UPSTREAM OUT [MLFLOWRS_BIN]
#   SUITE_PG=postgresql://postgres@127.0.0.1:PORT scripts/mlflow-suite/run.sh …   # the server on PostgreSQL
#
# OUT gets pytest's verbose output, one line per test; without MLFLOWRS_BIN
# the tests run against the real mlflow server, unchanged.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
upstream=$1 out=$2 bin=${3:-}
"$repo/.venv/bin/pip" install --quiet pytest==9.2.0 pytest-timeout==2.4.0 pytest-asyncio==1.5.0 psutil==7.2.2
cd "$upstream"
export PATH="$repo/.venv/bin:$PATH" PYTHONPATH="$here"
if [ -n "$bin" ]; then export MLFLOWRS_BIN=$bin; else unset MLFLOWRS_BIN; fi
set +e
python -m pytest -p mlflowrs_redirect -v -o console_output_style=classic --timeout 120 -p no:cacheprovider \
  tests/tracking/test_rest_tracking.py tests/tracking/test_model_registry.py tests/tracking/test_mlflow_artifacts.py >"$out" 2>&1
echo "exit $?" >>"$out"
grep -cE " PASSED" "$out" | sed 's/^/passed: /'
