#!/bin/sh
# Issue 14 figure (a documented command, not a test): a gamma x eta0 sweep
# of the paper's CNN (arch=cnn, N=8, centered, mean-field, f32/f64 auto) on
# the synthetic image task (3x16x16 Gaussian images, a random CNN teacher
# of base width 8, one output, MSE), B=32, T=500, gamma 1e-2 .. 1e3 at 2 per
# decade, eta0 at 5 per decade (adaptive), a run counting as stalled when it
# ends above 0.9 x its initial loss; prints eta* per gamma and the fitted
# slopes (rich side gamma >= 10^1.5: theory 2/L = 0.5 for the CNN's label
# L = 4) and draws the heatmap. About 6 minutes of CPU.
#
#   bench/cnn_sweep.sh BUILD_DIR OUT
set -eu
build=${1:?usage: cnn_sweep.sh BUILD_DIR OUT}
out=${2:?usage: cnn_sweep.sh BUILD_DIR OUT}
mkdir -p "$out"
"$build/tools/richeta" sweep --db "$out/cnn.db" --arch cnn --N 8 --C 1 --D 768 --channels 3 \
  --height 16 --image-width 16 --task image_cnn --teacher-N 8 --B 32 --T 500 \
  --gamma-grid 1e-2:1e3:2 --eta-grid 1e-6:1e4:5 --progress 0.9 --lazy-max 0.3163 \
  --rich-min 31.62 --plot "$out/cnn"
