#!/bin/sh
# Behaviour of `richeta train` as a program: exit codes, one-line usage
# errors, CSV and JSON-lines output, divergence as a result, --help listing
# every parameter, spec flags, and checkpoint/resume giving the same curve.
# Prints TAP (one line per case). usage: test_train.sh RICHETA PYTHON3
set -u
R=$1
PY=${2:-python3}
. "$(dirname "$0")/tap.sh"
SMALL="--input-dim 4 --width 16 --depth 2 --batch 8 --steps 40 --eta0 0.05 --seed 3 --eval_n 64"

# usage errors: exit 2, exactly one line on stderr, nothing on stdout
usage_error() { # usage_error ARGS...
  "$R" train "$@" >"$tmp/u.out" 2>"$tmp/u.err"
  rc=$?
  [ $rc -eq 2 ] && [ ! -s "$tmp/u.out" ] && [ "$(wc -l <"$tmp/u.err")" -eq 1 ] &&
    grep -q '^richeta train: ' "$tmp/u.err"
}
check "unknown flag is a one-line usage error" usage_error --no-such-flag 1
check "single-dash flag is a usage error" usage_error -g 3
check "gamma 0 is a usage error" usage_error --gamma 0
check "negative gamma is a usage error" usage_error --gamma -1
check "non-numeric gamma is a usage error" usage_error --gamma abc
check "nan eta0 is a usage error" usage_error --eta0 nan
check "unknown activation is a usage error" usage_error --activation sigmoid
check "fractional width is a usage error" usage_error --width 2.5
check "missing value is a usage error" usage_error --steps
check "bad --set spec is a usage error" usage_error --set "gamma=1,N=0"
check "missing --config file is a usage error" usage_error --config "$tmp/none.cfg"
check "stray positional argument is a usage error" usage_error extra
check "--checkpoint-every without --checkpoint is a usage error" usage_error --checkpoint-every 5

help_lists_everything() {
  "$R" train --help >"$tmp/help" 2>&1 || return 1
  for f in --gamma --eta0 --N --width --D --input-dim --L --depth --B --batch --T --steps \
    --act --activation --param --parameterization --center --loss --dtype --rule --schedule \
    --task --noise --seed --data --json --checkpoint --checkpoint-every --resume --config --set; do
    grep -q -- "$f[ ,]" "$tmp/help" || { echo "missing $f"; return 1; }
  done
  grep -q "default" "$tmp/help"
}
check "--help exits 0 and lists every parameter and flag" help_lists_everything

csv_run() {
  # shellcheck disable=SC2086
  "$R" train $SMALL >"$tmp/a.csv" 2>"$tmp/a.err" || return 1
  [ ! -s "$tmp/a.err" ] || return 1 # no progress bar when stderr is not a terminal
  [ "$(head -n 1 "$tmp/a.csv")" = "step,train_loss,test_loss,eta,test_accuracy" ] || return 1
  tail -n 1 "$tmp/a.csv" | grep -q '^# status=converged final_loss=[0-9.e+-]* test_final_loss=[0-9.e+-]* steps=40$' || return 1
  # steps strictly increase from 0 to 40, every loss is a finite number
  awk -F, 'NR > 1 && !/^#/ { if (NF != 5 || $1 <= last && NR > 2 || $2 !~ /^[0-9]/) exit 1;
            last = $1; first = (NR == 2 ? $1 : first) }
           END { if (first != 0 || last != 40) exit 1 }' "$tmp/a.csv"
}
check "CSV output: header, increasing steps 0..40, status line" csv_run

diag_run() {
  # shellcheck disable=SC2086
  "$R" train $SMALL --diag all --diag-probe 16 --json >"$tmp/d.jsonl" || return 1
  "$PY" - "$tmp/d.jsonl" <<'PY'
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])][:-1]
assert len(rows) > 5
for r in rows:  # every logged step carries every diagnostic, as a finite number
    for k in ("sharpness", "gn", "alignment", "movement_0", "movement_1", "preact_0", "preact_1"):
        assert isinstance(r[k], (int, float)) and math.isfinite(r[k]), (r["step"], k, r.get(k))
assert rows[0]["step"] == 0 and rows[0]["movement_0"] == 0.0  # step 0 is the initial network
assert rows[-1]["movement_0"] > 0 and rows[-1]["sharpness"] > 0
PY
}
check "--diag all: every logged step has finite diagnostics, step 0 at init" diag_run
check "--diag with an unknown name is a usage error" usage_error --diag sharpness,bogus

json_run() {
  # shellcheck disable=SC2086
  "$R" train $SMALL --json >"$tmp/a.jsonl" || return 1
  "$PY" - "$tmp/a.jsonl" "$tmp/a.csv" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
*points, final = rows
assert final["record"] == "run" and final["status"] == "converged" and final["steps"] == 40, final
for p in points:
    assert set(p) == {"record", "step", "train_loss", "test_loss", "eta", "test_accuracy", "gamma",
                      "eta0"}, p
    assert p["record"] == "point" and p["test_accuracy"] is None, p  # regression (C = 1)
    assert p["gamma"] == 1 and p["eta0"] == 0.05, p
assert final["final_loss"] == points[-1]["train_loss"]
assert final["test_final_loss"] == points[-1]["test_loss"]
csv = [l.strip().split(",") for l in open(sys.argv[2]) if l[0].isdigit()]
assert len(csv) == len(points)
for c, p in zip(csv, points):  # same numbers, exactly (%.17g both ways)
    assert int(c[0]) == p["step"] and float(c[1]) == p["train_loss"] and float(c[2]) == p["test_loss"]
PY
}
check "JSON lines: documented keys, final object, same numbers as CSV" json_run

diverge_run() {
  # shellcheck disable=SC2086
  "$R" train $SMALL --eta0 1e6 --json >"$tmp/d.jsonl" || return 1
  "$PY" -c "
import json, sys
rows = [json.loads(l) for l in open('$tmp/d.jsonl')]
assert rows[-1]['status'] == 'diverged' and rows[-1]['final_loss'] is None, rows[-1]
assert rows[-1]['steps'] < 40
"
}
check "divergence is a result: exit 0, status diverged, final_loss null" diverge_run

set_and_config() {
  "$R" train --set "gamma=5,act=tanh" --width 32 --show-config >"$tmp/s1" || return 1
  grep -q 'gamma=5,' "$tmp/s1" && grep -q 'act=tanh' "$tmp/s1" && grep -q 'N=32,' "$tmp/s1" ||
    return 1
  printf '# a spec file\ngamma=7\nL=4\n' >"$tmp/c.cfg"
  "$R" train --config "$tmp/c.cfg" --gamma=9 --show-config >"$tmp/s2" || return 1
  grep -q 'gamma=9,' "$tmp/s2" && grep -q 'L=4,' "$tmp/s2" # later flags override the file
}
check "--set, --config and --flag=value apply in order" set_and_config

resume_same() {
  # shellcheck disable=SC2086
  "$R" train $SMALL >"$tmp/full.csv" || return 1
  # shellcheck disable=SC2086
  "$R" train $SMALL --max-steps 15 --checkpoint "$tmp/ck" --checkpoint-every 4 >"$tmp/part.csv" ||
    return 1
  grep -q '^# status=running .* steps=15$' "$tmp/part.csv" || return 1
  "$R" train --resume "$tmp/ck" >"$tmp/bare.csv" || return 1
  cmp -s "$tmp/full.csv" "$tmp/bare.csv" || { diff "$tmp/full.csv" "$tmp/bare.csv"; return 1; }
  # shellcheck disable=SC2086
  "$R" train $SMALL --max-steps 15 --checkpoint "$tmp/ck" >/dev/null || return 1
  # shellcheck disable=SC2086
  "$R" train $SMALL --resume "$tmp/ck" >"$tmp/flags.csv" || return 1
  cmp -s "$tmp/full.csv" "$tmp/flags.csv"
}
check "checkpoint + resume reproduces the uninterrupted curve bit for bit" resume_same

resume_mismatch() {
  # shellcheck disable=SC2086
  "$R" train $SMALL --max-steps 5 --checkpoint "$tmp/ck2" >/dev/null || return 1
  # shellcheck disable=SC2086
  "$R" train $SMALL --gamma 3 --resume "$tmp/ck2" >/dev/null 2>"$tmp/m.err"
  [ $? -eq 1 ] && [ "$(wc -l <"$tmp/m.err")" -eq 1 ]
}
check "resuming with a different configuration fails with exit 1" resume_mismatch

bad_checkpoint() {
  echo "garbage" >"$tmp/garbage"
  "$R" train --resume "$tmp/garbage" >/dev/null 2>&1
  [ $? -eq 1 ]
}
check "a corrupt checkpoint is a runtime error (exit 1)" bad_checkpoint

progress_on_tty() {
  command -v script >/dev/null 2>&1 || { echo "no script(1): cannot make a terminal"; return 0; }
  # shellcheck disable=SC2086
  script -qec "env -u RICHETA_NO_PROGRESS $R train $SMALL" /dev/null >"$tmp/tty.out" 2>&1 ||
    return 1
  grep -q 'train \[#' "$tmp/tty.out" && grep -q 'step,train_loss' "$tmp/tty.out"
}
check "progress bar is drawn when stderr is a terminal (and only then, see CSV case)" progress_on_tty

version_cmd() { "$R" version | grep -q "blas="; }
check "richeta version prints the build info" version_cmd

unknown_cmd() { "$R" frobnicate >/dev/null 2>&1; [ $? -eq 2 ]; }
check "unknown command exits 2" unknown_cmd

echo "1..$n"
[ $fails -eq 0 ]
