#!/bin/sh
# Install the dependencies (Debian 12, as root), build with warnings as
# errors, run every default test suite (all but 'slow') and the reliability
# gates (ASan+UBSan, valgrind, TSan), and print one final line
# "N passed, N failed" that counts each Check test case (TAP subtest), each
# other meson test and each gate. Exits non-zero if anything failed.
#
# The slow suite:  meson test -C build --suite slow --print-errorlogs
set -eu
cd "$(dirname "$0")/.."
. scripts/deps.sh
BUILD=${RICHETA_BUILD_DIR:-build}

richeta_install_deps test
echo "== building into $BUILD (--werror)"
if ! richeta_build "$BUILD" --werror; then
  echo "build failed: no test ran"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "== meson test (default suites, slow excluded)"
rc=0
rm -f "$BUILD/meson-logs/testlog.json" # never count a stale log
meson test -C "$BUILD" --no-suite slow --print-errorlogs \
  --num-processes "$(nproc 2>/dev/null || echo 2)" || rc=$?

# Reliability gates, each counted as one test in the final line:
# AddressSanitizer + UBSan over the unit suites, valgrind memcheck over a
# representative subset (on the build above), ThreadSanitizer over the
# thread suites. RICHETA_NO_GATES=1 skips them (a quick local run).
gates="$BUILD/gates.txt"
: >"$gates"
gate() { # gate NAME COMMAND...
  name=$1
  shift
  echo "== gate: $name"
  if "$@"; then echo "pass $name" >>"$gates"; else echo "fail $name" >>"$gates"; rc=1; fi
}
if [ "${RICHETA_NO_GATES:-0}" != 1 ]; then
  gate asan-ubsan env SANITIZE_SKIP_VALGRIND=1 scripts/sanitize.sh "$BUILD-asan"
  gate valgrind env SANITIZE_SKIP_ASAN=1 scripts/sanitize.sh "$BUILD-asan" "$BUILD"
  gate tsan scripts/tsan.sh "$BUILD-tsan"
fi
python3 scripts/count_tests.py "$BUILD/meson-logs/testlog.json" "$gates" || rc=1
exit $rc
