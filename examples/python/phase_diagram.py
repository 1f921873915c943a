#!/usr/bin/env python3
"""gamma x eta0 phase diagram: sweep, eta* per gamma, power-law fits of eta*
against gamma compared with the theory (2 below gamma = 1, 2/L above), and
a heatmap.

    PYTHONPATH=python RICHETA_LIBRARY=build/lib/libricheta.so.1 \
        python3 examples/python/phase_diagram.py --db sweep.sqlite --out phase.png

The sweep is resumable: run it again with the same arguments and finished
runs are read from the database instead of being trained again.
"""

import argparse
import math

import richeta


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="phase_diagram.sqlite")
    ap.add_argument("--out", default="phase_diagram.png")
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--gamma", default="1e-2:1e2:2", help="gamma grid (LO:HI:PER_DECADE or list)")
    ap.add_argument("--eta0", default="1e-6:1e4:2", help="eta0 grid")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=0, help="0 = one per core")
    ap.add_argument("--quick", action="store_true", help="tiny sweep (for tests)")
    args = ap.parse_args()

    base = dict(D=16, N=128, C=1, L=args.depth, act="tanh", T=500, B=32, eval_n=256,
                task="linear", rule="none")
    grid_g, grid_e, seeds = args.gamma, args.eta0, args.seeds
    if args.quick:
        base.update(D=4, N=16, T=60, eval_n=64)
        grid_g, grid_e, seeds = "0.1,1,10", "1e-3:1e3:1", 1

    done = [0]

    def progress(gamma, eta0, seed, status, loss, cached, finished):
        done[0] = finished
        if not cached:
            print("  gamma=%-8.3g eta0=%-8.3g seed=%d  %-9s final loss %.3g"
                  % (gamma, eta0, seed, status.name.lower(), loss))

    res = richeta.sweep(args.db, base, gamma=grid_g, eta0=grid_e, seeds=list(range(seeds)),
                        workers=args.workers, on_run=progress)
    print("%d runs stored in %s (sweep %s)" % (len(res["runs"]["gamma"]), args.db, res["hash"]))

    es = res["eta_star"]
    print("\n%10s %12s %12s %12s" % ("gamma", "eta_max", "eta_opt", "loss@opt"))
    for g, mx, op, lo in zip(es["gamma"], es["eta_max"], es["eta_opt"], es["opt_loss"]):
        print("%10.3g %12.3g %12.3g %12.3g" % (g, mx, op, lo))
    print("eta* resolution: %.2f decades" % res["eta_resolution"])

    fit = richeta.fit_eta_star(es, depth=args.depth)
    for regime, theory in (("lazy", fit["theory_lazy"]), ("rich", fit["theory_rich"])):
        f = fit[regime]
        if f is None:
            print("%s regime: fewer than two gammas with an eta*" % regime)
        else:
            se = "" if math.isnan(f[1]) else " +- %.2f" % f[1]
            print("%s regime: eta_opt ~ gamma^%.2f%s over %d points (theory %.2f)"
                  % (regime, f[0], se, f[3], theory))

    from richeta import plots

    plots.heatmap(res, depth=args.depth, path=args.out,
                  title="final loss, L=%d (eta* and theory slopes)" % args.depth)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
