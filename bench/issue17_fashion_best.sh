#!/bin/sh
# Issue 17, the gamma study on real data: Fashion-MNIST, mean-field ReLU MLP
# (D = 784, N = 64, L = 3, centered), cross-entropy on the one-hot labels,
# online SGD with B = 32 for T = 600 steps (19200 images, a third of an
# epoch), eta0 scanned per gamma (adaptive, 5 points per decade, 2 decades
# below the first convergent rate), 3 seeds, default stall test; then the
# best held-out loss and accuracy against gamma (richeta best).
# usage: bench/issue17_fashion_best.sh [RICHETA] [OUTDIR]
set -eu
R=${1:-build/tools/richeta}
OUT=${2:-issue17-fashion}
mkdir -p "$OUT"
nice -n 15 "$R" sweep --db "$OUT/fm.db" --task file --data fashion-mnist --loss ce --L 3 \
  --N 64 --B 32 --T 600 --gamma-grid 1e-2:1e3:1 --eta-grid 1e-6:1e4:5 --nseeds 3 \
  --workers 1 --no-report >/dev/null
"$R" best --db "$OUT/fm.db" --plot "$OUT/fm"
