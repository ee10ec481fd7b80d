#!/usr/bin/env bash
# Native scikit-learn, XGBoost and LightGBM serving, measured two ways in one
# run: against the libraries' own predict in process (one thread, 100,000
# rows; benches/tabular.rs vs benches/tabular_inprocess.py) and against the
# real `mlflow models serve` on the same model (benches/e2e.sh: cold start,
# wrk at 1, 8 and 64 connections with 1-row and 1000-row bodies, RSS).
#
# Models (benches/tabular_models.py): a RandomForest of 100 trees, an XGBoost
# booster of 300 trees of depth 6, a LightGBM booster of 300 trees, on 20
# double columns; made once into $TABULAR_MODELS (default
# ~/.cache/mlflowrs/tabular-bench).
#
# Usage: benches/tabular.sh [duration-seconds]   (default 10)
#   ONLY=inprocess   skip the serving comparison
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
. benches/common.sh
need_venv mlflow
export TABULAR_MODELS="${TABULAR_MODELS:-$HOME/.cache/mlflowrs/tabular-bench}"
if [ ! -f "$TABULAR_MODELS/X.f64" ]; then
  mkdir -p "$TABULAR_MODELS"
  .venv/bin/python benches/tabular_models.py "$TABULAR_MODELS" >&2
fi

cargo bench -j2 --bench tabular --no-run >&2
native=$(cargo bench -q --bench tabular 2>/dev/null)
library=$(.venv/bin/python benches/tabular_inprocess.py "$TABULAR_MODELS")
echo "| model (100,000 rows, one thread) | library predict (ms) | mlflowrs native (ms) | library / mlflowrs |"
echo "|---|---|---|---|"
while read -r name ms; do
  lib=$(awk -v n="$name" '$1==n {print $2}' <<<"$library")
  ratio=$(python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}x')" "$lib" "$ms")
  echo "| $name | $lib | $ms | $ratio |"
done <<<"$native"
echo

[ "${ONLY:-}" = inprocess ] && exit 0
for m in rf_100 xgb_300 lgb_300; do
  echo "### $m: mlflow models serve vs mlflowrs"
  MODEL="$TABULAR_MODELS/$m" benches/e2e.sh "$DURATION"
  echo
done
