"""Trainer, Stream and train(): logs, callbacks (kept alive, exceptions
re-raised), borrowed handles, divergence, checkpoints. Runs with and
without NumPy."""

import gc
import math
import os
import random
import tempfile
import unittest

import _support
from _support import flat, tolist
import richeta

SMALL = dict(D=6, N=16, C=1, L=2, B=8, act="tanh", T=200, eval_n=64, dtype="f64", eta0=0.05)


class TrainHelper(unittest.TestCase):
    def test_train_returns_log_arrays_and_status(self):
        run = richeta.train(**SMALL)
        self.assertEqual(run["status"], "converged")
        steps = tolist(run["steps"])
        n = len(steps)
        self.assertGreater(n, 5)
        for k in ("train_loss", "eval_loss", "eta"):
            self.assertEqual(len(run[k]), n, k)
        self.assertEqual(steps[0], 0)
        self.assertEqual(steps[-1], 200)
        self.assertEqual(steps, sorted(set(steps)))
        self.assertTrue(all(e == 0.05 for e in flat(run["eta"])))
        ev = flat(run["eval_loss"])
        self.assertLess(ev[-1], 0.5 * ev[0])  # the linear teacher is learned
        self.assertEqual(run["final_loss"], flat(run["train_loss"])[-1])
        self.assertIn("T=200", run["config"])

    def test_log_has_accuracy_for_classification_and_nan_for_regression(self):
        reg = richeta.train(**SMALL)
        self.assertTrue(all(math.isnan(a) for a in flat(reg["accuracy"])))
        cls = dict(SMALL, C=3, loss="ce", task="mlp", labels="argmax")
        with richeta.Trainer(**cls) as tr:
            tr.run()
            acc = flat(tr.log()["accuracy"])
            self.assertEqual(len(acc), len(flat(tr.log()["steps"])))
            self.assertTrue(all(0.0 <= a <= 1.0 for a in acc))
            self.assertEqual(tr.stream.epoch(10), 0)  # synthetic streams never reuse samples
            with self.assertRaises(richeta.RichetaError):
                tr.stream.epoch(-1)

    def test_too_large_rate_diverges_as_a_result_not_an_error(self):
        params = dict(SMALL, eta0=1e4)
        run = richeta.train(**params)
        self.assertEqual(run["status"], "diverged")
        self.assertLess(flat(run["steps"])[-1], 200)

    def test_on_log_sees_every_logged_step(self):
        seen = []
        run = richeta.train(on_log=lambda s, tr, ev, eta: seen.append((s, tr)), **SMALL)
        self.assertEqual([s for s, _ in seen], flat(run["steps"]))
        self.assertEqual([t for _, t in seen], flat(run["train_loss"]))

    def test_exception_in_on_log_is_reraised_after_the_c_call(self):
        class Boom(Exception):
            pass

        def on_log(step, tr, ev, eta):
            if step >= 10:
                raise Boom("stop at %d" % step)

        with richeta.Trainer(**SMALL) as t:
            with self.assertRaises(Boom) as cm:
                t.run(on_log=on_log)
            self.assertIsInstance(cm.exception.__cause__, richeta.AbortedError)
            self.assertEqual(t.state, richeta.RunState.RUNNING)
            self.assertLess(t.step, 200)
            # the trainer stays usable and finishes without the hook
            self.assertEqual(t.run(), richeta.RunState.DONE)

    def test_on_log_returning_true_aborts(self):
        with richeta.Trainer(**SMALL) as t:
            with self.assertRaises(richeta.AbortedError):
                t.run(on_log=lambda *a: True)
            self.assertLessEqual(t.step, 1)  # stopped at the first logged step
            self.assertEqual(t.state, richeta.RunState.RUNNING)

    def test_partial_runs_add_up(self):
        with richeta.Trainer(**SMALL) as t:
            t.run(50)
            self.assertEqual(t.step, 50)
            t.run(1000)
            self.assertEqual(t.step, 200)
            self.assertEqual(t.state, richeta.RunState.DONE)
            with self.assertRaises(richeta.RangeError):
                t.run(-1)


class BorrowedHandles(unittest.TestCase):
    def test_borrowed_model_keeps_trainer_alive(self):
        model = richeta.Trainer(**SMALL).model  # trainer not referenced by us
        gc.collect()
        self.assertFalse(model.closed)
        self.assertEqual(model.width, 16)
        self.assertEqual(len(flat(model.get_params())), model.num_params)

    def test_borrowed_views_never_free_and_die_with_the_trainer(self):
        t = richeta.Trainer(**SMALL)
        m, o, s = t.model, t.optim, t.stream
        self.assertIsNone(m._finalizer)
        self.assertEqual(o.width_multiplier, 16.0)
        self.assertEqual(s.batch_size, 8)
        t.close()
        for v in (m, o, s):
            self.assertTrue(v.closed)
        with self.assertRaises(ValueError):
            m.get_params()

    def test_trainer_model_tracks_training(self):
        with richeta.Trainer(**SMALL) as t:
            p0 = flat(t.model.get_params())
            t.run(20)
            self.assertNotEqual(flat(t.model.get_params()), p0)
            self.assertEqual(flat(t.model.get_initial_params()), p0)


class Checkpoints(unittest.TestCase):
    def test_resume_gives_the_same_trajectory(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "ckpt.rlz")
            with richeta.Trainer(**SMALL) as straight:
                straight.run()
                want = flat(straight.model.get_params())
                want_log = straight.log()
            with richeta.Trainer(**SMALL) as first:
                first.run(70)
                first.save(path)
            with richeta.Trainer.resume(path) as again:
                self.assertEqual(again.step, 70)
                again.run()
                self.assertEqual(flat(again.model.get_params()), want)
                self.assertEqual(flat(again.log()["train_loss"]), flat(want_log["train_loss"]))
            with richeta.Trainer(**SMALL) as other:
                other.load(path)
                self.assertEqual(other.step, 70)

    def test_corrupt_checkpoint_raises_file_error(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.rlz")
            with open(path, "wb") as f:
                f.write(b"not a checkpoint at all" * 10)
            with self.assertRaises(richeta.FileError) as cm:
                richeta.Trainer.resume(path)
            self.assertTrue(cm.exception.message)


class CallbackStreams(unittest.TestCase):
    cfg = dict(D=3, N=8, C=1, L=2, B=4, T=60, act="tanh", dtype="f64", task="callback", eta0=0.05)

    @staticmethod
    def teacher_fill(step, x, y):
        r = random.Random(step)
        for i in range(4):
            row = [r.gauss(0, 1) for _ in range(3)]
            target = (row[0] - 2 * row[1] + row[2]) / math.sqrt(3)
            if hasattr(x, "shape"):  # NumPy views (B, D), (B, C)
                x[i, :] = row
                y[i, 0] = target
            else:  # flat ctypes arrays
                x[3 * i:3 * i + 3] = row
                y[i] = target

    def test_python_fill_feeds_the_stream(self):
        with richeta.Stream(self.cfg, fill=self.teacher_fill) as s:
            x, y = s.batch(5)
            rx = [[0.0] * 3 for _ in range(4)]
            r = random.Random(5)
            for i in range(4):
                rx[i] = [r.gauss(0, 1) for _ in range(3)]
            self.assertEqual(tolist(x), rx)
            self.assertEqual(len(tolist(y)), 4)

    def test_fill_may_return_sequences(self):
        def fill(step, x, y):
            return [[float(step)] * 3] * 4, [[1.0]] * 4

        with richeta.Stream(self.cfg, fill=fill) as s:
            x, y = s.batch(2)
            self.assertEqual(flat(x), [2.0] * 12)
            self.assertEqual(flat(y), [1.0] * 4)

    def test_trainer_trains_on_a_python_stream(self):
        s = richeta.Stream(self.cfg, fill=self.teacher_fill)
        with richeta.Trainer(self.cfg, stream=s) as t:
            t.run()
            log = t.log()
            self.assertIs(t.stream, s)
        tr = flat(log["train_loss"])
        self.assertEqual(flat(log["steps"])[-1], 60)
        self.assertTrue(all(math.isnan(v) for v in flat(log["eval_loss"])))
        self.assertLess(min(tr[-3:]), tr[0])

    def test_callback_survives_garbage_collection(self):
        calls = []

        def make():
            def fill(step, x, y):  # only the Stream references this closure
                calls.append(step)
                TestHelpers.zero(x, y)
            return richeta.Stream(self.cfg, fill=fill)

        s = make()
        gc.collect()
        with richeta.Trainer(self.cfg, stream=s) as t:
            gc.collect()
            t.run(10)
        self.assertEqual(calls[:10], list(range(10)))

    def test_exception_in_fill_is_reraised_from_batch_and_run(self):
        def fill(step, x, y):
            if step == 3:
                raise KeyError("no batch %d" % step)
            TestHelpers.zero(x, y)

        s = richeta.Stream(self.cfg, fill=fill)
        s.batch(0)
        with self.assertRaises(KeyError) as cm:
            s.batch(3)
        self.assertIsInstance(cm.exception.__cause__, richeta.CallbackFailedError)
        with richeta.Trainer(self.cfg, stream=s) as t:
            with self.assertRaises(KeyError):
                t.run()
            self.assertEqual(t.step, 3)

    def test_closing_the_stream_closes_the_trainer_that_borrows_it(self):
        s = richeta.Stream(self.cfg, fill=self.teacher_fill)
        t = richeta.Trainer(self.cfg, stream=s)
        s.close()
        self.assertTrue(t.closed)

    def test_synthetic_stream_is_deterministic(self):
        with richeta.Stream(**SMALL) as a, richeta.Stream(**SMALL) as b:
            self.assertEqual(tolist(a.batch(7)[0]), tolist(b.batch(7)[0]))
            self.assertNotEqual(tolist(a.batch(7)[0]), tolist(a.batch(8)[0]))
            x, y = a.eval_set(0, 10)
            self.assertEqual(len(tolist(x)), 10)
            self.assertEqual(a.eval_size, 64)


class TestHelpers:
    @staticmethod
    def zero(x, y):
        if hasattr(x, "shape"):
            x[...] = 0.0
            y[...] = 0.0
        else:
            x[:] = [0.0] * len(x)
            y[:] = [0.0] * len(y)


if __name__ == "__main__":
    unittest.main()
