#!/usr/bin/env bash
# Builds a Python base image from this machine's own Python install (no image
# can be pulled here): the interpreter, its standard library, and the shared
# libraries they load, FROM scratch. It stands in for MLflow's default
# `python:<version>-slim` in the Docker tests.
#
# Usage: docker/python-base.sh TAG [PYTHON]   (PYTHON: default .venv/bin/python)
set -Eeuo pipefail
trap 'echo "python-base.sh: line $LINENO: exit $?" >&2' ERR
cd "$(dirname "$0")/.."
TAG="$1"
PY="${2:-.venv/bin/python}"
read -r PREFIX VER < <("$PY" -c 'import sys; print(sys.base_prefix, "%d.%d" % sys.version_info[:2])')
EXE="$(readlink -f "$PREFIX/bin/python$VER")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib" "$root/tmp"
chmod 1777 "$root/tmp"
cp "$EXE" "$root/usr/local/bin/python$VER"
ln -s "python$VER" "$root/usr/local/bin/python3"
ln -s "python$VER" "$root/usr/local/bin/python"
# The standard library, without what a server never imports.
tar -C "$PREFIX/lib" --exclude="python$VER/site-packages" --exclude="python$VER/test" \
  --exclude="python$VER/idlelib" --exclude="python$VER/tkinter" --exclude='__pycache__' \
  -cf - "python$VER" | tar -C "$root/usr/local/lib" -xf -
mkdir -p "$root/usr/local/lib/python$VER/site-packages"
cp -a "$PREFIX"/lib/libpython"$VER"*.so* "$root/usr/local/lib/" 2>/dev/null || true
# Every shared library the interpreter and its extension modules load, and
# the C++ runtime that numpy/pandas/scikit-learn wheels expect of the system.
{
  ldd "$EXE"
  find "$PREFIX/lib/python$VER/lib-dynload" -name '*.so' -exec ldd {} \;
  # All of glibc (wheels' extensions load librt, libdl, libutil, ... directly).
  dpkg -L libc6 2>/dev/null | grep -E '/lib[^/]*\.so[.0-9]*$' | sed 's/.*/x => & (0x0)/'
  # awk reads to the end: an early exit would SIGPIPE ldconfig, and under
  # pipefail that silently ended this script on machines with a big cache.
  for lib in libstdc++.so.6 libgcc_s.so.1 libgomp.so.1; do
    p=$(ldconfig -p | awk -v l="$lib" '$1==l && /x86-64/ && !found {print $NF; found=1}')
    if [ -n "$p" ]; then echo "$lib => $p (0x0)"; fi
  done
} | awk '/=>/ {print $3} !/=>/ && $1 ~ /^\// {print $1}' | grep '^/' | sort -u | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
mkdir -p "$root/etc"
echo "root:x:0:0:root:/root:/bin/false" > "$root/etc/passwd"
tar -C "$root" -cf - . | docker import \
  -c "ENV PATH=/usr/local/bin:/usr/bin:/bin" -c "ENV LD_LIBRARY_PATH=/usr/local/lib" \
  - "$TAG" >/dev/null
echo "$TAG"
