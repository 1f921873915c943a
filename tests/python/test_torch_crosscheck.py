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

import _support

torch, _skip_reason = _support.optional_torch()

#: largest relative deviation seen per parameterization (printed at the end)
MAX_DEV = {}


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
        return _support.torch_loss(self.loss_kind, self.forward(x), y)

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


class TorchMLPTwin(TorchMLP):
    """The hand-written MLP with plain SGD at eta0 * width_mult (constant rate)."""

    def __init__(self, model, param, act, gamma, bias, loss, eta0, width_mult):
        super().__init__(model, param, act, gamma, bias, loss)
        self.lr = eta0 * width_mult

    def step(self, x, y, t):
        return self.sgd_step(x, y, self.lr)


@unittest.skipIf(torch is None, _skip_reason)
class TorchCrossCheck(unittest.TestCase):
    def run_case(self, param, depth, act, gamma=1.7, bias=1, loss="mse", steps=10, eta0=0.05):
        def twin(model, width_mult):
            tm = TorchMLPTwin(model, param, act, gamma, bias, loss, eta0, width_mult)
            self.assertEqual(tm.readout_fan_in(), model.input_dim if depth == 1 else model.width)
            return tm

        dev = _support.crosscheck_torch(self, twin, param, depth, act, gamma=gamma, bias=bias,
                                        loss=loss, steps=steps, eta0=eta0)
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
