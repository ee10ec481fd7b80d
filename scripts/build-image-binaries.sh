#!/usr/bin/env bash
# Builds the binaries `build-docker` puts into model images
# (crates/mlflowrs-image), beside `mlflowrs` in the same target directory:
# `mlflowrs-image-ort` with only ONNX Runtime, the tabular flavors and
# Python, and `mlflowrs-image-tract` with tract instead of ONNX Runtime.
# Each is its own cargo invocation, so that its features are its own.
# --release builds them with the size-first `image` profile (Cargo.toml) and
# copies them beside the release `mlflowrs`, where build-docker looks.
#
# Usage: scripts/build-image-binaries.sh [--release]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mlflowrs/target}"
profile=(); from=debug; to=debug
if [ "${1:-}" = --release ]; then
  profile=(--profile image); from=image; to=release
fi
cargo build -j2 "${profile[@]}" -p mlflowrs-image --bin mlflowrs-image-ort
cargo build -j2 "${profile[@]}" -p mlflowrs-image --features tract --bin mlflowrs-image-tract
if [ "$from" != "$to" ]; then
  mkdir -p "$CARGO_TARGET_DIR/$to"
  for bin in mlflowrs-image-ort mlflowrs-image-tract; do
    cp "$CARGO_TARGET_DIR/$from/$bin" "$CARGO_TARGET_DIR/$to/$bin"
  done
fi
