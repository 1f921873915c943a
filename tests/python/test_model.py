"""Model, Optim and Sched through the binding: shapes, array passing rules,
parameter round trips, gradients against finite differences, lifetime.
Runs with and without NumPy."""

import gc
import math
import random
import unittest

import _support
from _support import NO_NUMPY, flat, tolist
import richeta

try:
    import numpy as np
except ImportError:
    np = None


def rand_rows(rows, cols, seed):
    r = random.Random(seed)
    return [[r.gauss(0, 1) for _ in range(cols)] for _ in range(rows)]


class ModelBasics(unittest.TestCase):
    def setUp(self):
        self.cfg = richeta.Config(D=5, N=12, C=2, L=3, act="tanh", gamma=0.7, dtype="f64", B=4)
        self.model = richeta.Model(self.cfg)

    def tearDown(self):
        self.model.close()

    def test_numpy_presence_matches_mode(self):
        self.assertEqual(richeta.HAVE_NUMPY, not NO_NUMPY)

    def test_hyperparameters_and_shapes(self):
        m = self.model
        self.assertEqual((m.input_dim, m.width, m.output_dim, m.depth), (5, 12, 2, 3))
        self.assertEqual(m.gamma, 0.7)
        self.assertEqual(m.dtype, richeta.DType.F64)
        shapes = [m.layer_shape(l) for l in range(3)]
        self.assertEqual(shapes, [(12, 5, 12), (12, 12, 12), (2, 12, 2)])
        self.assertEqual(m.num_params, sum(r * c + b for r, c, b in shapes))

    def test_centered_output_is_zero_at_init_and_shaped_batch_by_c(self):
        out = self.model.forward(rand_rows(3, 5, 1))
        self.assertEqual([len(r) for r in tolist(out)], [2, 2, 2])
        self.assertEqual(flat(out), [0.0] * 6)

    def test_params_round_trip_and_layers_follow_flat_order(self):
        m = self.model
        p = [0.01 * i for i in range(m.num_params)]
        m.set_params(p)
        self.assertEqual(flat(m.get_params()), p)
        w, b = m.get_layer(1)
        off = 12 * 5 + 12
        self.assertEqual(flat(w), p[off:off + 144])
        self.assertEqual(flat(b), p[off + 144:off + 156])
        m.set_layer(2, [[1.0] * 12, [2.0] * 12], [3.0, 4.0])
        w2, b2 = m.get_layer(2)
        self.assertEqual(flat(w2), [1.0] * 12 + [2.0] * 12)
        self.assertEqual(flat(b2), [3.0, 4.0])

    def test_moved_params_give_nonzero_output_and_recenter_zeroes_it(self):
        m = self.model
        p0 = flat(m.get_params())
        m.set_params([v + 0.1 for v in p0])
        x = rand_rows(2, 5, 2)
        self.assertNotEqual(flat(m.forward(x)), [0.0] * 4)
        self.assertEqual(flat(m.get_initial_params()), p0)
        m.recenter()
        self.assertEqual(flat(m.forward(x)), [0.0] * 4)

    def test_gradient_matches_finite_differences(self):
        m = self.model
        p0 = flat(m.get_params())
        r = random.Random(3)
        m.set_params([v + 0.2 * r.gauss(0, 1) for v in p0])
        x, y = rand_rows(4, 5, 4), rand_rows(4, 2, 5)
        loss, g = m.loss_grad(x, y)
        g = flat(g)
        p = flat(m.get_params())
        for i in [0, 7, 60, 65, 100, 200, len(p) - 1]:
            h = 1e-6
            q = list(p)
            q[i] += h
            m.set_params(q)
            lp = m.loss(x, y)
            q[i] -= 2 * h
            m.set_params(q)
            lm = m.loss(x, y)
            fd = (lp - lm) / (2 * h)
            self.assertAlmostEqual(g[i], fd, delta=1e-6 * max(1.0, abs(fd)), msg="param %d" % i)
        m.set_params(p)
        self.assertEqual(m.loss(x, y), loss)

    def test_evaluate_gives_nan_accuracy_for_one_output(self):
        with richeta.Model(D=3, N=4, C=1, L=2) as m:
            loss, acc = m.evaluate([[1.0, 2.0, 3.0]], [[0.5]])
            self.assertAlmostEqual(loss, 0.25)
            self.assertTrue(math.isnan(acc))

    def test_class_labels_give_the_bits_of_one_hot_targets(self):
        labels = [1, 0, 2, 2, 1]
        onehot = [[1.0 if c == k else 0.0 for c in range(3)] for k in labels]
        x = rand_rows(5, 5, 4)
        for dtype in ("f64", "f32"):
            with richeta.Model(D=5, N=8, C=3, L=2, loss="ce", dtype=dtype) as m:
                want_loss, want_grad = m.loss_grad(x, onehot)
                loss, grad = m.loss_grad_labels(x, labels)
                self.assertEqual(loss, want_loss)
                self.assertEqual(tolist(grad), tolist(want_grad))
                self.assertEqual(m.loss_grad_labels(x, tuple(labels), grad=False), (want_loss, None))
                with self.assertRaises(ValueError) as cm:
                    m.loss_grad_labels(x, [1, 0, 3, 2, 1])
                self.assertIn("sample 2", str(cm.exception))
                with self.assertRaises(ValueError):
                    m.loss_grad_labels(x, [1, 0, 2])  # 3 labels for 5 samples
                with self.assertRaises(TypeError):
                    m.loss_grad_labels(x, [1.0, 0, 2, 2, 1])  # no silent rounding
        with self.assertRaises(richeta.UnsupportedError):
            self.model.loss_grad_labels(rand_rows(2, 5, 1), [0, 1])  # an MSE model

    def test_wrong_sizes_are_refused_before_the_c_call(self):
        with self.assertRaises(ValueError):
            self.model.forward([[1.0] * 4])  # D = 5
        with self.assertRaises(ValueError):
            self.model.loss_grad(rand_rows(2, 5, 1), [[0.0, 0.0]])  # y has 1 row
        with self.assertRaises(ValueError):
            self.model.set_params([0.0] * 3)
        with self.assertRaises(TypeError):
            self.model.forward([["a"] * 5])

    def test_empty_batch_raises_library_range_error(self):
        with self.assertRaises(richeta.RangeError):
            self.model.forward([])

    def test_bad_layer_index_raises_range_error(self):
        with self.assertRaises(richeta.RangeError) as cm:
            self.model.layer_shape(7)
        self.assertTrue(cm.exception.message)

    def test_nonfinite_params_refused(self):
        p = flat(self.model.get_params())
        p[0] = float("inf")
        with self.assertRaises(richeta.NonFiniteError):
            self.model.set_params(p)


@unittest.skipIf(np is None or NO_NUMPY, "NumPy not available or hidden")
class NumpyArrays(unittest.TestCase):
    def setUp(self):
        self.model = richeta.Model(D=4, N=8, C=3, L=2, act="tanh", dtype="f64")
        self.model.set_params(self.model.get_params() + 0.1)

    def test_results_are_ndarrays_of_the_right_shape(self):
        x = np.random.default_rng(0).standard_normal((6, 4))
        out = self.model.forward(x)
        self.assertIsInstance(out, np.ndarray)
        self.assertEqual(out.shape, (6, 3))
        self.assertEqual(out.dtype, np.float64)

    def test_ndarray_input_is_passed_without_copy(self):
        x = np.random.default_rng(1).standard_normal((2, 4))
        from richeta._arrays import In
        buf = In(x, "f8", "x")
        self.assertEqual(ctypes_address(buf.ptr), x.ctypes.data)

    def test_out_argument_is_filled_in_place(self):
        x = np.ones((2, 4))
        out = np.empty((2, 3))
        r = self.model.forward(x, out=out)
        self.assertIs(r, out)
        np.testing.assert_array_equal(out, self.model.forward(x))

    def test_wrong_dtype_raises_type_error_and_no_silent_copy(self):
        with self.assertRaises(TypeError) as cm:
            self.model.forward(np.ones((2, 4), dtype=np.int64))
        self.assertIn("as_array", str(cm.exception))
        x32 = np.ones((2, 4), dtype=np.float32)
        with richeta.Model(D=4, N=8, C=3, L=2, act="tanh", dtype="f32") as m32:
            with self.assertRaises(TypeError):
                m32.loss_grad(x32, np.ones((2, 3)))  # y must match x's precision

    def test_non_contiguous_raises_value_error_and_helper_converts(self):
        x = np.ones((4, 8))[:, ::2]
        with self.assertRaises(ValueError):
            self.model.forward(x)
        out = self.model.forward(richeta.as_array(x))
        self.assertEqual(out.shape, (4, 3))

    def test_the_model_precision_picks_the_kernel(self):
        x = np.random.default_rng(2).standard_normal((5, 4))
        y = np.random.default_rng(3).standard_normal((5, 3))
        # float64 model: float32 arrays are widened, results stay float64
        self.assertEqual(self.model.forward(x.astype(np.float32)).dtype, np.float64)
        with richeta.Model(D=4, N=8, C=3, L=2, act="tanh", dtype="f32") as m32:
            o64 = m32.forward(x)
            o32 = m32.forward(x.astype(np.float32))
            self.assertEqual(o32.dtype, np.float32)  # the single-precision twin
            np.testing.assert_allclose(o32, o64, rtol=1e-4, atol=1e-5)
            l64, g64 = m32.loss_grad(x, y)
            l32, g32 = m32.loss_grad(x.astype(np.float32), y.astype(np.float32))
            self.assertEqual(g32.dtype, np.float32)
            self.assertAlmostEqual(l32, l64, places=4)

    def test_integer_arrays_of_any_width_are_labels(self):
        x = np.array(rand_rows(4, 5, 9))
        with richeta.Model(D=5, N=8, C=3, L=2, loss="ce") as m:
            want = m.loss_grad_labels(x, [2, 0, 1, 2])
            for dt in (np.int64, np.int32, np.uint8):
                got = m.loss_grad_labels(x, np.array([2, 0, 1, 2], dtype=dt))
                self.assertEqual(got[0], want[0])
                self.assertTrue(np.array_equal(got[1], want[1]))
            with self.assertRaises(TypeError):
                m.loss_grad_labels(x, np.array([2.0, 0, 1, 2]))

    def test_lists_and_arrays_give_identical_results(self):
        x = np.random.default_rng(4).standard_normal((3, 4))
        np.testing.assert_array_equal(self.model.forward(x), self.model.forward(x.tolist()))


def ctypes_address(ptr):
    import ctypes
    return ctypes.cast(ptr, ctypes.c_void_p).value


class OptimAndSched(unittest.TestCase):
    def test_sgd_step_follows_the_formula(self):
        cfg = richeta.Config(D=3, N=6, C=1, L=2, act="tanh", dtype="f64", eta0=0.01)
        with richeta.Model(cfg) as m, richeta.Optim(m, cfg) as opt:
            self.assertEqual(opt.width_multiplier, 6.0)  # mean-field: N
            self.assertEqual(opt.eta, 0.01)
            x, y = rand_rows(4, 3, 7), rand_rows(4, 1, 8)
            p = flat(m.get_params())
            loss, g = m.loss_grad(x, y)
            l_step = opt.step(x, y)
            self.assertEqual(l_step, loss)
            want = [a - 0.01 * 6.0 * b for a, b in zip(p, flat(g))]
            got = flat(m.get_params())
            for a, b in zip(got, want):
                self.assertAlmostEqual(a, b, delta=1e-14 * max(1.0, abs(b)))
            self.assertEqual(opt.steps, 1)
            opt.reset()
            self.assertEqual(opt.steps, 0)

    def test_bad_eta_raises(self):
        with richeta.Model(D=2, N=3) as m, richeta.Optim(m) as opt:
            with self.assertRaises(richeta.RangeError):
                opt.eta = 0.0
            with self.assertRaises(richeta.NonFiniteError):
                opt.eta = float("inf")

    def test_optim_keeps_its_model_alive(self):
        m = richeta.Model(D=2, N=3, C=1, L=2)
        opt = richeta.Optim(m)
        del m
        gc.collect()
        self.assertFalse(opt.model.closed)
        opt.step([[1.0, 2.0]], [[0.5]])

    def test_closing_the_model_closes_its_optimizer_first(self):
        m = richeta.Model(D=2, N=3, C=1, L=2)
        opt = richeta.Optim(m)
        m.close()
        self.assertTrue(opt.closed)
        with self.assertRaises(ValueError):
            opt.step([[1.0, 2.0]], [[0.5]])

    def test_theory_gamma_rule(self):
        self.assertAlmostEqual(richeta.gamma_rule_theory(0.5, 3), 0.25)
        self.assertAlmostEqual(richeta.gamma_rule_theory(8.0, 3), 4.0)
        with self.assertRaises(richeta.RangeError):
            richeta.gamma_rule_theory(-1.0, 2)
        with richeta.Sched(gamma=4.0, L=2, rule="theory", eta0=0.1) as s:
            self.assertAlmostEqual(s.gamma_factor, 4.0)
            self.assertAlmostEqual(s.eta(10), 0.4)
            self.assertEqual(s.time_factor(10), 1.0)

    def test_sched_applies_to_optim(self):
        cfg = richeta.Config(D=2, N=3, gamma=0.5, rule="theory", eta0=0.2)
        with richeta.Model(cfg) as m, richeta.Optim(m, cfg) as o, richeta.Sched(cfg) as s:
            s.apply(o, 0)
            self.assertAlmostEqual(o.eta, 0.05)
            with self.assertRaises(ValueError):
                s.eta(-1)


if __name__ == "__main__":
    unittest.main()
