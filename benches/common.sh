# Sourced by the bench scripts, from the repository root: the tools they
# need, checked with one message each, and the release build they share.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mlflowrs/target}"

need_wrk() {
  command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
}

# need_venv [PROGRAM]: the project venv (scripts/test.sh makes it), with PROGRAM in its bin/.
need_venv() {
  [ -x ".venv/bin/${1:-python}" ] || { echo "no .venv: run scripts/test.sh first" >&2; exit 1; }
}

# ONNX Runtime's library from the venv's onnxruntime wheel.
use_ort() {
  ORT_DYLIB_PATH="$(ls "$PWD"/.venv/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so.1.31.1)"
  export ORT_DYLIB_PATH
}

# build_release [CARGO FLAGS...]: the mlflowrs binary and the axum echo
# baseline, the same targets for every bench so that they share one build;
# sets BIN and ECHO.
build_release() {
  cargo build --release -j2 "$@" --bin mlflowrs --example axum-echo >&2
  BIN="$CARGO_TARGET_DIR/release/mlflowrs"
  ECHO="$CARGO_TARGET_DIR/release/examples/axum-echo"
}
