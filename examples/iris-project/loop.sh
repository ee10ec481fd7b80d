#!/usr/bin/env bash
# The whole MLflow loop with mlflowrs: `mlflowrs run` trains, logs and
# registers a model from this project, then `mlflowrs models serve` serves
# the registered version by its alias and answers one prediction.
#   examples/iris-project/loop.sh            # environment built by uv from python_env.yaml
#   ENV_MANAGER=local examples/iris-project/loop.sh   # the Python on PATH (with mlflow, scikit-learn, skl2onnx)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mlflowrs/target}"
if [ -z "${MLFLOWRS:-}" ]; then
  cargo build --release -j2 --bin mlflowrs
  MLFLOWRS="$CARGO_TARGET_DIR/release/mlflowrs"
fi
ORT_DYLIB_PATH="$(scripts/ort-lib.sh)"
export ORT_DYLIB_PATH
work="$(mktemp -d)"
export MLFLOW_TRACKING_URI="sqlite:///$work/mlflow.db"
port="${PORT:-5077}"

(cd "$work" && "$MLFLOWRS" run "$OLDPWD/examples/iris-project" --env-manager "${ENV_MANAGER:-uv}" \
  --experiment-name iris -P C=0.5 -P model_name=iris-classifier -P alias=champion)

"$MLFLOWRS" models serve -m models:/iris-classifier@champion -p "$port" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "localhost:$port/ping" >/dev/null && break
  sleep 0.1
done
curl -sf -H 'Content-Type: application/json' \
  -d '{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}' "localhost:$port/invocations"
echo
