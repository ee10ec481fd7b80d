#!/usr/bin/env bash
# Builds mlflowrs (release) and serves examples/iris-onnx on port 5000.
# Try it:  curl -d '{"inputs": [[5.1, 3.5, 1.4, 0.2]]}' -H 'Content-Type: application/json' localhost:5000/invocations
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mlflowrs/target}"
ORT_DYLIB_PATH="$(scripts/ort-lib.sh)"
export ORT_DYLIB_PATH
cargo build --release -j2 --bin mlflowrs
exec "$CARGO_TARGET_DIR/release/mlflowrs" models serve -m examples/iris-onnx -p "${PORT:-5000}" "$@"
