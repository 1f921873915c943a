#!/usr/bin/python3
"""Issue 14 PyTorch reference (Debian's python3-torch 1.13): the centered
paper CNN that perf_cnn.c trains, in float32 (conv 3x3 -> ReLU -> avgpool 2,
twice, linear to 8N with ReLU, readout / (gamma * 8N); convs and the linear
layer divided by sqrt(fan); output f(theta) - f(theta0); MSE without 1/2;
plain SGD at eta0 * N) on a fixed batch.

    perf_cnn_torch.py N C H W B THREADS REPS STEPS FORMAT

FORMAT is nchw or channels_last. Prints one key=value line like perf_cnn:
the median over REPS repetitions of STEPS steps, wall and CPU time. Run it
with OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set to THREADS (run_cnn.sh
does): torch's linear layers use OpenBLAS, whose own pool ignores
torch.set_num_threads."""
import math
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F


class PaperCNN(torch.nn.Module):
    def __init__(self, N, C, H, W, classes=10, gamma=1.0):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(C, N, 3)
        self.conv2 = torch.nn.Conv2d(N, 2 * N, 3)
        side_h, side_w = ((H - 2) // 2 - 2) // 2, ((W - 2) // 2 - 2) // 2
        self.fc1 = torch.nn.Linear(2 * N * side_h * side_w, 8 * N)
        self.fc2 = torch.nn.Linear(8 * N, classes)
        for m in (self.conv1, self.conv2, self.fc1, self.fc2):
            torch.nn.init.normal_(m.weight)
            torch.nn.init.zeros_(m.bias)
        self.s1, self.s2 = 1 / math.sqrt(C), 1 / math.sqrt(N)
        self.s3 = 1 / math.sqrt(self.fc1.in_features)
        self.s4 = 1 / (gamma * 8 * N)

    def forward(self, x):
        x = F.avg_pool2d(F.relu(self.conv1(x) * self.s1), 2)
        x = F.avg_pool2d(F.relu(self.conv2(x) * self.s2), 2)
        x = F.relu(self.fc1(torch.flatten(x, 1)) * self.s3)
        return self.fc2(x) * self.s4


def main():
    N, C, H, W, B, threads, reps, steps = (int(v) for v in sys.argv[1:9])
    fmt = sys.argv[9] if len(sys.argv) > 9 else "nchw"
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, frozen = PaperCNN(N, C, H, W), PaperCNN(N, C, H, W)
    frozen.load_state_dict(model.state_dict())
    for p in frozen.parameters():
        p.requires_grad_(False)
    x = torch.rand(B, C, H, W) - 0.5
    y = torch.rand(B, 10) - 0.5
    if fmt == "channels_last":
        model = model.to(memory_format=torch.channels_last)
        frozen = frozen.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=1e-4 * N)

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.no_grad():
            f0 = frozen(x)
        loss = torch.mean((model(x) - f0 - y) ** 2)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    rates, cpu = [], []
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        rates.append(steps / (time.perf_counter() - t))
        cpu.append(steps / (time.process_time() - c))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("mode=torch format=%s N=%d C=%d H=%d W=%d B=%d threads=%d reps=%d steps=%d "
          "train_steps_per_s=%.4g cpu_train_steps_per_s=%.4g rss_mib=%.1f"
          % (fmt, N, C, H, W, B, threads, reps, steps, statistics.median(rates),
             statistics.median(cpu), rss))


if __name__ == "__main__":
    main()
