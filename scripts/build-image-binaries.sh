#!/usr/bin/env bash
# Builds the binaries `build-docker` puts into model images
# (crates/mlflowrs-image), beside `mlflowrs` in the same target directory:
# `mlflowrs-image-ort` with only ONNX Runtime, the tabular flavors and
# Python, and `mlflowrs-image-tract` with tract instead of ONNX Runtime.
# Each is its own cargo invocation, so that its features are its own.
#
# Usage: scripts/build-image-binaries.sh [--release]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mlflowrs/target}"
cargo build -j2 "$@" -p mlflowrs-image --bin mlflowrs-image-ort
cargo build -j2 "$@" -p mlflowrs-image --features tract --bin mlflowrs-image-tract
