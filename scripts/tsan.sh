#!/bin/sh
# ThreadSanitizer gate: build with -Db_sanitize=thread and run the thread
# suites: check_threads (two trainers on two threads, bit-identical to
# sequential runs; concurrent checkpoint saves) and check_sweep (sweeps on
# worker threads). The naive reference BLAS (-Dblas=none) is used by default
# because an uninstrumented OpenBLAS hides its own synchronisation from TSan
# and makes false reports; TSAN_BLAS=openblas overrides. TSAN_TESTS lists the
# check_<name> programs to run (default "threads sweep images winograd": images fills
# one streamed npzdir set from two threads; winograd runs the executor's thread
# teams).
# Usage: scripts/tsan.sh [build-dir]      Exit status: 0 clean, 1 otherwise.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${TMPDIR:-/tmp}/richeta-tsan}
blas=${TSAN_BLAS:-none}
tests=${TSAN_TESTS:-threads sweep images winograd}
cc=${CC:-clang}

say() { printf 'tsan: %s\n' "$*"; }

# build DIR [extra c_args]
build() {
  if [ ! -f "$1/build.ninja" ]; then
    CC=$cc meson setup "$1" "$src" -Db_sanitize=thread -Db_lundef=false \
      -Dblas="$blas" -Ddocs=false -Dtools=false -Dbuildtype=debugoptimized \
      -Ddefault_library=static ${2:+"-Dc_args=$2"} >"$1.setup.log" 2>&1 ||
      { cat "$1.setup.log"; return 1; }
  fi
  targets=""
  for t in $tests; do targets="$targets tests/unit/check_$t"; done
  # shellcheck disable=SC2086
  ninja -C "$1" $targets >"$1.ninja.log" 2>&1 || { tail -40 "$1.ninja.log"; return 1; }
}

# run DIR: runs every test program; sets races, failed, crashed, passed
run() {
  races=0 failed=0 crashed="" passed=0
  for t in $tests; do
    log=$1/tsan-$t.log
    rc=0
    CK_FORK=no CK_DEFAULT_TIMEOUT=0 "$1/tests/unit/check_$t" >"$log" 2>&1 || rc=$?
    races=$((races + $(grep -c 'WARNING: ThreadSanitizer' "$log" || true)))
    failed=$((failed + $(grep -c '^not ok' "$log" || true)))
    passed=$((passed + $(grep -c '^ok ' "$log" || true)))
    if [ "$rc" -ge 128 ] && ! grep -q '^1\.\.' "$log"; then
      crashed="$crashed check_$t"
    elif [ "$rc" -ne 0 ] && ! grep -q 'WARNING: ThreadSanitizer' "$log" &&
      ! grep -q '^not ok' "$log"; then
      failed=$((failed + 1))
    fi
  done
}

# halt_on_error: the first race fails the program; exitcode 66 marks it.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 exitcode=66 ${TSAN_OPTIONS:-}"
export TSAN_OPTIONS
build "$build" || { say "FAIL (build)"; exit 1; }
run "$build"
note=""
if [ -n "$crashed" ]; then
  # Programs that die before main: GCC/clang ifunc resolvers (target_clones)
  # run before the TSan runtime is initialised and crash in
  # __tsan_func_entry. Race detection on memory accesses does not need
  # function entry/exit hooks: retry without them (reports then have
  # shorter stacks).
  say "check programs crashed at load time:$crashed (ifunc resolvers instrumented by TSan?);" \
    "retrying with -mllvm -tsan-instrument-func-entry-exit=0"
  build "$build-noentry" "-mllvm -tsan-instrument-func-entry-exit=0" ||
    { say "FAIL (build without entry/exit hooks)"; exit 1; }
  run "$build-noentry"
  build=$build-noentry
  note=" (without function entry/exit hooks: load-time crash otherwise)"
fi
if [ -n "$crashed" ] || [ "$races" -ne 0 ] || [ "$failed" -ne 0 ]; then
  for t in $tests; do
    grep -E -A30 'WARNING: ThreadSanitizer|^not ok' "$build/tsan-$t.log" | head -80 || true
  done
  say "FAIL ($races ThreadSanitizer reports, $failed failed tests, crashed:${crashed:- none};" \
    "logs $build/tsan-*.log)$note"
  exit 1
fi
say "OK ($passed tests of check_$(echo $tests | sed 's/ /, check_/g') clean under ThreadSanitizer, blas=$blas)$note"
