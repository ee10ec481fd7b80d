#!/usr/bin/env bash
# A/B with containers: two versions of a model (examples/iris-onnx and
# examples/iris-onnx-v2) built as two images and run side by side on ports
# 5001 and 5002; the same request goes to both and both answers are shown.
# (One process can also serve both: `mlflowrs models serve -m a=... -m b=...
# --split a=90,b=10`, see "Several models, A/B" in the README.)
#
# Needs: the Docker engine and mlflowrs on PATH (or MLFLOWRS=path/to/binary),
# ONNX Runtime's library findable as for `serve` (ORT_DYLIB_PATH).
# Usage: examples/ab-docker.sh
set -euo pipefail
cd "$(dirname "$0")/.."
MLFLOWRS="${MLFLOWRS:-mlflowrs}"
trap 'docker rm -f iris-a iris-b >/dev/null 2>&1 || true' EXIT
"$MLFLOWRS" models build-docker -m examples/iris-onnx -n iris:v1 --log warn >/dev/null
"$MLFLOWRS" models build-docker -m examples/iris-onnx-v2 -n iris:v2 --log warn >/dev/null
docker run -d --name iris-a -p 127.0.0.1:5001:8080 iris:v1 >/dev/null
docker run -d --name iris-b -p 127.0.0.1:5002:8080 iris:v2 >/dev/null
body='{"inputs": [[5.9, 3.0, 4.2, 1.5]]}'
for port in 5001 5002; do
  for _ in $(seq 100); do curl -sf "localhost:$port/ping" >/dev/null && break; sleep 0.1; done
  echo "port $port: $(curl -s -H 'Content-Type: application/json' -d "$body" "localhost:$port/invocations")"
done
