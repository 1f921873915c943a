"""Diagnostics and data sets through the binding."""

import os
import random
import tempfile
import unittest

import _support
from _support import NO_NUMPY, flat, tolist
import richeta
from richeta import diag

try:
    import numpy as np
except ImportError:
    np = None

_MISSING_DIAG = [s for s in richeta.missing_symbols if s.startswith("richeta_diag_")]
_MISSING_DATA = [s for s in richeta.missing_symbols if s.startswith("richeta_dataset_")]


def rows(n, d, seed):
    r = random.Random(seed)
    return [[r.gauss(0, 1) for _ in range(d)] for _ in range(n)]


@unittest.skipIf(_MISSING_DIAG, "library lacks %d diag functions" % len(_MISSING_DIAG))
class Diagnostics(unittest.TestCase):
    def setUp(self):
        self.m = richeta.Model(D=3, N=6, C=2, L=2, act="tanh", dtype="f64", gamma=1.0)
        p = flat(self.m.get_params())
        r = random.Random(0)
        self.m.set_params([v + 0.3 * r.gauss(0, 1) for v in p])
        self.x, self.y = rows(5, 3, 1), rows(5, 2, 2)

    def tearDown(self):
        self.m.close()

    def test_hvp_matches_gradient_differences(self):
        n = self.m.num_params
        r = random.Random(3)
        v = [r.gauss(0, 1) for _ in range(n)]
        hv = flat(diag.hvp(self.m, self.x, self.y, v))
        p = flat(self.m.get_params())
        h = 1e-5
        self.m.set_params([a + h * b for a, b in zip(p, v)])
        gp = flat(self.m.loss_grad(self.x, self.y)[1])
        self.m.set_params([a - h * b for a, b in zip(p, v)])
        gm = flat(self.m.loss_grad(self.x, self.y)[1])
        self.m.set_params(p)
        fd = [(a - b) / (2 * h) for a, b in zip(gp, gm)]
        scale = max(abs(t) for t in fd)
        self.assertLess(max(abs(a - b) for a, b in zip(hv, fd)), 1e-6 * scale)

    @unittest.skipIf(np is None or NO_NUMPY, "needs NumPy")
    def test_lanczos_top_eigenvalue_matches_dense_hessian(self):
        n = self.m.num_params
        H = np.stack([diag.hvp(self.m, self.x, self.y, np.eye(n)[i]) for i in range(n)])
        want = np.linalg.eigvalsh(0.5 * (H + H.T))[::-1][:2]
        got = diag.hessian_top(self.m, self.x, self.y, k=2, iters=n)
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)
        tr, se = diag.hessian_trace(self.m, self.x, self.y, probes=4000, seed=1)
        self.assertLess(abs(tr - np.trace(H)), 5 * se + 1e-9)

    def test_ntk_is_symmetric_and_matches_eigen_helpers(self):
        K = tolist(diag.ntk(self.m, self.x))
        self.assertEqual(len(K), 10)
        for i in range(10):
            for j in range(10):
                self.assertAlmostEqual(K[i][j], K[j][i], places=10)
        ev = flat(diag.eigenvalues(K))
        self.assertEqual(ev, sorted(ev, reverse=True))
        self.assertAlmostEqual(sum(ev), sum(K[i][i] for i in range(10)), places=8)
        self.assertAlmostEqual(diag.cka(K, K), 1.0, places=10)

    def test_alignment_of_target_kernel_with_itself_is_one(self):
        yyT = [[a * b for b in [1.0, -1.0, 2.0]] for a in [1.0, -1.0, 2.0]]
        self.assertAlmostEqual(diag.kernel_alignment(yyT, [[1.0], [-1.0], [2.0]]), 1.0, places=12)

    def test_movement_and_coordinate_check_shapes(self):
        mv = flat(diag.weight_movement(self.m))
        self.assertEqual(len(mv), 2)
        self.assertTrue(all(v > 0 for v in mv))
        self.assertEqual(len(flat(diag.preactivation_size(self.m, self.x))), 2)
        fk = tolist(diag.feature_kernel(self.m, self.x, 0))
        self.assertEqual(len(fk), 5)

    def test_kernel_regression_interpolates_training_points(self):
        with richeta.Model(D=3, N=64, C=1, L=2, act="tanh", dtype="f64") as m:
            x, y = rows(4, 3, 5), rows(4, 1, 6)
            pred = flat(diag.kernel_regression(m, x, y, x, ridge=0.0))
            for a, b in zip(pred, flat(y)):
                self.assertAlmostEqual(a, b, places=6)

    def test_resnet18_hessian_diagnostics_raise_unsupported_gn_and_ntk_remain(self):
        # batch normalization: SGD trains with batch statistics, which have no
        # R-operator, so the HVP-based diagnostics refuse; Gauss-Newton and the
        # NTK run with the running statistics and agree (MSE: GN top = 2/(BC) NTK top)
        B, C = 4, 2
        with richeta.Model(arch="resnet18", L=3, N=2, C=C, D=192, image_channels=3,
                           image_height=8, image_width=8, B=B, dtype="f64", loss="mse",
                           act="tanh", gamma=0.8, seed=3) as m:
            x, y = rows(B, 192, 7), rows(B, C, 8)
            v = [1.0] * m.num_params
            calls = (("richeta_diag_hvp", lambda: diag.hvp(m, x, y, v)),
                     ("richeta_diag_hessian_top", lambda: diag.hessian_top(m, x, y, k=1, iters=5)),
                     ("richeta_diag_hessian_trace", lambda: diag.hessian_trace(m, x, y, probes=2)))
            for name, call in calls:
                with self.assertRaises(richeta.UnsupportedError) as cm:
                    call()
                self.assertEqual(cm.exception.status, richeta.Status.ERR_UNSUPPORTED)
                msg = str(cm.exception)
                for part in (name, "batch normalization", "batch statistics", "Gauss-Newton",
                             "NTK"):
                    self.assertIn(part, msg)
            ktop = max(flat(diag.eigenvalues(diag.ntk(m, x))))
            gn = diag.gn_top(m, x, y, iters=120, seed=9)
            self.assertAlmostEqual(gn / (2.0 / (B * C) * ktop), 1.0, places=9)


@unittest.skipIf(_MISSING_DATA, "library lacks %d dataset functions" % len(_MISSING_DATA))
class Datasets(unittest.TestCase):
    @unittest.skipUnless(os.path.isdir("/usr/share/datasets/fashion-mnist"),
                         "dataset-fashion-mnist not installed")
    def test_fashion_mnist_test_split(self):
        with richeta.Dataset("fashion-mnist:test") as ds:
            self.assertEqual(len(ds), 10000)
            self.assertEqual(ds.input_dim, 784)
            self.assertEqual(ds.num_classes, 10)
            self.assertEqual(ds.sample_shape, (28, 28))
            x, y, epoch = ds.batch(seed=1, step=0, batch=16)
            self.assertEqual(len(tolist(x)), 16)
            self.assertEqual([sum(r) for r in tolist(y)], [1.0] * 16)  # one-hot
            ds.normalize("global")
            mode, mean, std = ds.get_normalization()
            self.assertEqual(mode, richeta.Norm.GLOBAL)
            self.assertEqual(len(flat(mean)), 1)

    @unittest.skipIf(np is None or NO_NUMPY, "needs NumPy to write NPY files")
    def test_npy_regression_set(self):
        with tempfile.TemporaryDirectory() as d:
            X = np.arange(24, dtype=np.float64).reshape(6, 4)
            Y = np.arange(12, dtype=np.float64).reshape(6, 2)
            np.save(os.path.join(d, "x.npy"), X)
            np.save(os.path.join(d, "y.npy"), Y)
            with richeta.Dataset("npy:%s,%s" % (os.path.join(d, "x.npy"), os.path.join(d, "y.npy"))) as ds:
                self.assertEqual((len(ds), ds.input_dim, ds.target_dim, ds.num_classes), (6, 4, 2, 0))
                np.testing.assert_array_equal(ds.get_input(2), X[2])

    def test_missing_file_raises_os_error(self):
        with self.assertRaises(OSError):
            richeta.Dataset("npy:/nonexistent/x.npy,/nonexistent/y.npy")


if __name__ == "__main__":
    unittest.main()
