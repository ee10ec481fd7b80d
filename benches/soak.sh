#!/usr/bin/env bash
# Soak: `models serve` on examples/iris-onnx under a moderate steady load
# (wrk, 4 connections, mixed 1-row and 100-row bodies) for MINUTES minutes.
# Samples the server's RSS every 30 s and prints the samples, the growth of
# RSS from the first minute to the end, the requests served and the non-2xx
# answers and socket errors. Not part of the test run.
#
# Needs: wrk (apt-get install wrk), the project venv (scripts/test.sh).
# Usage: benches/soak.sh [minutes]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES="${1:-10}"
. benches/common.sh
need_wrk
use_ort
build_release --features tract,candle
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import json, sys
one = json.dumps({"inputs": [[5.1, 3.5, 1.4, 0.2]]})
hundred = json.dumps({"dataframe_split": {"data": [[5.1, 3.5, 1.4, 0.2]] * 100}})
open(f"{sys.argv[1]}/mix.lua", "w").write(f"""
local bodies = {{ {json.dumps(one)}, {json.dumps(hundred)} }}
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/invocations", {{["Content-Type"] = "application/json"}}, bodies[n % 2 + 1])
end
""")
PY
port=5141
"$BIN" models serve -m examples/iris-onnx -p "$port" --log error &
pid=$!
for _ in $(seq 200); do curl -sf "localhost:$port/ping" >/dev/null && break; sleep 0.05; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
wrk -t1 -c4 -d"$((MINUTES * 60))s" -s "$work/mix.lua" "http://127.0.0.1:$port/invocations" > "$work/wrk" &
wrk_pid=$!
samples=()
for _ in $(seq $((MINUTES * 2))); do
  sleep 30
  samples+=("$(rss)")
done
wait "$wrk_pid"
echo "RSS every 30 s (kB): ${samples[*]}"
first=${samples[1]:-${samples[0]}}
last=${samples[-1]}
awk -v a="$first" -v b="$last" 'BEGIN { printf "RSS after 1 min: %d kB, at the end: %d kB, growth %.1f%%\n", a, b, (b - a) * 100 / a }'
grep -E "requests in|Requests/sec|Non-2xx|Socket errors" "$work/wrk" || true
n=$(awk '/Non-2xx/ {print $4}' "$work/wrk"); echo "non-2xx answers: ${n:-0}"
