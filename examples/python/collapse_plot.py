#!/usr/bin/env python3
"""Ultra-rich regime: loss curves at several gamma >> 1 with the theory
learning-rate rule eta = eta0 gamma^(2/L), their plateau escapes, and their
collapse when time is reparameterized as tau = eta t / gamma (theory) or by
fitted per-curve scales (empirical).

The escape law t* ~ gamma^(1 - 2/L) needs (i) gamma >> 1 (here 1e2..1e5),
(ii) a positively homogeneous activation (relu): with tanh the hidden units
saturate, only the readout keeps growing and the escape slows down far more
than gamma^(1 - 2/L) (an earlier version of this example used tanh at
gamma = 3..100 and measured gamma^0.84 for L = 3), and (iii) eta0 well below
the stability limit (0.1 here; runs at gamma = 1e5 stop escaping near 0.3-0.5).
All runs last the same number of steps, enough for the largest gamma to
reach tau = eta t / gamma = 6 (L=3) or 5 (L=4), just past its escape.

    PYTHONPATH=python RICHETA_LIBRARY=build/lib/libricheta.so.1 \
        python3 examples/python/collapse_plot.py --out collapse.png
"""

import argparse
import math

import richeta


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gammas", default="1e2,1e3,1e4,1e5")
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--tau", type=float, default=None,
                    help="run length as tau of the largest gamma (default 6 for L=3, 5 otherwise)")
    ap.add_argument("--eta0", type=float, default=0.1)
    ap.add_argument("--out", default="collapse.png")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (for tests)")
    args = ap.parse_args()
    gammas = [float(g) for g in args.gammas.split(",")]
    if args.quick:
        gammas = gammas[:3]
    tau = args.tau if args.tau else (6.0 if args.depth == 3 else 5.0)
    gmax = max(gammas)
    steps = int(math.ceil(tau * gmax / (args.eta0 * gmax ** (2.0 / args.depth))))
    base = dict(D=16, N=64, C=1, L=args.depth, act="relu", task="linear", B=64, eval_n=256,
                rule="theory", eta0=args.eta0, T=steps, log_per_decade=40)
    if args.quick:
        base.update(N=32, B=32)

    cs = richeta.CurveSet()
    for g in gammas:
        run = richeta.train(base, gamma=g)
        # eta0 * g(gamma), the rate of the theory mapping tau = eta t / gamma
        # (the optimizer's width multiplier N is left out: it is common to all
        # curves and only shifts tau). Passing the bare eta0 here would be wrong.
        eta = float(run["eta"][0])
        pts = [(s, v) for s, v in zip(run["step"], run["test_loss"]) if s > 0]
        cs.add([p[0] for p in pts], [p[1] for p in pts], gamma=g, eta=eta, eta0=args.eta0,
               depth=args.depth, label="gamma=%g" % g)
        print("gamma=%-6g %s  eta=%.4g  eval loss %.4g -> %.4g"
              % (g, run["status"], eta, run["test_loss"][0], run["test_loss"][-1]))

    print("\n%8s %12s %12s %8s %8s" % ("gamma", "plateau", "t_escape", "tau", "drops"))
    esc = []
    for i, g in enumerate(gammas):
        drops, _ = cs.staircase(i)
        t = cs.escape(i, 0.5)
        esc.append(t)
        print("%8g %12.4g %12.4g %8.3f %8d" % (g, cs.plateau(i), t, t * cs.time_factor(i, "theory"),
                                               len(drops)))
    pts = [(math.log10(g), math.log10(t)) for g, t in zip(gammas, esc) if math.isfinite(t)]
    if len(pts) >= 2:
        mx = sum(p[0] for p in pts) / len(pts)
        my = sum(p[1] for p in pts) / len(pts)
        sxx = sum((p[0] - mx) ** 2 for p in pts)
        slope = sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx
        print("escape steps ~ gamma^%.3f (theory %.3f)" % (slope, 1 - 2.0 / args.depth))

    scales = cs.align_empirical(reference=0)
    print("\nempirical time scales:", " ".join("%.3g" % s for s in scales))
    if len(gammas) >= 2:
        e, se, _ = cs.fit_scales("empirical")
        et, _, _ = cs.fit_scales("theory")
        print("time scale ~ gamma^%.3f (+- %.3f); theory mapping gives gamma^%.3f"
              % (e, se, et))
    for which in ("theory", "empirical"):
        print("collapse quality Q(%s) = %.3g  (0 perfect, 1 no better than raw steps)"
              % (which, cs.collapse_quality(which)))

    from richeta import plots

    plots.collapsed_curves(cs, ["theory", "empirical"], path=args.out,
                           title="L=%d, eta = eta0 gamma^(2/L): raw steps, tau = eta t / gamma, fitted scales"
                           % args.depth)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
