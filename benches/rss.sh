#!/usr/bin/env bash
# Resident memory of `mlflowrs models serve` after a load of 1-row requests
# at 64 connections (wrk), and where it goes: the whole process group's RSS
# (as e2e.sh reads it), then the server's mappings from /proc/PID/smaps,
# grouped (the mlflowrs binary's pages, ONNX Runtime's, the other shared
# libraries', the heap and anonymous memory: allocator arenas, ONNX
# Runtime's buffers, thread stacks), each as resident and private dirty KiB.
#
# Needs: wrk (apt-get install wrk), the project venv (scripts/test.sh makes it).
# Usage: benches/rss.sh [duration-seconds]   (default 10)
#   MODEL=dir   the model (default examples/iris-onnx)
#   EXTRA="..." more `models serve` arguments
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
MODEL="${MODEL:-examples/iris-onnx}"
. benches/common.sh
need_wrk
need_venv
use_ort
build_release --features tract,candle

work=$(mktemp -d)
trap 'kill -- -$pid 2>/dev/null || true; rm -rf "$work"' EXIT
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' \
  "'{\"inputs\": [[5.1, 3.5, 1.4, 0.2]]}'" >"$work/post1.lua"
port=$((20000 + RANDOM % 1000))
# shellcheck disable=SC2086
setsid "$BIN" models serve -m "$MODEL" -p "$port" ${EXTRA:-} >"$work/server.log" 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$port/ping" >/dev/null; do
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.05
done
idle=$(ps -o rss= -s "$pid" | awk '{s+=$1} END {print s+0}')
wrk -t 2 -c 64 -d "${DURATION}s" -s "$work/post1.lua" "http://127.0.0.1:$port/invocations" \
  | awk '/Requests\/sec/ {print "req/s at 64 connections: " $2}'
loaded=$(ps -o rss= -s "$pid" | awk '{s+=$1} END {print s+0}')
# The inference threads trim the heap after a second idle (src/serving/resident.rs).
sleep 2
settled=$(ps -o rss= -s "$pid" | awk '{s+=$1} END {print s+0}')
echo "process group RSS: $((idle / 1024)) MiB idle after start, $((loaded / 1024)) MiB right after the load, $((settled / 1024)) MiB 2 s later"
python3 - "$pid" "$BIN" <<'PY'
import collections, os, sys
pid, binary = sys.argv[1], os.path.realpath(sys.argv[2])
groups = collections.OrderedDict((g, [0, 0]) for g in (
    "mlflowrs binary", "libonnxruntime", "other shared libraries", "heap and anonymous", "stacks", "other"))
name = None
for line in open(f"/proc/{pid}/smaps"):
    fields = line.split()
    if "-" in fields[0] and not fields[0].endswith(":"):
        path = fields[5] if len(fields) > 5 else ""
        if path == binary:
            name = "mlflowrs binary"
        elif "libonnxruntime" in path:
            name = "libonnxruntime"
        elif ".so" in path:
            name = "other shared libraries"
        elif path in ("", "[heap]"):
            name = "heap and anonymous"
        elif path.startswith("[stack"):
            name = "stacks"
        else:
            name = "other"
    elif fields[0] == "Rss:":
        groups[name][0] += int(fields[1])
    elif fields[0] == "Private_Dirty:":
        groups[name][1] += int(fields[1])
threads = len(os.listdir(f"/proc/{pid}/task"))
print(f"\n| mappings of the server ({threads} threads) | RSS (KiB) | private dirty (KiB) |")
print("|---|---|---|")
for g, (rss, dirty) in groups.items():
    print(f"| {g} | {rss} | {dirty} |")
total = [sum(v[i] for v in groups.values()) for i in (0, 1)]
print(f"| total | {total[0]} | {total[1]} |")
PY
