#!/bin/sh
# Quick start: install the dependencies (Debian 12, as root), build
# libricheta, and run the main demonstration.
#
# The main job (main_job below) is the gamma x eta0 sweep that shows the two
# scaling laws of the largest stable learning rate: eta* ~ gamma^2 in the
# lazy regime and ~ gamma^(2/L) in the ultra-rich regime. For depths
# L = 3, 2 and 4 it sweeps a mean-field ReLU MLP (D=16, N=64, B=32, T=400,
# centered, MSE, linear teacher) over gamma = 1e-4 .. 1e4 at 2 points per
# decade and eta0 at 10 points per decade (adaptive: scan down from the top,
# stop 2 decades below the first convergent rate), prints eta_max and
# eta_opt per gamma with the fitted exponents next to the theory (2 and 2/L),
# and draws the heatmaps and loss curves. Runs that neither diverge nor
# get below 0.9 of their baseline loss (dead ReLU networks, plateaus not
# escaped) count as stalled, not convergent (the default stall criterion).
# L = 4 gives each gamma the plateau's escape time, T = 400 gamma^(1/2)
# for gamma > 1 capped at 4000 (--steps-law escape --steps-max 4000), so its
# ultra-rich fit reaches gamma = 1e4 (at T = 400 nothing converges above
# gamma = 1e3). Points whose eta_max is only a bound (grid top, or no
# convergent eta0) are flagged and left out of the fits.
# Outputs go to ./quickstart-out/.
set -eu
cd "$(dirname "$0")/.."
. scripts/deps.sh

OUT=${RICHETA_QUICKSTART_OUT:-quickstart-out}
BUILD=${RICHETA_BUILD_DIR:-build}
RICHETA="$BUILD/tools/richeta"

main_job() {
  mkdir -p "$OUT"
  for L in 3 2 4; do
    echo "== sweep, depth L = $L"
    # L = 4's plateau outlasts T = 400 above gamma = 1e3: T grows with gamma
    steps=
    [ "$L" = 4 ] && steps="--steps-law escape --steps-max 4000"
    # The results store makes a rerun instant: finished runs are skipped.
    # shellcheck disable=SC2086 # $steps is two flags or none
    "$RICHETA" sweep --db "$OUT/sweeps.db" --L "$L" $steps \
      --lazy-max 3.162e-3 --rich-min 31.62 --plot "$OUT/L$L"
  done
  echo "plots: $OUT/L{2,3,4}-heatmap.{png,svg} and $OUT/L{2,3,4}-curves.{png,svg}"
  echo "refit or export: $RICHETA fit --db $OUT/sweeps.db --hash HASH ; $RICHETA export --db $OUT/sweeps.db"
}

richeta_install_deps
echo "== building into $BUILD"
richeta_build "$BUILD"
echo "== main job"
main_job
