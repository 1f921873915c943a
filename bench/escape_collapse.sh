#!/bin/sh
# Ultra-rich plateau escape on real training (DESIGN 1.3, issue 4):
# mean-field relu MLPs (D=16, N=64, B=64, centered, MSE on a linear teacher)
# at gamma = 1e2..1e5 with eta0 = c gamma^(2/L), c = 0.1, for L = 3 and 4.
# Escape steps should grow as gamma^(1 - 2/L), and the held-out loss curves
# should collapse against tau = eta0 t / gamma.
#
#   bench/escape_collapse.sh OUTDIR [BUILD_DIR=build] [--quick]
#
# Writes into OUTDIR: run_L<L>_g<gamma>.jsonl (richeta train --json),
# curves_L<L>.csv, align_L<L>.jsonl (richeta align --json),
# resampled_L<L>.csv (richeta align --out), summary.txt (escape exponents
# with standard errors, collapse qualities) and escape_collapse.png (raw
# steps vs tau, per depth). --quick: gamma = 1e2..1e4 only (seconds).
# The exponent is fitted to the escape steps (richeta align's "slope" is
# that of the empirical alignment scales; both are in summary.txt).
# Needs /usr/bin/python3; the PNG needs matplotlib.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 OUTDIR [BUILD_DIR] [--quick]" >&2; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)
out=$1
build=${2:-$here/build}
quick=0
for a in "$@"; do [ "$a" = "--quick" ] && quick=1; done
[ "$build" = "--quick" ] && build=$here/build
richeta=$build/tools/richeta
[ -x "$richeta" ] || { echo "$richeta not found (build first: meson setup build && ninja -C build)" >&2; exit 1; }
py=/usr/bin/python3
mkdir -p "$out"
c=0.1
if [ $quick = 1 ]; then gammas="1e2 1e3 1e4"; else gammas="1e2 1e3 1e4 1e5"; fi
gmax=$(echo $gammas | awk '{print $NF}')

for L in 3 4; do
  # Same length T for every gamma: the largest gamma is taken to tau_w, a
  # little past its escape (tau ~ 4.1 for L=3, 3.3 for L=4 with this seed),
  # so the common tau window holds plateau and escape, not the noisy descent.
  tau_w=$([ $L = 3 ] && echo 6 || echo 5)
  T=$(awk -v t=$tau_w -v g=$gmax -v c=$c -v L=$L 'BEGIN{x=t*g/(c*g^(2/L)); printf "%d", (x==int(x))?x:int(x)+1}')
  csv=$out/curves_L$L.csv
  echo "curve,gamma,eta,eta0,depth,step,loss" > "$csv"
  for g in $gammas; do
    eta0=$(awk -v g=$g -v c=$c -v L=$L 'BEGIN{printf "%.10g", c*g^(2/L)}')
    echo "L=$L gamma=$g eta0=$eta0 T=$T" >&2
    "$richeta" train --json --D 16 --N 64 --L $L --act relu --param mf --center frozen \
      --loss mse --task linear --B 64 --eval_n 256 --rule none --gamma $g --eta0 $eta0 \
      --T $T --log_per_decade 40 --seed 0 --data_seed 1 --dtype f32 > "$out/run_L${L}_g$g.jsonl"
    # Held-out loss at steps > 0; eta = eta0 (the rate of tau = eta0 t / gamma).
    $py - "$out/run_L${L}_g$g.jsonl" "g$g" $g $eta0 $L >> "$csv" <<'PY'
import json, sys
path, name, g, eta0, L = sys.argv[1:6]
for line in open(path):
    r = json.loads(line)
    if r.get("record") == "point" and r["step"] > 0 and r.get("test_loss"):
        print("%s,%s,%s,%s,%s,%d,%.10g" % (name, g, eta0, eta0, L, r["step"], r["test_loss"]))
PY
  done
  "$richeta" align --csv "$csv" --json > "$out/align_L$L.jsonl"
  "$richeta" align --csv "$csv" --out "$out/resampled_L$L.csv" > "$out/align_L$L.txt"
done

$py - "$out" <<'PY'
import json, math, os, sys
out = sys.argv[1]
lines = []
for L in (3, 4):
    recs = [json.loads(l) for l in open(os.path.join(out, "align_L%d.jsonl" % L))]
    cur = [r for r in recs if r.get("record") == "curve"]
    summ = [r for r in recs if r.get("record") == "summary"][0]
    pts = [(math.log10(r["gamma"]), math.log10(r["escape_step"])) for r in cur if r["escape_step"]]
    n = len(pts)
    mx = sum(p[0] for p in pts) / n; my = sum(p[1] for p in pts) / n
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    slope = sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx
    ssr = sum((p[1] - my - slope * (p[0] - mx)) ** 2 for p in pts)
    se = math.sqrt(ssr / (n - 2) / sxx) if n > 2 else float("nan")
    for r in cur:
        lines.append("L=%d %-6s escape step %-9.1f tau %.3f" % (L, r["curve"], r["escape_step"] or float("inf"),
                                                             r["escape_tau"] or float("inf")))
    lines.append("L=%d escape steps ~ gamma^%.4f +- %.4f (theory %.4f, %d curves, %s missing)"
                 % (L, slope, se, 1 - 2 / L, n, len(cur) - n))
    lines.append("L=%d empirical alignment scales ~ gamma^%.4f +- %.4f" % (L, summ["slope"], summ["stderr"]))
    lines.append("L=%d collapse: ln-loss spread raw %.4g -> tau-rescaled %.4g; Q(theory) = %.4f, Q(empirical) = %.4f"
                 % (L, summ["spread_raw"], summ["spread_theory"], summ["collapse_theory"], summ["collapse_empirical"]))
open(os.path.join(out, "summary.txt"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib missing: no PNG")
    sys.exit(0)
fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))
for row, L in enumerate((3, 4)):
    curves = {}
    for line in list(open(os.path.join(out, "curves_L%d.csv" % L)))[1:]:
        name, g, eta, eta0, d, step, loss = line.strip().split(",")
        curves.setdefault(name, (float(g), float(eta), [], []))
        curves[name][2].append(float(step)); curves[name][3].append(float(loss))
    summ = [json.loads(l) for l in open(os.path.join(out, "align_L%d.jsonl" % L))][-1]
    for col, mapping in enumerate(("raw", "theory")):
        ax = axes[row][col]
        for name, (g, eta, t, l) in sorted(curves.items(), key=lambda kv: kv[1][0]):
            f = 1.0 if mapping == "raw" else eta / g
            ax.plot([f * s for s in t], l, label="gamma=%g" % g)
        ax.set_xscale("log"); ax.set_yscale("log")
        ax.set_xlabel("step t" if mapping == "raw" else "tau = eta0 t / gamma")
        ax.set_ylabel("held-out loss")
        ax.set_title("L=%d, %s%s" % (L, "raw steps" if mapping == "raw" else "rescaled",
                                     "" if mapping == "raw" else ", Q = %.3f" % summ["collapse_theory"]))
        ax.legend(fontsize=8)
fig.suptitle("mean-field relu MLP, eta0 = %g gamma^(2/L): plateau escape and tau collapse" % 0.1)
fig.tight_layout()
fig.savefig(os.path.join(out, "escape_collapse.png"), dpi=110)
print("wrote", os.path.join(out, "escape_collapse.png"))
PY
