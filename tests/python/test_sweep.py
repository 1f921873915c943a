"""Sweeps, eta* and power-law fits through the binding. Runs with and
without NumPy."""

import os
import tempfile
import unittest

import _support
from _support import flat
import richeta

_MISSING = [s for s in richeta.missing_symbols if "sweep" in s or "powerlaw" in s]
BASE = dict(D=4, N=8, C=1, L=2, B=8, T=40, act="tanh", eval_n=32, dtype="f64")


def _bits(values):
    """Values compared exactly, NaN (a diverged run's final loss) equal to NaN."""
    return [repr(float(v)) for v in flat(values)]


@unittest.skipIf(_MISSING, "the loaded library lacks %d sweep functions (see test_binding)"
                 % len(_MISSING))
class Sweeps(unittest.TestCase):
    def test_powerlaw_fit_is_exact_on_a_power_law(self):
        x = [0.1, 1.0, 10.0, 100.0]
        slope, se, pref = richeta.fit_powerlaw(x, [3.0 * v ** 2 for v in x])
        self.assertAlmostEqual(slope, 2.0, places=10)
        self.assertAlmostEqual(pref, 3.0, places=8)
        self.assertLess(abs(se), 1e-8)
        with self.assertRaises(richeta.RangeError):
            richeta.fit_powerlaw([1.0, 1.0], [1.0, 2.0])

    def test_grids_and_options(self):
        with richeta.Sweep(BASE, gamma="0.1,1,10", eta0=(0.01, 1.0, 1), seeds=2, mode="dense",
                           workers=1) as sw:
            self.assertEqual(flat(sw.grid("gamma")), [0.1, 1.0, 10.0])
            self.assertEqual([round(v, 12) for v in flat(sw.grid("eta0"))], [0.01, 0.1, 1.0])
            self.assertEqual(sw.get_option("mode"), 0.0)
            self.assertRegex(sw.hash, r"^[0-9a-f]{16}$")
            sw.set_grid("gamma", [2.0, 0.5])
            self.assertEqual(flat(sw.grid("gamma")), [0.5, 2.0])
            with self.assertRaises(richeta.RichetaError):
                sw.set_grid("gamma", "1:0.1:2")

    def test_dense_sweep_stores_every_run_and_resumes_from_the_store(self):
        with tempfile.TemporaryDirectory() as d:
            db = os.path.join(d, "sweep.sqlite")
            seen = []
            res = richeta.sweep(db, BASE, gamma=[0.5, 2.0], eta0=[0.01, 0.1, 1e4], seeds=[0],
                                mode="dense", workers=2, on_run=lambda *a: seen.append(a))
            runs = res["runs"]
            self.assertEqual(len(flat(runs["gamma"])), 6)
            self.assertEqual(len(seen), 6)
            status = flat(runs["status"])
            self.assertIn("diverged", status)  # eta0 = 1e4
            es = res["eta_star"]
            self.assertEqual(flat(es["gamma"]), [0.5, 2.0])
            self.assertTrue(all(v <= 0.1 for v in flat(es["eta_max"])))
            cached = []
            richeta.sweep(db, BASE, gamma=[0.5, 2.0], eta0=[0.01, 0.1, 1e4], seeds=[0],
                          mode="dense", workers=2, on_run=lambda *a: cached.append(a[5]))
            self.assertEqual(cached, [True] * 6)
            with richeta.Sweep.open(db) as again:
                self.assertEqual(_bits(again.runs()["final_loss"]), _bits(runs["final_loss"]))

    def test_default_sweep_marks_a_dead_network_stalled(self):
        # L = 3 ReLU at gamma = 100, eta0 = 150 neither diverges nor learns;
        # the default stall criterion (0.9) calls it stalled, 0 (1.0's
        # default, another sweep hash) converged.
        with richeta.Sweep(dict(L=3)) as sw:
            self.assertEqual(sw.get_option("progress"), 0.9)
            with richeta.Sweep(dict(L=3), progress=0) as old:
                self.assertNotEqual(sw.hash, old.hash)
        with tempfile.TemporaryDirectory() as d:
            want = {None: "stalled", 0: "converged"}
            for progress, status in want.items():
                kw = {} if progress is None else {"progress": progress}
                res = richeta.sweep(os.path.join(d, "dead%s.db" % progress), dict(L=3),
                                    gamma=[100.0], eta0=[150.0], mode="dense", workers=1, **kw)
                self.assertEqual(flat(res["runs"]["status"]), [status])

    def test_shards_merge_into_the_whole_sweep(self):
        grid = dict(gamma=[0.5, 2.0, 8.0], eta0=[0.01, 0.1, 1e4], seeds=[0], mode="dense",
                    workers=1)
        with tempfile.TemporaryDirectory() as d:
            full = richeta.sweep(os.path.join(d, "full.db"), BASE, **grid)
            parts = []
            for k in range(2):
                db = os.path.join(d, "s%d.db" % k)
                with richeta.Sweep(BASE, shard=(k, 2), journal="delete", **grid) as sw:
                    self.assertEqual(sw.get_option("shard_index"), k)
                    sw.run(db)
                    parts.append(len(flat(sw.runs()["gamma"])))
                    self.assertEqual(sw.hash, full["hash"])  # shards do not change the hash
            self.assertEqual(sorted(parts), [4, 5])  # 9 cells, diagonals over 2 shards
            out = os.path.join(d, "all.db")
            ins = [os.path.join(d, "s%d.db" % k) for k in range(2)]
            self.assertEqual(richeta.merge(out, ins), (9, 0))
            self.assertEqual(richeta.merge(out, ins), (0, 9))  # idempotent
            with richeta.Sweep.open(out) as m:
                self.assertEqual(_bits(m.runs()["final_loss"]), _bits(full["runs"]["final_loss"]))
            with self.assertRaises(richeta.InvalidArgumentError):
                richeta.merge(out, [out])
            with self.assertRaises(richeta.RangeError):
                with richeta.Sweep(BASE, shard=(2, 2), **grid) as sw:
                    sw.run(os.path.join(d, "bad.db"))

    def test_exception_in_on_run_is_reraised(self):
        with tempfile.TemporaryDirectory() as d:
            def boom(*a):
                raise ZeroDivisionError("x")

            with self.assertRaises(ZeroDivisionError) as cm:
                richeta.sweep(os.path.join(d, "s.db"), BASE, gamma=[1.0], eta0=[0.1], seeds=[0],
                              workers=1, on_run=boom)
            self.assertIsInstance(cm.exception.__cause__, richeta.AbortedError)

    def test_fit_eta_star_helper(self):
        es = {"gamma": [0.01, 0.1, 1.0, 10.0, 100.0],
              "eta_opt": [1e-4 * 1.0, 1e-2, 1.0, 10.0, 100.0]}
        fit = richeta.fit_eta_star(es, depth=2)
        self.assertAlmostEqual(fit["lazy"][0], 2.0)
        self.assertAlmostEqual(fit["rich"][0], 1.0)
        self.assertEqual(fit["theory_rich"], 1.0)


if __name__ == "__main__":
    unittest.main()
