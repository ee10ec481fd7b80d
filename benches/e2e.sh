#!/usr/bin/env bash
# End-to-end benchmark: the real `mlflow models serve` against
# `mlflowrs models serve` on the same ONNX model, in one run on one machine.
# For each server: cold start (spawn to first /ping 200), wrk at 1, 8 and 64
# connections with a 1-row and a 1000-row body (req/s, p50, p99), and RSS
# after the load. Prints a markdown table with mlflowrs/mlflow ratios.
#
# Needs: wrk (apt-get install wrk), the project venv (scripts/test.sh makes it).
# Usage: benches/e2e.sh [duration-seconds]   (default 10)
#   MODEL=dir      the model (default examples/iris-onnx); a model with a
#                  dataframe_split serving_input_example.json is sent its
#                  first row, repeated, as dataframe_split
#   WORKERS=n      pass -w n to both servers (default: each server's own)
#   BASELINE=bin   also run this mlflowrs binary (an earlier build) in the
#                  same run, and add its column and the ratio to it
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
MODEL="${MODEL:-examples/iris-onnx}"
. benches/common.sh
need_wrk
need_venv mlflow
use_ort
build_release --features tract,candle

work=$(mktemp -d)
trap 'kill -- -$pid 2>/dev/null || true; rm -rf "$work"' EXIT
python3 - "$work" "$MODEL" <<'PY'
import json, os, sys
row = [5.1, 3.5, 1.4, 0.2]
make = lambda n: {"inputs": [row] * n}
example = os.path.join(sys.argv[2], "serving_input_example.json")
if os.path.exists(example):
    split = json.load(open(example)).get("dataframe_split")
    if split:
        make = lambda n: {"dataframe_split": {"columns": split["columns"], "data": [split["data"][0]] * n}}
for name, n in (("1", 1), ("1000", 1000)):
    body = json.dumps(make(n))
    lua = 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' % json.dumps(body)
    open(f"{sys.argv[1]}/post{name}.lua", "w").write(lua)
PY

now_ms() { date +%s%3N; }
# A /ping over bash's /dev/tcp: no process per poll, so the poll loop itself
# adds well under a millisecond to the cold-start figure.
ping_ok() {
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  printf 'GET /ping HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  local line; read -r line <&3 || true
  exec 3<&- 3>&-
  [[ "$line" == *" 200 "* ]]
}
rss_kib() { ps -o rss= -s "$1" | awk '{s+=$1} END {print s+0}'; }

declare -A RESULT
bench() {
  local name=$1; shift
  local port=$((18000 + RANDOM % 1000))
  local t0; t0=$(now_ms)
  setsid "$@" -p "$port" >"$work/$name.log" 2>&1 &
  pid=$!
  until ping_ok "$port"; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/$name.log" >&2; exit 1; }
    sleep 0.001
  done
  RESULT[$name,cold]=$(( $(now_ms) - t0 ))
  for rows in 1 1000; do
    for c in 1 8 64; do
      local out
      out=$(wrk -t "$(( c < 2 ? 1 : 2 ))" -c "$c" -d "${DURATION}s" --latency -s "$work/post$rows.lua" "http://127.0.0.1:$port/invocations")
      RESULT[$name,$rows,$c,rps]=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
      RESULT[$name,$rows,$c,p50]=$(awk '$1=="50%" {print $2}' <<<"$out")
      RESULT[$name,$rows,$c,p99]=$(awk '$1=="99%" {print $2}' <<<"$out")
      local errs; errs=$(awk '/Non-2xx/ {print $4}' <<<"$out")
      [ -z "$errs" ] || echo "warning: $name $rows rows c=$c had $errs non-2xx answers" >&2
    done
  done
  RESULT[$name,rss]=$(( $(rss_kib "$pid") / 1024 ))
  kill -- -"$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

export PATH="$PWD/.venv/bin:$PATH"
W=()
[ -z "${WORKERS:-}" ] || W=(-w "$WORKERS")
bench mlflow .venv/bin/mlflow models serve -m "$MODEL" --env-manager local "${W[@]}"
bench mlflowrs "$BIN" models serve -m "$MODEL" "${W[@]}"
[ -z "${BASELINE:-}" ] || bench baseline "$BASELINE" models serve -m "$MODEL" "${W[@]}"

# The ceiling: a bare axum server that parses the JSON body and echoes it.
port=$((19000 + RANDOM % 1000))
setsid "$ECHO" "$port" >/dev/null 2>&1 &
pid=$!
sleep 0.5
ECHO_RPS=$(wrk -t 2 -c 64 -d "${DURATION}s" -s "$work/post1.lua" "http://127.0.0.1:$port/invocations" | awk '/Requests\/sec/ {print $2}')
kill -- -"$pid" 2>/dev/null || true

ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print((f'{a/b:.2f}x' if a < b else f'{a/b:.1f}x') if b else '-')" "$1" "$2"; }
if [ -n "${BASELINE:-}" ]; then
  echo "| metric | baseline ($BASELINE) | mlflowrs | mlflowrs / baseline |"
  echo "|---|---|---|---|"
  echo "| cold start to first /ping 200 (ms) | ${RESULT[baseline,cold]} | ${RESULT[mlflowrs,cold]} | |"
  echo "| RSS after load (MiB) | ${RESULT[baseline,rss]} | ${RESULT[mlflowrs,rss]} | |"
  for rows in 1 1000; do
    for c in 1 8 64; do
      echo "| $rows-row body, $c conn: req/s | ${RESULT[baseline,$rows,$c,rps]} | ${RESULT[mlflowrs,$rows,$c,rps]} | $(ratio "${RESULT[mlflowrs,$rows,$c,rps]}" "${RESULT[baseline,$rows,$c,rps]}") |"
      echo "| $rows-row body, $c conn: p50 / p99 | ${RESULT[baseline,$rows,$c,p50]} / ${RESULT[baseline,$rows,$c,p99]} | ${RESULT[mlflowrs,$rows,$c,p50]} / ${RESULT[mlflowrs,$rows,$c,p99]} | |"
    done
  done
  echo
fi
echo "| metric | mlflow models serve | mlflowrs | ratio |"
echo "|---|---|---|---|"
echo "| cold start to first /ping 200 (ms) | ${RESULT[mlflow,cold]} | ${RESULT[mlflowrs,cold]} | $(ratio "${RESULT[mlflow,cold]}" "${RESULT[mlflowrs,cold]}") faster |"
echo "| RSS after load (MiB) | ${RESULT[mlflow,rss]} | ${RESULT[mlflowrs,rss]} | $(ratio "${RESULT[mlflow,rss]}" "${RESULT[mlflowrs,rss]}") smaller |"
echo "| 1-row body, 64 conn: mlflowrs / bare axum JSON echo ($ECHO_RPS req/s) | | ${RESULT[mlflowrs,1,64,rps]} | $(ratio "${RESULT[mlflowrs,1,64,rps]}" "$ECHO_RPS") |"
for rows in 1 1000; do
  for c in 1 8 64; do
    echo "| $rows-row body, $c conn: req/s | ${RESULT[mlflow,$rows,$c,rps]} | ${RESULT[mlflowrs,$rows,$c,rps]} | $(ratio "${RESULT[mlflowrs,$rows,$c,rps]}" "${RESULT[mlflow,$rows,$c,rps]}") |"
    echo "| $rows-row body, $c conn: p50 / p99 | ${RESULT[mlflow,$rows,$c,p50]} / ${RESULT[mlflow,$rows,$c,p99]} | ${RESULT[mlflowrs,$rows,$c,p50]} / ${RESULT[mlflowrs,$rows,$c,p99]} | |"
  done
done
