#!/usr/bin/env bash
# Prints the path of ONNX Runtime's shared library, fetching it from PyPI
# (the onnxruntime==1.31.1 wheel, no Python environment needed) into
# .work/ort the first time. Everything goes to stderr except the path.
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.31.1
dest=.work/ort
lib="$PWD/$dest/onnxruntime/capi/libonnxruntime.so.$version"
if [ ! -f "$lib" ]; then
  mkdir -p "$dest"
  echo "fetching onnxruntime==$version from PyPI ..." >&2
  python3 -m pip download --quiet "onnxruntime==$version" --no-deps --only-binary=:all: -d "$dest" >&2
  python3 - "$dest" "$version" <<'PY' >&2
import glob, sys, zipfile
dest, version = sys.argv[1], sys.argv[2]
wheel = glob.glob(f"{dest}/onnxruntime-{version}-*.whl")[0]
zipfile.ZipFile(wheel).extract(f"onnxruntime/capi/libonnxruntime.so.{version}", dest)
PY
fi
echo "$lib"
