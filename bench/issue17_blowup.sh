#!/bin/sh
# Issue 17: the small-gamma (lazy) slope of eta_max under the two divergence
# rules, MSE and cross-entropy, on the random-MLP teacher (L = 3, D = 16,
# N = 64, B = 32, T = 400; CE on its balanced argmax classes, C = 4; MSE on
# its C = 4 real outputs), gamma = 1e-4 .. 1e-1, 3 seeds, default stall test.
# usage: bench/issue17_blowup.sh [RICHETA] [OUTDIR]
set -eu
R=${1:-build/tools/richeta}
OUT=${2:-issue17-blowup}
mkdir -p "$OUT"
for loss in mse ce; do
  extra=""
  [ "$loss" = ce ] && extra="--set labels=argmax"
  for b in 1000 inf; do
    db="$OUT/$loss-$b.db"
    nice -n 15 "$R" sweep --db "$db" --task mlp --C 4 --loss "$loss" $extra --blowup "$b" \
      --gamma-grid 1e-4:1e-1:2 --nseeds 3 --workers 1 --no-report >/dev/null
    echo "== loss $loss, blowup $b"
    "$R" fit --db "$db" --lazy-max 0.2 --rich-min 1e9 | grep "lazy"
  done
done
