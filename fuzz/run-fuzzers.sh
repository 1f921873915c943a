#!/bin/sh
# Build the libFuzzer targets with clang, AddressSanitizer and UBSan into a
# separate build directory and run each for a number of seconds, starting
# from (and adding to) a scratch copy of the committed corpus.
#   fuzz/run-fuzzers.sh [SECONDS_PER_TARGET=60] [BUILD_DIR=/tmp/build-fuzz]
set -eu
secs=${1:-60}
build=${2:-/tmp/build-fuzz}
src=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$build" ]; then
  CC=clang meson setup "$build" "$src" -Dfuzzing=true -Dblas=none -Ddocs=false -Dtools=false \
    -Db_sanitize=address,undefined -Db_lundef=false -Ddefault_library=static \
    -Dc_args=-fsanitize=fuzzer-no-link
fi
ninja -C "$build"
status=0
# every libFuzzer binary the build produced (parsers and other areas' targets)
for exe in "$build"/fuzz/fuzz_*; do
  [ -f "$exe" ] && [ -x "$exe" ] || continue
  t=${exe##*/fuzz_}
  work="$build/fuzz-corpus/$t"
  mkdir -p "$work"
  if [ -d "$src/fuzz/corpus/$t" ]; then
    cp "$src/fuzz/corpus/$t"/* "$work/"
  fi
  echo "== fuzz_$t for ${secs}s"
  if ! "$exe" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 \
       -artifact_prefix="$build/fuzz-crash-$t-" "$work"; then
    echo "fuzz_$t FAILED: see $build/fuzz-crash-$t-*" >&2
    status=1
  fi
done
exit $status
