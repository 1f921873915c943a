#!/bin/sh
# richeta sweep / fit / plot / export from the command line: exit statuses,
# one-line usage errors, resuming, export formats, the calibrated rule file
# and a clear message when gnuplot is missing.
set -u
R=${1:?usage: sweep_cli.sh path/to/richeta}
T=$(mktemp -d /tmp/sweep_cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); echo "not ok $n - $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

# a small, fast sweep (deep linear net)
FAST="--D 8 --N 16 --L 2 --B 16 --T 40 --eval_n 32 --act identity --workers 2"
GR="--gamma-grid 1e-3,1e-2,1,100,1000 --eta-grid 1e-8:1e3:2"

# bad grids: exit 2, one line on stderr naming the flag
for spec in "" "10:1:2" "-1:10:2" "1:10:0" "nan:10:2" "1,nan" "1,1" "abc"; do
  "$R" sweep --db "$T/x.db" --gamma-grid "$spec" $FAST >"$T/out" 2>"$T/err"
  rc=$?
  check "bad gamma grid '$spec' exits 2 with one line" \
    "[ $rc -eq 2 ] && [ \$(wc -l <'$T/err') -eq 1 ] && grep -q 'gamma-grid' '$T/err'"
done
"$R" sweep --db "$T/x.db" --eta-grid "1e-3:1e-5:2" $FAST >"$T/out" 2>"$T/err"
check "reversed eta grid exits 2" "[ $? -eq 2 ] && grep -q reversed '$T/err'"
"$R" sweep --db "$T/x.db" --mode sideways $FAST >"$T/out" 2>"$T/err"
check "unknown mode exits 2" "[ $? -eq 2 ]"
"$R" sweep --db "$T/x.db" --seeds 1,x $FAST >"$T/out" 2>"$T/err"
check "bad seeds exit 2" "[ $? -eq 2 ]"
for bad in "--steps-law sideways" "--tau-budget 0" "--steps-max 0"; do
  "$R" sweep --db "$T/x.db" $bad $FAST >"$T/out" 2>"$T/err"
  check "'$bad' exits 2 naming the flag" "[ $? -eq 2 ] && grep -q -- '${bad%% *}' '$T/err'"
done

# --steps-law escape (L = 2: T (1 + ln gamma)): the stored configurations
# carry each run's T, 40 below gamma = 1 and 40 (1 + ln 1000) = 316 at 1000
"$R" sweep --db "$T/esc.db" $FAST --gamma-grid 0.1,1000 --eta-grid 1e-3:1e3:1 --steps-law escape \
  --no-report >"$T/out" 2>"$T/err"
check "--steps-law escape sweep exits 0" "[ $? -eq 0 ]"
"$R" export --db "$T/esc.db" >"$T/esc.csv"
check "escape law: T = 40 at gamma 0.1 and 316 at 1000 in the stored configurations" \
  "grep -q '^[0-9a-f]*,0.1,.*,T=40,' '$T/esc.csv' && grep -q '^[0-9a-f]*,1e+03,.*,T=316,' '$T/esc.csv' && ! grep -q '^[0-9a-f]*,1e+03,.*,T=40,' '$T/esc.csv'"

# a sweep, JSON lines, then a rerun that finds every run stored
"$R" sweep --db "$T/s.db" $FAST $GR --nseeds 2 --json >"$T/s1.jsonl" 2>"$T/err"
check "sweep exits 0" "[ $? -eq 0 ]"
runs=$(grep -c '"cached":' "$T/s1.jsonl")
check "sweep prints one JSON line per run ($runs)" "[ $runs -gt 10 ]"
check "no run was cached the first time" "! grep -q '\"cached\":true' '$T/s1.jsonl'"
check "the fit lines carry slope, stderr, theory" \
  "grep '\"quantity\":\"eta_max\"' '$T/s1.jsonl' | grep -q '\"theory\":'"
"$R" sweep --db "$T/s.db" $FAST $GR --nseeds 2 --json >"$T/s2.jsonl" 2>"$T/err"
check "rerun exits 0" "[ $? -eq 0 ]"
check "rerun finds every run stored" \
  "[ \$(grep -c '\"cached\":true' '$T/s2.jsonl') -eq $runs ] && ! grep -q '\"cached\":false' '$T/s2.jsonl'"
if command -v python3 >/dev/null 2>&1; then
  check "JSON lines parse" "python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' '$T/s1.jsonl'"
fi

# export
"$R" export --db "$T/s.db" >"$T/runs.csv"
check "export CSV: header and one row per run" \
  "head -1 '$T/runs.csv' | grep -q '^config_hash,gamma,eta0,seed,eta,status' && [ \$(wc -l <'$T/runs.csv') -eq $((runs + 1)) ]"
"$R" export --db "$T/s.db" --format jsonl --out "$T/runs.jsonl"
check "export JSON lines: one per run" "[ \$(wc -l <'$T/runs.jsonl') -eq $runs ]"
check "export JSON keys" "grep -q '\"status\":\"diverged\"' '$T/runs.jsonl' && grep -q '\"final_loss\":' '$T/runs.jsonl'"
"$R" export --db "$T/s.db" --curves >"$T/curves.csv"
check "export curves" "head -1 '$T/curves.csv' | grep -q 'step,train_loss,test_loss,test_accuracy,eta' && [ \$(wc -l <'$T/curves.csv') -gt $runs ]"
"$R" export --db "$T/nonexistent.db" >"$T/out" 2>"$T/err"
check "export of a missing database exits 1" "[ $? -eq 1 ]"

# fit: eta_max as grid intervals, bootstrap errors (null for two points,
# never 0), censored points counted, several sweeps pooled
if command -v python3 >/dev/null 2>&1; then
  "$R" fit --db "$T/s.db" --json >"$T/fitj.jsonl"
  check "fit: eta_max intervals and censoring in the JSON lines" "python3 - '$T/fitj.jsonl' <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
pts = [r for r in rows if 'gamma' in r and 'quantity' not in r]
ok = all('eta_max_lo' in p and 'eta_max_hi' in p and 'censored' in p for p in pts)
ok = ok and all(p['censored'] or p['eta_max_hi'] > p['eta_max_lo'] for p in pts)
fits = [r for r in rows if 'quantity' in r]
ok = ok and all(f['seeds'] == 2 and f['stderr'] != 0 for f in fits)
ok = ok and all((f['stderr'] is None) == (f['n'] < 3) for f in fits if f['quantity'] == 'eta_max' and f['slope'] is not None)
sys.exit(0 if ok and fits else 1)
PY"
  "$R" fit --db "$T/s.db" --db "$T/s.db" --json >"$T/fit2.jsonl"
  check "fit pools several sweeps: their seeds are the bootstrap's units" \
    "grep '\"quantity\":\"eta_max\"' '$T/fit2.jsonl' | grep -q '\"seeds\":4'"
fi
"$R" fit --db "$T/s.db" --hash 0123456789abcdef --hash fedcba9876543210 --db "$T/s.db" --db "$T/s.db" >"$T/out" 2>"$T/err"
check "fit: --hash count that matches no --db count exits 2" "[ \$? -eq 2 ]"

# best: per gamma the best eta0's loss with seed errors; an eta0 grid whose
# top converges leaves gamma 1e-3 untuned (edge), the full grid does not
"$R" best --db "$T/s.db" --json >"$T/best.jsonl" 2>"$T/err"
check "best exits 0 with one line per gamma and a summary" \
  "[ \$(grep -c '\"edge\":' '$T/best.jsonl') -eq 5 ] && grep -q '\"record\":\"best_summary\"' '$T/best.jsonl'"
check "best: the full grid tunes every gamma, errors over 2 seeds" \
  "! grep -q '\"edge\":true' '$T/best.jsonl' && grep -q '\"seeds\":2' '$T/best.jsonl' && ! grep -q '\"loss_stderr\":null' '$T/best.jsonl'"
"$R" sweep --db "$T/edge.db" $FAST --gamma-grid 1e-3 --eta-grid 1e-9:1e-7:2 --nseeds 2 --no-report >/dev/null 2>&1
"$R" best --db "$T/edge.db" >"$T/edge.txt"
check "best flags a gamma whose best eta0 is the top of the grid" "grep -q 'edge: eta0 not tuned' '$T/edge.txt'"
"$R" best --db "$T/s.db" --bogus >"$T/out" 2>"$T/err"
check "best --bogus exits 2" "[ \$? -eq 2 ]"
# an unwritable --plot directory: one line naming the image, before gnuplot
"$R" best --db "$T/s.db" --plot "$T/missing/b" >"$T/out" 2>"$T/err"
check "best --plot into a missing directory: exit 1, one line naming the image" \
  "[ \$? -eq 1 ] && [ \$(wc -l <'$T/err') -eq 1 ] && grep -qF '$T/missing/b-best.png (--plot' '$T/err'"

# fit: explicit ranges and a saved rule the configuration loader reads
"$R" fit --db "$T/s.db" --lazy-max 0.011 --rich-min 99 --save "$T/rule.spec" >"$T/fit.txt"
check "fit exits 0 and saves the rule" "[ $? -eq 0 ] && grep -q '^rule=custom,lazy_exp=' '$T/rule.spec'"
check "fit reports theory 2 and 2/L" "grep -q 'theory 2.000' '$T/fit.txt' && grep -q 'theory 1.000' '$T/fit.txt'"
"$R" train --config "$T/rule.spec" --show-config >"$T/cfg.txt" 2>&1
check "the saved rule loads as a configuration" "grep -q 'rule=custom' '$T/cfg.txt'"
if command -v python3 >/dev/null 2>&1; then
  # the calibrated scheduler gives the fitted eta_opt: eta0 = 1 at gamma 1e-3 and 1e3
  "$R" fit --db "$T/s.db" --lazy-max 0.011 --rich-min 99 --json >"$T/fit.jsonl"
  for g in 1e-3 1e3; do
    "$R" train --config "$T/rule.spec" --eta0 1 --gamma $g --T 1 --json >"$T/train.jsonl" 2>&1
    check "calibrated rule at gamma $g follows the fitted line" "python3 - '$T/fit.jsonl' '$T/train.jsonl' $g <<'PY'
import json, math, sys
fits = [json.loads(l) for l in open(sys.argv[1]) if 'quantity' in l]
g = float(sys.argv[3])
side = 'lazy' if g < 1 else 'rich'
f = [x for x in fits if x['quantity'] == 'eta_opt' and x['regime'] == side][0]
want = f['prefactor'] * g ** f['slope']
got = json.loads(open(sys.argv[2]).readline())['eta']
sys.exit(0 if abs(got / want - 1) < 1e-4 else 1)
PY"
  done
fi
"$R" fit --db "$T/s.db" --lazy-max -1 >"$T/out" 2>"$T/err"
check "fit with a bad range exits 2" "[ $? -eq 2 ]"
printf 'not a database at all, nothing like it, no\n' >"$T/junk.db"
"$R" fit --db "$T/junk.db" >"$T/out" 2>"$T/err"
check "fit on a non-database exits 1 with a message" "[ $? -eq 1 ] && [ -s '$T/err' ]"

# plot: missing gnuplot is a clear error, not a crash
RICHETA_GNUPLOT=/nonexistent/gnuplot "$R" plot --db "$T/s.db" --out "$T/p" >"$T/out" 2>"$T/err"
check "plot without gnuplot exits 1 and says so" "[ $? -eq 1 ] && grep -q gnuplot '$T/err'"
PATH=/nonexistent "$R" plot --db "$T/s.db" --out "$T/p" >"$T/out" 2>"$T/err"
check "plot with gnuplot not in PATH exits 1" "[ $? -eq 1 ] && grep -q 'gnuplot not found' '$T/err'"
if command -v gnuplot >/dev/null 2>&1; then
  # an MSE sweep has no accuracy: best draws the loss panel alone (gnuplot
  # refused the empty accuracy panel and the command failed)
  "$R" best --db "$T/s.db" --plot "$T/b" >/dev/null 2>"$T/err"
  check "best --plot on a sweep without accuracies draws its images" \
    "[ \$? -eq 0 ] && [ -s '$T/b-best.png' ] && [ -s '$T/b-best.svg' ]"
  "$R" plot --db "$T/s.db" --out "$T/p" >"$T/out" 2>"$T/err"
  check "plot writes PNG and SVG" \
    "[ $? -eq 0 ] && [ -s '$T/p-heatmap.png' ] && [ -s '$T/p-heatmap.svg' ] && [ -s '$T/p-curves.png' ] && [ -s '$T/p-curves.svg' ]"
fi

echo "1..$n"
[ $fails -eq 0 ]
