"""The binding at parity with the C API: every enumeration of the public
headers (parsed from include/richlazy/*.h, so an enumerator added in C
without its Python twin fails here), sweeps with stalled runs, status words,
exceptions that fit Python, pickling, vectorized schedules, align's checks
and docstrings. Runs with and without NumPy."""

import inspect
import os
import pickle
import re
import tempfile
import unittest

import _support
from _support import flat
import richeta
import richeta.plots  # noqa: F401 - its functions are public too (matplotlib imported lazily)

HEADERS = os.path.join(_support.SOURCE_DIR, "include", "richlazy")

# C enumeration type -> its Python mirror. A new C enumeration must be added
# here (and to the binding): the test fails until it is.
MIRRORS = {
    "richeta_status": richeta.Status,
    "richeta_dtype": richeta.DType,
    "richeta_param_type": richeta.ParamType,
    "richeta_param": richeta.Param,
    "richeta_parameterization": richeta.Parameterization,
    "richeta_activation": richeta.Activation,
    "richeta_loss": richeta.Loss,
    "richeta_centering": richeta.Centering,
    "richeta_arch": richeta.Arch,
    "richeta_conv_scale": richeta.ConvScale,
    "richeta_gamma_rule": richeta.GammaRule,
    "richeta_schedule": richeta.Schedule,
    "richeta_task": richeta.Task,
    "richeta_input_dist": richeta.InputDist,
    "richeta_labels": richeta.Labels,
    "richeta_norm": richeta.Norm,
    "richeta_sweep_axis": richeta.Axis,
    "richeta_sweep_mode": richeta.SweepMode,
    "richeta_sweep_option": richeta.SweepOption,
    "richeta_sweep_journal": richeta.Journal,
    "richeta_sweep_steps_law": richeta.StepsLaw,
    "richeta_sweep_run_status": richeta.RunStatus,
    "richeta_eta_star_flag": richeta.EtaStarFlag,
    "richeta_tw_option": richeta.TwOption,
    "richeta_tw_time": richeta.TwTime,
    "richeta_run_state": richeta.RunState,
}


def _strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def c_enums():
    """{type name: [(enumerator, value), ...]} of every header."""
    out = {}
    for name in sorted(os.listdir(HEADERS)):
        if not name.endswith(".h"):
            continue
        with open(os.path.join(HEADERS, name), encoding="utf-8") as f:
            text = _strip_comments(f.read())
        for m in re.finditer(r"typedef\s+enum\s+(\w+)\s*\{(.*?)\}\s*(\w+)\s*;", text, re.S):
            body, items, nxt = m.group(2), [], 0
            for entry in body.split(","):
                entry = entry.strip()
                if not entry:
                    continue
                em = re.fullmatch(r"(\w+)(?:\s*=\s*(.+))?", entry, re.S)
                if em is None:
                    raise AssertionError("%s: cannot read enumerator %r of %s" % (name, entry, m.group(1)))
                value = int(em.group(2).strip(), 0) if em.group(2) else nxt
                items.append((em.group(1), value))
                nxt = value + 1
            out[m.group(3)] = items
    return out


def common_prefix(names):
    p = os.path.commonprefix(names)
    return p[: p.rfind("_") + 1]


class EnumParity(unittest.TestCase):
    def test_headers_were_found_and_parsed(self):
        enums = c_enums()
        self.assertIn("richeta_sweep_run_status", enums)
        self.assertIn(("RICHETA_SWEEP_RUN_STALLED", 4), enums["richeta_sweep_run_status"])
        self.assertGreaterEqual(len(enums), 20)

    def test_every_c_enumeration_has_a_python_mirror(self):
        missing = sorted(set(c_enums()) - set(MIRRORS))
        self.assertEqual(missing, [], "C enumerations without a Python mirror (add them to "
                         "python/richeta and to MIRRORS)")

    def test_every_enumerator_matches_by_name_and_value(self):
        for ctype, items in c_enums().items():
            cls = MIRRORS.get(ctype)
            if cls is None:
                continue
            prefix = common_prefix([n for n, _ in items])
            want = {n[len(prefix):]: v for n, v in items}
            have = {m.name: int(m.value) for m in cls}
            with self.subTest(ctype=ctype):
                self.assertEqual(have, want, "%s differs from %s in the headers" % (cls.__name__, ctype))

    def test_mirrors_are_exported(self):
        for cls in MIRRORS.values():
            self.assertIs(getattr(richeta, cls.__name__), cls)
            self.assertIn(cls.__name__, richeta.__all__)

    def test_every_sweep_option_is_a_sweep_keyword(self):
        params = inspect.signature(richeta.Sweep.__init__).parameters
        for opt in richeta.SweepOption:
            name = opt.name.lower()
            if name.startswith("shard_"):
                name = "shard"  # shard=(K, N)
            self.assertIn(name, params, "Sweep() has no keyword for %s" % opt.name)


BASE = dict(D=4, N=8, C=1, L=2, B=8, T=40, act="tanh", eval_n=32, dtype="f64")


class StatusWords(unittest.TestCase):
    def test_stalled_runs_do_not_crash_and_share_train_status_type(self):
        # progress factor 1e-9: no run lowers its loss that much in 40 steps,
        # so every finished run is stalled (status code 4)
        seen = []
        with tempfile.TemporaryDirectory() as d:
            with richeta.Sweep(BASE, gamma=[1.0], eta0=[0.01, 1e4], seeds=[0], mode="dense",
                               workers=1, progress=1e-9) as sw:
                self.assertEqual(sw.get_option("progress"), 1e-9)
                sw.run(os.path.join(d, "s.sqlite"), on_run=lambda *a: seen.append(a[3]))
                status = flat(sw.runs()["status"])
        self.assertEqual(sorted(status), ["diverged", "stalled"])
        self.assertEqual(sorted(seen), [richeta.RunStatus.DIVERGED, richeta.RunStatus.STALLED])
        run = richeta.train(**BASE)
        self.assertIs(type(run["status"]), type(status[0]))
        self.assertIn(run["status"], richeta.STATUS_WORDS)

    def test_status_words_are_the_c_names(self):
        self.assertEqual([richeta.status_word(s) for s in richeta.RunStatus],
                         [s.name.lower() for s in richeta.RunStatus])
        self.assertEqual(richeta.status_word(richeta.RunState.DONE), "converged")
        self.assertEqual(richeta.status_word(richeta.RunState.RUNNING), "running")
        with self.assertRaises(ValueError):
            richeta.status_word(99)


class Exceptions(unittest.TestCase):
    def test_bad_values_are_value_errors_not_os_errors(self):
        for spec in ("gamma", "gamma=abc", "act=sigmoid", "gamma=-1", "N=0"):
            with self.subTest(spec=spec):
                with self.assertRaises(ValueError) as cm:
                    richeta.Config(spec)
                self.assertNotIsInstance(cm.exception, OSError)
        with self.assertRaises(ValueError):
            richeta.Config(gamma="abc")
        for cls in (richeta.FormatError, richeta.ChecksumError, richeta.VersionError):
            self.assertTrue(issubclass(cls, ValueError) and not issubclass(cls, OSError), cls)
        self.assertTrue(issubclass(richeta.IOFailure, OSError))

    def test_malformed_file_is_value_error_missing_file_os_error(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "bad.spec")
            with open(p, "w") as f:
                f.write("gamma\n")
            with self.assertRaises(ValueError) as cm:
                richeta.Config().load(p)
            self.assertNotIsInstance(cm.exception, OSError)
            with self.assertRaises(OSError):
                richeta.Config().load(os.path.join(d, "absent.spec"))

    def test_unknown_keywords_are_type_errors(self):
        with self.assertRaises(TypeError) as cm:
            richeta.Config(gama=1)
        self.assertIn("gamma", str(cm.exception))  # did you mean
        with self.assertRaises(TypeError):
            richeta.Trainer(gama=1)
        with self.assertRaises(TypeError):
            richeta.Sweep(BASE, bogus=1)
        with self.assertRaises(TypeError):
            richeta.CurveSet(bogus=1)

    def test_unknown_names_in_mappings_are_key_errors(self):
        with richeta.Config() as c:
            with self.assertRaises(KeyError):
                c["gama"]
            with self.assertRaises(KeyError):
                c["gama"] = 1

    def test_unknown_option_names_are_value_errors(self):
        with richeta.Sweep(BASE) as sw:
            for bad in ("bogus", 99):
                with self.assertRaises(ValueError):
                    sw.set_option(bad, 1)
            with self.assertRaises(ValueError):
                sw.grid("bogus")
        with self.assertRaises(ValueError):
            richeta.Sweep(BASE, mode="sparse")
        with richeta.CurveSet() as cs:
            with self.assertRaises(ValueError):
                cs.set_option("bogus", 1)
            with self.assertRaises(ValueError):
                cs.spread("bogus")


class CallbackMessages(unittest.TestCase):
    def test_the_library_error_quotes_the_python_exception(self):
        def fill(step, x, y):
            if step == 2:
                raise LookupError("data loader failed")
            for i in range(len(x)):
                x[i] = 0.0

        spec = dict(D=2, N=4, L=2, B=2, T=5, task="callback")
        with richeta.Stream(spec, fill=fill) as s, richeta.Trainer(spec, stream=s) as t:
            with self.assertRaises(LookupError) as cm:
                t.run()
        cause = cm.exception.__cause__
        self.assertIsInstance(cause, richeta.CallbackFailedError)
        self.assertIn("failed at step 2: LookupError: data loader failed", str(cause))

    def test_on_log_and_on_run_messages(self):
        def stop(*a):
            raise RuntimeError("host gave up")

        with richeta.Trainer(BASE) as t:
            with self.assertRaises(RuntimeError) as cm:
                t.run(on_log=stop)
        self.assertIn("host gave up", str(cm.exception.__cause__))
        with tempfile.TemporaryDirectory() as d:
            with richeta.Sweep(BASE, gamma=[1.0], eta0=[0.01], seeds=[0], workers=1) as sw:
                with self.assertRaises(RuntimeError) as cm:
                    sw.run(os.path.join(d, "s.sqlite"), on_run=stop)
        self.assertIn("host gave up", str(cm.exception.__cause__))


class KernelByModelPrecision(unittest.TestCase):
    @unittest.skipIf(_support.NO_NUMPY, "NumPy hidden")
    def test_an_f64_model_computes_in_f64_from_float32_arrays(self):
        import numpy as np

        rng = np.random.default_rng(3)
        x = rng.standard_normal((5, 4)).astype(np.float32)
        y = rng.standard_normal((5, 1)).astype(np.float32)
        with richeta.Model(D=4, N=16, L=2, dtype="f64", gamma=0.7) as m:
            l32, g32 = m.loss_grad(x, y)
            l64, g64 = m.loss_grad(x.astype(np.float64), y.astype(np.float64))
            self.assertEqual(g32.dtype, np.float64)
            self.assertEqual(l32, l64)
            np.testing.assert_array_equal(g32, g64)  # not a float32-rounded gradient
            np.testing.assert_array_equal(m.forward(x), m.forward(x.astype(np.float64)))
        with richeta.Model(D=4, N=16, L=2, dtype="f32", gamma=0.7) as m:
            self.assertEqual(m.loss_grad(x, y)[1].dtype, np.float32)  # f32 kernel, no copy


class StoreReading(unittest.TestCase):
    def test_runs_curves_held_out_losses_and_provenance(self):
        with tempfile.TemporaryDirectory() as d:
            db = os.path.join(d, "s.db")
            with richeta.Sweep(BASE, gamma=[0.5, 2.0], eta0=[0.01, 1e4], seeds=[0], mode="dense",
                               workers=1) as sw:
                sw.run(db)
                mine, hash_ = sw.runs(), sw.hash
            with richeta.Store(db) as st:
                self.assertEqual(len(st.sweeps()), 1)
                h = st.sweeps()[0]["config_hash"]
                self.assertEqual(h, hash_)
                runs = st.runs(h)
                self.assertEqual(runs["gamma"], flat(mine["gamma"]))
                self.assertEqual(runs["status"], flat(mine["status"]))
                # held-out losses are there, and differ from the training-batch ones
                conv = [i for i, s in enumerate(runs["status"]) if s == "converged"]
                self.assertTrue(conv)
                for i in conv:
                    self.assertIsInstance(runs["test_final_loss"][i], float)
                    self.assertNotEqual(runs["test_final_loss"][i], runs["final_loss"][i])
                curves = st.curves()
                self.assertEqual(set(curves["run_id"]), set(runs["id"]))
                self.assertEqual(curves["step"][0], 0)
                prov = st.provenance()
                self.assertEqual(len(prov), 1)
                p = prov[0]
                self.assertEqual(p["library_version"], richeta.version())
                self.assertEqual(p["config_hash"], h)
                self.assertEqual(p["outcome"], "ok")
                import time

                self.assertLess(abs(p["started_at"] - time.time()), 600)
                self.assertLessEqual(p["started_at"], p["finished_at"])
                self.assertIn("python", p["command_line"])
                self.assertEqual(p["pid"], os.getpid())
                with self.assertRaises(KeyError):
                    st.runs("0123456789abcdef")
            self.assertEqual(sorted(os.listdir(d)), ["s.db"])  # no -wal/-shm left

    def test_missing_and_foreign_files(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(OSError):
                richeta.Store(os.path.join(d, "absent.db"))
            import sqlite3

            other = os.path.join(d, "other.db")
            c = sqlite3.connect(other)
            c.execute("CREATE TABLE t(x)")
            c.commit()
            c.close()
            with self.assertRaises(ValueError) as cm:
                richeta.Store(other)
            self.assertNotIsInstance(cm.exception, OSError)


class ShortestNumbers(unittest.TestCase):
    def test_canonical_strings_use_the_shortest_round_trip_text(self):
        c = richeta.Config(eta0=0.1, gamma=1 / 3)
        text = c.to_string()
        self.assertIn("eta0=0.1,", text)
        self.assertIn("decay_factor=0.1,", text)
        self.assertIn("gamma=0.3333333333333333,", text)
        self.assertEqual(richeta.Config(text)["gamma"], 1 / 3)  # reads back exactly


class Pickling(unittest.TestCase):
    def test_config_round_trips(self):
        c = richeta.Config(gamma=0.25, N=12, act="gelu", data="x.npz")
        c2 = pickle.loads(pickle.dumps(c))
        self.assertIsNot(c2, c)
        self.assertEqual(c2, c)
        self.assertEqual(c2["N"], 12)

    def test_sched_round_trips(self):
        s = richeta.Sched(eta0=0.3, gamma=0.5, rule="theory", schedule="cosine", T=100, warmup=5)
        s2 = pickle.loads(pickle.dumps(s))
        self.assertEqual([s2.eta(t) for t in (0, 3, 50, 99)], [s.eta(t) for t in (0, 3, 50, 99)])
        self.assertEqual(s2.gamma_factor, s.gamma_factor)

    def test_closed_handles_do_not_pickle(self):
        c = richeta.Config()
        c.close()
        with self.assertRaises(ValueError):
            pickle.dumps(c)


class SchedArrays(unittest.TestCase):
    def setUp(self):
        self.s = richeta.Sched(eta0=0.2, schedule="cosine", T=50, warmup=4, min_factor=0.1)

    def tearDown(self):
        self.s.close()

    def test_scalar_and_list(self):
        ts = [0, 1, 10, 49]
        want = [self.s.eta(t) for t in ts]
        self.assertIsInstance(want[0], float)
        self.assertEqual(self.s.eta(ts), want)
        self.assertEqual(self.s.eta(10.0), want[2])
        with self.assertRaises(ValueError):
            self.s.eta(2.5)
        with self.assertRaises(ValueError):
            self.s.eta(-1)

    @unittest.skipIf(_support.NO_NUMPY, "NumPy hidden")
    def test_numpy_arrays_keep_their_shape(self):
        import numpy as np

        t = np.arange(12).reshape(3, 4)
        e = self.s.eta(t)
        self.assertEqual(e.shape, (3, 4))
        self.assertEqual(e.dtype, np.float64)
        self.assertEqual(e[2, 3], self.s.eta(11))
        f = self.s.time_factor(np.array([0, 4, 49], dtype=np.int32))
        self.assertEqual(f.tolist(), [self.s.time_factor(t) for t in (0, 4, 49)])


SMALL = dict(D=4, N=8, C=1, L=2, B=8, T=60, act="tanh", eval_n=32, dtype="f64", eta0=0.05)


class AlignChecks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.runs = [richeta.train(SMALL, gamma=g) for g in (0.5, 1.0, 2.0)]

    def test_gammas_come_from_each_runs_config(self):
        res = richeta.align(self.runs)
        try:
            cs = res["curveset"]
            self.assertEqual([cs.info(i)["gamma"] for i in range(3)], [0.5, 1.0, 2.0])
            self.assertEqual([cs.info(i)["depth"] for i in range(3)], [2, 2, 2])
        finally:
            res["curveset"].close()

    def test_mismatched_lengths_are_refused(self):
        with self.assertRaises(ValueError):
            richeta.align(self.runs, [0.5, 1.0])
        with self.assertRaises(ValueError):
            richeta.align(self.runs, etas=[0.1])

    def test_runs_without_config_need_gammas(self):
        bare = [{k: v for k, v in r.items() if k != "config"} for r in self.runs]
        with self.assertRaises(ValueError):
            richeta.align(bare)
        res = richeta.align(bare, [0.5, 1.0, 2.0])
        res["curveset"].close()

    def test_gammas_in_the_wrong_order_are_refused(self):
        with self.assertRaises(ValueError):
            richeta.align(self.runs, [2.0, 1.0, 0.5])


def _public_members(cls):
    for name, obj in vars(cls).items():
        if name.startswith("_") and name not in ("__init__", "__getitem__", "__setitem__"):
            continue
        if isinstance(obj, property) or inspect.isfunction(obj) or isinstance(obj, (classmethod, staticmethod)):
            yield name, obj


class Docstrings(unittest.TestCase):
    def test_every_public_function_and_class_has_a_docstring(self):
        undocumented = []
        names = [(n, getattr(richeta, n)) for n in richeta.__all__]
        for mod in (richeta.diag, richeta.plots):
            names += [("%s.%s" % (mod.__name__.split(".")[-1], n), getattr(mod, n))
                      for n in getattr(mod, "__all__", dir(mod)) if not n.startswith("_")
                      and getattr(getattr(mod, n), "__module__", None) == mod.__name__]
        for name, obj in names:
            if inspect.ismodule(obj):
                continue
            if inspect.isclass(obj):
                if not obj.__dict__.get("__doc__"):
                    undocumented.append(name)
                if issubclass(obj, BaseException) or issubclass(obj, int):
                    continue
                for mname, m in _public_members(obj):
                    if mname == "__init__":
                        continue  # the class docstring describes the constructor
                    f = m.__func__ if isinstance(m, (classmethod, staticmethod)) else m
                    if not (f.__doc__ or "").strip():
                        undocumented.append("%s.%s" % (name, mname))
            elif callable(obj) and not (obj.__doc__ or "").strip():
                undocumented.append(name)
        self.assertEqual(undocumented, [], "public names without a docstring")


if __name__ == "__main__":
    unittest.main()
