"""Config: keyword arguments, aliases, enumeration names, round trips,
errors, and handle lifetime. Runs with and without NumPy."""

import gc
import os
import tempfile
import unittest
import weakref

import _support
import richeta


class ConfigValues(unittest.TestCase):
    def test_keywords_use_spec_names(self):
        with richeta.Config(gamma=2.5, N=48, act="tanh", L=2) as c:
            self.assertEqual(c["gamma"], 2.5)
            self.assertEqual(c["N"], 48)
            self.assertEqual(c["act"], richeta.Activation.TANH)
            self.assertEqual(c.get("act", symbolic=True), "tanh")
            self.assertEqual(c["L"], 2)

    def test_aliases_map_to_spec_names(self):
        c = richeta.Config(width=40, input_dim=5, depth=4, activation="gelu", parameterization="ntk",
                           weight_decay=0.01)
        self.assertEqual(c["N"], 40)
        self.assertEqual(c["D"], 5)
        self.assertEqual(c["L"], 4)
        self.assertEqual(c["act"], int(richeta.Activation.GELU))
        self.assertEqual(c["param"], int(richeta.Parameterization.NTK))
        self.assertEqual(c["wd"], 0.01)
        self.assertEqual(c[richeta.Param.WIDTH], 40)

    def test_enum_members_and_numbers_are_accepted(self):
        c = richeta.Config(act=richeta.Activation.IDENTITY, param=2, dtype=richeta.DType.F64)
        self.assertEqual(c.get("act", True), "identity")
        self.assertEqual(c.get("param", True), "sp")
        self.assertEqual(c.get("dtype", True), "f64")

    def test_integral_float_is_accepted_for_int_but_fraction_is_not(self):
        c = richeta.Config(N=64.0)
        self.assertEqual(c["N"], 64)
        with self.assertRaises(TypeError):
            c["N"] = 64.5

    def test_spec_string_then_keywords(self):
        c = richeta.Config("gamma=3,N=16", N=20)
        self.assertEqual((c["gamma"], c["N"]), (3.0, 20))

    def test_string_parameter(self):
        c = richeta.Config(data="fashion-mnist:train")
        self.assertEqual(c["data"], "fashion-mnist:train")

    def test_to_string_round_trips(self):
        a = richeta.Config(gamma=0.125, N=33, act="relu", eta0=0.3, T=77, noise=0.5)
        b = richeta.Config(a.to_string())
        self.assertEqual(a.to_string(), b.to_string())
        self.assertEqual(a, b)
        self.assertEqual(a.as_dict(), b.as_dict())
        self.assertEqual(a.as_dict()["N"], 33)

    def test_save_and_load(self):
        a = richeta.Config(gamma=7.0, L=2, seed=9)
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "run.spec")
            a.save(p)
            b = richeta.Config().load(p)
        self.assertEqual(a, b)

    def test_copy_is_independent(self):
        a = richeta.Config(N=10)
        b = a.copy()
        b["N"] = 11
        self.assertEqual((a["N"], b["N"]), (10, 11))

    def test_param_queries(self):
        t, name = richeta.param_info("width")
        self.assertEqual((t, name), (richeta.ParamType.INT, "N"))
        lo, hi, lower_open = richeta.param_bounds("gamma")
        self.assertEqual(lo, 0.0)
        self.assertTrue(lower_open)
        self.assertGreater(hi, 1.0)
        self.assertEqual(richeta.value_name("act", 1), "tanh")
        self.assertIsNone(richeta.value_name("N", 1))


class ConfigErrors(unittest.TestCase):
    def test_out_of_range_raises_range_error_with_message(self):
        c = richeta.Config()
        with self.assertRaises(richeta.RangeError) as cm:
            c["gamma"] = -1.0
        self.assertIn("gamma", cm.exception.message)
        self.assertIsInstance(cm.exception, ValueError)

    def test_nonfinite_raises(self):
        with self.assertRaises(richeta.NonFiniteError):
            richeta.Config(gamma=float("nan"))

    def test_unknown_keyword_raises_type_error_and_unknown_key_key_error(self):
        with self.assertRaises(TypeError):
            richeta.Config(no_such_parameter=1)
        with self.assertRaises(KeyError):
            richeta.Config()["no_such_parameter"]

    def test_unknown_enum_name_raises_library_error(self):
        with self.assertRaises(richeta.RichetaError):
            richeta.Config(act="sigmoid")

    def test_malformed_spec_raises_format_error(self):
        with self.assertRaises(richeta.FormatError):
            richeta.Config("gamma")

    def test_wrong_python_type_raises_type_error(self):
        with self.assertRaises(TypeError):
            richeta.Config(N=[1, 2])
        with self.assertRaises(TypeError):
            richeta.Config(data=3)

    def test_missing_file_raises_os_error(self):
        with self.assertRaises(OSError):
            richeta.Config().load("/nonexistent/x.spec")


class ConfigLifetime(unittest.TestCase):
    def test_context_manager_closes(self):
        with richeta.Config() as c:
            pass
        self.assertTrue(c.closed)
        with self.assertRaises(ValueError):
            c["N"]
        c.close()  # idempotent

    def test_finalizer_frees_on_collection(self):
        c = richeta.Config()
        fin = c._finalizer
        self.assertTrue(fin.alive)
        ref = weakref.ref(c)
        del c
        gc.collect()
        self.assertIsNone(ref())
        self.assertFalse(fin.alive)


if __name__ == "__main__":
    unittest.main()
