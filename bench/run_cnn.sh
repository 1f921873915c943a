#!/bin/sh
# Issue 14 speed figures (a benchmark, not a test): the paper's CNN at N=64
# on 3x32x32 images, centered, f32, at B=128 and B=16 on 1 and 2 threads,
# against its bare chain of products (interleaved in one process) and
# against Debian's PyTorch running the same centered model (its best of
# NCHW and channels_last), all in one invocation. Writes raw.txt and
# table.md into OUT.
#
#   bench/run_cnn.sh BUILD_DIR OUT [REPS]
#
# The environment may change the model: ARCH=resnet18 (issue 15: the muP
# ResNet-18, centered, BatchNorm in training mode on both sides), N (base
# width, default 64) and BATCHES (default "128 16"), e.g.
#   ARCH=resnet18 N=16 BATCHES="32 128" bench/run_cnn.sh build out 5
#
# Rates are medians of REPS repetitions (default 7) of wall-clock time; the
# CPU-time rates are in raw.txt too. OpenBLAS picks its kernels from
# OPENBLAS_CORETYPE when set (on CPUs it does not know it falls back to
# slow ones: see `richeta version`); the same setting serves both sides.
set -eu
build=${1:?usage: run_cnn.sh BUILD_DIR OUT [REPS]}
out=${2:?usage: run_cnn.sh BUILD_DIR OUT [REPS]}
reps=${3:-7}
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
raw="$out/raw.txt"
: >"$raw"
{
  echo "# $(date -u '+%Y-%m-%d %H:%M UTC') $(uname -n)"
  echo "# $(lscpu | grep 'Model name' | sed 's/  */ /g')"
  echo "# OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; $("$build/tools/richeta" version | tail -n 1)"
  echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
} >>"$raw"
py=/usr/bin/python3
arch=${ARCH:-cnn}
width=${N:-64}
batches=${BATCHES:-128 16}
export PERF_ARCH=$arch
echo "# arch=$arch N=$width batches=$batches" >>"$raw"
for B in $batches; do
  steps=$([ "$B" -ge 128 ] && echo 3 || echo 20)
  [ "$arch" = resnet18 ] && steps=$(( steps > 5 ? 5 : steps ))
  for t in 1 2; do
    "$build/bench/perf_cnn" pair "$width" 3 32 32 "$B" "$t" "$reps" "$steps" >>"$raw"
    "$build/bench/perf_cnn" train "$width" 3 32 32 "$B" "$t" 2 "$steps" >>"$raw"
    for f in nchw channels_last; do
      # torch's linear layers go to OpenBLAS, its convolutions to oneDNN
      # (OpenMP): both get the thread count, as libricheta's BLAS does
      OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t \
        "$py" "$src/bench/perf_cnn_torch.py" "$width" 3 32 32 "$B" "$t" "$reps" "$steps" "$f" \
        "$arch" >>"$raw"
    done
  done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$raw"
"$py" - "$raw" "$batches" >"$out/table.md" <<'EOF'
import re, sys
rows = [dict(re.findall(r"(\w+)=(\S+)", l)) for l in open(sys.argv[1]) if l.startswith("mode=")]
print("| B | threads | steps/s | bare chain | % of chain | PyTorch best (format) | x PyTorch | peak RSS MiB (bound) |")
print("|---|---|---|---|---|---|---|---|")
for B in sys.argv[2].split():
    for t in ("1", "2"):
        pair = [r for r in rows if r["mode"] == "pair" and r["B"] == B and r["threads"] == t][0]
        tr = [r for r in rows if r["mode"] == "train" and r["B"] == B and r["threads"] == t][0]
        tor = [r for r in rows if r["mode"] == "torch" and r["B"] == B and r["threads"] == t]
        best = max(tor, key=lambda r: float(r["train_steps_per_s"]))
        ts, ch = float(pair["train_steps_per_s"]), float(pair["chain_steps_per_s"])
        tb = float(best["train_steps_per_s"])
        print("| %s | %s | %.3g | %.3g | %.1f | %.3g (%s) | %.2f | %.0f (%.0f) |"
              % (B, t, ts, ch, 100 * ts / ch, tb, best["format"], ts / tb,
                 float(tr["rss_mib"]), float(tr["rss_bound_mib"])))
EOF
cat "$out/table.md"
