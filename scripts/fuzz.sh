#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/fuzz_targets/) on its committed corpus
# (fuzz/corpus/<target>) for SECONDS each; a crash fails the script and
# leaves its input in fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]    default: 20 s each, every target
#   FUZZ_GROW=1 scripts/fuzz.sh 600          long runs that add new inputs to
#                                            the committed corpora
#
# The test command runs it for a short smoke run. cargo-fuzz needs nightly
# rustc flags; RUSTC_BOOTSTRAP lets the stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-20}"
shift || true
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/mlflowrs/fuzz-target}"
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz@0.13.2
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cd fuzz && cargo fuzz list)
cd fuzz
CARGO_BUILD_JOBS=2 cargo fuzz build >&2
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  if [ "${FUZZ_GROW:-0}" = 1 ]; then
    dirs=("corpus/$t")
  else
    # The smoke run reads the committed corpus but writes new inputs elsewhere.
    scratch=$(mktemp -d)
    dirs=("$scratch" "corpus/$t")
  fi
  echo "== $t: ${SECONDS_EACH}s" >&2
  log=$(mktemp)
  set +e
  cargo fuzz run "$t" "${dirs[@]}" -- -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 -timeout=10 \
    -print_final_stats=1 > "$log" 2>&1
  status=$?
  set -e
  grep -E "stat::number_of_executed_units|stat::peak_rss|^Done |(DONE|INITED) +cov:|ERROR|panicked|SUMMARY" "$log" | tail -8 >&2 || true
  [ "$status" -eq 0 ] || tail -40 "$log" >&2
  rm -f "$log"
  [ "${FUZZ_GROW:-0}" = 1 ] || rm -rf "$scratch"
  if [ "$status" -ne 0 ]; then
    echo "fuzz target $t failed (exit $status); see fuzz/artifacts/$t/" >&2
    exit 1
  fi
done
