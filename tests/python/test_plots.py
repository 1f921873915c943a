"""Plots render to PNG files with the Agg backend."""

import os
import tempfile
import unittest

import _support
import richeta

try:
    import matplotlib  # noqa: F401
    import numpy  # noqa: F401
    from richeta import plots
except ImportError as e:
    plots = None
    _why = "matplotlib/numpy not importable: %s" % e
else:
    _why = ""

PNG = b"\x89PNG\r\n\x1a\n"


@unittest.skipIf(plots is None or _support.NO_NUMPY, _why or "NumPy hidden")
class Plots(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def assertPng(self, path):
        with open(path, "rb") as f:
            self.assertEqual(f.read(8), PNG)
        self.assertGreater(os.path.getsize(path), 5000)

    def test_loss_curves(self):
        runs = [richeta.train(D=4, N=8, L=2, T=50, eta0=0.05, gamma=g) for g in (0.5, 2.0)]
        p = os.path.join(self.tmp.name, "curves.png")
        plots.loss_curves(runs, labels=["gamma=0.5", "gamma=2"], path=p)
        self.assertPng(p)

    @unittest.skipIf(any("sweep" in s for s in richeta.missing_symbols), "no sweep in the library")
    def test_heatmap(self):
        db = os.path.join(self.tmp.name, "s.db")
        res = richeta.sweep(db, dict(D=4, N=8, L=2, T=30), gamma=[0.1, 1.0, 10.0],
                            eta0=[0.001, 0.1, 10.0, 1e4], seeds=[0], mode="dense", workers=2)
        p = os.path.join(self.tmp.name, "heat.png")
        plots.heatmap(res, depth=2, path=p)
        self.assertPng(p)

    @unittest.skipIf(any("curveset" in s for s in richeta.missing_symbols),
                     "no curveset in the library")
    def test_collapsed_curves(self):
        cs = richeta.CurveSet()
        steps = [10 ** (k / 10) for k in range(41)]
        for s in (1.0, 3.0):
            cs.add(steps, [0.1 + 1 / (1 + (t / (50 * s)) ** 3) for t in steps], gamma=s, eta=1.0)
        p = os.path.join(self.tmp.name, "collapse.png")
        plots.collapsed_curves(cs, "raw", path=p)
        self.assertPng(p)


if __name__ == "__main__":
    unittest.main()
