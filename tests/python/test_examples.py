"""The Python examples run (in --quick mode) and write their plots."""

import os
import subprocess
import sys
import tempfile
import unittest

import _support
import richeta

EXAMPLES = os.path.join(_support.SOURCE_DIR, "examples", "python")

try:
    import matplotlib  # noqa: F401
    import numpy  # noqa: F401
    HAVE_PLOTS = True
except ImportError:
    HAVE_PLOTS = False


_torch, _torch_skip = _support.optional_torch()


def missing(part):
    return [s for s in richeta.missing_symbols if part in s]


@unittest.skipUnless(HAVE_PLOTS and not _support.NO_NUMPY, "examples plot: need matplotlib+numpy")
class Examples(unittest.TestCase):
    def run_example(self, name, *extra):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "plot.png")
            env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
            env["PYTHONPATH"] = os.pathsep.join(
                [os.path.dirname(os.path.dirname(richeta.__file__)), env.get("PYTHONPATH", "")])
            r = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), "--quick", "--out",
                                out] + list(extra), cwd=d, env=env, capture_output=True, text=True,
                               timeout=600)
            self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-3000:])
            self.assertTrue(os.path.getsize(out) > 5000)
            return r.stdout

    def test_train_basic(self):
        out = self.run_example("train_basic.py")
        self.assertIn("synthetic teacher: converged", out)
        self.assertIn("python stream: converged", out)

    @unittest.skipIf(missing("sweep"), "library lacks sweep functions")
    def test_phase_diagram(self):
        with tempfile.TemporaryDirectory() as d:
            out = self.run_example("phase_diagram.py", "--db", os.path.join(d, "s.db"))
        self.assertIn("lazy regime", out)
        self.assertIn("rich regime", out)

    @unittest.skipIf(missing("curveset"), "library lacks curveset functions")
    def test_collapse_plot(self):
        out = self.run_example("collapse_plot.py")
        self.assertIn("collapse quality Q(theory)", out)

    def check_torch_sweep(self, out, depth, exponent_tol):
        import re

        m = re.search(r"eta_max slope \(lazy, (\d+) gammas\) = ([-\d.]+) \+- ([\d.na]+)", out)
        self.assertIsNotNone(m, out)
        self.assertGreaterEqual(int(m.group(1)), 2)
        self.assertLess(abs(float(m.group(2)) - 2.0), 0.2, out)  # theory: gamma^2
        m = re.search(r"empirical time-scale exponent = ([-\d.]+)", out)
        self.assertIsNotNone(m, out)
        self.assertLess(abs(float(m.group(1)) - (1 - 2.0 / depth)), exponent_tol, out)
        self.assertNotIn("diverged", out.split("2. collapse")[1])

    @unittest.skipIf(_torch is None, _torch_skip)
    def test_torch_gamma_sweep_mlp(self):
        out = self.run_example("torch_gamma_sweep.py")
        self.check_torch_sweep(out, 3, 0.1)

    @unittest.skipIf(_torch is None, _torch_skip)
    def test_torch_gamma_sweep_cnn(self):
        out = self.run_example("torch_gamma_sweep.py", "--arch", "cnn", "--collapse-gammas", "10,30")
        self.check_torch_sweep(out, 4, 0.15)


if __name__ == "__main__":
    unittest.main()
