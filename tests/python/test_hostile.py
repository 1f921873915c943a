"""The binding against misuse: a callback closing its own trainer, one
handle used from two threads, callbacks returning the wrong thing, and the
OPENBLAS_CORETYPE set before OpenBLAS loads. The lifetime cases run in a
child process with glibc's MALLOC_PERTURB_ (freed memory is overwritten),
so a use after free crashes or misbehaves there instead of passing by
luck; the child's exit status and its report decide."""

import json
import os
import subprocess
import sys
import tempfile
import threading
import unittest

import _support  # noqa: F401 - finds the package
import richeta

SMALL = dict(D=6, N=16, C=1, L=2, B=8, act="tanh", T=400, eval_n=32, dtype="f64", eta0=0.05,
             log_per_decade=8)


def run_child(code, extra_env=None, drop=(), before=""):
    env = dict(os.environ)
    env["MALLOC_PERTURB_"] = "165"
    for k in drop:
        env.pop(k, None)
    env.update(extra_env or {})
    pre = ("import sys, json; sys.path.insert(0, %r)\n%simport _support, richeta\n"
           % (os.path.dirname(os.path.abspath(__file__)), before))
    return subprocess.run([sys.executable, "-c", pre + code], env=env, capture_output=True,
                          timeout=300)


class CallbackLifetime(unittest.TestCase):
    def test_closing_the_trainer_inside_on_log_stops_the_run_without_a_crash(self):
        code = r"""
calls, after = [0], [0]
closed_at = []
for close_at in (1, 3, 6, 1000):  # the last one closes at the final point
    t = richeta.Trainer(**%r)
    seen = []
    def on_log(step, tr, ev, eta, t=t, seen=seen, close_at=close_at):
        seen.append(step)
        if t.closed:
            after[0] += 1
        if len(seen) == close_at or (close_at == 1000 and step == t.step == 400):
            t.close()
    state = t.run(on_log=on_log)
    assert t.closed == (close_at != 1000 or seen[-1] == 400), (close_at, seen)
    if t.closed:
        assert state is None, state
        closed_at.append(len(seen))
    else:
        t.close()
print(json.dumps({"after": after[0], "closed_at": closed_at}))
""" % (SMALL,)
        r = run_child(code)
        self.assertEqual(r.returncode, 0, r.stderr.decode()[-2000:])
        out = json.loads(r.stdout.decode().strip().splitlines()[-1])
        self.assertEqual(out["after"], 0)  # no callback after the close
        self.assertEqual(out["closed_at"][:3], [1, 3, 6])

    def test_the_closed_trainer_cannot_be_used_and_others_still_work(self):
        t = richeta.Trainer(**SMALL)
        t.run(on_log=lambda *a: t.close())
        self.assertTrue(t.closed)
        with self.assertRaises(ValueError):
            t.step  # noqa: B018
        u = richeta.Trainer(**SMALL)
        self.assertEqual(u.run(), richeta.RunState.DONE)
        u.close()


class ConcurrentUse(unittest.TestCase):
    """The second thread acts while the first is inside the C run (held in
    its on_log hook until the second has tried): deterministic overlap."""

    def overlap(self, trainer, intrude):
        started, tried = threading.Event(), threading.Event()
        got = []

        def hook(*a):
            if not started.is_set():
                started.set()
                tried.wait(30)

        def other():
            started.wait(30)
            try:
                intrude()
                got.append("no error")
            except richeta.ConcurrentUseError as e:
                got.append(e)
            finally:
                tried.set()

        th = threading.Thread(target=other)
        th.start()
        state = trainer.run(on_log=hook)
        th.join()
        return state, got

    def test_one_trainer_from_two_threads_raises_instead_of_wrong_results(self):
        ref = richeta.Trainer(**SMALL)
        ref.run()
        want = ref.log()["train_loss"]
        ref.close()
        t = richeta.Trainer(**SMALL)
        state, got = self.overlap(t, lambda: t.run(max_steps=5))  # would step it meanwhile
        self.assertEqual(len(got), 1)
        self.assertIsInstance(got[0], richeta.ConcurrentUseError, got)
        self.assertIsInstance(got[0], richeta.WrongStateError)
        self.assertIn("another thread", str(got[0]))
        self.assertEqual(state, richeta.RunState.DONE)
        self.assertEqual(_support.flat(t.log()["train_loss"]), _support.flat(want))  # bit for bit
        t.close()

    def test_a_borrowed_model_and_a_close_count_as_the_trainer(self):
        t = richeta.Trainer(**SMALL)
        m = t.model
        _, got = self.overlap(t, lambda: m.num_params)
        self.assertIsInstance(got[0], richeta.ConcurrentUseError, got)
        u = richeta.Trainer(**SMALL)
        _, got = self.overlap(u, u.close)  # freeing it under the run
        self.assertIsInstance(got[0], richeta.ConcurrentUseError, got)
        self.assertFalse(u.closed)
        u.close()
        self.assertEqual(m.num_params, t.model.num_params)
        t.close()

    def test_separate_handles_on_separate_threads_are_fine(self):
        out = {}

        def work(k):
            with richeta.Trainer(**dict(SMALL, seed=k)) as tr:
                out[k] = tr.run()

        ths = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        self.assertEqual(sorted(out), [0, 1, 2, 3])
        self.assertTrue(all(s == richeta.RunState.DONE for s in out.values()))


class CallbackReturns(unittest.TestCase):
    def test_a_fill_returning_a_3_tuple_is_an_error(self):
        cfg = dict(SMALL, task="callback", T=5)

        def fill(step, x, y):
            return (x, y, step)

        s = richeta.Stream(cfg, fill=fill)
        t = richeta.Trainer(cfg, stream=s)
        with self.assertRaises(TypeError) as cm:
            t.run()
        self.assertIn("3-tuple", str(cm.exception))
        t.close()
        s.close()

    def test_an_on_log_returning_a_3_tuple_is_an_error(self):
        t = richeta.Trainer(**SMALL)
        with self.assertRaises(TypeError) as cm:
            t.run(on_log=lambda *a: (1, 2, 3))
        self.assertIn("3-tuple", str(cm.exception))
        t.close()
        # None, False and True keep their meaning
        u = richeta.Trainer(**SMALL)
        self.assertEqual(u.run(on_log=lambda *a: None), richeta.RunState.DONE)
        u.close()

    def test_an_on_run_returning_a_3_tuple_is_an_error(self):
        with tempfile.TemporaryDirectory() as d:
            sw = richeta.Sweep(dict(SMALL, T=20), gamma="1", eta0="0.01,0.1")
            with self.assertRaises(TypeError):
                sw.run(os.path.join(d, "s.db"), on_run=lambda *a: (1, 2, 3))
            sw.close()


class CoreType(unittest.TestCase):
    def cpu_has_avx2(self):
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("flags") and " avx2" in line for line in f)

    def info(self, env=None, drop=("OPENBLAS_CORETYPE", "RICHETA_NO_CORETYPE_FIX",
                                   "RICHETA_CORETYPE_FIXED"), pre=""):
        r = run_child("import os\nprint(json.dumps({'env': os.environ.get("
                      "'OPENBLAS_CORETYPE'), 'info': richeta.build_info()}))", env, drop,
                      before=pre)
        self.assertEqual(r.returncode, 0, r.stderr.decode()[-2000:])
        return json.loads(r.stdout.decode().strip().splitlines()[-1]), r.stderr.decode()

    def test_the_binding_picks_a_better_core_before_openblas_loads(self):
        out, _ = self.info()
        core = out["info"].get("blas_core", "none")
        if core == "none":
            self.skipTest("not OpenBLAS")
        # after the fix there is nothing better left to ask for
        self.assertEqual(out["info"].get("blas_core_advice"), "none", out)
        if self.cpu_has_avx2():
            self.assertNotIn(core, ("Prescott", "Core2", "Penryn", "Nehalem", "Sandybridge"))

    def test_a_users_value_and_the_opt_out_are_respected(self):
        out, _ = self.info({"OPENBLAS_CORETYPE": "Haswell"}, drop=("RICHETA_NO_CORETYPE_FIX",))
        if out["info"].get("blas_core", "none") == "none":
            self.skipTest("not OpenBLAS")
        self.assertEqual(out["env"], "Haswell")
        self.assertEqual(out["info"]["blas_core"], "Haswell")
        out, _ = self.info({"RICHETA_NO_CORETYPE_FIX": "1"}, drop=("OPENBLAS_CORETYPE",))
        self.assertIsNone(out["env"])

    def test_openblas_loaded_first_is_left_alone_with_a_warning(self):
        # load the library's OpenBLAS before the binding (as numpy would)
        pre = ("import ctypes, os\n"
               "ctypes.CDLL(os.environ['RICHETA_LIBRARY'])\n")
        out, err = self.info(pre=pre)
        self.assertIsNone(out["env"])
        if out["info"].get("blas_core_advice", "none") != "none":
            self.assertIn("OPENBLAS_CORETYPE=", err)


if __name__ == "__main__":
    unittest.main()
