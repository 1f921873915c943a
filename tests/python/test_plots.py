"""Plots render to PNG files with the Agg backend."""

import math
import os
import tempfile
import unittest

import _support
import richeta

try:
    import matplotlib  # noqa: F401
    import numpy
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

    def _grid_result(self, gammas, eta_star=True, missing=None):
        """A synthetic sweep result over gammas x eta0 = (0.01, 0.1, 1):
        0.01 stalled, 0.1 converged (training loss 0.5, held-out 0.1), 1
        diverged (losses ``missing``: None as from Store.runs(), NaN as from
        Sweep.runs()); eta_max = 0.1, eta_opt = 0.1 at every gamma."""
        runs = {k: [] for k in ("gamma", "eta0", "seed", "status", "final_loss",
                                "test_final_loss")}
        for g in gammas:
            for e, st, fl, tl in ((0.01, "stalled", 0.9, 0.8), (0.1, "converged", 0.5, 0.1),
                                  (1.0, "diverged", missing, missing)):
                for k, v in zip(runs, (g, e, 0, st, fl, tl)):
                    runs[k].append(v)
        res = {"runs": runs}
        if eta_star:
            res["eta_star"] = {"gamma": list(gammas), "eta_max": [0.1] * len(gammas),
                               "eta_opt": [0.1] * len(gammas)}
        return res

    def test_heatmap_plots_held_out_loss_when_stored(self):
        # richeta plot colours a cell by its held-out loss when there is one
        fig = plots.heatmap(self._grid_result([0.1, 1.0, 10.0], eta_star=False))
        mesh = fig.axes[0].collections[0]
        self.assertEqual(mesh.get_cmap().name, "viridis")
        z = numpy.ma.masked_invalid(mesh.get_array()).compressed()
        self.assertEqual(len(z), 3)
        numpy.testing.assert_allclose(z, math.log10(0.1))

    def test_heatmap_greys_stalled_lighter_than_diverged(self):
        # the two greys of richeta plot: stalled light, diverged darker
        fig = plots.heatmap(self._grid_result([1.0], eta_star=False))
        masked = fig.axes[0].collections[1]
        # cells (row by eta0) 0.01 stalled, 0.1 not masked, 1 diverged
        cells = numpy.ma.masked_invalid(masked.get_array()).compressed()
        rgba = masked.to_rgba(cells)
        self.assertEqual(len(rgba), 2)
        stalled, diverged = (float(numpy.mean(c[:3])) for c in rgba)
        self.assertAlmostEqual(stalled, 0xe6 / 255, places=2)
        self.assertAlmostEqual(diverged, 0xb4 / 255, places=2)

    def test_heatmap_guide_in_legend_only_when_drawn(self):
        # gammas all above 1: no slope-2 guide can be drawn, so no entry
        fig = plots.heatmap(self._grid_result([10.0, 100.0], missing=math.nan), depth=3)
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        self.assertNotIn("∝ gamma^2", labels)
        self.assertIn("∝ gamma^(2/3)", labels)
        for line in ax.get_lines():  # every line in the legend has two points or more
            if not line.get_label().startswith("_") and line.get_linestyle() != "None":
                self.assertGreaterEqual(len(line.get_xdata()), 2, line.get_label())

    def test_loss_curves_end_without_near_duplicate_point(self):
        # T = 400 logs 398 and 400 (log_per_decade 10): the plot keeps one
        run = richeta.train(D=4, N=8, L=2, T=400, eta0=0.05, gamma=1.0)
        self.assertEqual(list(run["step"][-2:]), [398, 400])
        fig = plots.loss_curves(run)
        x = fig.axes[0].get_lines()[0].get_xdata()
        self.assertGreaterEqual(math.log10(x[-1] / x[-2]), 0.05)
        self.assertEqual(x[-1], 398)

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
