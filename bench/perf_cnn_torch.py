#!/usr/bin/python3
"""Issue 14 PyTorch reference (Debian's python3-torch 1.13): the centered
paper CNN that perf_cnn.c trains, in float32 (conv 3x3 -> ReLU -> avgpool 2,
twice, linear to 8N with ReLU, readout / (gamma * 8N); convs and the linear
layer divided by sqrt(fan); output f(theta) - f(theta0); MSE without 1/2;
plain SGD at eta0 * N) on a fixed batch.

    perf_cnn_torch.py N C H W B THREADS REPS STEPS FORMAT [ARCH]

ARCH resnet18 (issue 15) trains the centered muP ResNet-18 instead (convs
without bias divided by sqrt(C_in), BatchNorm2d, strides 1, 2, 2, 2,
avg_pool2d(4), readout / (gamma 8N)); its frozen copy runs in training
mode too (batch statistics, running statistics updated), as the
reference's and libricheta's do.

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


class StdConv(torch.nn.Conv2d):
    """A conv without bias whose output is divided by sqrt(C_in)."""

    def __init__(self, cin, cout, k, stride):
        super().__init__(cin, cout, k, stride, (k - 1) // 2, bias=False)
        torch.nn.init.normal_(self.weight)
        self.s = 1 / math.sqrt(cin)

    def forward(self, x):
        return super().forward(x) * self.s


class Block(torch.nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.c1, self.b1 = StdConv(cin, planes, 3, stride), torch.nn.BatchNorm2d(planes)
        self.c2, self.b2 = StdConv(planes, planes, 3, 1), torch.nn.BatchNorm2d(planes)
        self.sc = torch.nn.Sequential()
        if stride != 1 or cin != planes:
            self.sc = torch.nn.Sequential(StdConv(cin, planes, 1, stride),
                                          torch.nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.b1(self.c1(x)))
        return F.relu(self.b2(self.c2(out)) + self.sc(x))


class ResNet18(torch.nn.Module):
    def __init__(self, N, C, H, W, classes=10, gamma=1.0):
        super().__init__()
        self.stem, self.bn = StdConv(C, N, 3, 1), torch.nn.BatchNorm2d(N)
        blocks, cin = [], N
        for stage in range(4):
            for blk in range(2):
                blocks.append(Block(cin, N << stage, 2 if blk == 0 and stage > 0 else 1))
                cin = N << stage
        self.blocks = torch.nn.Sequential(*blocks)
        self.fc = torch.nn.Linear(8 * N, classes)
        torch.nn.init.normal_(self.fc.weight)
        torch.nn.init.zeros_(self.fc.bias)
        self.s = 1 / (gamma * 8 * N)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn(self.stem(x))))
        x = torch.flatten(F.avg_pool2d(x, 4), 1)
        return self.fc(x) * self.s


def main():
    N, C, H, W, B, threads, reps, steps = (int(v) for v in sys.argv[1:9])
    fmt = sys.argv[9] if len(sys.argv) > 9 else "nchw"
    arch = sys.argv[10] if len(sys.argv) > 10 else "cnn"
    net = ResNet18 if arch == "resnet18" else PaperCNN
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, frozen = net(N, C, H, W), net(N, C, H, W)
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
    print("mode=torch arch=%s format=%s N=%d C=%d H=%d W=%d B=%d threads=%d reps=%d steps=%d "
          "train_steps_per_s=%.4g cpu_train_steps_per_s=%.4g rss_mib=%.1f"
          % (arch, fmt, N, C, H, W, B, threads, reps, steps, statistics.median(rates),
             statistics.median(cpu), rss))


if __name__ == "__main__":
    main()
