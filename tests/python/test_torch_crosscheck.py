"""Cross-check of libricheta's model and SGD against the same network
written in PyTorch, in float64.

For each parameterization (mf, ntk, sp), depth and activation: the weights
of a libricheta model are copied into torch tensors; the torch model is

    h_1     = W_1 x m_1 + b_1,  h_{l+1} = W_{l+1} phi(h_l) m_{l+1} + b_{l+1}
    f       = (W_L phi(h_{L-1}) + b_L) / divisor          (readout)

with m = 1/sqrt(fan_in) (mf, ntk) or 1 (sp) on hidden layers, divisor
gamma*fan_in (mf), gamma*sqrt(fan_in) (ntk), gamma (sp), centered output
f(theta) - f(theta0), MSE = mean over batch and outputs of (f - y)^2.
Loss, gradient (flat order W_0, b_0, W_1, b_1, ...) and the parameters
after 10 SGD steps theta <- theta - eta * width_mult * grad (width_mult =
readout fan-in for mf, 1 otherwise) must agree to 1e-10 relative.
"""

import math
import sys
import unittest

import _support  # noqa: F401
import richeta

try:
    import numpy as np
    import torch
except ImportError as e:  # pragma: no cover - depends on the environment
    torch = None
    _skip_reason = "torch/numpy not importable (%s): cross-check skipped" % e
else:
    _skip_reason = ""

TOL = 1e-10
#: largest relative deviation seen per parameterization (printed at the end)
MAX_DEV = {}


def rel(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = max(float(np.max(np.abs(b))), 1e-300)
    return float(np.max(np.abs(a - b))) / scale


def phi(name, h):
    if name == "tanh":
        return torch.tanh(h)
    if name == "relu":
        return torch.relu(h)
    if name == "gelu":
        return torch.nn.functional.gelu(h)  # exact erf form
    return h


class TorchMLP:
    def __init__(self, model, param, act, gamma, bias, loss):
        self.param, self.act, self.gamma, self.bias, self.loss_kind = param, act, gamma, bias, loss
        self.layers = []
        for l in range(model.depth):
            w, b = model.get_layer(l)
            wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
            bt = torch.tensor(b, dtype=torch.float64, requires_grad=True) if bias else None
            self.layers.append((wt, bt))
        self.frozen = [(w.detach().clone(), None if b is None else b.detach().clone())
                       for w, b in self.layers]

    def readout_fan_in(self):
        return self.layers[-1][0].shape[1]

    def _f(self, layers, x):
        h = x
        L = len(layers)
        for l, (w, b) in enumerate(layers):
            fan_in = w.shape[1]
            inp = h if l == 0 else phi(self.act, h)
            z = inp @ w.T
            if l == L - 1:
                if b is not None:
                    z = z + b
                if self.param == "mf":
                    div = self.gamma * fan_in
                elif self.param == "ntk":
                    div = self.gamma * math.sqrt(fan_in)
                else:
                    div = self.gamma
                return z / div
            if self.param != "sp":
                z = z / math.sqrt(fan_in)
            h = z + b if b is not None else z

    def forward(self, x):
        return self._f(self.layers, x) - self._f(self.frozen, x)

    def loss(self, x, y):
        f = self.forward(x)
        if self.loss_kind == "mse":
            return torch.mean((f - y) ** 2)
        return torch.mean(-torch.sum(y * torch.log_softmax(f, dim=1), dim=1))

    def params(self):
        out = []
        for w, b in self.layers:
            out.append(w)
            if b is not None:
                out.append(b)
        return out

    def flat(self, tensors):
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
class TorchCrossCheck(unittest.TestCase):
    D, N, C, B = 7, 16, 3, 5

    def run_case(self, param, depth, act, gamma=1.7, bias=1, loss="mse", steps=10, eta0=0.05):
        cfg = richeta.Config(D=self.D, N=self.N, C=self.C, L=depth, B=self.B, param=param, act=act,
                             gamma=gamma, bias=bias, loss=loss, dtype="f64", center="frozen",
                             seed=depth * 13 + len(act), eta0=eta0)
        rng = np.random.default_rng(1000 + depth)
        with richeta.Model(cfg) as model, richeta.Optim(model, cfg) as opt:
            tm = TorchMLP(model, param, act, gamma, bias, loss)
            # width multiplier of the spec, not read from the library
            if param == "mf":
                width_mult = self.D if depth == 1 else self.N
            else:
                width_mult = 1.0
            self.assertEqual(opt.width_multiplier, width_mult)
            self.assertEqual(tm.readout_fan_in(), self.D if depth == 1 else self.N)
            np.testing.assert_array_equal(model.get_params(), tm.flat(tm.params()))
            # move away from theta0 first so that the centered output is not 0
            moved = model.get_params() + 0.3 * rng.standard_normal(model.num_params)
            model.set_params(moved)
            with torch.no_grad():
                off = 0
                for p in tm.params():
                    n = p.numel()
                    p.copy_(torch.tensor(moved[off:off + n]).reshape(p.shape))
                    off += n
            devs = []

            def batch():
                x = rng.standard_normal((self.B, self.D))
                if loss == "mse":
                    y = rng.standard_normal((self.B, self.C))
                else:
                    y = np.eye(self.C)[rng.integers(0, self.C, self.B)]
                return x, y

            x, y = batch()
            out_lib = model.forward(x)
            out_t = tm.forward(torch.tensor(x)).detach().numpy()
            devs.append(rel(out_lib, out_t))
            loss_lib, grad_lib = model.loss_grad(x, y)
            loss_t, grad_t = tm.loss_grad(torch.tensor(x), torch.tensor(y))
            devs.append(rel([loss_lib], [loss_t]))
            devs.append(rel(grad_lib, grad_t))
            self.assertLess(max(devs), TOL, "%s L=%d %s: output/loss/grad deviation %.3g"
                            % (param, depth, act, max(devs)))
            for _ in range(steps):
                x, y = batch()
                l_lib = opt.step(x, y)
                l_t = tm.sgd_step(torch.tensor(x), torch.tensor(y), eta0 * width_mult)
                devs.append(rel([l_lib], [l_t]))
            devs.append(rel(model.get_params(), tm.flat(tm.params())))
            # the run must actually have moved the parameters
            self.assertGreater(rel(model.get_params(), moved), 1e-6)
            dev = max(devs)
            self.assertLess(dev, TOL, "%s L=%d %s: deviation after %d SGD steps %.3g"
                            % (param, depth, act, steps, dev))
            MAX_DEV[param] = max(MAX_DEV.get(param, 0.0), dev)

    def test_mean_field_matches_torch(self):
        for depth in (1, 2, 3):
            for act in ("tanh", "relu", "gelu"):
                with self.subTest(depth=depth, act=act):
                    self.run_case("mf", depth, act)

    def test_ntk_matches_torch(self):
        for depth in (1, 2, 3):
            for act in ("tanh", "relu", "identity"):
                with self.subTest(depth=depth, act=act):
                    self.run_case("ntk", depth, act)

    def test_sp_matches_torch(self):
        for depth in (1, 2, 3):
            for act in ("tanh", "gelu"):
                with self.subTest(depth=depth, act=act):
                    self.run_case("sp", depth, act)

    def test_no_bias_flat_layout_matches_torch(self):
        self.run_case("mf", 3, "tanh", bias=0)

    def test_cross_entropy_matches_torch(self):
        self.run_case("mf", 2, "tanh", loss="ce")

    def test_large_gamma_and_small_gamma_match_torch(self):
        self.run_case("mf", 3, "tanh", gamma=1e-3, eta0=1e-4)
        self.run_case("mf", 3, "tanh", gamma=50.0, eta0=0.5)

    @classmethod
    def tearDownClass(cls):
        for k in sorted(MAX_DEV):
            sys.stderr.write("torch cross-check: max relative deviation %s = %.3g\n" % (k, MAX_DEV[k]))


if __name__ == "__main__":
    unittest.main()
