"""Cross-check of libricheta's muP ResNet-18 (arch=resnet18) against the same
network written here in PyTorch, in float64.

The torch model is written from docs/architectures.md (the ResNet-18 of
the paper's released code, Pehlevan-Group/Richness_Sweep,
vision_tasks/models.py):

    stem: conv 3x3 C_in -> N (padding 1, no bias) / sqrt(C_in), BN, ReLU
    4 stages of 2 BasicBlocks, widths N, 2N, 4N, 8N, strides 1, 2, 2, 2:
        conv 3x3 (stride) -> BN -> ReLU -> conv 3x3 -> BN, plus the
        identity or a strided 1x1 conv -> BN when the shape changes; ReLU
    avg_pool2d(4) (the whole last stage when it is smaller), flatten
    readout / (gamma * fan_in)  (mean-field)

BatchNorm is torch's functional batch_norm (eps 1e-5, momentum 0.1) with
explicit running statistics for theta and for the frozen theta0: training
runs use batch statistics and update both, evaluation uses the running
ones. The output is centered, f(theta) - f(theta0). Every tensor trains at
eta0 * N. Checked: centering exact at init, outputs in evaluation, the
loss and every gradient in training, and after 10 SGD steps the
parameters, the running statistics of theta and theta0
(Model.get_running_stats) and the evaluation outputs, all to 1e-10
relative; running statistics set from outside round-trip and bad ones are
refused.
"""

import math
import sys
import unittest

import _support
from _support import random_batch, rel
import richeta

torch, _skip_reason = _support.optional_torch()
if torch is not None:
    import numpy as np
    import torch.nn.functional as F
    from test_cnn_torch import TorchCNN  # params, flat, loss_grad, sgd_step
else:
    TorchCNN = object

TOL = 1e-10
MAX_DEV = {}


class TorchResNet18(TorchCNN):
    """The muP ResNet-18 on explicit tensors, weights copied from the library
    in its layer order (stem conv, stem BN, then per block conv1, BN1, conv2,
    BN2 and, where the shape changes, the shortcut's conv and BN; readout)."""

    def __init__(self, model, shape, N, gamma, conv_scale, loss):
        self.shape, self.N, self.gamma = shape, N, gamma
        self.conv_scale, self.loss_kind = conv_scale, loss
        self.layers = []
        for l in range(model.num_layers):
            w, b = model.get_layer(l)
            w = np.asarray(w, dtype=np.float64)
            b = None if b is None or len(b) == 0 else np.asarray(b, dtype=np.float64)
            self.layers.append([torch.tensor(w, requires_grad=True)]
                               + ([torch.tensor(b, requires_grad=True)] if b is not None else []))
        self.frozen = [[t.detach().clone() for t in pair] for pair in self.layers]
        self.stats = self._fresh_stats()
        self.stats0 = self._fresh_stats()

    def _fresh_stats(self):
        out = []
        for pair in self.layers:
            if pair[0].shape[1] == 1 and len(pair) == 2 and pair is not self.layers[-1]:
                c = pair[0].shape[0]
                out.append([torch.zeros(c, dtype=torch.float64),
                            torch.ones(c, dtype=torch.float64)])
            else:
                out.append(None)
        return out

    def _conv(self, z, w, stride, k):
        c_in = z.shape[1]
        w = w.reshape(w.shape[0], c_in, k, k)
        div = math.sqrt(c_in * k * k) if self.conv_scale == "fan_in" else math.sqrt(c_in)
        return F.conv2d(z, w, None, stride=stride, padding=(k - 1) // 2) / div

    def _f(self, layers, stats, x, training):
        c, h, w = self.shape
        it = iter(range(len(layers)))

        def conv(z, stride, k):
            return self._conv(z, layers[next(it)][0], stride, k)

        def bn(z):
            i = next(it)
            rm, rv = stats[i]
            return F.batch_norm(z, rm, rv, layers[i][0].reshape(-1), layers[i][1],
                                training=training, momentum=0.1, eps=1e-5)

        z = F.relu(bn(conv(x.reshape(x.shape[0], c, h, w), 1, 3)))
        c_in = self.N
        for stage in range(4):
            planes = self.N << stage
            for blk in range(2):
                stride = 2 if blk == 0 and stage > 0 else 1
                out = F.relu(bn(conv(z, stride, 3)))
                out = bn(conv(out, 1, 3))
                sc = z
                if stride != 1 or c_in != planes:
                    sc = bn(conv(z, stride, 1))
                z = F.relu(out + sc)
                c_in = planes
        k = min(4, z.shape[2], z.shape[3])
        if k > 1:
            z = F.avg_pool2d(z, k)
        z = torch.flatten(z, 1)
        ro = layers[next(it)]
        f = z @ ro[0].T + (ro[1] if len(ro) > 1 else 0)
        return f / (self.gamma * ro[0].shape[1])

    def forward(self, x, training=True):
        return (self._f(self.layers, self.stats, x, training)
                - self._f(self.frozen, self.stats0, x, training))


@unittest.skipIf(torch is None, _skip_reason)
class ResNetTorchCrossCheck(unittest.TestCase):
    N, C, B = 2, 3, 8  # 8 samples: the last stage of an 8x8 image has 8 values per channel

    def run_case(self, shape, gamma=1.0, conv_scale="channels", loss="mse", eta0=0.05,
                 steps=10, dtype="f64", tol=TOL):
        c, h, w = shape
        cfg = richeta.Config(arch="resnet18", L=3, N=self.N, C=self.C, B=self.B, D=c * h * w,
                             image_channels=c, image_height=h, image_width=w,
                             conv_scale=conv_scale, gamma=gamma, loss=loss, dtype=dtype,
                             center="frozen", seed=5, eta0=eta0)
        rng = np.random.default_rng(h + 100 * int(gamma))
        with richeta.Model(cfg) as model, richeta.Optim(model, cfg) as opt:
            tm = TorchResNet18(model, shape, self.N, gamma, conv_scale, loss)
            self.assertEqual(opt.width_multiplier, float(self.N))
            np.testing.assert_array_equal(model.get_params(), tm.flat(tm.params()))

            def batch():
                return random_batch(rng, self.B, c * h * w, self.C, loss)

            x, y = batch()
            # centering exact at init, in training (batch statistics) and evaluation
            loss0, _ = model.loss_grad(x, y)
            with torch.no_grad():
                tm.forward(torch.tensor(x), True)  # the same running-statistics update
            ref0 = (float(np.mean(y ** 2)) if loss == "mse"
                    else float(np.mean(-np.sum(y * np.log(np.full_like(y, 1.0 / self.C)), 1))))
            self.assertLess(abs(loss0 - ref0), 1e-14 * ref0)
            self.assertEqual(float(np.max(np.abs(model.forward(x)))), 0.0)
            # move away from theta0 so that the centered output is not 0
            moved = model.get_params() + 0.3 * rng.standard_normal(model.num_params)
            model.set_params(moved)
            with torch.no_grad():
                off = 0
                for p in tm.params():
                    n = p.numel()
                    p.copy_(torch.tensor(moved[off:off + n]).reshape(p.shape))
                    off += n
            x, y = batch()
            devs = [rel(model.forward(x), tm.forward(torch.tensor(x), False).detach().numpy())]
            loss_lib, grad_lib = model.loss_grad(x, y)
            loss_t, grad_t = tm.loss_grad(torch.tensor(x), torch.tensor(y))
            devs.append(rel([loss_lib], [loss_t]))
            off = 0
            for p in tm.params():  # every gradient, layer by layer
                n = p.numel()
                devs.append(rel(grad_lib[off:off + n], grad_t[off:off + n]))
                off += n
            self.assertLess(max(devs), tol, "%s: output/loss/grad deviation %.3g"
                            % (shape, max(devs)))
            for _ in range(steps):
                x, y = batch()
                devs.append(rel([opt.step(x, y)],
                                [tm.sgd_step(torch.tensor(x), torch.tensor(y), eta0 * self.N)]))
            devs.append(rel(model.get_params(), tm.flat(tm.params())))
            self.assertGreater(rel(model.get_params(), moved), 1e-8)
            # the running statistics themselves, theta's and theta0's
            for initial, stats in ((False, tm.stats), (True, tm.stats0)):
                want = np.concatenate([np.concatenate([m.numpy(), v.numpy()])
                                       for m, v in (st for st in stats if st is not None)])
                got = model.get_running_stats(initial=initial)
                self.assertEqual(got.shape, want.shape)
                devs.append(rel(got, want))
            # evaluation after training: every running statistic of theta and theta0
            x, _ = batch()
            ev_t = tm.forward(torch.tensor(x), False).detach().numpy()
            devs.append(rel(model.forward(x), ev_t))
            self.assertGreater(float(np.max(np.abs(ev_t))), 1e-6)
            dev = max(devs)
            self.assertLess(dev, tol, "%s gamma=%g %s: deviation after %d SGD steps %.3g"
                            % (shape, gamma, conv_scale, steps, dev))
            key = "%s %dx%d %s" % (dtype, h, w, conv_scale)
            MAX_DEV[key] = max(MAX_DEV.get(key, 0.0), dev)

    def test_8x8_matches_torch(self):
        self.run_case((3, 8, 8))

    def test_32x32_matches_torch_with_the_4x4_pool(self):
        self.run_case((3, 32, 32), steps=3)

    def test_16x16_cross_entropy_fan_in_and_gamma(self):
        self.run_case((2, 16, 12), gamma=10.0, conv_scale="fan_in", loss="ce", eta0=0.5)

    def test_running_stats_round_trip_and_bad_values_are_refused(self):
        cfg = richeta.Config(arch="resnet18", L=3, N=2, C=2, B=4, D=192, image_channels=3,
                             image_height=8, image_width=8, dtype="f64")
        with richeta.Model(cfg) as m:
            n = m.num_running_stats
            self.assertEqual(n, 2 * 2 * (1 + 4 + 2 * 4 + 4 * 4 + 8 * 4 + 2 + 4 + 8))
            s = m.get_running_stats()
            first = 2  # the stem's BN: 2 means, then 2 variances
            np.testing.assert_array_equal(s[:first], 0.0)
            np.testing.assert_array_equal(s[first:2 * first], 1.0)
            new = np.abs(np.random.default_rng(1).standard_normal(n)) + 0.5
            x = np.random.default_rng(2).standard_normal((3, 192))
            f_before = m.forward(x)
            m.set_running_stats(new)
            np.testing.assert_array_equal(m.get_running_stats(), new)
            np.testing.assert_array_equal(m.get_running_stats(initial=True), s)
            self.assertGreater(float(np.max(np.abs(m.forward(x) - f_before))), 0.0)
            m.set_running_stats(new, initial=True)  # theta0 evaluates as theta again
            self.assertEqual(float(np.max(np.abs(m.forward(x)))), 0.0)
            bad = new.copy()
            bad[first] = -1.0  # a variance
            with self.assertRaises(richeta.RichetaError) as cm:
                m.set_running_stats(bad)
            self.assertIn("variance is negative", str(cm.exception))
            bad[first] = np.nan
            with self.assertRaises(richeta.RichetaError):
                m.set_running_stats(bad)
            with self.assertRaises(ValueError):
                m.set_running_stats(new[:-1])
            np.testing.assert_array_equal(m.get_running_stats(), new)  # unchanged
        with richeta.Model(richeta.Config(D=4, N=3)) as mlp:
            self.assertEqual(mlp.num_running_stats, 0)
            self.assertEqual(mlp.get_running_stats().shape, (0,))

    def test_bad_shapes_give_clear_errors(self):
        base = dict(arch="resnet18", L=3, N=2, C=2, B=4)
        with self.assertRaises(richeta.RichetaError) as cm:
            richeta.Model(richeta.Config(D=3 * 4 * 4, image_channels=3, image_height=4,
                                         image_width=4, **base))
        self.assertIn("8 x 8", str(cm.exception))
        with self.assertRaises(richeta.RichetaError) as cm:
            richeta.Model(richeta.Config(D=192, **base))
        self.assertIn("image_channels", str(cm.exception))
        with self.assertRaises(richeta.RichetaError) as cm:
            richeta.Model(richeta.Config(**dict(base, L=4), D=192, image_channels=3,
                                         image_height=8, image_width=8))
        self.assertIn("L = 3", str(cm.exception))
        # batch statistics of one value per channel: a clear status, not NaN
        with richeta.Model(richeta.Config(D=192, image_channels=3, image_height=8,
                                          image_width=8, **dict(base, B=1))) as m:
            with self.assertRaises(richeta.RichetaError) as cm:
                m.loss_grad(np.zeros((1, 192)), np.zeros((1, 2)))
            self.assertIn("more than one value per channel", str(cm.exception))

    @classmethod
    def tearDownClass(cls):
        for k in sorted(MAX_DEV):
            sys.stderr.write("resnet18 torch cross-check: max relative deviation %s = %.3g\n"
                             % (k, MAX_DEV[k]))


if __name__ == "__main__":
    unittest.main()
