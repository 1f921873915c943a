"""Torch loss curves go into CurveSet / align through richeta.torch helpers:
curves with known time scales S_i = 8 gamma_i^0.5 are aligned and the
exponent recovered."""

import math
import unittest

import _support
import richeta

torch, _skip_reason = _support.optional_torch()
if torch is not None:
    import richeta.torch as rt

GAMMAS = (1.0, 4.0, 16.0, 64.0)


def plateau_curve(scale, n=2000):
    """A plateau then a drop at t ~ scale: L(t) = 1 / (1 + (t / scale)^3) + 1e-3."""
    return [torch.tensor(1.0 / (1.0 + (t / scale) ** 3) + 1e-3) for t in range(n)]


@unittest.skipIf(torch is None, _skip_reason)
class TorchCurves(unittest.TestCase):
    def test_loss_curve_accepts_tensors_and_lists(self):
        run = rt.loss_curve(torch.tensor([3.0, 2.0, 1.0]), eta=0.5)
        self.assertEqual(run["steps"], [0.0, 1.0, 2.0])
        self.assertEqual(run["train_loss"], [3.0, 2.0, 1.0])
        self.assertEqual(run["eta"], [0.5] * 3)
        run = rt.loss_curve([torch.tensor(2.0), 1.5], steps=[1, 10], eval_losses=[2.5, 2.0])
        self.assertEqual(run["eval_loss"], [2.5, 2.0])
        with self.assertRaises(ValueError):
            rt.loss_curve([1.0, 2.0], steps=[1])
        with self.assertRaises(TypeError):
            rt.loss_curve(["a"])

    def test_align_losses_recovers_the_time_scale_exponent(self):
        scales = [8.0 * g ** 0.5 for g in GAMMAS]
        curves = [plateau_curve(s) for s in scales]
        # rates making the theory mapping tau = eta t / gamma collapse exactly
        etas = [g / s for g, s in zip(GAMMAS, scales)]
        out = rt.align_losses(curves, GAMMAS, etas, depth=3)
        try:
            self.assertAlmostEqual(out["exponent"], 0.5, delta=0.03)
            self.assertLess(out["quality"]["theory"], 0.05)
            self.assertLess(out["quality"]["empirical"], 0.1)
            for esc, s in zip(out["escape"], scales):
                self.assertLess(abs(math.log(esc / s)), math.log(1.5))
        finally:
            out["curveset"].close()

    def test_add_loss_curve_drops_step_zero_and_bad_points(self):
        with richeta.CurveSet() as cs:
            losses = [torch.tensor(v) for v in (5.0, 4.0, float("nan"), 0.0, 2.0, 1.0)]
            i = rt.add_loss_curve(cs, losses, gamma=2.0, eta=0.1, depth=2)
            steps, loss = cs.data(i)
            self.assertEqual(list(steps), [1.0, 4.0, 5.0])
            self.assertEqual(list(loss), [4.0, 2.0, 1.0])
            self.assertEqual(cs.info(i)["label"], "gamma=2")
            with self.assertRaises(ValueError):
                rt.add_loss_curve(cs, [1.0], gamma=1.0, eta=0.1)

    def test_align_losses_checks_lengths(self):
        with self.assertRaises(ValueError):
            rt.align_losses([[1.0, 0.5]], [1.0, 2.0], [0.1])


if __name__ == "__main__":
    unittest.main()
