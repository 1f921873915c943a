#!/bin/sh
# Issue 17: the main job (scripts/quickstart.sh: D=16, N=64, B=32, T=400,
# centered mean-field ReLU MLP, MSE, linear teacher, gamma 1e-4..1e4 at 2 per
# decade, eta0 at 10 per decade, adaptive) over 3 seeds, with the fit's new
# errors (grid intervals, bootstrap over seeds, censored points left out).
#   STALL=0.1 (the quick start's --progress 0.1 before it took the default) or the default 0.9;
#   LAW=fixed (T = 400) or escape (T = 400 max(1, gamma)^(1-2/L), <= 40000).
# usage: bench/issue17_main.sh [RICHETA] [OUTDIR]
set -eu
R=${1:-build/tools/richeta}
OUT=${2:-issue17-main}
STALL=${STALL:-0.9}
LAW=${LAW:-fixed}
mkdir -p "$OUT"
for L in 2 3 4; do
  db="$OUT/L$L-stall$STALL-$LAW.db"
  nice -n 15 "$R" sweep --db "$db" --L "$L" --stall "$STALL" --steps-law "$LAW" --nseeds 3 \
    --workers 2 --no-report >/dev/null
  echo "== L = $L, --stall $STALL, --steps-law $LAW, 3 seeds"
  "$R" fit --db "$db" --lazy-max 3.162e-3 --rich-min 31.62 | sed -n '/^fits/,$p'
done
