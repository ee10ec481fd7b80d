#!/usr/bin/env bash
# The V2 protocol's transports side by side on one `mlflowrs models serve
# --grpc-port` (release build): HTTP with JSON tensors, HTTP with binary
# tensor data and gRPC, with 1-row and 1,000-row iris bodies at 64
# concurrent callers (benches/v2_transports.rs).
#
# Usage: benches/v2.sh [duration-seconds]   (default 10)
#   MODEL=dir   an ONNX model with iris's input (default examples/iris-onnx)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
MODEL="${MODEL:-examples/iris-onnx}"
. benches/common.sh
need_venv
use_ort
build_release --features tract,candle
cargo build --release -j2 --features tract,candle --bench v2_transports >&2
LOADER=$(ls -t "$CARGO_TARGET_DIR"/release/deps/v2_transports-* | grep -v '\.d$' | head -1)

work=$(mktemp -d)
trap 'kill -- -$pid 2>/dev/null || true; rm -rf "$work"' EXIT
port=$((21000 + RANDOM % 1000))
grpc=$((port + 1000))
setsid "$BIN" models serve -m "$MODEL" -p "$port" --grpc-port "$grpc" >"$work/server.log" 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$port/ping" >/dev/null; do
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.05
done
"$LOADER" "$port" "$grpc" "$DURATION"
