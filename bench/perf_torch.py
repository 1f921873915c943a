#!/usr/bin/python3
"""Issue 8 PyTorch reference (Debian's python3-torch): the model perf_train.c
trains, a centered mean-field MLP in float32 (output f(x; theta) - f(x; theta0),
relu, biases, MSE without 1/2, plain SGD with rate eta0 * N), so that both
sides do the same arithmetic.

    perf_torch.py train D N L B C THREADS REPS STEPS
    perf_torch.py sweep THREADS REPS

train: steps/s on a fixed batch, median over REPS repetitions of STEPS steps.
sweep: the 64 runs of (e) (8 gammas x 8 eta0, D=16, N=64, L=3, C=1, B=32,
T=400, linear teacher with fresh Gaussian inputs each step, stopped when the
loss is non-finite or exceeds 1e3 times the first loss), one after the other
in this process. Prints key=value lines like perf_train."""
import math
import resource
import statistics
import sys
import time

import torch


class MeanField(torch.nn.Module):
    """h1 = W1 x / sqrt(D) + b1; h_{l+1} = W relu(h_l) / sqrt(N) + b;
    f = (W_L relu(h_{L-1}) + b_L) / (gamma N)."""

    def __init__(self, D, N, L, C, gamma):
        super().__init__()
        dims = [D] + [N] * (L - 1) + [C]
        self.L = L
        self.w = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.randn(dims[i + 1], dims[i])) for i in range(L)])
        self.b = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.zeros(dims[i + 1])) for i in range(L)])
        self.scale = [1 / math.sqrt(dims[i]) for i in range(L - 1)] + [1 / (gamma * dims[L - 1])]

    def forward(self, x):
        h = x
        for i in range(self.L):
            if i > 0:
                h = torch.relu(h)
            if i < self.L - 1:
                h = torch.nn.functional.linear(h, self.w[i]) * self.scale[i] + self.b[i]
            else:
                h = (torch.nn.functional.linear(h, self.w[i]) + self.b[i]) * self.scale[i]
        return h


def make(D, N, L, C, gamma, eta0):
    model = MeanField(D, N, L, C, gamma)
    frozen = MeanField(D, N, L, C, gamma)
    frozen.load_state_dict(model.state_dict())  # centering: frozen copy of theta0
    for p in frozen.parameters():
        p.requires_grad_(False)
    opt = torch.optim.SGD(model.parameters(), lr=eta0 * N)
    return model, frozen, opt


def sgd_step(model, frozen, opt, x, y):
    opt.zero_grad(set_to_none=True)
    with torch.no_grad():
        f0 = frozen(x)
    loss = ((model(x) - f0 - y) ** 2).mean()
    loss.backward()
    opt.step()
    return loss.item()


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def train(D, N, L, B, C, threads, reps, steps):
    torch.manual_seed(0)
    model, frozen, opt = make(D, N, L, C, 1.0, 0.001)
    x = torch.rand(B, D) - 0.5
    y = torch.rand(B, C) - 0.5
    for _ in range(min(steps, 10)):
        sgd_step(model, frozen, opt, x, y)
    rates = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(steps):
            sgd_step(model, frozen, opt, x, y)
        rates.append(steps / (time.perf_counter() - t0))
    sps = statistics.median(rates)
    print(f"mode=torch D={D} N={N} L={L} B={B} C={C} threads={threads} reps={reps} "
          f"steps={steps} steps_per_s={sps:.4g} samples_per_s={sps * B:.4g} "
          f"us_per_step={1e6 / sps:.4g} rss_mib={peak_rss_mib():.1f} "
          f"min_steps_per_s={min(rates):.4g} max_steps_per_s={max(rates):.4g} "
          f"version={torch.__version__}")


def sweep(threads, reps):
    D, N, L, C, B, T = 16, 64, 3, 1, 32, 400
    gammas = [10 ** (-1 + 2 * i / 7) for i in range(8)]
    etas = [10 ** (-4 + 2 * i / 7) for i in range(8)]
    rates = []
    for _ in range(reps):
        conv = 0
        t0 = time.perf_counter()
        for gamma in gammas:
            for eta0 in etas:
                torch.manual_seed(0)
                teacher = torch.randn(C, D)
                model, frozen, opt = make(D, N, L, C, gamma, eta0)
                first = None
                ok = True
                for _ in range(T):
                    x = torch.randn(B, D)
                    y = x @ teacher.T / math.sqrt(D)
                    loss = sgd_step(model, frozen, opt, x, y)
                    if first is None:
                        first = loss
                    if not math.isfinite(loss) or loss > 1e3 * first:
                        ok = False
                        break
                conv += ok
        rates.append(64 / (time.perf_counter() - t0))
    rps = statistics.median(rates)
    print(f"mode=torch_sweep threads={threads} reps={reps} runs=64 converged={conv} "
          f"runs_per_s={rps:.4g} seconds={64 / rps:.4g} steps_per_s={rps * T:.4g} "
          f"rss_mib={peak_rss_mib():.1f} version={torch.__version__}")


def main():
    mode = sys.argv[1]
    if mode == "train":
        D, N, L, B, C, threads, reps, steps = map(int, sys.argv[2:10])
        torch.set_num_threads(threads)
        train(D, N, L, B, C, threads, reps, steps)
    elif mode == "sweep":
        threads, reps = int(sys.argv[2]), int(sys.argv[3])
        torch.set_num_threads(threads)
        sweep(threads, reps)
    else:
        sys.exit("usage: perf_torch.py train D N L B C THREADS REPS STEPS | sweep THREADS REPS")


if __name__ == "__main__":
    main()
