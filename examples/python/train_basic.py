#!/usr/bin/env python3
"""Train one network with libricheta from Python, twice: on the library's
synthetic teacher, and on batches produced by Python code (a callback
stream, as a host framework would feed them). Plots both loss curves.

    PYTHONPATH=python RICHETA_LIBRARY=build/lib/libricheta.so.1 \
        python3 examples/python/train_basic.py --out curves.png
"""

import argparse
import math
import random

import richeta


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gamma", type=float, default=1.0)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--out", default=None, help="PNG file for the loss curves")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (for tests)")
    args = ap.parse_args()
    steps = 100 if args.quick else args.steps
    params = dict(D=8, N=32 if args.quick else 128, C=1, L=3, act="tanh", gamma=args.gamma,
                  eta0=0.05, T=steps, B=32, eval_n=256)

    run = richeta.train(task="linear", **params)
    print("synthetic teacher: %s after %d steps, held-out loss %.4g -> %.4g"
          % (run["status"], run["step"][-1], run["test_loss"][0], run["test_loss"][-1]))

    # The same network trained on batches made in Python: y = sum of x / sqrt(D).
    D = params["D"]

    def fill(step, x, y):
        r = random.Random(step)  # batches depend on the step only
        for i in range(params["B"]):
            row = [r.gauss(0.0, 1.0) for _ in range(D)]
            if hasattr(x, "shape"):
                x[i, :] = row
                y[i, 0] = sum(row) / math.sqrt(D)
            else:
                x[i * D:(i + 1) * D] = row
                y[i] = sum(row) / math.sqrt(D)

    cfg = richeta.Config(task="callback", **params)
    with richeta.Stream(cfg, fill=fill) as stream, richeta.Trainer(cfg, stream=stream) as tr:
        tr.run(on_log=lambda t, loss, _ev, _eta: print("  step %6d  loss %.4g" % (t, loss))
               if t and math.log10(t).is_integer() else None)
        run_cb = tr.log()
        run_cb["status"] = richeta.status_word(tr.state)
    print("python stream: %s, training loss %.4g -> %.4g"
          % (run_cb["status"], run_cb["train_loss"][0], run_cb["train_loss"][-1]))

    if args.out:
        from richeta import plots

        plots.loss_curves([run, run_cb], labels=["linear teacher (eval)", "python stream (train)"],
                          key="train_loss", path=args.out)
        print("wrote", args.out)


if __name__ == "__main__":
    main()
