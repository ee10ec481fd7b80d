#!/usr/bin/env bash
# Image size and build times of `mlflowrs models build-docker` (release
# build) for a model (default: the example ONNX model): first build, then a rebuild with
# nothing changed (the engine's layer cache), and beside them what MLflow's
# generated Dockerfile for the same model starts from and installs (it
# cannot be built here: no image can be pulled). The building mlflowrs has
# every feature (tract, candle); the images get the image binaries
# (scripts/build-image-binaries.sh). An ONNX model is also built with
# `--onnx-backend tract`, and each image's largest files are listed.
#
# Needs: the Docker engine, the project venv (scripts/test.sh makes it).
# Usage: benches/docker.sh            MODEL=dir benches/docker.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
# Every feature: the images must not depend on what the building binary has.
build_release --features tract,candle
scripts/build-image-binaries.sh --release >&2
use_ort
MODEL="${MODEL:-examples/iris-onnx}"
TAG="mlflowrs-bench-image:$$"
work=$(mktemp -d)
trap 'docker rmi -f "$TAG" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
now_ms() { date +%s%3N; }

t0=$(now_ms); "$BIN" models build-docker -m "$MODEL" -n "$TAG" --log warn >/dev/null 2>"$work/build.log"; t1=$(now_ms)
"$BIN" models build-docker -m "$MODEL" -n "$TAG" --log warn >/dev/null 2>"$work/rebuild.log"; t2=$(now_ms)
size=$(docker image inspect --format '{{.Size}}' "$TAG")
cached=$(grep -c "Using cache" "$work/rebuild.log" || true)

PATH="$PWD/.venv/bin:$PATH" .venv/bin/mlflow models generate-dockerfile -m "$MODEL" -d "$work/mlflow" >/dev/null 2>&1
from=$(awk '/^FROM/ {print $2; exit}' "$work/mlflow/Dockerfile")
installs=$(grep -cE '^RUN .*(apt-get install|pip install|_install_pyfunc_deps)' "$work/mlflow/Dockerfile" || true)

echo "| image of $MODEL | mlflowrs build-docker | mlflow generate-dockerfile |"
echo "|---|---|---|"
flavor=$(docker image inspect --format '{{index .Config.Labels "org.mlflowrs.flavor"}}' "$TAG")
base=scratch
[ "$flavor" != python_function ] || base="python (the model is served through Python)"
echo "| flavor served | $flavor | |"
echo "| base | $base | $from |"
echo "| RUN steps that install packages | 0 | $installs |"
echo "| image size (MB) | $(awk -v s="$size" 'BEGIN {printf "%.1f", s / 1e6}') | not buildable here (needs $from pulled); MLflow's images are 1-3.7 GB |"
echo "| first build (s) | $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", (b - a) / 1000}') | |"
echo "| rebuild, nothing changed (s) | $(awk -v a="$t1" -v b="$t2" 'BEGIN {printf "%.1f", (b - a) / 1000}') ($cached steps from cache) | |"

# largest FILE...: the files of an image, biggest first, in MB.
largest() {
  local container; container=$(docker create "$1")
  docker export "$container" | tar -tvf - | sort -k3 -n -r | head -6 \
    | awk '{printf "%s %.1f MB\n", $6, $3 / 1e6}'
  docker rm -f "$container" >/dev/null
}
echo
echo "largest files of the image:"
largest "$TAG"
if [ "$flavor" = onnx ]; then
  TRACT_TAG="mlflowrs-bench-image-tract:$$"
  "$BIN" models build-docker -m "$MODEL" -n "$TRACT_TAG" --onnx-backend tract --log warn >/dev/null 2>"$work/tract.log"
  tract_size=$(docker image inspect --format '{{.Size}}' "$TRACT_TAG")
  echo
  echo "with --onnx-backend tract: $(awk -v s="$tract_size" 'BEGIN {printf "%.1f", s / 1e6}') MB; largest files:"
  largest "$TRACT_TAG"
  docker rmi -f "$TRACT_TAG" >/dev/null
fi

