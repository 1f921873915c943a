#!/bin/sh
# Issue 2 speed figure: libricheta vs PyTorch, same centered mean-field MLP
# (f32, D=784, N=1024, L=3, C=10, B=128), with 1 and 2 threads.
#   bench/run_issue2.sh [BUILD_DIR=build] [STEPS=200]
# Needs a release-like build (meson setup build --buildtype=release) and,
# for the reference, Debian's python3-torch.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
steps=${2:-200}
ninja -C "$build" bench/bench_train >/dev/null
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
"$build/tools/richeta" version | sed 's/^/# /'
for th in 1 2; do
  OPENBLAS_NUM_THREADS=$th "$build/bench/bench_train" "$th" "$steps"
  if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    OMP_NUM_THREADS=$th /usr/bin/python3 bench/torch_train.py "$th" "$steps"
  else
    echo "torch not available (apt-get install python3-torch)"
  fi
done
