#!/usr/bin/python3
"""Reference for bench_train.c: the same centered mean-field MLP trained with
PyTorch (Debian's python3-torch), float32, D=784, N=1024, L=3, C=10, B=128,
plain SGD with rate eta0 * N, MSE without 1/2, on a fixed batch.
    torch_train.py [THREADS=1] [STEPS=200]"""
import math
import sys
import time

import torch

D, N, L, C, B = 784, 1024, 3, 10, 128
GAMMA, ETA0 = 1.0, 0.01


class MeanField(torch.nn.Module):
    """h1 = W1 x / sqrt(D) + b1; h2 = W2 relu(h1) / sqrt(N) + b2;
    f = (W3 relu(h2) + b3) / (gamma N)."""

    def __init__(self):
        super().__init__()
        dims = [D] + [N] * (L - 1) + [C]
        self.w = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.randn(dims[i + 1], dims[i])) for i in range(L)])
        self.b = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.zeros(dims[i + 1])) for i in range(L)])
        self.scale = [1 / math.sqrt(D)] + [1 / math.sqrt(N)] * (L - 2) + [1 / (GAMMA * N)]

    def forward(self, x):
        h = x
        for i in range(L):
            if i > 0:
                h = torch.relu(h)
            if i < L - 1:
                h = torch.nn.functional.linear(h, self.w[i]) * self.scale[i] + self.b[i]
            else:
                h = (torch.nn.functional.linear(h, self.w[i]) + self.b[i]) * self.scale[i]
        return h


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = MeanField()
    frozen = MeanField()
    frozen.load_state_dict(model.state_dict())  # centering: theta0 frozen copy
    for p in frozen.parameters():
        p.requires_grad_(False)
    opt = torch.optim.SGD(model.parameters(), lr=ETA0 * N)
    x = torch.rand(B, D) - 0.5
    y = torch.rand(B, C) - 0.5

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.no_grad():
            f0 = frozen(x)
        loss = ((model(x) - f0 - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(10):
        step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        loss = step()
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    print(f"torch-{torch.__version__} fixed-batch threads={threads} steps={steps} "
          f"steps_per_s={steps / dt:.2f} steps_per_cpu_s={steps / dc:.2f} loss={loss:.4g}")


if __name__ == "__main__":
    main()
