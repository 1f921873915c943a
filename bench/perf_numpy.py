#!/usr/bin/python3
"""Issue 8 NumPy reference: the centered mean-field MLP of perf_train.c and
perf_torch.py (float32, relu, biases, MSE without 1/2, SGD with rate
eta0 * N), forward of theta and theta0 and a hand-written backward pass.
NumPy's matmul uses the BLAS it is linked to (Debian: OpenBLAS); its thread
count follows OPENBLAS_NUM_THREADS, which run_perf.sh sets.

    perf_numpy.py train D N L B C THREADS REPS STEPS
"""
import math
import resource
import statistics
import sys
import time

import numpy as np


def main():
    if len(sys.argv) < 10 or sys.argv[1] != "train":
        sys.exit("usage: perf_numpy.py train D N L B C THREADS REPS STEPS")
    D, N, L, B, C, threads, reps, steps = map(int, sys.argv[2:10])
    rng = np.random.default_rng(0)
    dims = [D] + [N] * (L - 1) + [C]
    W = [rng.standard_normal((dims[i + 1], dims[i]), dtype=np.float32) for i in range(L)]
    b = [np.zeros(dims[i + 1], np.float32) for i in range(L)]
    W0 = [w.copy() for w in W]
    b0 = [v.copy() for v in b]
    mul = [np.float32(1 / math.sqrt(dims[i])) for i in range(L - 1)] + [np.float32(1 / dims[L - 1])]
    lr = np.float32(0.001 * N)
    x = (rng.random((B, D), dtype=np.float32) - 0.5).astype(np.float32)
    y = (rng.random((B, C), dtype=np.float32) - 0.5).astype(np.float32)

    def forward(Ws, bs, keep):
        a = x
        acts = [a]
        for i in range(L):
            h = (a @ Ws[i].T) * mul[i]
            if i < L - 1:
                h += bs[i]
                np.maximum(h, 0, out=h)
                a = h
                if keep:
                    acts.append(a)
            else:
                h += bs[i] * mul[i]
                a = h
        return a, acts

    def step():
        f0, _ = forward(W0, b0, False)
        f, acts = forward(W, b, True)
        r = f - f0 - y
        loss = float(np.mean(r * r))
        g = r * np.float32(2.0 / r.size)
        for i in range(L - 1, -1, -1):
            gw = (g.T @ acts[i]) * mul[i]
            gb = g.sum(axis=0) * (mul[i] if i == L - 1 else np.float32(1))
            if i > 0:
                g = (g @ W[i]) * mul[i]
                g *= acts[i] > 0
            W[i] -= lr * gw
            b[i] -= lr * gb
        return loss

    for _ in range(min(steps, 10)):
        step()
    rates = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        rates.append(steps / (time.perf_counter() - t0))
    sps = statistics.median(rates)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"mode=numpy D={D} N={N} L={L} B={B} C={C} threads={threads} reps={reps} "
          f"steps={steps} steps_per_s={sps:.4g} samples_per_s={sps * B:.4g} "
          f"us_per_step={1e6 / sps:.4g} rss_mib={rss:.1f} version={np.__version__}")


if __name__ == "__main__":
    main()
