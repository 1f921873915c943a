#!/bin/sh
# richeta plot draws the plateau's lower edge: for each gamma, midway (in
# log10) between its lowest convergent eta0 and the stalled cell just below
# it; no point where the scan ends on a convergent cell (gamma = 100 here).
# The expected points are computed here from the exported runs, the plotted
# ones read from the plot's kept data (RICHETA_KEEP_PLOT_DATA). Linear
# teacher, L = 3, T = 400: at gamma = 1e3 and 1e4 the runs below eta0 ~ 12
# and ~ 110 stay on the plateau. Prints TAP. usage: plot_plateau_edge.sh
# RICHETA PYTHON3 GNUPLOT
set -u
R=$1
PY=${2:-python3}
export RICHETA_GNUPLOT="${3:-gnuplot}"
. "$(dirname "$0")/../cli/tap.sh"

check "sweep runs" "$R" sweep --db "$tmp/s.db" --L 3 --gamma-grid 100,1000,10000 --workers 2 \
  --no-report
"$R" export --db "$tmp/s.db" --format jsonl >"$tmp/runs.jsonl"
# expected edge: "log10 gamma  log10 edge" per gamma that has one
"$PY" - "$tmp/runs.jsonl" >"$tmp/want" <<'PYEOF'
import json, math, sys
cells = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    cells.setdefault(r["gamma"], {}).setdefault(r["eta0"], []).append(r["status"])
for g in sorted(cells):
    col = sorted(cells[g].items())
    conv = [i for i, (_, st) in enumerate(col) if all(s == "converged" for s in st)]
    if conv and conv[0] > 0:
        below, st = col[conv[0] - 1]
        if "diverged" not in st and "failed" not in st:
            print("%.2f %.2f" % (math.log10(g), (math.log10(below) + math.log10(col[conv[0]][0])) / 2))
PYEOF
check "two gammas have a stalled cell below their lowest convergent eta0" \
  [ "$(wc -l <"$tmp/want")" -eq 2 ]
RICHETA_KEEP_PLOT_DATA=1 "$R" plot --db "$tmp/s.db" --out "$tmp/p" >"$tmp/plot.out" 2>"$tmp/plot.err"
check "plot succeeds" [ $? -eq 0 ]
dir=$(sed -n 's/^richeta plot: plot data kept in //p' "$tmp/plot.err")
check "plot names its kept data directory" test -n "$dir" -a -f "$dir/edge.dat"
if [ -n "$dir" ] && [ -f "$dir/edge.dat" ]; then
  awk 'NF == 2 { printf "%.2f %.2f\n", $1, $2 }' "$dir/edge.dat" >"$tmp/got"
  if cmp -s "$tmp/want" "$tmp/got"; then
    ok "the plotted edge is the stored runs' edge"
  else
    notok "the plotted edge is the stored runs' edge"
    sed 's/^/# want /' "$tmp/want"
    sed 's/^/# got  /' "$tmp/got"
  fi
  rm -rf "$dir"
fi
check "the heatmap's legend names the edge" grep -q "plateau's lower edge" "$tmp/p-heatmap.svg"
echo "1..$n"
[ "$fails" -eq 0 ]
