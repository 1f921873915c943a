#!/bin/sh
# richeta plot's figure defects (issue 16), read from the kept gnuplot
# script and data (RICHETA_KEEP_PLOT_DATA), not from pixels: the heatmap's
# palette is matplotlib's viridis (the one richeta.plots uses), eta_opt is
# not drawn in white (the key's box is white), a guide line is in the key
# only when it is drawn, the curves' log axes are labelled in powers of ten,
# no curve ends with a point less than half a log spacing after the one
# before it (the trainer logs 398 and 400 of T = 400), and an unwritable
# --out is one line naming it, exit 1, before gnuplot runs.
# usage: plot_defects.sh RICHETA PYTHON3(with matplotlib) GNUPLOT
set -u
R=$1
PY=${2:-python3}
export RICHETA_GNUPLOT="${3:-gnuplot}"
. "$(dirname "$0")/../cli/tap.sh"

# gammas 10 and 100 only: eta_max exists for both, but nothing is at
# gamma <= 10^-1.5, so the slope-2 guide has no anchor and is not drawn
check "sweep runs" "$R" sweep --db "$tmp/s.db" --L 3 --T 400 --gamma-grid 10,100 --workers 2 \
  --no-report
RICHETA_KEEP_PLOT_DATA=1 "$R" plot --db "$tmp/s.db" --out "$tmp/p" >"$tmp/plot.out" 2>"$tmp/plot.err"
check "plot succeeds" [ $? -eq 0 ]
dir=$(sed -n 's/^richeta plot: plot data kept in //p' "$tmp/plot.err")
if [ -z "$dir" ] || [ ! -f "$dir/plot.gp" ]; then
  notok "plot names its kept data directory"
  echo "1..$n"
  exit 1
fi
gp=$dir/plot.gp

# palette: every 'set palette' is the same 'defined' list, and its stops are
# viridis as matplotlib samples it (within 1/255 per channel)
check "no rainbow palette (rgb formulae)" sh -c "! grep -q 'set palette rgb' '$gp'"
check "the heatmap and the curves use one palette" \
  [ "$(grep 'set palette' "$gp" | sort -u | wc -l)" -eq 1 ]
grep -m1 'set palette defined' "$gp" >"$tmp/palette"
check "the palette's stops are matplotlib's viridis" "$PY" - "$tmp/palette" <<'PYEOF'
import re, sys
try:
    from matplotlib import colormaps
    viridis = colormaps["viridis"]
except ImportError:  # matplotlib < 3.5
    from matplotlib import cm
    viridis = cm.get_cmap("viridis")
stops = re.findall(r"(\d+(?:\.\d+)?) '#([0-9a-fA-F]{6})'", open(sys.argv[1]).read())
assert len(stops) >= 5, stops
top = float(stops[-1][0])
for pos, hexrgb in stops:
    want = viridis(float(pos) / top)[:3]
    got = [int(hexrgb[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    assert all(abs(a - b) <= 1.5 / 255 for a, b in zip(want, got)), (pos, hexrgb, want)
PYEOF

check "eta_opt is not drawn in white" \
  sh -c "grep 'h}_{opt}' '$gp' | grep -q . && ! grep 'h}_{opt}' '$gp' | grep -qi \"rgb 'white'\""
check "the undrawn slope-2 guide is not in the key" sh -c "! grep -q \"title '{/Symbol g}^2'\" '$gp'"
check "the drawn slope-2/L guide is in the key" grep -q "rich(x) with lines.*title" "$gp"
check "the curves' y axis is labelled in powers of ten" grep -q "set format y '10^{%L}'" "$gp"

# curves.dat: blocks of "step loss gamma"; the last two steps (plotted at
# step + 1) must be at least half a log spacing (log_per_decade 10) apart
if awk '
  function last() { if (nb >= 2 && log((s1 + 1) / (s0 + 1)) / log(10) < 0.05) bad++ }
  /^#/ { last(); nb = 0; next }
  NF == 3 { s0 = s1; s1 = $1; nb++; pts++ }
  END { last(); exit !(pts > 0 && bad == 0) }' "$dir/curves.dat"; then
  ok "no curve ends with a near-duplicate point"
else
  notok "no curve ends with a near-duplicate point"
  grep -v '^$' "$dir/curves.dat" | awk '/^#/ { if (p) print p2; print; p = "" } NF == 3 { p2 = p; p = $0 } END { print p2; print p }' | sed 's/^/# /'
fi
rm -rf "$dir"

# an unwritable --out: one line on stderr naming the path, exit 1, and
# gnuplot not even started (a stand-in that would leave a mark)
cat >"$tmp/fakegp" <<EOF
#!/bin/sh
touch "$tmp/gnuplot-ran"
echo "gnuplot: noise on stderr" >&2
exit 1
EOF
chmod +x "$tmp/fakegp"
for out in "$tmp/no-such-dir/p" "$tmp/plot.out/p"; do
  RICHETA_GNUPLOT="$tmp/fakegp" "$R" plot --db "$tmp/s.db" --out "$out" >"$tmp/o" 2>"$tmp/e"
  rc=$?
  check "unwritable --out $out: exit 1" [ "$rc" -eq 1 ]
  check "unwritable --out $out: one line on stderr" [ "$(wc -l <"$tmp/e")" -eq 1 ]
  check "unwritable --out $out: the message names the output path" grep -qF "$out-heatmap.png" "$tmp/e"
  check "unwritable --out $out: no temporary path in the message" sh -c "! grep -q richeta-plot- '$tmp/e'"
  check "unwritable --out $out: gnuplot not run" [ ! -e "$tmp/gnuplot-ran" ]
  sed 's/^/# /' "$tmp/e"
done
echo "1..$n"
[ "$fails" -eq 0 ]
