"""CurveSet through the binding on synthetic curves with known escape times
(loss = 0.1 + 0.9 / (1 + (t / t_i)^4), t_i = 100 s_i). Runs with and
without NumPy."""

import math
import unittest

import _support
from _support import flat
import richeta

_MISSING = [s for s in richeta.missing_symbols if s.startswith("richeta_curveset_")]

GAMMAS = [1.0, 4.0, 16.0, 64.0]
SCALES = [1.0, 2.0, 4.0, 8.0]  # = gamma^0.5


def curve(scale):
    steps = [round(10 ** (k / 20.0), 6) for k in range(0, 121)]  # 1 .. 1e6
    t_i = 100.0 * scale
    return steps, [0.1 + 0.9 / (1.0 + (t / t_i) ** 4) for t in steps]


@unittest.skipIf(_MISSING, "the loaded library lacks %d curveset functions (see test_binding)"
                 % len(_MISSING))
class CurveSets(unittest.TestCase):
    def setUp(self):
        self.cs = richeta.CurveSet(smooth_decades=0.0)
        for g, s in zip(GAMMAS, SCALES):
            st, lo = curve(s)
            # eta = gamma^0.5 makes the theory mapping tau = eta t / gamma = t / s exact
            self.cs.add(st, lo, gamma=g, eta=g ** 0.5, eta0=0.1, depth=2, label="g=%g" % g)

    def tearDown(self):
        self.cs.close()

    def test_count_info_label_data(self):
        self.assertEqual(len(self.cs), 4)
        info = self.cs.info(2)
        self.assertEqual(info["gamma"], 16.0)
        self.assertEqual(info["depth"], 2)
        self.assertEqual(info["points"], 121)
        self.assertEqual(info["label"], "g=16")
        st, lo = self.cs.data(1)
        self.assertEqual(flat(lo), curve(2.0)[1])

    def test_options_round_trip_and_bounds(self):
        lo, hi, de = richeta.curveset_option_info("min_drop")
        self.assertLess(lo, de)
        self.assertLessEqual(de, hi)
        self.cs.set_option("min_drop", 0.5)
        self.assertEqual(self.cs.get_option(richeta.TwOption.MIN_DROP), 0.5)
        with self.assertRaises(richeta.RangeError):
            self.cs.set_option("min_drop", -1.0)

    def test_escape_times_scale_with_the_curves(self):
        esc = [self.cs.escape(i, 0.5) for i in range(4)]
        for a, b in zip(esc, esc[1:]):
            self.assertAlmostEqual(b / a, 2.0, delta=0.1)
        self.assertAlmostEqual(self.cs.plateau(0), 1.0, delta=0.05)

    def test_one_drop_per_curve(self):
        steps, levels = self.cs.staircase(0)
        self.assertEqual(len(flat(steps)), 1)
        self.assertAlmostEqual(flat(levels)[0], 0.1, delta=0.02)

    def test_empirical_alignment_recovers_scales_and_exponent(self):
        scales = flat(self.cs.align_empirical(0))
        for got, want in zip(scales, SCALES):
            self.assertAlmostEqual(got / want, 1.0, delta=0.02)
        exponent, stderr, prefactor = self.cs.fit_scales("empirical")
        self.assertAlmostEqual(exponent, 0.5, delta=0.01)
        self.assertLess(self.cs.collapse_quality("empirical"), 0.01)

    def test_theory_mapping_collapses(self):
        self.assertLess(self.cs.collapse_quality("theory"), 0.01)
        self.assertAlmostEqual(self.cs.time_factor(3, "theory"), 8.0 / 64.0)
        self.assertGreater(self.cs.spread("raw"), 0.0)

    def test_empirical_before_alignment_is_a_state_error(self):
        with self.assertRaises(richeta.WrongStateError):
            self.cs.time_factor(0, "empirical")

    def test_resample_on_a_grid(self):
        tau, loss = self.cs.resample(0, "theory", 1.0, 1e4, 50)
        self.assertEqual(len(flat(tau)), 50)
        self.assertAlmostEqual(flat(tau)[-1], 1e4)
        self.assertFalse(any(math.isnan(v) for v in flat(loss)))

    def test_bad_curves_are_refused(self):
        with self.assertRaises(richeta.RangeError):
            self.cs.add([1.0, 2.0], [1.0, -1.0], gamma=1.0, eta=1.0)
        with self.assertRaises(ValueError):
            self.cs.add([1.0, 2.0, 3.0], [1.0, 2.0], gamma=1.0, eta=1.0)


@unittest.skipIf(_MISSING, "the loaded library lacks curveset functions")
class AlignHelper(unittest.TestCase):
    def test_align_runs_in_the_format_of_train(self):
        runs = []
        for s in SCALES[:3]:
            st, lo = curve(s)
            runs.append({"steps": [0.0] + st, "eval_loss": [float("nan")] * (len(st) + 1),
                         "train_loss": [1.0] + lo, "eta": [0.1] * (len(st) + 1),
                         "config": "gamma=%r,L=2" % GAMMAS[len(runs)]})
        res = richeta.align(runs, GAMMAS[:3], smooth_decades=0.0)
        try:
            for got, want in zip(flat(res["scales"]), SCALES):
                self.assertAlmostEqual(got / want, 1.0, delta=0.02)
            self.assertAlmostEqual(res["exponent"], 0.5, delta=0.01)
            self.assertLess(res["quality"]["empirical"], 0.01)
            self.assertEqual(len(res["escape"]), 3)
        finally:
            res["curveset"].close()


if __name__ == "__main__":
    unittest.main()
