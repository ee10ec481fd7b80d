#!/usr/bin/env bash
# Tracking-server benchmark: the real `mlflow server` against `mlflowrs
# server`, both on a fresh SQLite database (the default store of each), in
# one run on one machine. For each: cold start (spawn to first /health 200),
# log-metric and log-batch (100 metrics per call) throughput with wrk at 8
# connections, registry get latency (GET registered-models/get, 1
# connection: p50, p99), and RSS of the whole process tree after the load.
# Prints a markdown table with mlflowrs/mlflow ratios.
#
# Needs: wrk (apt-get install wrk), the project venv (scripts/test.sh makes it).
# Usage: benches/tracking.sh [duration-seconds]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
. benches/common.sh
need_wrk
need_venv mlflow
build_release --features tract,candle
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -- -$pid 2>/dev/null; rm -rf "$work"' EXIT

api() { curl -sf -H 'Content-Type: application/json' "$@"; }

# wrk scripts: every request a new step, so no write is a duplicate.
cat > "$work/metric.lua" <<'LUA'
local RUN = os.getenv("BENCH_RUN")
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"run_id": "%s", "key": "loss", "value": %d.5, "timestamp": 1700000000000, "step": %d}', RUN, n, n)
  return wrk.format("POST", "/api/2.0/mlflow/runs/log-metric", {["Content-Type"] = "application/json"}, body)
end
LUA
cat > "$work/batch.lua" <<'LUA'
local RUN = os.getenv("BENCH_RUN")
local n = 0
request = function()
  n = n + 1
  local parts = {}
  for k = 1, 100 do
    parts[k] = string.format('{"key": "m%d", "value": %d.25, "timestamp": 1700000000000, "step": %d}', k, n, n)
  end
  local body = string.format('{"run_id": "%s", "metrics": [%s]}', RUN, table.concat(parts, ", "))
  return wrk.format("POST", "/api/2.0/mlflow/runs/log-batch", {["Content-Type"] = "application/json"}, body)
end
LUA

rss_tree() {  # RSS in MB of a process group
  ps -eo pgid=,rss= | awk -v g="$1" '$1 == g {s += $2} END {printf "%.0f", s/1024}'
}

measure() {  # name, command...
  local name="$1"; shift
  local dir="$work/$name"; mkdir -p "$dir"
  local port=$((20000 + RANDOM % 20000))
  local t0; t0=$(date +%s.%N)
  # Its own session and process group (pid = pgid): the whole tree is measured and stopped.
  setsid bash -c 'cd "$0" && exec "$@"' "$dir" "$@" --port "$port" >"$dir/log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "$name did not start: $(tail -3 "$dir/log")" >&2; exit 1; }
    sleep 0.05
  done
  local start_s; start_s=$(python3 -c "import sys; print(f'{float(sys.argv[1]) - float(sys.argv[2]):.2f}')" "$(date +%s.%N)" "$t0")
  local base="http://127.0.0.1:$port/api/2.0/mlflow"
  local exp; exp=$(api -d '{"name": "bench"}' "$base/experiments/create" | python3 -c 'import json,sys; print(json.load(sys.stdin)["experiment_id"])')
  local run; run=$(api -d "{\"experiment_id\": \"$exp\", \"start_time\": 1}" "$base/runs/create" | python3 -c 'import json,sys; print(json.load(sys.stdin)["run"]["info"]["run_id"])')
  api -d '{"name": "bench-model"}' "$base/registered-models/create" >/dev/null
  api -d "{\"name\": \"bench-model\", \"source\": \"s3://bucket/model\"}" "$base/model-versions/create" >/dev/null
  for script in metric batch; do
    BENCH_RUN="$run" wrk -t2 -c8 -d"${DURATION}s" -s "$work/$script.lua" "http://127.0.0.1:$port" > "$dir/$script.out"
  done
  wrk -t1 -c1 -d"${DURATION}s" --latency "$base/registered-models/get?name=bench-model" > "$dir/get.out"
  local rss; rss=$(rss_tree "$pid")
  kill -- -"$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""
  local metric batch p50 p99
  metric=$(awk '/Requests\/sec/ {print $2}' "$dir/metric.out")
  batch=$(awk '/Requests\/sec/ {print $2}' "$dir/batch.out")
  p50=$(awk '$1=="50%" {print $2}' "$dir/get.out")
  p99=$(awk '$1=="99%" {print $2}' "$dir/get.out")
  echo "$name $start_s $metric $batch $p50 $p99 $rss"
}

ms() {  # wrk latency (e.g. 1.23ms, 850.00us, 1.2s) in ms
  python3 -c "import sys,re; v=sys.argv[1]; m=re.match(r'([0-9.]+)(us|ms|s)', v); f={'us':1e-3,'ms':1,'s':1e3}[m.group(2)]; print(round(float(m.group(1))*f, 3))" "$1"
}

read -r _ m_start m_metric m_batch m_p50 m_p99 m_rss < <(measure mlflow "$PWD/.venv/bin/mlflow" server --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1)
read -r _ r_start r_metric r_batch r_p50 r_p99 r_rss < <(measure mlflowrs "$BIN" server --backend-store-uri sqlite:///mlflow.db --log warn)
m_p50=$(ms "$m_p50"); m_p99=$(ms "$m_p99"); r_p50=$(ms "$r_p50"); r_p99=$(ms "$r_p99")
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.1f}x')" "$1" "$2"; }
echo
echo "| measure (SQLite, ${DURATION}s each) | mlflow server 3.17.2 | mlflowrs server | mlflowrs vs mlflow |"
echo "|---|---|---|---|"
echo "| cold start (spawn to /health 200) | ${m_start} s | ${r_start} s | $(ratio "$m_start" "$r_start") faster |"
echo "| log-metric, 8 connections | ${m_metric} req/s | ${r_metric} req/s | $(ratio "$r_metric" "$m_metric") |"
echo "| log-batch of 100 metrics, 8 connections | ${m_batch} req/s | ${r_batch} req/s | $(ratio "$r_batch" "$m_batch") |"
echo "| registered-models/get p50, 1 connection | ${m_p50} ms | ${r_p50} ms | $(ratio "$m_p50" "$r_p50") faster |"
echo "| registered-models/get p99, 1 connection | ${m_p99} ms | ${r_p99} ms | $(ratio "$m_p99" "$r_p99") faster |"
echo "| RSS after the load (process tree) | ${m_rss} MB | ${r_rss} MB | $(ratio "$m_rss" "$r_rss") smaller |"
