#!/usr/bin/env bash
# Batching on vs off on a model large enough for it to matter: an MLP with
# 512 inputs and two hidden layers of 1024 units (sklearn MLPRegressor,
# converted with skl2onnx, saved with the real mlflow). Serves it twice with
# the release build, `--max-batch-rows 1` (off) and the default 1024 (on), and
# loads each with wrk: 1-row bodies at 64 connections. Prints req/s, p50 and
# p99 for both, and the ratio.
#
# Needs: wrk (apt-get install wrk), the project venv (scripts/test.sh makes it).
# Usage: benches/batching.sh [duration-seconds]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
. benches/common.sh
need_wrk
need_venv
use_ort
# The release configuration (README: tract and candle enabled), the same
# targets as the other benches, so that they share one build.
build_release --features tract,candle

work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
.venv/bin/python - "$work" <<'PY' 2>/dev/null
import json, sys, warnings
warnings.simplefilter("ignore")
import numpy as np, mlflow
from sklearn.neural_network import MLPRegressor
from skl2onnx import to_onnx
work = sys.argv[1]
rng = np.random.default_rng(0)
x = rng.normal(size=(256, 512)).astype(np.float32)
mlp = MLPRegressor(hidden_layer_sizes=(1024, 1024), max_iter=2).fit(x, x[:, 0])
onx = to_onnx(mlp, x[:1], target_opset=17)
mlflow.onnx.save_model(onx, f"{work}/mlp", input_example=x[:1])
body = json.dumps({"inputs": x[:1].tolist()})
lua = 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' % json.dumps(body)
open(f"{work}/post.lua", "w").write(lua)
PY

run() {
  local port=5123
  "$BIN" models serve -m "$work/mlp" -p "$port" --log error "$@" &
  pid=$!
  for _ in $(seq 200); do curl -sf "localhost:$port/ping" >/dev/null && break; sleep 0.05; done
  wrk -t2 -c64 -d2s -s "$work/post.lua" "http://127.0.0.1:$port/invocations" >/dev/null
  wrk -t2 -c64 -d"${DURATION}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port/invocations" > "$work/out"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/out")
  p50=$(awk '$1=="50%" {print $2}' "$work/out")
  p99=$(awk '$1=="99%" {print $2}' "$work/out")
  local errors; errors=$(awk '/Non-2xx/ {print $4}' "$work/out")
  echo "$rps $p50 $p99 ${errors:-0}"
}

read -r off_rps off_p50 off_p99 off_err < <(run --max-batch-rows 1)
read -r on_rps on_p50 on_p99 on_err < <(run)
echo "| MLP 512-1024-1024-1, 1-row body, 64 conn | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
echo "| batching off (--max-batch-rows 1) | $off_rps | $off_p50 | $off_p99 | $off_err |"
echo "| batching on (default, 1024 rows) | $on_rps | $on_p50 | $on_p99 | $on_err |"
awk -v a="$on_rps" -v b="$off_rps" 'BEGIN { printf "batching on / off: %.2fx\n", a / b }'
