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
# reach a tenth of their initial loss (dead ReLU networks) count as stalled,
# not convergent (--progress 0.1). Outputs go to ./quickstart-out/.
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
    # The results store makes a rerun instant: finished runs are skipped.
    "$RICHETA" sweep --db "$OUT/sweeps.db" --L "$L" --progress 0.1 \
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
