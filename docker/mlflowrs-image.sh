#!/usr/bin/env bash
# Builds the mlflowrs image (docker/mlflowrs.Dockerfile) FROM scratch: the
# binary, every shared library it loads, and ONNX Runtime's library beside
# the binary when ORT_LIBRARY names one (mlflowrs finds it there).
#
# Usage: docker/mlflowrs-image.sh TAG [BINARY]
#   BINARY: default target/release/mlflowrs under $CARGO_TARGET_DIR
#   ORT_LIBRARY=/path/to/libonnxruntime.so.1.31.1 docker/mlflowrs-image.sh TAG
set -Eeuo pipefail
cd "$(dirname "$0")/.."
TAG="$1"
BIN="${2:-${CARGO_TARGET_DIR:-target}/release/mlflowrs}"
[ -x "$BIN" ] || { echo "mlflowrs-image.sh: no binary at $BIN (cargo build --release)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root/usr/local/bin" "$root/tmp" "$root/etc/ssl/certs"
chmod 1777 "$root/tmp"
cp "$BIN" "$root/usr/local/bin/mlflowrs"
libs=("$BIN")
if [ -n "${ORT_LIBRARY:-}" ]; then
  cp "$ORT_LIBRARY" "$root/usr/local/bin/"
  libs+=("$ORT_LIBRARY")
fi
# The dynamic loader and every library the binary (and ONNX Runtime) load.
for f in "${libs[@]}"; do ldd "$f"; done | awk '/=>/ {print $3} !/=>/ && $1 ~ /^\// {print $1}' \
  | grep '^/' | sort -u | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
fi
printf 'root:x:0:0:root:/root:/sbin/nologin\nmlflowrs:x:10001:10001:mlflowrs:/tmp:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nmlflowrs:x:10001:\n' > "$root/etc/group"
cp docker/mlflowrs.Dockerfile "$work/Dockerfile"
docker build -q -t "$TAG" "$work" >/dev/null
echo "$TAG"
