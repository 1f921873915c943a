#!/bin/sh
# The program's defects of issue 16, one case each: output kept when a run
# is interrupted (SIGINT, SIGTERM), `version --json` and bad version flags,
# help and errors agreeing on bounds, aliases in --set and config files,
# did-you-mean for unknown flags, no -wal/-shm files left by read-only
# commands, a store with several sweeps named in the error.
# Prints TAP. usage: test_cli_defects.sh RICHETA PYTHON3
set -u
R=$1
PY=${2:-python3}
. "$(dirname "$0")/tap.sh"
SMALL="--input-dim 4 --width 8 --depth 2 --batch 8 --eval_n 16"

# A long run to stdout redirected to a file, stopped by SIGNAL once rows
# have appeared: the rows stay, the exit status is 128 + the signal.
interrupted_keeps_rows() { # SIGNAL STATUS
  : >"$tmp/int.csv"
  # shellcheck disable=SC2086
  "$R" train $SMALL --steps 100000000 --log_per_decade 1000 >"$tmp/int.csv" 2>/dev/null &
  pid=$!
  i=0
  while [ "$(wc -l <"$tmp/int.csv")" -lt 3 ] && [ $i -lt 200 ]; do
    sleep 0.05
    i=$((i + 1))
  done
  kill "-$1" $pid
  wait $pid
  rc=$?
  [ $rc -eq "$2" ] || { echo "exit status $rc, want $2"; return 1; }
  [ "$(head -n 1 "$tmp/int.csv")" = "step,train_loss,test_loss,eta,test_accuracy" ] || return 1
  [ "$(wc -l <"$tmp/int.csv")" -ge 3 ] || { echo "rows lost"; return 1; }
  # every row is whole: 5 fields
  awk -F, 'NF != 5 { exit 1 }' "$tmp/int.csv"
}
check "SIGINT during train > file keeps the rows, exit 130" interrupted_keeps_rows INT 130
check "SIGTERM during train > file keeps the rows, exit 143" interrupted_keeps_rows TERM 143

version_json() {
  "$R" version --json >"$tmp/v.json" || return 1
  "$PY" - "$tmp/v.json" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
v = json.loads(lines[0])
assert v["record"] == "version" and v["version"].count(".") == 2 and v["abi"] >= 1, v
PY
}
check "version --json prints one JSON line with a record type" version_json

usage_error() { # CMD ARGS...: exit 2, one line on stderr, nothing on stdout
  "$R" "$@" >"$tmp/u.out" 2>"$tmp/u.err"
  rc=$?
  [ $rc -eq 2 ] && [ ! -s "$tmp/u.out" ] && [ "$(wc -l <"$tmp/u.err")" -eq 1 ]
}
check "version --bogus is a usage error (exit 2)" usage_error version --bogus

# the bound the help states is the bound the check applies and names
help_and_error_agree() {
  "$R" train --help >"$tmp/h.txt" 2>&1
  grep -A1 -- '^  --gamma VALUE' "$tmp/h.txt" | grep -q 'real in (0, 1e+30\]' ||
    { grep -A1 -- '--gamma VALUE' "$tmp/h.txt"; return 1; }
  "$R" train --gamma 2e30 2>"$tmp/e.txt" >/dev/null
  [ $? -eq 2 ] && grep -q 'gamma=2e+30 is outside (0, 1e+30\]' "$tmp/e.txt" || { cat "$tmp/e.txt"; return 1; }
  "$R" train $SMALL --steps 1 --gamma 1e30 >/dev/null 2>&1 # the bound itself is accepted
}
check "help and error state the same gamma bound, the bound is accepted" help_and_error_agree

aliases_everywhere() {
  # shellcheck disable=SC2086
  "$R" train --set width=12,lr=0.02,steps=3 --show-config >"$tmp/a1" 2>&1 || { cat "$tmp/a1"; return 1; }
  grep -q 'N=12,' "$tmp/a1" && grep -q 'eta0=0.02,' "$tmp/a1" && grep -q 'T=3,' "$tmp/a1" || return 1
  printf 'width=20\nactivation=tanh # alias names in a config file\n' >"$tmp/a.cfg"
  "$R" train --config "$tmp/a.cfg" --show-config >"$tmp/a2" 2>&1 || { cat "$tmp/a2"; return 1; }
  grep -q 'N=20,' "$tmp/a2" && grep -q 'act=tanh,' "$tmp/a2"
}
check "aliases (width, lr, steps, activation) work in --set and config files" aliases_everywhere

did_you_mean() {
  "$R" train --gama 1 2>"$tmp/d1"
  [ $? -eq 2 ] && grep -q "did you mean --gamma?" "$tmp/d1" || { cat "$tmp/d1"; return 1; }
  "$R" train --set gama=1 2>"$tmp/d2"
  [ $? -eq 2 ] && grep -q "did you mean 'gamma'" "$tmp/d2" || { cat "$tmp/d2"; return 1; }
  "$R" fit --jsn 2>"$tmp/d3"
  [ $? -eq 2 ] && grep -q "did you mean --json?" "$tmp/d3" || { cat "$tmp/d3"; return 1; }
}
check "unknown flags and keys get a did-you-mean" did_you_mean

# two small sweeps in one store
mkdir "$tmp/st"
DB=$tmp/st/s.db
for L in 2 3; do
  # shellcheck disable=SC2086
  "$R" sweep --db "$DB" --gamma-grid 0.5,2 --eta-grid 0.01,0.1 --mode dense $SMALL --L $L \
    --steps 20 >/dev/null 2>&1 || echo "# sweep L=$L failed"
done
H=$("$R" status --db "$DB" --json 2>/dev/null | "$PY" -c '
import json, sys
print([json.loads(l) for l in sys.stdin][0]["config_hash"])' 2>/dev/null)

no_side_files() {
  for c in "export --db $DB" "fit --db $DB --hash $H" "align --db $DB --hash $H" \
    "status --db $DB" "check --db $DB" "plot --db $DB --hash $H --out $tmp/p.png"; do
    # shellcheck disable=SC2086
    $R $c >/dev/null 2>"$tmp/side.err" || { echo "$c failed: $(cat "$tmp/side.err")"; return 1; }
    if [ -e "$DB-wal" ] || [ -e "$DB-shm" ]; then
      echo "$c left $(ls "$tmp/st")"
      return 1
    fi
  done
}
check "read-only commands leave no -wal or -shm file" no_side_files

several_sweeps_named() {
  "$R" status --db "$DB" >"$tmp/s.txt" 2>&1 || return 1
  [ "$(grep -c '^sweep [0-9a-f]\{16\}' "$tmp/s.txt")" -eq 2 ] || { cat "$tmp/s.txt"; return 1; }
  for c in "fit" "plot --out $tmp/q.png"; do
    # shellcheck disable=SC2086
    "$R" $c --db "$DB" >/dev/null 2>"$tmp/f.err"
    [ $? -eq 1 ] || return 1
    for h in $(sed -n 's/^sweep \([0-9a-f]\{16\}\).*/\1/p' "$tmp/s.txt"); do
      grep -q "$h" "$tmp/f.err" || { echo "$c: $(cat "$tmp/f.err")"; return 1; }
    done
    grep -q "richeta_sweep_open" "$tmp/f.err" && { echo "C function name: $(cat "$tmp/f.err")"; return 1; }
  done
  return 0
}
check "fit/plot on a store with several sweeps name them; status lists them" several_sweeps_named

width_with_one_layer() {
  "$R" train $SMALL --L 1 --N 32 --steps 2 >/dev/null 2>"$tmp/w1" || return 1
  grep -q "warning: N (width) has no effect with L=1" "$tmp/w1" || { cat "$tmp/w1"; return 1; }
  "$R" train --D 4 --L 1 --steps 2 >/dev/null 2>"$tmp/w2" || return 1 # N not given: no word
  [ ! -s "$tmp/w2" ] || { cat "$tmp/w2"; return 1; }
}
check "--N with L=1 (no hidden layer) is said to have no effect" width_with_one_layer

align_reads_a_bom() {
  printf '\357\273\277curve,gamma,eta,step,loss\na,1,0.1,1,1\na,1,0.1,10,0.5\na,1,0.1,100,0.1\n' >"$tmp/bom.csv"
  "$R" align --csv "$tmp/bom.csv" --json >"$tmp/bom.jsonl" 2>"$tmp/bom.err" ||
    { cat "$tmp/bom.err"; return 1; }
  grep -q '"record":"curve"' "$tmp/bom.jsonl"
}
check "align reads a CSV that starts with a UTF-8 byte-order mark" align_reads_a_bom

no_c_function_names() {
  "$R" sweep --db "$tmp/n.db" --seeds 1,1 2>"$tmp/cf"
  [ $? -eq 2 ] && grep -q "duplicate seed 1" "$tmp/cf" || { cat "$tmp/cf"; return 1; }
  ! grep -q "richeta_[a-z_]*:" "$tmp/cf" || { cat "$tmp/cf"; return 1; }
}
check "errors of the program name no C function" no_c_function_names

# configurations are written with the shortest numbers now (decay_factor=0.1);
# a run stored by an earlier build (0.10000000000000001, no checksum) is the
# same run to merge
merge_across_number_formats() {
  cp "$DB" "$tmp/old.db"
  "$PY" - "$tmp/old.db" <<'PY' || return 1
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
rid = con.execute("SELECT min(id) FROM runs").fetchone()[0]
# this build stores the shortest numbers
assert "decay_factor=0.1," in con.execute("SELECT config FROM runs WHERE id = ?", (rid,)).fetchone()[0]
cur = con.execute("UPDATE runs SET config = replace(config, 'decay_factor=0.1,',"
                  " 'decay_factor=0.10000000000000001,') WHERE id = ?", (rid,))
assert cur.rowcount == 1 and "0.10000000000000001" in con.execute(
    "SELECT config FROM runs WHERE id = ?", (rid,)).fetchone()[0]
con.execute("DELETE FROM run_checksums WHERE run_id = ?", (rid,))
con.commit()
PY
  "$R" merge "$tmp/mrg.db" "$DB" "$tmp/old.db" --json >"$tmp/mrg.json" 2>"$tmp/mrg.err" ||
    { cat "$tmp/mrg.err"; return 1; }
  nruns=$("$PY" -c "import sqlite3; print(sqlite3.connect('$DB').execute('SELECT count(*) FROM runs').fetchone()[0])")
  grep -q "\"runs_identical\":$nruns" "$tmp/mrg.json" || { cat "$tmp/mrg.json"; return 1; }
}
check "merge takes a run written with 17-digit numbers as the same run" merge_across_number_formats

provenance_recorded() {
  "$PY" - "$DB" <<'PY'
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "SELECT library_version, command_line, host, started_at, finished_at, outcome"
    " FROM provenance ORDER BY id").fetchall()
assert len(rows) == 2, rows  # one per sweep command
for v, cmd, host, start, end, outcome in rows:
    assert v.count(".") == 2 and " sweep --db " in cmd and host and outcome == "ok", rows
    assert isinstance(start, float) and start <= end, rows
PY
}
check "the store records provenance (version, command line, host, times)" provenance_recorded

echo "1..$n"
[ $fails -eq 0 ]
