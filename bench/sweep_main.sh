#!/bin/sh
# The sweep tool's main job (README): a deep linear network (D=16, N=64,
# B=32, T=400, MSE, linear teacher) swept adaptively over gamma = 1e-4..1e4
# (2 per decade) x eta0 = 1e-10..1e4 (10 per decade), for L = 2, 3, 4.
# Prints the CPU and wall time of each sweep and the fitted slopes of eta_max
# and eta_opt on gamma <= 10^-2.5 and gamma >= 10^1.5 (theory 2 and 2/L).
#   usage: bench/sweep_main.sh [path/to/richeta] [outdir]
set -eu
R=${1:-build/tools/richeta}
OUT=${2:-$(mktemp -d /tmp/sweep_main.XXXXXX)}
mkdir -p "$OUT"
echo "# $("$R" version | head -1), $(nproc) cores, output in $OUT"
# deep linear nets (the README's main job), then ReLU nets with the progress
# test (dead ReLU states never blow up: they would pass for convergent)
for variant in "identity:--act identity" "relu:--act relu --progress 0.1"; do
  name=${variant%%:*}
  flags=${variant#*:}
  for L in 2 3 4; do
    base="$OUT/${name}_L$L"
    rm -f "$base.db" "$base.db-wal" "$base.db-shm"
    /usr/bin/time -f "$name L=$L: cpu %U s user + %S s sys, wall %e s" \
      "$R" sweep --db "$base.db" --L "$L" $flags \
      --lazy-max 3.162e-3 --rich-min 31.62 --plot "$base" >"$base.txt" 2>"$base.time" ||
      { cat "$base.time"; exit 1; }
    tail -1 "$base.time"
    grep -E '^  eta_(max|opt) ' "$base.txt"
  done
done
