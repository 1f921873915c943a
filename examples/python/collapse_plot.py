#!/usr/bin/env python3
"""Ultra-rich regime: loss curves at several gamma >> 1 with the theory
learning-rate rule eta = eta0 gamma^(2/L), their plateau escapes, and their
collapse when time is reparameterized as tau = eta t / gamma (theory) or by
fitted per-curve scales (empirical).

    PYTHONPATH=python RICHETA_LIBRARY=build/lib/libricheta.so.1 \
        python3 examples/python/collapse_plot.py --out collapse.png
"""

import argparse

import richeta


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gammas", default="3,10,30,100")
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--eta0", type=float, default=0.5)
    ap.add_argument("--out", default="collapse.png")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (for tests)")
    args = ap.parse_args()
    gammas = [float(g) for g in args.gammas.split(",")]
    base = dict(D=16, N=128, C=1, L=args.depth, act="tanh", task="mlp", B=32, eval_n=256,
                rule="theory", eta0=args.eta0, T=args.steps, log_per_decade=20)
    if args.quick:
        base.update(N=16, D=4, T=300, eval_n=64)
        gammas = gammas[:3]

    cs = richeta.CurveSet()
    for g in gammas:
        run = richeta.train(base, gamma=g)
        eta = float(run["eta"][0])  # eta0 * g(gamma): the rate of the theory mapping
        pts = [(s, v) for s, v in zip(run["steps"], run["eval_loss"]) if s > 0]
        cs.add([p[0] for p in pts], [p[1] for p in pts], gamma=g, eta=eta, eta0=args.eta0,
               depth=args.depth, label="gamma=%g" % g)
        print("gamma=%-6g %s  eta=%.4g  eval loss %.4g -> %.4g"
              % (g, run["status"], eta, run["eval_loss"][0], run["eval_loss"][-1]))

    print("\n%8s %12s %12s %8s" % ("gamma", "plateau", "t_escape", "drops"))
    for i, g in enumerate(gammas):
        drops, _ = cs.staircase(i)
        print("%8g %12.4g %12.4g %8d" % (g, cs.plateau(i), cs.escape(i, 0.5), len(drops)))

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
