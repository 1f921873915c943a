#!/bin/sh
# Sanitizer and valgrind gate.
#  1. AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer): a
#     separate build with -Db_sanitize=address,undefined runs the default
#     unit suites (and the fuzz corpus replays); any report fails.
#  2. valgrind memcheck over a representative subset (model, trainer,
#     checkpoint, sweep, allocation-failure injection) on an ordinary build:
#     --error-exitcode=1, definite and indirect leaks are errors.
# Usage: scripts/sanitize.sh [asan-build-dir] [valgrind-build-dir]
# Env: SANITIZE_SKIP_VALGRIND=1 / SANITIZE_SKIP_ASAN=1 to run one half.
# Exit status: 0 clean, 1 otherwise; the last line is a one-line summary.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
asan=${1:-${TMPDIR:-/tmp}/richeta-asan}
vgb=${2:-${TMPDIR:-/tmp}/richeta-valgrind}
jobs=${SANITIZE_JOBS:-2}
fail=""
summary=""

say() { printf 'sanitize: %s\n' "$*"; }

setup() { # dir, extra meson args...
  dir=$1
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$src" -Ddocs=false -Dbuildtype=debugoptimized "$@" \
      >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
  fi
  ninja -C "$dir" >"$dir.ninja.log" 2>&1 || { tail -40 "$dir.ninja.log"; return 1; }
}

# ---- 1. ASan + UBSan ----
if [ "${SANITIZE_SKIP_ASAN:-0}" != 1 ]; then
  if setup "$asan" -Db_sanitize=address,undefined -Db_lundef=false \
      -Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all; then
    # CK_FORK=no: one process per suite, so LeakSanitizer checks at its exit.
    export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=23:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=24"
    export LSAN_OPTIONS="exitcode=23"
    rc=0
    # The python suites load the library into an uninstrumented interpreter:
    # not meaningful under ASan; they run in the ordinary test run.
    CK_FORK=no meson test -C "$asan" --no-rebuild --suite unit --suite fuzz --no-suite python \
      --no-suite slow --num-processes "$jobs" --timeout-multiplier 4 --print-errorlogs \
      >"$asan/sanitize-tests.log" 2>&1 || rc=$?
    log="$asan/meson-logs/testlog.txt"
    # ...except one: a Python callback freeing its trainer, with libasan
    # preloaded into the interpreter and the instrumented library.
    if [ -x /usr/bin/python3 ] && [ -f "$asan/lib/libricheta.so" ]; then
      LD_PRELOAD="$(cc -print-file-name=libasan.so) $(cc -print-file-name=libubsan.so)" \
        ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:exitcode=23" \
        RICHETA_LIBRARY="$asan/lib/libricheta.so" \
        /usr/bin/python3 "$src/tests/python/asan_lifetime.py" >>"$log" 2>&1 || rc=$?
    fi
    reports=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" || true)
    ok=$(grep -E '^Ok: ' "$asan/sanitize-tests.log" | awk '{print $2}')
    if [ "$rc" -ne 0 ] || [ "$reports" -ne 0 ]; then
      grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|ERROR|TIMEOUT)' "$asan/sanitize-tests.log" || true
      grep -E -A25 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" | head -120 || true
      fail="$fail asan/ubsan"
      failed=$(grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|ERROR|TIMEOUT)' "$asan/sanitize-tests.log" |
        awk '{print $4}' | sort -u | tr '\n' ' ')
      summary="$summary ASan+UBSan FAIL (failing: ${failed}; $reports sanitizer reports; log $log);"
    else
      summary="$summary ASan+UBSan OK (${ok:-?} test programs);"
    fi
  else
    fail="$fail asan-build"
    summary="$summary ASan+UBSan build FAILED;"
  fi
fi

# ---- 2. valgrind memcheck ----
if [ "${SANITIZE_SKIP_VALGRIND:-0}" != 1 ]; then
  if ! command -v valgrind >/dev/null 2>&1; then
    fail="$fail valgrind-missing"
    summary="$summary valgrind not installed;"
  elif setup "$vgb"; then
    vlog="$vgb/valgrind"
    mkdir -p "$vlog"
    n=0
    bad=""
    # OpenBLAS picks kernels valgrind may not emulate (AVX-512): pin a core type.
    # check_oom covers create, train, save/load/resume, streams, data sets,
    # curve sets and sweeps on both their success and failure paths.
    for t in ${VALGRIND_TESTS:-oom trainer checkpoint sweep model}; do
      exe="$vgb/tests/unit/check_$t"
      [ -x "$exe" ] || { say "valgrind: check_$t not built, skipped"; continue; }
      n=$((n + 1))
      rc=0
      OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1 CK_FORK=no CK_DEFAULT_TIMEOUT=0 \
        valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
        --track-origins=yes --num-callers=30 --log-file="$vlog/check_$t.log" \
        "$exe" >"$vlog/check_$t.out" 2>&1 || rc=$?
      if [ "$rc" -eq 99 ]; then
        bad="$bad check_$t(memcheck)"
        grep -E -B2 -A30 'Invalid|uninitialised|definitely lost|indirectly lost|Mismatched' \
          "$vlog/check_$t.log" | head -80 || true
      elif [ "$rc" -ne 0 ]; then
        bad="$bad check_$t(tests)"
        grep -E '^not ok' "$vlog/check_$t.out" | head -10 || tail -5 "$vlog/check_$t.out"
      fi
    done
    if [ -n "$bad" ]; then
      fail="$fail valgrind"
      summary="$summary valgrind FAIL in$bad (logs $vlog);"
    else
      summary="$summary valgrind OK ($n programs, 0 errors, 0 definite/indirect leaks);"
    fi
  else
    fail="$fail valgrind-build"
    summary="$summary valgrind build FAILED;"
  fi
fi

if [ -n "$fail" ]; then
  say "FAIL:$summary"
  exit 1
fi
say "OK:$summary"
