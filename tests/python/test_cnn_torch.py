"""Cross-check of libricheta's CNN (arch=cnn) against the same network
written here in PyTorch, in float64.

The torch model is the CNN of the paper's released code
(Pehlevan-Group/Richness_Sweep, vision_tasks/models.py), written from its
description in docs/architectures.md:

    conv 3x3 C_in -> N (no padding, bias), ReLU, avgpool 2
    conv 3x3 N -> 2N, ReLU, avgpool 2 (floor), flatten (CHW order)
    linear -> 8N, ReLU;  readout 8N -> C

Each conv draws N(0, 1) weights and divides its output, bias included, by
sqrt(C_in) (conv_scale=channels) or sqrt(C_in * 9) (conv_scale=fan_in); the
hidden linear layer divides by sqrt(fan_in), bias included; the readout
divides by gamma * fan_in (mf), gamma * sqrt(fan_in) (ntk) or gamma (sp, no
multipliers elsewhere). The output is centered, f(theta) - f(theta0), and
every tensor trains at eta0 * N (mf) or eta0 (ntk, sp). Loss, every
gradient and the parameters after 10 SGD steps must agree to 1e-10
relative.
"""

import math
import sys
import unittest

import _support
from _support import random_batch, rel, torch_loss
import richeta

torch, _skip_reason = _support.optional_torch()
if torch is not None:
    import numpy as np
    import torch.nn.functional as F

TOL = 1e-10
MAX_DEV = {}


class TorchCNN:
    """The paper's CNN on explicit tensors (weights copied from the library)."""

    def __init__(self, model, shape, param, gamma, conv_scale, loss):
        self.shape, self.param, self.gamma = shape, param, gamma
        self.conv_scale, self.loss_kind = conv_scale, loss
        self.layers = []
        for l in range(model.num_layers):
            w, b = model.get_layer(l)
            w = np.asarray(w, dtype=np.float64)
            if l < 2:  # conv kernels: (out, in, kh, kw)
                w = w.reshape(w.shape[0], -1, 3, 3)
            self.layers.append([torch.tensor(w, requires_grad=True),
                                torch.tensor(np.asarray(b, dtype=np.float64), requires_grad=True)])
        self.frozen = [[t.detach().clone() for t in pair] for pair in self.layers]

    def conv_div(self, c_in):
        if self.param == "sp":
            return 1.0
        return math.sqrt(c_in * (9 if self.conv_scale == "fan_in" else 1))

    def _f(self, layers, x):
        c, h, w = self.shape
        z = x.reshape(x.shape[0], c, h, w)
        for l in range(2):
            wt, bt = layers[l]
            z = F.conv2d(z, wt, bt) / self.conv_div(wt.shape[1])
            z = F.avg_pool2d(F.relu(z), 2, 2)
        z = torch.flatten(z, 1)
        wt, bt = layers[2]
        div = 1.0 if self.param == "sp" else math.sqrt(wt.shape[1])
        z = F.relu((z @ wt.T + bt) / div)
        wt, bt = layers[3]
        fan = wt.shape[1]
        div = {"mf": self.gamma * fan, "ntk": self.gamma * math.sqrt(fan), "sp": self.gamma}
        return (z @ wt.T + bt) / div[self.param]

    def forward(self, x):
        return self._f(self.layers, x) - self._f(self.frozen, x)

    def loss(self, x, y):
        return torch_loss(self.loss_kind, self.forward(x), y)

    def params(self):
        return [t for pair in self.layers for t in pair]

    @staticmethod
    def flat(tensors):
        return torch.cat([t.reshape(-1) for t in tensors]).detach().numpy()

    def loss_grad(self, x, y):
        for p in self.params():
            p.grad = None
        loss = self.loss(x, y)
        loss.backward()
        return float(loss), self.flat([p.grad for p in self.params()])

    def sgd_step(self, x, y, lr):
        loss, _ = self.loss_grad(x, y)
        with torch.no_grad():
            for p in self.params():
                p -= lr * p.grad
        return loss


@unittest.skipIf(torch is None, _skip_reason)
class CnnTorchCrossCheck(unittest.TestCase):
    N, C, B = 4, 3, 5
    SHAPE = (3, 12, 13)

    def run_case(self, gamma, conv_scale="channels", param="mf", loss="mse", eta0=0.05,
                 steps=10):
        c, h, w = self.SHAPE
        cfg = richeta.Config(arch="cnn", L=4, N=self.N, C=self.C, B=self.B, D=c * h * w,
                             image_channels=c, image_height=h, image_width=w, param=param,
                             conv_scale=conv_scale, gamma=gamma, loss=loss, dtype="f64",
                             center="frozen", seed=7, eta0=eta0)
        rng = np.random.default_rng(int(1000 * (math.log10(gamma) + 4)))
        with richeta.Model(cfg) as model, richeta.Optim(model, cfg) as opt:
            self.assertEqual(model.num_layers, 4)
            tm = TorchCNN(model, self.SHAPE, param, gamma, conv_scale, loss)
            width_mult = float(self.N) if param == "mf" else 1.0
            self.assertEqual(opt.width_multiplier, width_mult)
            np.testing.assert_array_equal(model.get_params(), tm.flat(tm.params()))
            # move away from theta0 so that the centered output is not 0
            moved = model.get_params() + 0.3 * rng.standard_normal(model.num_params)
            model.set_params(moved)
            with torch.no_grad():
                off = 0
                for p in tm.params():
                    n = p.numel()
                    p.copy_(torch.tensor(moved[off:off + n]).reshape(p.shape))
                    off += n

            def batch():
                return random_batch(rng, self.B, c * h * w, self.C, loss)

            x, y = batch()
            devs = [rel(model.forward(x), tm.forward(torch.tensor(x)).detach().numpy())]
            loss_lib, grad_lib = model.loss_grad(x, y)
            loss_t, grad_t = tm.loss_grad(torch.tensor(x), torch.tensor(y))
            devs.append(rel([loss_lib], [loss_t]))
            # every gradient, layer by layer
            off = 0
            for p in tm.params():
                n = p.numel()
                devs.append(rel(grad_lib[off:off + n], grad_t[off:off + n]))
                off += n
            self.assertLess(max(devs), TOL, "gamma=%g %s %s: output/loss/grad deviation %.3g"
                            % (gamma, conv_scale, param, max(devs)))
            for _ in range(steps):
                x, y = batch()
                devs.append(rel([opt.step(x, y)],
                                [tm.sgd_step(torch.tensor(x), torch.tensor(y), eta0 * width_mult)]))
            devs.append(rel(model.get_params(), tm.flat(tm.params())))
            self.assertGreater(rel(model.get_params(), moved), 1e-8)
            dev = max(devs)
            self.assertLess(dev, TOL, "gamma=%g %s %s: deviation after %d SGD steps %.3g"
                            % (gamma, conv_scale, param, steps, dev))
            key = "%s/%s" % (param, conv_scale)
            MAX_DEV[key] = max(MAX_DEV.get(key, 0.0), dev)

    def test_reference_convention_matches_torch_across_gamma(self):
        for gamma, eta0 in ((1e-3, 1e-7), (1.0, 0.05), (1e3, 5.0)):
            with self.subTest(gamma=gamma):
                self.run_case(gamma, "channels", eta0=eta0)

    def test_fan_in_convention_matches_torch_across_gamma(self):
        for gamma, eta0 in ((1e-3, 1e-7), (1.0, 0.05), (1e3, 5.0)):
            with self.subTest(gamma=gamma):
                self.run_case(gamma, "fan_in", eta0=eta0)

    def test_ntk_and_sp_match_torch(self):
        self.run_case(1.0, "channels", param="ntk", eta0=0.05)
        self.run_case(2.0, "channels", param="sp", eta0=0.01)

    def test_cross_entropy_matches_torch(self):
        self.run_case(1.0, "channels", loss="ce", eta0=0.5)

    def test_centered_output_is_zero_at_init(self):
        c, h, w = self.SHAPE
        for gamma in (1e-3, 1.0, 1e3):
            cfg = richeta.Config(arch="cnn", L=4, N=self.N, C=self.C, B=self.B, D=c * h * w,
                                 image_channels=c, image_height=h, image_width=w, gamma=gamma,
                                 dtype="f64")
            with richeta.Model(cfg) as model:
                x = np.random.default_rng(3).standard_normal((7, c * h * w))
                self.assertEqual(float(np.max(np.abs(model.forward(x)))), 0.0)

    @classmethod
    def tearDownClass(cls):
        for k in sorted(MAX_DEV):
            sys.stderr.write("cnn torch cross-check: max relative deviation %s = %.3g\n"
                             % (k, MAX_DEV[k]))


if __name__ == "__main__":
    unittest.main()
