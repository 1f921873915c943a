"""The richeta.torch building blocks compute the library's model, in float64.

A richeta.torch MLP (Dense / Activation / Readout in a Centered wrapper) is
made from a libricheta model's weights (``from_model``, or ``mlp`` plus
``load_flat``) and trained with ``torch.optim.SGD`` driven by ``GammaLR``;
the library's model is trained with its own optimizer and scheduler on the
same batches. Outputs, loss, gradient (flat order W_0, b_0, W_1, ...), the
10 step losses and the final parameters must agree to 1e-10 relative (the
driver is _support.crosscheck_torch, shared with test_torch_crosscheck).
"""

import sys
import unittest

import _support
import richeta

torch, _skip_reason = _support.optional_torch()
if torch is not None:
    import richeta.torch as rt

#: largest relative deviation per parameterization (printed at the end)
MAX_DEV = {}


class BlocksTwin:
    """A richeta.torch MLP with torch SGD and GammaLR: the twin of a library model."""

    def __init__(self, model, width_mult, loss, eta0, sched, momentum=0.0, wd=0.0, build="from_model"):
        if build == "from_model":
            self.net = rt.from_model(model)
        else:  # assembled by hand, weights loaded from the flat vector, then centered
            self.net = rt.mlp(model.input_dim, model.width, model.output_dim, model.depth,
                              act=richeta.value_name("act", model.get_int("act")),
                              param=richeta.value_name("param", model.get_int("param")),
                              gamma=model.gamma, bias=bool(model.get_int("bias")),
                              dtype=torch.float64)
            rt.load_flat(self.net.module, torch.tensor(model.get_initial_params()))
            self.net.recenter()
            rt.load_flat(self.net.module, torch.tensor(model.get_params()))
        self.loss_kind = loss
        self.opt = torch.optim.SGD(self.net.parameters(), lr=eta0, momentum=momentum, weight_decay=wd)
        self.sched = rt.GammaLR(self.opt, gamma=model.gamma, depth=model.depth,
                                width_mult=width_mult, **sched)

    def params(self):
        return list(self.net.parameters())

    def forward(self, x):
        return self.net(x)

    def loss(self, x, y):
        return _support.torch_loss(self.loss_kind, self.net(x), y)

    def loss_grad(self, x, y):
        self.opt.zero_grad()
        loss = self.loss(x, y)
        loss.backward()
        return float(loss), rt.flat_grad(self.net).numpy()

    def step(self, x, y, t):
        assert self.sched.last_epoch == t
        self.opt.zero_grad()
        loss = self.loss(x, y)
        loss.backward()
        self.opt.step()
        self.sched.step()
        return float(loss)


@unittest.skipIf(torch is None, _skip_reason)
class TorchBlocksMatchLibrary(unittest.TestCase):
    def run_case(self, param, depth, act, sched=None, momentum=0.0, wd=0.0, build="from_model",
                 **kw):
        sched = dict(sched or {"rule": "none"})
        eta0 = kw.pop("eta0", 0.05)

        def twin(model, width_mult):
            self.assertEqual(rt.width_multiplier(param, model.input_dim if depth == 1 else model.width),
                             width_mult)
            return BlocksTwin(model, width_mult, kw.get("loss", "mse"), eta0, sched, momentum, wd,
                              build)

        dev = _support.crosscheck_torch(self, twin, param, depth, act, eta0=eta0, momentum=momentum,
                                        wd=wd, **dict(kw, **sched))
        MAX_DEV[param] = max(MAX_DEV.get(param, 0.0), dev)
        return dev

    def test_mean_field_blocks_match_the_library_model(self):
        for depth in (1, 2, 3):
            for act in ("tanh", "relu", "gelu", "identity"):
                with self.subTest(depth=depth, act=act):
                    self.run_case("mf", depth, act)

    def test_ntk_blocks_match_the_library_model(self):
        for depth in (1, 2, 3):
            for act in ("tanh", "relu"):
                with self.subTest(depth=depth, act=act):
                    self.run_case("ntk", depth, act)

    def test_sp_blocks_match_the_library_model(self):
        for depth in (1, 2, 3):
            for act in ("tanh", "gelu"):
                with self.subTest(depth=depth, act=act):
                    self.run_case("sp", depth, act)

    def test_blocks_assembled_by_hand_and_loaded_flat_match(self):
        self.run_case("mf", 3, "tanh", build="mlp")
        self.run_case("ntk", 2, "relu", build="mlp", bias=0)

    def test_no_bias_and_cross_entropy_match(self):
        self.run_case("mf", 3, "tanh", bias=0)
        self.run_case("mf", 2, "tanh", loss="ce", C=4)

    def test_extreme_gamma_matches(self):
        self.run_case("mf", 3, "tanh", gamma=1e-3, eta0=1e-4)
        self.run_case("mf", 3, "tanh", gamma=50.0, eta0=0.5)

    def test_gamma_rule_and_time_schedules_drive_torch_sgd_like_the_library(self):
        # the library's Sched.apply(opt, t) + Optim.step against SGD + GammaLR
        cases = [
            {"rule": "theory", "schedule": "cosine", "T": 10, "warmup": 3, "min_factor": 0.1},
            {"rule": "theory", "schedule": "step", "decay_every": 4, "decay_factor": 0.5},
            {"rule": "custom", "lazy_exp": 1.5, "rich_exp": 0.4, "crossover": 2.0, "prefactor": 0.7},
        ]
        for gamma in (0.2, 4.0):
            for sched in cases:
                with self.subTest(gamma=gamma, sched=sched):
                    self.run_case("mf", 3, "tanh", sched=sched, gamma=gamma, eta0=0.02)

    def test_momentum_and_weight_decay_match(self):
        self.run_case("mf", 3, "relu", sched={"rule": "theory", "warmup": 2}, momentum=0.9, wd=1e-3,
                      eta0=0.01)

    def test_centered_output_is_zero_at_theta0_and_recenter_moves_it(self):
        torch.manual_seed(3)
        net = rt.mlp(5, 12, 2, depth=3, act="tanh", gamma=0.5, dtype=torch.float64)
        x = torch.randn(4, 5, dtype=torch.float64)
        self.assertEqual(float(net(x).abs().max()), 0.0)
        with torch.no_grad():
            for p in net.parameters():
                p.add_(0.1)
        moved = net(x)
        self.assertGreater(float(moved.abs().max()), 1e-3)
        # theta0 is in the state dict, not among the parameters
        self.assertEqual(len(list(net.parameters())), 6)
        self.assertIn("theta0.0.weight", net.state_dict())
        net.recenter()
        self.assertEqual(float(net(x).abs().max()), 0.0)

    def test_centered_input_gradient_includes_the_frozen_branch(self):
        torch.manual_seed(4)
        net = rt.mlp(3, 8, 1, depth=2, act="tanh", dtype=torch.float64)
        with torch.no_grad():
            for p in net.parameters():
                p.mul_(1.5)
        x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
        net(x).sum().backward()
        live = torch.autograd.functional.jacobian(lambda z: net.module(z).sum(), x.detach())
        frozen = torch.autograd.functional.jacobian(lambda z: net.theta0(z).sum(), x.detach())
        self.assertLess(float((x.grad - (live - frozen)).abs().max()), 1e-12)
        self.assertGreater(float(frozen.abs().max()), 1e-3)

    def test_layer_scaling_is_the_table_of_the_parameterizations(self):
        n, g = 64, 2.5
        self.assertEqual(rt.layer_scaling("mf", n), (1.0, 1 / 8.0))
        self.assertEqual(rt.layer_scaling("ntk", n), (1.0, 1 / 8.0))
        self.assertEqual(rt.layer_scaling("sp", n), (1 / 8.0, 1.0))
        self.assertEqual(rt.layer_scaling("mf", n, readout=True, gamma=g), (1.0, 1 / (g * n)))
        self.assertEqual(rt.layer_scaling("ntk", n, readout=True, gamma=g), (1.0, 1 / (g * 8.0)))
        self.assertEqual(rt.layer_scaling("sp", n, readout=True, gamma=g), (1 / 8.0, 1 / g))
        for bad in (("xx", n), ("mf", 0), ("mf", 2.5)):
            with self.assertRaises(ValueError):
                rt.layer_scaling(*bad)
        with self.assertRaises(ValueError):
            rt.layer_scaling("mf", n, readout=True, gamma=0.0)
        self.assertEqual(rt.width_multiplier("mf", 256), 256.0)
        self.assertEqual(rt.width_multiplier("sp", 256), 1.0)

    def test_initialisation_has_the_stated_variances(self):
        torch.manual_seed(5)
        for param, std in (("mf", 1.0), ("sp", 1 / 20.0)):
            d = rt.Dense(400, 300, param=param, dtype=torch.float64)
            self.assertAlmostEqual(float(d.weight.std()), std, delta=0.02 * std)
            self.assertEqual(float(d.bias.abs().max()), 0.0)

    def test_conv_block_is_a_scaled_convolution(self):
        torch.manual_seed(6)
        conv = rt.Conv2d(3, 5, 3, padding=1, param="mf", dtype=torch.float64)
        with torch.no_grad():
            conv.bias.normal_()
        x = torch.randn(2, 3, 6, 6, dtype=torch.float64)
        ref = torch.nn.functional.conv2d(x, conv.weight, padding=1) / 27 ** 0.5 + conv.bias.view(1, -1, 1, 1)
        self.assertLess(float((conv(x) - ref).abs().max()), 1e-12)
        self.assertEqual(rt.Conv2d(3, 5, 3, fan_in=3).multiplier, 1 / 3 ** 0.5)

    def test_readout_gamma_can_change(self):
        r = rt.Readout(16, 1, gamma=2.0)
        self.assertEqual(r.multiplier, 1 / 32.0)
        r.gamma = 4.0
        self.assertEqual(r.multiplier, 1 / 64.0)
        with self.assertRaises(ValueError):
            r.gamma = -1.0

    def test_bad_arguments_are_refused(self):
        with self.assertRaises(ValueError):
            rt.Activation("swish")
        with self.assertRaises(ValueError):
            rt.mlp(4, 8, 1, depth=0)
        net = rt.mlp(4, 8, 1, depth=2)
        with self.assertRaises(ValueError):
            rt.load_flat(net.module, torch.zeros(3))

    @classmethod
    def tearDownClass(cls):
        for k in sorted(MAX_DEV):
            sys.stderr.write("torch blocks vs library: max relative deviation %s = %.3g\n" % (k, MAX_DEV[k]))


if __name__ == "__main__":
    unittest.main()
