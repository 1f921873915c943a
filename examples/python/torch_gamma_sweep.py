#!/usr/bin/env python3
"""Your own PyTorch network across gamma, with libricheta's scheduler and fits.

A user's network (an MLP or a small CNN written with the richeta.torch
building blocks: mean-field layers, a readout divided by gamma and its
fan-in, centering f(theta) - f(theta0)) is trained with plain torch SGD
driven by richeta.torch.GammaLR, on a synthetic linear teacher:

1. eta* scan (rule "none", rate eta0 * width_mult): for each gamma the
   largest convergent eta0 is bracketed (scan down by 4x, then bisection);
   a run diverges when its loss is not finite or exceeds --blowup times the
   initial loss. richeta.fit_eta_star fits eta* ~ gamma^a on both sides of
   gamma = 1 (theory: a = 2 lazy, 2/L rich).
2. Collapse (rule "theory", eta = eta0 gamma^(2/L)): held-out loss curves at
   several gamma >> 1, logged against the scheduler's tau clock, then
   aligned with richeta.torch.align_losses (empirical time scales, their
   exponent against gamma, collapse quality Q; theory 1 - 2/L for the
   escape time in steps).

The --blowup default (10) is stricter than the library sweep's 1e3: in the
lazy regime a rate above the linear stability edge gives a "catapult" (the
loss spikes 100-10^5x and recovers), whose height grows as gamma shrinks;
counting those runs as convergent bends the lazy slope.

    PYTHONPATH=python RICHETA_LIBRARY=build/lib/libricheta.so.1 \\
        /usr/bin/python3 examples/python/torch_gamma_sweep.py --out torch_sweep.png
"""

import argparse
import math

import torch
from torch import nn

import richeta
import richeta.torch as rt


class UserMLP(nn.Module):
    """A user's MLP: mean-field hidden layers, readout / (gamma N)."""

    def __init__(self, D, N, depth, gamma):
        super().__init__()
        layers, fan_in = [], D
        for _ in range(depth - 1):
            layers += [rt.Dense(fan_in, N), nn.ReLU()]
            fan_in = N
        self.body = nn.Sequential(*layers)
        self.head = rt.Readout(fan_in, 1, gamma=gamma)

    def forward(self, x):
        return self.head(self.body(x))


class UserCNN(nn.Module):
    """A user's CNN on 1 x 8 x 8 images: two 3x3 convs (no padding), ReLU and
    2x2 average pooling after the first, a dense layer and the readout (the
    shape of the paper's CNN, labelled L = 4 for the gamma rule)."""

    depth = 4

    def __init__(self, N, gamma):
        super().__init__()
        self.features = nn.Sequential(rt.Conv2d(1, N, 3), nn.ReLU(), nn.AvgPool2d(2),
                                      rt.Conv2d(N, N, 3), nn.ReLU(), nn.Flatten())
        self.dense = nn.Sequential(rt.Dense(N, N), nn.ReLU())
        self.head = rt.Readout(N, 1, gamma=gamma)

    def forward(self, x):
        return self.head(self.dense(self.features(x.view(-1, 1, 8, 8))))


def make_net(args, gamma):
    torch.manual_seed(args.seed)
    if args.arch == "cnn":
        net, depth, width_mult = UserCNN(args.width, gamma), UserCNN.depth, float(args.width)
    else:
        net = UserMLP(args.input_dim, args.width, args.depth, gamma)
        depth, width_mult = args.depth, rt.width_multiplier("mf", args.width)
    return rt.Centered(net), depth, width_mult


def teacher(args):
    g = torch.Generator().manual_seed(1000 + args.seed)
    D = 64 if args.arch == "cnn" else args.input_dim
    w = torch.randn(D, generator=g) / math.sqrt(D)
    xe = torch.randn(args.eval_n, D, generator=g)
    return D, w, (xe, (xe @ w).unsqueeze(1))


def train(args, gamma, eta0, steps, rule, log_points=None):
    """One run: (status, losses at the logged steps, logged steps, taus, eta)."""
    D, w, (xe, ye) = teacher(args)
    net, depth, width_mult = make_net(args, gamma)
    opt = torch.optim.SGD(net.parameters(), lr=eta0)
    sched = rt.GammaLR(opt, gamma=gamma, depth=depth, width_mult=width_mult, rule=rule)
    gen = torch.Generator().manual_seed(2000 + args.seed)
    log = set(log_points or ())
    steps_out, losses, taus, first = [], [], [], None
    for t in range(steps + 1):
        if t in log:
            with torch.no_grad():
                steps_out.append(t)
                losses.append(float(torch.mean((net(xe) - ye) ** 2)))
                taus.append(sched.tau)
        if t == steps:
            break
        x = torch.randn(args.batch, D, generator=gen)
        loss = torch.mean((net(x) - (x @ w).unsqueeze(1)) ** 2)
        value = float(loss)
        first = value if first is None else first
        if not math.isfinite(value) or value > args.blowup * first:
            return "diverged", losses, steps_out, taus, sched.eta(0)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return "done", losses, steps_out, taus, sched.eta(0)


def eta_max(args, gamma):
    """Largest convergent eta0 (rule none): scan by 4x, then bisect in log eta."""
    def ok(eta0):
        return train(args, gamma, eta0, args.scan_steps, "none")[0] == "done"

    e = args.eta_top * gamma ** 2 if gamma < 1 else args.eta_top
    if ok(e):
        while ok(e * 4):
            e *= 4
        lo, hi = e, e * 4
    else:
        hi = e
        while not ok(e / 4):
            e /= 4
            hi = e
            if e < 1e-30:
                return math.nan
        lo = e / 4
    for _ in range(args.bisect):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


def log_steps(steps, per_decade=20):
    pts = {0, steps}
    k = 0
    while True:
        s = int(round(10 ** (k / per_decade)))
        if s > steps:
            return sorted(pts)
        pts.add(s)
        k += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", choices=("mlp", "cnn"), default="mlp")
    ap.add_argument("--input-dim", type=int, default=16)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--depth", type=int, default=3, help="MLP depth L (the CNN is L = 4)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--eval-n", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scan-gammas", default="1e-3,3e-3,1e-2,3e-2,1e-1,3e-1,1,3,10,30,100")
    ap.add_argument("--scan-steps", type=int, default=200)
    ap.add_argument("--eta-top", type=float, default=1.0, help="first eta0 tried (x gamma^2 below 1)")
    ap.add_argument("--bisect", type=int, default=6)
    ap.add_argument("--blowup", type=float, default=10.0)
    ap.add_argument("--collapse-gammas", default="10,100,1000,10000")
    ap.add_argument("--eta0", type=float, default=0.1, help="eta0 of the collapse runs (rule theory)")
    ap.add_argument("--tau", type=float, default=None,
                    help="collapse runs last until the largest gamma reaches this tau "
                         "(default 6 for the MLP, 30 for the CNN, whose plateau is longer)")
    ap.add_argument("--out", default="torch_gamma_sweep.png")
    ap.add_argument("--quick", action="store_true", help="small setting (for tests)")
    args = ap.parse_args()
    torch.set_default_dtype(torch.float64)  # gamma << 1: a small difference of large numbers
    torch.set_num_threads(1)
    scan = [float(g) for g in args.scan_gammas.split(",")]
    coll = [float(g) for g in args.collapse_gammas.split(",")]
    if args.quick:
        args.width, args.bisect = 32, 5
        scan = [g for g in scan if g <= 3e-2] if args.arch == "mlp" else [1e-3, 1e-2]
        coll = coll[:3] if args.arch == "mlp" else coll[:2]
    depth = UserCNN.depth if args.arch == "cnn" else args.depth
    if args.tau is None:
        args.tau = 30.0 if args.arch == "cnn" else 6.0

    print("1. eta* scan (%s, N=%d, L=%d, %d steps, blowup %g)"
          % (args.arch, args.width, depth, args.scan_steps, args.blowup))
    etas = []
    for g in scan:
        etas.append(eta_max(args, g))
        print("   gamma=%-7g eta_max=%.4g  eta_max/gamma^2=%.3g" % (g, etas[-1], etas[-1] / g ** 2))
    fit = richeta.fit_eta_star({"gamma": scan, "eta_max": etas}, depth, key="eta_max")
    for side, theory in (("lazy", fit["theory_lazy"]), ("rich", fit["theory_rich"])):
        if fit[side] is not None:
            s, se, _, n = fit[side]
            print("   eta_max slope (%s, %d gammas) = %.3f +- %.3f (theory %.3g)" % (side, n, s, se, theory))

    gmax = max(coll)
    steps = int(math.ceil(args.tau * gmax / (args.eta0 * gmax ** (2.0 / depth))))
    print("2. collapse (rule theory, eta0=%g, %d steps)" % (args.eta0, steps))
    pts = log_steps(steps)
    curves, rates, taus, status = [], [], [], []
    for g in coll:
        st, losses, logged, tau, eta = train(args, g, args.eta0, steps, "theory", pts)
        curves.append(rt.loss_curve(losses, steps=logged, eta=eta))
        rates.append(eta)
        taus.append(tau)
        status.append(st)
        print("   gamma=%-7g %s  eta=%.4g  loss %.4g -> %.4g  tau=%.3g"
              % (g, st, eta, losses[0], losses[-1], tau[-1]))
    out = rt.align_losses(curves, coll, rates, depth=depth, key="train_loss")
    try:
        print("   escape steps: %s" % ", ".join("%.4g" % e for e in out["escape"]))
        print("   empirical time-scale exponent = %.3f +- %.3f (theory 1 - 2/L = %.3g)"
              % (out["exponent"], out["stderr"], 1 - 2.0 / depth))
        print("   collapse quality Q(theory) = %.3f, Q(empirical) = %.3f"
              % (out["quality"]["theory"], out["quality"]["empirical"]))
    finally:
        out["curveset"].close()

    if args.out:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
        ax[0].loglog(scan, etas, "o-", label="eta_max (largest convergent eta0)")
        ref = etas[0] / scan[0] ** 2
        ax[0].loglog(scan, [ref * g ** 2 for g in scan], "k--", lw=0.8, label="gamma^2")
        ax[0].set_xlabel("gamma")
        ax[0].set_ylabel("eta0")
        ax[0].legend(fontsize=8)
        ax[0].set_title("eta* scan")
        for g, c in zip(coll, curves):
            ax[1].loglog([s for s in c["steps"] if s > 0], [v for s, v in zip(c["steps"], c["train_loss"]) if s > 0],
                         label="gamma=%g" % g)
        ax[1].set_xlabel("step t")
        ax[1].set_title("held-out loss")
        ax[1].legend(fontsize=8)
        for g, c, tau in zip(coll, curves, taus):
            ax[2].loglog([t for t in tau if t > 0], [v for t, v in zip(tau, c["train_loss"]) if t > 0])
        ax[2].set_xlabel("tau = sum eta_t / gamma")
        ax[2].set_title("against the scheduler's tau")
        fig.tight_layout()
        fig.savefig(args.out, dpi=110)
        print("wrote %s" % args.out)
    if "diverged" in status:
        raise SystemExit("a collapse run diverged: lower --eta0")


if __name__ == "__main__":
    main()
