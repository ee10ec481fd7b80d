#!/usr/bin/env bash
# Basic-auth benchmark: the real `mlflow server --app-name basic-auth`
# against `mlflowrs server --app-name basic-auth` (and mlflowrs without
# auth, for the cost of the checks), each on a fresh SQLite tracking and
# auth database, in one run on one machine. A non-admin user (alice, who
# created the experiment and its run) reads the experiment and logs
# metrics with wrk at 8 connections, so every request is authenticated
# and authorized. Prints a markdown table with mlflowrs/mlflow ratios.
#
# Needs: wrk (apt-get install wrk), the project venv with Flask-WTF
# (scripts/test.sh makes it).
# Usage: benches/auth.sh [duration-seconds]   (default 10)
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

ADMIN="admin:admin-password-1"
ALICE="alice:alicepassword1"
b64() { printf '%s' "$1" | base64 -w0; }

cat > "$work/metric.lua" <<'LUA'
local RUN = os.getenv("BENCH_RUN")
local AUTH = os.getenv("BENCH_AUTH")
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"run_id": "%s", "key": "loss", "value": %d.5, "timestamp": 1700000000000, "step": %d}', RUN, n, n)
  local headers = {["Content-Type"] = "application/json"}
  if AUTH ~= "" then headers["Authorization"] = "Basic " .. AUTH end
  return wrk.format("POST", "/api/2.0/mlflow/runs/log-metric", headers, body)
end
LUA

cat > "$work/auth.ini" <<INI
[mlflow]
default_permission = READ
database_uri = sqlite:///basic_auth.db
admin_username = admin
admin_password = admin-password-1
INI

measure() {  # name, auth (yes/no), command...
  local name="$1" auth="$2"; shift 2
  local dir="$work/$name"; mkdir -p "$dir"
  local port=$((20000 + RANDOM % 20000))
  MLFLOW_AUTH_CONFIG_PATH="$work/auth.ini" MLFLOW_FLASK_SERVER_SECRET_KEY=bench \
    setsid bash -c 'cd "$0" && exec "$@"' "$dir" "$@" --port "$port" >"$dir/log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "$name did not start: $(tail -3 "$dir/log")" >&2; exit 1; }
    sleep 0.05
  done
  local base="http://127.0.0.1:$port/api/2.0/mlflow"
  local as_admin=() as_alice=() alice_token=""
  if [ "$auth" = yes ]; then
    as_admin=(-u "$ADMIN"); as_alice=(-u "$ALICE"); alice_token=$(b64 "$ALICE")
    curl -sf "${as_admin[@]}" -H 'Content-Type: application/json' \
      -d '{"username": "alice", "password": "alicepassword1"}' "$base/users/create" >/dev/null
  fi
  local exp run
  exp=$(curl -sf "${as_alice[@]}" -H 'Content-Type: application/json' -d '{"name": "bench"}' "$base/experiments/create" | python3 -c 'import json,sys; print(json.load(sys.stdin)["experiment_id"])')
  run=$(curl -sf "${as_alice[@]}" -H 'Content-Type: application/json' -d "{\"experiment_id\": \"$exp\", \"start_time\": 1}" "$base/runs/create" | python3 -c 'import json,sys; print(json.load(sys.stdin)["run"]["info"]["run_id"])')
  local header=()
  [ -n "$alice_token" ] && header=(-H "Authorization: Basic $alice_token")
  wrk -t2 -c8 -d"${DURATION}s" "${header[@]}" "$base/experiments/get?experiment_id=$exp" > "$dir/get.out"
  BENCH_RUN="$run" BENCH_AUTH="$alice_token" wrk -t2 -c8 -d"${DURATION}s" -s "$work/metric.lua" "http://127.0.0.1:$port" > "$dir/metric.out"
  kill -- -"$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""
  local get metric non2xx
  get=$(awk '/Requests\/sec/ {print $2}' "$dir/get.out")
  metric=$(awk '/Requests\/sec/ {print $2}' "$dir/metric.out")
  non2xx=$(cat "$dir/get.out" "$dir/metric.out" | awk '/Non-2xx/ {s += $NF} END {print s + 0}')
  echo "$name $get $metric $non2xx"
}

read -r _ m_get m_metric m_bad < <(measure mlflow yes "$PWD/.venv/bin/mlflow" server --app-name basic-auth --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1)
read -r _ r_get r_metric r_bad < <(measure mlflowrs yes "$BIN" server --app-name basic-auth --backend-store-uri sqlite:///mlflow.db --log warn)
read -r _ o_get o_metric o_bad < <(measure open no "$BIN" server --backend-store-uri sqlite:///mlflow.db --log warn)
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.1f}x')" "$1" "$2"; }
echo
echo "| alice, non-admin, 8 connections, ${DURATION}s each | mlflow basic-auth | mlflowrs basic-auth | mlflowrs vs mlflow | mlflowrs without auth |"
echo "|---|---|---|---|---|"
echo "| experiments/get | ${m_get} req/s | ${r_get} req/s | $(ratio "$r_get" "$m_get") | ${o_get} req/s |"
echo "| runs/log-metric | ${m_metric} req/s | ${r_metric} req/s | $(ratio "$r_metric" "$m_metric") | ${o_metric} req/s |"
echo "| non-2xx answers | ${m_bad} | ${r_bad} | | ${o_bad} |"
