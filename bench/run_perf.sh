#!/bin/sh
# Issue 8 benchmarks in one invocation: libricheta (bench/perf_train) at 1 and
# 2 BLAS threads, the bare sgemm chain of the same steps, the large-sgemm
# peak, PyTorch (python3-torch) at 1 and 2 threads, NumPy, the 64-run sweep
# against a PyTorch loop, and the width / batch scaling sweeps with a
# gnuplot PNG. Figures are medians over repetitions (see perf_train.c).
#   bench/run_perf.sh [BUILD_DIR=build] [OUT_DIR=bench/perf_out]
# QUICK=1 cuts repetitions (a smoke run, not figures to record).
# Needs a release build (meson setup BUILD --buildtype=release), and for the
# references /usr/bin/python3 with python3-torch and python3-numpy, gnuplot
# for the plot.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
out=${2:-$here/perf_out}
quick=${QUICK:-0}
mkdir -p "$out"
ninja -C "$build" bench/perf_train >/dev/null
exe="$build/bench/perf_train"
raw="$out/raw.txt"
: >"$raw"
py=/usr/bin/python3
have_torch=0
$py -c 'import torch' 2>/dev/null && have_torch=1

log() { echo "$*" | tee -a "$raw"; }

log "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
log "# $("$build/tools/richeta" version 2>/dev/null | tr '\n' ' ')"

# name D N L B C  reps steps (C harness; 0 = about 0.25 s each)  reps steps (torch, numpy)
configs="a 784 1024 3 128 10 9 0 5 10
b 100 256 3 16 10 9 0 5 100
c 100 64 2 1 10 9 0 5 500
d 3072 2048 4 256 10 5 2 3 2"
if [ "$quick" = 1 ]; then
  configs="a 784 1024 3 128 10 3 0 3 3
b 100 256 3 16 10 3 0 3 20
c 100 64 2 1 10 3 0 3 100
d 3072 2048 4 256 10 1 1 1 1"
fi

for th in 1 2; do
  OPENBLAS_NUM_THREADS=$th "$exe" peak $th 2048 | sed "s/^/peak: /" | tee -a "$raw"
done

echo "$configs" | while read -r name D N L B C reps steps treps tsteps; do
  for th in 1 2; do
    export OPENBLAS_NUM_THREADS=$th OMP_NUM_THREADS=$th
    # speed: library and bare BLAS chain, repetitions interleaved; RSS: the library alone
    "$exe" pair "$D" "$N" "$L" "$B" "$C" "$th" "$reps" "$steps" | sed "s/^/$name: /" | tee -a "$raw"
    "$exe" train "$D" "$N" "$L" "$B" "$C" "$th" 1 2 | sed "s/^/${name}rss: /" | tee -a "$raw"
    if [ $have_torch = 1 ]; then
      $py "$here/perf_torch.py" train "$D" "$N" "$L" "$B" "$C" "$th" "$treps" "$tsteps" |
        sed "s/^/$name: /" | tee -a "$raw"
    fi
    $py "$here/perf_numpy.py" train "$D" "$N" "$L" "$B" "$C" "$th" "$treps" "$tsteps" |
      sed "s/^/$name: /" | tee -a "$raw"
  done
done
unset OPENBLAS_NUM_THREADS OMP_NUM_THREADS

# (e) the 64-run sweep: 2 workers with one BLAS thread each vs a PyTorch loop;
# GROUP 1 (each run trained alone) shows what training a seed's runs together gives
sreps=7
[ "$quick" = 1 ] && sreps=1
db="$out/sweep_e.sqlite"
for w in 2 1; do
  for g in 8 1; do
    "$exe" sweep $w $sreps "$db" $g | sed "s/^/e: /" | tee -a "$raw"
  done
done
rm -f "$db" "$db-wal" "$db-shm"
if [ $have_torch = 1 ]; then
  for th in 1 2; do
    treps_e=1
    [ $th = 1 ] && [ "$quick" != 1 ] && treps_e=3
    OMP_NUM_THREADS=$th $py "$here/perf_torch.py" sweep $th $treps_e | sed "s/^/e: /" | tee -a "$raw"
  done
fi

# scaling: width N (D=784, L=3, B=128) and batch B (D=784, N=1024, L=3), one thread
export OPENBLAS_NUM_THREADS=1
sr=5
[ "$quick" = 1 ] && sr=1
for N in 64 128 256 512 1024 2048 4096; do
  "$exe" pair 784 $N 3 128 10 1 $sr 0 | sed "s/^/scaleN: /" | tee -a "$raw"
done
for B in 1 2 4 8 16 32 64 128 256 512; do
  "$exe" pair 784 1024 3 $B 10 1 $sr 0 | sed "s/^/scaleB: /" | tee -a "$raw"
done
unset OPENBLAS_NUM_THREADS

# summary: the (a)-(e) table (table.md), scaling data and gnuplot script
$py - "$raw" "$out" <<'PYEOF'
"""Summarise bench/run_perf.sh output: the (a)-(e) table (Markdown) and the
scaling data and gnuplot script.  perf_summary.py RAW OUT_DIR"""
import sys


def parse(path):
    rows = []
    for line in open(path):
        if line.startswith("#") or ":" not in line:
            continue
        tag, rest = line.split(":", 1)
        kv = dict(p.split("=", 1) for p in rest.split() if "=" in p)
        kv["tag"] = tag.strip()
        rows.append(kv)
    return rows


def find(rows, **want):
    for r in rows:
        if all(r.get(k) == str(v) for k, v in want.items()):
            return r
    return None


def f(r, k):
    return float(r[k]) if r and k in r else float("nan")


def main():
    raw, out = sys.argv[1], sys.argv[2]
    rows = parse(raw)
    peak = {t: f(find(rows, tag="peak", threads=t), "gflops") for t in (1, 2)}
    lines = ["| cfg | shape (D,N,L,B) | thr | steps/s | samples/s | GFLOP/s | % chain | "
             "% peak | chain steps/s | torch steps/s (best) | ratio vs torch best | numpy steps/s "
             "| RSS MiB (bound) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in "abcd":
        for th in (1, 2):
            tr = find(rows, tag=name, mode="train", threads=th)
            if not tr:
                continue
            ch = find(rows, tag=name, mode="chain", threads=th)
            t1 = f(find(rows, tag=name, mode="torch", threads=1), "steps_per_s")
            t2 = f(find(rows, tag=name, mode="torch", threads=2), "steps_per_s")
            tbest = max(t1, t2) if th == 2 else t1
            np_ = f(find(rows, tag=name, mode="numpy", threads=th), "steps_per_s")
            sps = f(tr, "steps_per_s")
            rs = find(rows, tag=name + "rss", mode="train", threads=th)
            shape = f"{tr['D']},{tr['N']},{tr['L']},{tr['B']}"
            tcol = f"{t1:.4g}" if th == 1 else f"{t2:.4g} ({tbest:.4g})"
            lines.append(
                f"| {name} | {shape} | {th} | {sps:.4g} | {f(tr, 'samples_per_s'):.4g} | "
                f"{f(tr, 'gflops'):.3g} | {100 * sps / f(ch, 'steps_per_s'):.1f} | "
                f"{100 * f(tr, 'gflops') / peak[th]:.1f} | {f(ch, 'steps_per_s'):.4g} | {tcol} | "
                f"{sps / tbest:.2f} | {np_:.4g} | {f(rs, 'rss_mib'):.0f} "
                f"({f(rs, 'rss_bound_mib'):.0f}) |")
    lines.append("")
    lines.append(f"sgemm peak (2048^3): {peak[1]:.1f} GFLOP/s on 1 thread, {peak[2]:.1f} on 2.")
    for w in (2, 1):
        for g in (8, 1):
            s = find(rows, tag="e", mode="sweep", workers=w, group=g)
            if s:
                how = "runs of a seed trained together" if g > 1 else "each run alone"
                lines.append(f"(e) libricheta sweep, {w} worker(s), {how}: "
                             f"{f(s, 'seconds'):.3g} s for {s['runs']} runs "
                             f"({s['converged']} converged), {f(s, 'steps_per_s'):.4g} steps/s, "
                             f"RSS {f(s, 'rss_mib'):.0f} MiB")
    ts = [r for r in rows if r.get("mode") == "torch_sweep"]
    if ts:
        best = min(ts, key=lambda r: f(r, "seconds"))
        lines.append(f"(e) PyTorch loop (best: {best['threads']} thread(s)): "
                     f"{f(best, 'seconds'):.3g} s ({best['converged']} converged)")
        s = find(rows, tag="e", mode="sweep", workers=2, group=8)
        if s:
            lines.append(f"(e) ratio libricheta (2 workers) / PyTorch: "
                         f"{f(best, 'seconds') / f(s, 'seconds'):.1f}x")
    open(f"{out}/table.md", "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))

    for axis, key in (("scaleN", "N"), ("scaleB", "B")):
        with open(f"{out}/{axis}.dat", "w") as fh:
            fh.write(f"# {key} gflop_per_step train_us chain_us train_gflops chain_gflops\n")
            for r in rows:
                if r["tag"] == axis and r.get("mode") == "train":
                    c = find(rows, tag=axis, mode="chain", **{key: r[key]})
                    fh.write(f"{r[key]} {r['gflop_per_step']} {r['us_per_step']} "
                             f"{c['us_per_step'] if c else 'nan'} {r['gflops']} "
                             f"{c['gflops'] if c else 'nan'}\n")
    gp = f"""set terminal pngcairo size 1200,900 font ",10"
set output "{out}/perf_scaling.png"
set multiplot layout 2,2 title "libricheta f32 centered MF MLP, 1 thread: step time vs the bare BLAS chain (peak {peak[1]:.0f} GFLOP/s)"
set logscale xy
set grid
set key top left
set xlabel "width N (D=784, L=3, B=128)"
set ylabel "time per step (us)"
plot "{out}/scaleN.dat" u 1:3 w lp t "libricheta step", "" u 1:4 w lp t "BLAS chain", "" u 1:($2*1e6/{peak[1]:.3f}) w l dt 2 t "FLOPs at peak"
set xlabel "batch B (D=784, N=1024, L=3)"
plot "{out}/scaleB.dat" u 1:3 w lp t "libricheta step", "" u 1:4 w lp t "BLAS chain", "" u 1:($2*1e6/{peak[1]:.3f}) w l dt 2 t "FLOPs at peak"
unset logscale y
set logscale x
set key bottom right
set ylabel "GFLOP/s"
set xlabel "width N (D=784, L=3, B=128)"
plot "{out}/scaleN.dat" u 1:5 w lp t "libricheta", "" u 1:6 w lp t "BLAS chain", {peak[1]:.3f} w l dt 2 t "sgemm peak"
set xlabel "batch B (D=784, N=1024, L=3)"
plot "{out}/scaleB.dat" u 1:5 w lp t "libricheta", "" u 1:6 w lp t "BLAS chain", {peak[1]:.3f} w l dt 2 t "sgemm peak"
unset multiplot
"""
    open(f"{out}/scaling.gp", "w").write(gp)


if __name__ == "__main__":
    main()
PYEOF
if command -v gnuplot >/dev/null; then
  gnuplot "$out/scaling.gp" && echo "plot: $out/perf_scaling.png"
fi
