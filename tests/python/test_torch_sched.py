"""richeta.torch.GammaLR is a real torch scheduler with the library's gamma
rule and time schedules, relative per-group rates, an explicit width
multiplier, a tau clock and a plain-number state_dict."""

import io
import math
import os
import subprocess
import sys
import unittest
import warnings

import _support
import richeta

torch, _skip_reason = _support.optional_torch()
if torch is not None:
    import richeta.torch as rt


def cosine(t, T, floor):
    u = min(t, T) / T
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * u))


def warm(t, warmup):
    return (t + 1) / warmup if t < warmup else 1.0


def is_plain(v):
    if isinstance(v, bool) or v is None or type(v) in (int, float, str):
        return True
    if type(v) in (list, tuple):
        return all(is_plain(x) for x in v)
    if type(v) is dict:
        return all(type(k) is str and is_plain(x) for k, x in v.items())
    return False


def two_groups(base=(0.1, 0.02)):
    a = torch.nn.Parameter(torch.zeros(3))
    b = torch.nn.Parameter(torch.zeros(2))
    return torch.optim.SGD([{"params": [a], "lr": base[0]}, {"params": [b], "lr": base[1]}])


def run(opt, sched, steps):
    """The canonical loop; returns the rates each optimizer step used."""
    used = []
    for _ in range(steps):
        used.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    return used


@unittest.skipIf(torch is None, _skip_reason)
class GammaLRSchedules(unittest.TestCase):
    def test_is_a_torch_lr_scheduler(self):
        base = getattr(torch.optim.lr_scheduler, "LRScheduler", None) or \
            torch.optim.lr_scheduler._LRScheduler
        opt = two_groups()
        sched = rt.GammaLR(opt, gamma=2.0, depth=2, width_mult=8)
        self.assertIsInstance(sched, base)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the right call order gives no torch warning
            run(opt, sched, 3)
        self.assertEqual(sched.last_epoch, 3)
        self.assertEqual(sched.get_last_lr(), [g["lr"] for g in opt.param_groups])

    def test_rates_are_base_times_width_mult_times_gamma_rule_times_cosine(self):
        T, floor, warmup, N, L = 20, 0.1, 5, 64, 3
        for gamma, g in ((4.0, 4.0 ** (2.0 / 3)), (0.3, 0.09), (1.0, 1.0)):
            opt = two_groups()
            sched = rt.GammaLR(opt, gamma=gamma, depth=L, width_mult=N, rule="theory",
                               schedule="cosine", T=T, warmup=warmup, min_factor=floor)
            self.assertAlmostEqual(sched.gamma_factor, g, delta=1e-14 * g)
            for t, lrs in enumerate(run(opt, sched, 25)):
                s = warm(t, warmup) * cosine(t, T, floor)
                for base, lr in zip((0.1, 0.02), lrs):
                    want = base * N * g * s
                    self.assertAlmostEqual(lr, want, delta=1e-13 * want, msg="gamma=%g t=%d" % (gamma, t))

    def test_step_decay_and_rule_none(self):
        opt = two_groups()
        sched = rt.GammaLR(opt, gamma=50.0, depth=2, width_mult=1.0, rule="none", schedule="step",
                           decay_every=4, decay_factor=0.5)
        for t, lrs in enumerate(run(opt, sched, 12)):
            self.assertAlmostEqual(lrs[0], 0.1 * 0.5 ** (t // 4), delta=1e-15)

    def test_custom_rule_is_the_calibrated_power_law(self):
        opt = two_groups()
        sched = rt.GammaLR(opt, gamma=8.0, depth=3, width_mult=1, rule="custom", lazy_exp=1.8,
                           rich_exp=0.5, crossover=2.0, prefactor=0.3)
        self.assertAlmostEqual(sched.gamma_factor, 0.3 * 4.0 ** 0.5, delta=1e-14)

    def test_group_ratios_are_kept_and_width_mult_may_differ_per_group(self):
        opt = two_groups((0.3, 0.1))
        sched = rt.GammaLR(opt, gamma=3.0, depth=3, width_mult=[128, 1], schedule="cosine", T=10)
        for lrs in run(opt, sched, 10):
            self.assertAlmostEqual(lrs[0] / lrs[1], 3.0 * 128, delta=1e-10)
        self.assertEqual(sched.width_mult, [128.0, 1.0])
        self.assertEqual(sched.eta(0, group=1), 0.1 * sched.gamma_factor)

    def test_tau_is_the_sum_of_eta_over_gamma(self):
        gamma, eta0, n = 5.0, 0.2, 17
        opt = two_groups((eta0, 1.0))
        sched = rt.GammaLR(opt, gamma=gamma, depth=2, width_mult=32)
        run(opt, sched, n)
        eta = eta0 * gamma ** (2.0 / 2)  # rule theory, L = 2: g = gamma
        self.assertAlmostEqual(sched.tau, eta * n / gamma, delta=1e-12)
        # with a schedule, tau sums the rates of the steps taken (group 0, no width multiplier)
        opt = two_groups((eta0, 1.0))
        sched = rt.GammaLR(opt, gamma=gamma, depth=2, width_mult=32, schedule="cosine", T=n,
                           warmup=3)
        clock = rt.TauClock(gamma)
        for _ in range(n):
            opt.step()
            clock.tick(opt.param_groups[0]["lr"] / 32)
            sched.step()
        want = sum(eta0 * gamma * warm(t, 3) * cosine(t, n, 0.0) for t in range(n)) / gamma
        self.assertAlmostEqual(sched.tau, want, delta=1e-12)
        self.assertAlmostEqual(clock.tau, want, delta=1e-12)
        self.assertEqual(clock.steps, n)
        # a scheduler made mid-run counts the steps before it
        opt2 = two_groups((eta0, 1.0))
        for grp in opt2.param_groups:
            grp["initial_lr"] = grp["lr"]
        late = rt.GammaLR(opt2, gamma=gamma, depth=2, width_mult=32, schedule="cosine", T=n,
                          warmup=3, last_epoch=n - 1)
        self.assertAlmostEqual(late.tau, want, delta=1e-12)

    def test_state_dict_is_plain_numbers_and_torch_save_round_trips(self):
        def make(opt):
            return rt.GammaLR(opt, gamma=7.0, depth=3, width_mult=[16, 2], rule="theory",
                              schedule="cosine", T=30, warmup=4, min_factor=0.05)

        opt = two_groups()
        sched = make(opt)
        run(opt, sched, 9)
        state = sched.state_dict()
        self.assertTrue(is_plain(state), state)
        buf = io.BytesIO()
        torch.save({"sched": state, "opt": opt.state_dict()}, buf)
        buf.seek(0)
        loaded = torch.load(buf)
        # torch's order (scheduler made, then both states loaded); the
        # scheduler was built with other arguments and takes the saved ones
        opt2 = two_groups()
        resumed = rt.GammaLR(opt2, gamma=1.0, depth=1, width_mult=[1, 1], rule="none")
        opt2.load_state_dict(loaded["opt"])
        resumed.load_state_dict(loaded["sched"])
        # the other order (optimizer state first, then the scheduler made) gives the same
        opt3 = two_groups()
        opt3.load_state_dict(loaded["opt"])
        other = rt.GammaLR(opt3, gamma=1.0, depth=1, width_mult=[1, 1], rule="none")
        other.load_state_dict(loaded["sched"])
        self.assertEqual([g["lr"] for g in opt3.param_groups], [g["lr"] for g in opt.param_groups])
        self.assertEqual(resumed.gamma, 7.0)
        self.assertEqual(resumed.tau, sched.tau)
        self.assertEqual(resumed.get_last_lr(), sched.get_last_lr())
        self.assertEqual(run(opt2, resumed, 12), run(opt, sched, 12))
        self.assertEqual(resumed.tau, sched.tau)
        # the scheduler object itself pickles too (no ctypes handle inside)
        buf = io.BytesIO()
        torch.save(sched, buf)
        self.assertGreater(buf.tell(), 0)

    def test_bad_arguments_are_refused(self):
        opt = two_groups()
        bad = [dict(gamma=0.0, depth=2, width_mult=1), dict(gamma=float("nan"), depth=2, width_mult=1),
               dict(gamma=1.0, depth=0, width_mult=1), dict(gamma=1.0, depth=2, width_mult=-1),
               dict(gamma=1.0, depth=2, width_mult=[1, 2, 3]),
               dict(gamma=1.0, depth=2, width_mult=1, schedule="cosine"),
               dict(gamma=1.0, depth=2, width_mult=1, tau_group=2)]
        for kw in bad:
            with self.subTest(kw=kw), self.assertRaises(ValueError):
                rt.GammaLR(opt, **kw)
        for kw in (dict(N=64), dict(bogus=1), dict(T=[1])):
            with self.subTest(kw=kw), self.assertRaises(TypeError):
                rt.GammaLR(opt, gamma=1.0, depth=2, width_mult=1, **kw)
        with self.assertRaises(richeta.RichetaError):  # the library's bounds
            rt.GammaLR(opt, gamma=1.0, depth=2, width_mult=1, decay_factor=2.0)
        sched = rt.GammaLR(opt, gamma=1.0, depth=2, width_mult=1)
        with self.assertRaises(TypeError):
            sched.step(5)
        with self.assertRaises(ValueError):
            rt.TauClock(0.0)
        with self.assertRaises(ValueError):
            rt.width_multiplier("mup", 64)


class TorchIsOptional(unittest.TestCase):
    def run_child(self, code):
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        env["PYTHONPATH"] = os.pathsep.join(
            [os.path.dirname(os.path.dirname(richeta.__file__)), env.get("PYTHONPATH", "")])
        return subprocess.run([sys.executable, "-c", code], env=env, cwd=_support.HERE,
                              capture_output=True, text=True, timeout=120)

    def test_import_richeta_does_not_import_torch(self):
        r = self.run_child("import sys, richeta\nprint('torch' in sys.modules)")
        self.assertEqual(r.stdout.strip(), "False", r.stderr)

    def test_without_torch_the_package_works_and_richeta_torch_says_why(self):
        code = ("import sys\nsys.modules['torch'] = None\nimport richeta\n"
                "assert richeta.gamma_rule_theory(4.0, 2) == 4.0\n"
                "try:\n    import richeta.torch\nexcept ImportError as e:\n    print('refused:', e)\n")
        r = self.run_child(code)
        self.assertIn("refused: richeta.torch needs PyTorch", r.stdout, r.stderr)


if __name__ == "__main__":
    unittest.main()
