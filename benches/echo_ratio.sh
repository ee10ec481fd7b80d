#!/usr/bin/env bash
# mlflowrs against a bare axum JSON echo, in interleaved rounds so that a
# shared machine's drift hits both alike: each round runs wrk -t2 -c64 on
# the echo, then on mlflowrs (and on BEFORE, a second mlflowrs binary, when
# given), with the same 1-row body on examples/iris-onnx. Prints req/s,
# the ratio to the echo and p99 per round.
#
# Needs: wrk, the project venv (scripts/test.sh makes it).
# Usage: benches/echo_ratio.sh [rounds] [seconds]      (default 5 rounds of 4 s)
#        BEFORE=/path/to/old/mlflowrs benches/echo_ratio.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-5}"
SECS="${2:-4}"
. benches/common.sh
need_wrk
use_ort
build_release --features tract,candle
T="$CARGO_TARGET_DIR/release"
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' \
  "'{\"inputs\": [[5.1, 3.5, 1.4, 0.2]]}'" > "$work/post.lua"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
E=$(port); "$T/examples/axum-echo" "$E" >/dev/null 2>&1 & pids+=($!)
A=$(port); "$T/mlflowrs" models serve -m examples/iris-onnx -p "$A" --log error >/dev/null 2>&1 & pids+=($!)
if [ -n "${BEFORE:-}" ]; then
  B=$(port); "$BEFORE" models serve -m examples/iris-onnx -p "$B" --log error >/dev/null 2>&1 & pids+=($!)
fi
sleep 2
run() { wrk -t2 -c64 -d"${SECS}s" --latency -s "$work/post.lua" "http://127.0.0.1:$1/invocations" | awk '/Requests\/sec/ {r=$2} $1=="99%" {p=$2} END {print r, p}'; }
for i in $(seq "$ROUNDS"); do
  read -r e _ < <(run "$E")
  read -r a ap < <(run "$A")
  line="round $i: echo $e req/s | mlflowrs $a req/s ($(python3 -c "print(f'{$a/$e:.2f}')")x, p99 $ap)"
  if [ -n "${BEFORE:-}" ]; then
    read -r b bp < <(run "$B")
    line="$line | before $b req/s ($(python3 -c "print(f'{$b/$e:.2f}')")x, p99 $bp)"
  fi
  echo "$line"
done
