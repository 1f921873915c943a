#!/bin/sh
# The quick-start and CI scripts: valid shell, executable, .ci/run runs the
# README's test command, the README's quick start is exactly the two
# commands, and the test counter reports subtests and failures correctly.
# usage: check_scripts.sh SRC_DIR PYTHON3
set -eu
src=$1 py=$2
status=0
fail() { echo "FAIL: $*"; status=1; }
for f in scripts/quickstart.sh scripts/test.sh scripts/deps.sh .ci/run bench/run_issue2.sh; do
  [ -f "$src/$f" ] || { fail "$f is missing"; continue; }
  sh -n "$src/$f" || fail "$f is not valid sh"
  case $f in *deps.sh) ;; *) [ -x "$src/$f" ] || fail "$f is not executable" ;; esac
done
grep -q '^exec \./scripts/test\.sh$' "$src/.ci/run" || fail ".ci/run does not run ./scripts/test.sh"
# The quick start block of the README: exactly the two commands.
block=$(awk '/^## Quick start/ {q = 1; next} /^## / {q = 0} q && /^    [^ ]/' "$src/README.md")
[ "$block" = "$(printf '    ./scripts/quickstart.sh\n    ./scripts/test.sh')" ] ||
  fail "README quick start is not exactly the two commands: $block"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/log.json" <<'JSON'
{"name": "a", "result": "OK", "stdout": "ok 1 - x\nok 2 - y\n1..2\n"}
{"name": "b", "result": "FAIL", "stdout": "ok 1 - x\nnot ok 2 - y\n1..3\n"}
{"name": "c", "result": "OK", "stdout": "plain output"}
{"name": "d", "result": "TIMEOUT", "stdout": ""}
JSON
out=$("$py" "$src/scripts/count_tests.py" "$tmp/log.json") && fail "count_tests.py exited 0 with failures"
[ "$(printf '%s\n' "$out" | tail -n 1)" = "4 passed, 3 failed" ] ||
  fail "count_tests.py said '$out', expected '4 passed, 3 failed'"
printf '%s\n' '{"name": "a", "result": "OK", "stdout": "ok 1 - x\n1..1\n"}' >"$tmp/ok.json"
out=$("$py" "$src/scripts/count_tests.py" "$tmp/ok.json") || fail "count_tests.py failed on a passing log"
[ "$out" = "1 passed, 0 failed" ] || fail "count_tests.py said '$out' on a passing log"
[ $status -eq 0 ] && echo "scripts ok"
exit $status
