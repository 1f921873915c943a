"""Coordinate check across widths (richeta.torch.coord_check): with the
mean-field blocks and the width multiplier on the rate, every hidden
activation and the centered output keep their size as the width grows
16-fold; in SP with a width-independent rate the output grows with width."""

import os
import tempfile
import unittest

import _support

torch, _skip_reason = _support.optional_torch()
if torch is not None:
    import richeta.torch as rt

try:
    import matplotlib  # noqa: F401
    HAVE_MPL = True
except ImportError:
    HAVE_MPL = False

WIDTHS = (64, 128, 256, 512, 1024)
D, STEPS = 16, 4


def batches():
    g = torch.Generator().manual_seed(0)
    teacher = torch.randn(D, 1, generator=g, dtype=torch.float64) / D ** 0.5
    out = []
    for _ in range(STEPS):
        x = torch.randn(64, D, generator=g, dtype=torch.float64)
        out.append((x, torch.tanh(x @ teacher)))
    return out


def check(param, scale_rate):
    def make_model(width):
        torch.manual_seed(1)
        return rt.mlp(D, width, 1, depth=3, act="relu", param=param, dtype=torch.float64)

    def make_opt(model, width):
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        wm = rt.width_multiplier(param, width) if scale_rate else 1.0
        return opt, rt.GammaLR(opt, gamma=1.0, depth=3, width_mult=wm, rule="none")

    return rt.coord_check(make_model, WIDTHS, batches(), lambda f, y: torch.mean((f - y) ** 2),
                          make_opt, steps=STEPS)


@unittest.skipIf(torch is None, _skip_reason)
class CoordCheck(unittest.TestCase):
    def test_records_every_live_layer_and_the_output_at_every_step(self):
        rec = check("mf", True)
        mods = {r["module"] for r in rec}
        self.assertEqual(mods, {"module.0", "module.1", "module.2", "module.3", "module.4", "output"})
        self.assertEqual(len(rec), len(WIDTHS) * STEPS * len(mods))
        out0 = [r["l1"] for r in rec if r["module"] == "output" and r["t"] == 0]
        self.assertEqual(out0, [0.0] * len(WIDTHS))  # centered at init

    def test_mean_field_coordinates_do_not_grow_with_width(self):
        rec = check("mf", True)
        for t in range(1, STEPS):
            for m in ("module.0", "module.1", "module.2", "module.3", "output"):
                slope = rt.coord_growth(rec, m, t)
                self.assertLess(abs(slope), 0.25, "mf %s at t=%d grows like width^%.2f" % (m, t, slope))
        # the live readout f(theta) is O(1/sqrt(N)) at init (centering removes it)
        self.assertLess(rt.coord_growth(rec, "module.4", 1), -0.3)

    def test_sp_with_a_fixed_rate_blows_up_with_width(self):
        rec = check("sp", False)
        slope = rt.coord_growth(rec, "output", 2)
        self.assertGreater(slope, 0.7, "SP output at t=2 grows only like width^%.2f" % slope)

    @unittest.skipUnless(HAVE_MPL, "needs matplotlib")
    def test_plot_is_written(self):
        rec = check("mf", True)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "coord.png")
            rt.plot_coord_check(rec, path=path, title="mf coordinate check")
            self.assertGreater(os.path.getsize(path), 5000)

    def test_unknown_module_names_are_refused(self):
        with self.assertRaises(ValueError):
            rt.coord_check(lambda w: rt.mlp(D, w, 1, depth=2), [8], batches(),
                           lambda f, y: torch.mean((f - y) ** 2),
                           lambda m, w: torch.optim.SGD(m.parameters(), lr=0.1), modules=["nope"])


if __name__ == "__main__":
    unittest.main()
