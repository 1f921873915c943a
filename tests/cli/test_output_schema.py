"""One data contract (docs/output.md, docs/output-schema.json): every
command of the richeta program run with --json, every line checked against
the one schema file (a record type first, known keys of the declared types,
the record's required keys, status words, numbers printed as the shortest
text that reads back to the same double); the CSV headers of train and
export, the store's columns, and the Python dicts (train(), Trainer.log(),
Sweep.runs(), Store.runs(), Store.curves(), Store.provenance()) use the same
keys. usage: test_output_schema.py RICHETA SOURCE_DIR (PYTHONPATH and
RICHETA_LIBRARY set for the binding)."""

import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import unittest

R = sys.argv[1] if len(sys.argv) > 1 else "richeta"
SRC = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
with open(os.path.join(SRC, "docs", "output-schema.json"), encoding="utf-8") as f:
    SCHEMA = json.load(f)
SMALL = ["--D", "4", "--N", "8", "--L", "2", "--B", "8", "--eval_n", "16"]

TYPES = {"integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
         "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
         "string": lambda v: isinstance(v, str),
         "boolean": lambda v: isinstance(v, bool),
         "array": lambda v: isinstance(v, list)}


def key_type(key):
    spec = SCHEMA["keys"].get(key)
    if spec is None:
        for pat, s in SCHEMA["key_patterns"].items():
            if re.fullmatch(pat, key):
                spec = s
    return None if spec is None else spec[0]


def value_fits(key, value):
    t = key_type(key)
    if t is None:
        return False
    nullable = t.endswith("?")
    if value is None:
        return nullable
    return TYPES[t.rstrip("?")](value)


NUMBER = re.compile(r'(?<=[:\[,])(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?=[,}\]])')


def shortest(token):
    """The token has no more significant digits than the shortest
    round-trip text of its value (Python's repr is that text)."""
    v = float(token)
    if v == 0 or re.fullmatch(r"-?\d+", token):
        return True
    want = repr(v)
    digits = lambda s: len(s.lower().split("e")[0].lstrip("-").replace(".", "").strip("0"))
    return digits(token) <= digits(want)


def run(*args, ok=(0,)):
    r = subprocess.run([R] + list(args), capture_output=True, text=True, timeout=300)
    if r.returncode not in ok:
        raise AssertionError("richeta %s: exit %d\n%s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout


class Contract(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.db = os.path.join(d, "s.db")
        cls.outputs = {}
        o = cls.outputs
        o["version"] = run("version", "--json")
        o["train"] = run("train", *SMALL, "--T", "20", "--json")
        o["train diag"] = run("train", *SMALL, "--T", "3", "--diag", "all", "--json")
        o["train diverged"] = run("train", *SMALL, "--T", "30", "--eta0", "1e6", "--json")
        o["sweep"] = run("sweep", "--db", cls.db, "--gamma-grid", "0.5,2", "--eta-grid",
                         "0.01,0.1,1e4", "--mode", "dense", *SMALL, "--T", "20", "--json")
        o["fit"] = run("fit", "--db", cls.db, "--json")
        o["align"] = run("align", "--db", cls.db, "--json")
        o["export"] = run("export", "--db", cls.db, "--json")
        o["export curves"] = run("export", "--db", cls.db, "--json", "--curves")
        o["status"] = run("status", "--db", cls.db, "--json", "--all")
        o["check"] = run("check", "--db", cls.db, "--json")
        o["merge"] = run("merge", os.path.join(d, "m.db"), cls.db, "--json")
        o["best"] = run("best", "--db", cls.db, "--json")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_every_command_ran(self):
        for name, text in self.outputs.items():
            self.assertTrue(text.strip(), name)

    def test_every_json_line_fits_the_schema(self):
        seen = set()
        for name, text in self.outputs.items():
            for line in text.splitlines():
                with self.subTest(command=name, line=line[:120]):
                    obj = json.loads(line)
                    self.assertIsInstance(obj, dict)
                    self.assertEqual(next(iter(obj)), "record", "record is not the first key")
                    rec = obj["record"]
                    self.assertIn(rec, SCHEMA["records"])
                    seen.add(rec)
                    for k in SCHEMA["records"][rec]:
                        self.assertIn(k, obj, "record %s lacks %s" % (rec, k))
                    for k, v in obj.items():
                        self.assertTrue(value_fits(k, v), "key %s = %r does not fit %s"
                                        % (k, v, key_type(k)))
                    if "status" in obj:
                        self.assertIn(obj["status"], SCHEMA["status_words"])
                    for tok in NUMBER.findall(line):
                        self.assertTrue(shortest(tok), "%s is not the shortest text" % tok)
        # the records this run can produce (mpi_summary needs MPI; problem a damaged store)
        self.assertEqual(seen, set(SCHEMA["records"]) - {"mpi_summary", "problem"})

    def test_a_diverged_run_has_null_final_losses_everywhere(self):
        last = json.loads(self.outputs["train diverged"].splitlines()[-1])
        self.assertEqual((last["record"], last["status"]), ("run", "diverged"))
        self.assertIsNone(last["final_loss"])
        self.assertIsNone(last["test_final_loss"])
        for name in ("sweep", "export"):
            runs = [json.loads(l) for l in self.outputs[name].splitlines()]
            div = [r for r in runs if r["record"] == "run" and r["status"] == "diverged"]
            self.assertTrue(div, name)  # eta0 = 1e4 diverges
            for r in div:
                self.assertIsNone(r["final_loss"], name)
                self.assertIsNone(r.get("test_final_loss"), name)
        import math
        import richeta

        sw = richeta.Sweep.open(self.db)
        try:
            runs = sw.runs()
            div = [float(f) for f, s in zip(runs["final_loss"], runs["status"]) if s == "diverged"]
        finally:
            sw.close()
        self.assertTrue(div and all(math.isnan(f) for f in div), div)
        with richeta.Store(self.db) as st:
            r = st.runs()
            for f, t, s in zip(r["final_loss"], r["test_final_loss"], r["status"]):
                if s == "diverged":
                    self.assertEqual((f, t), (None, None))

    def test_train_final_losses_mean_what_the_points_say(self):
        rows = [json.loads(l) for l in self.outputs["train"].splitlines()]
        *points, last = rows
        self.assertEqual(last["final_loss"], points[-1]["train_loss"])
        self.assertEqual(last["test_final_loss"], points[-1]["test_loss"])
        self.assertEqual(last["steps"], points[-1]["step"])

    def test_csv_headers_and_store_columns_use_schema_keys(self):
        heads = [run("train", *SMALL, "--T", "2").splitlines()[0],
                 run("export", "--db", self.db).splitlines()[0],
                 run("export", "--db", self.db, "--curves").splitlines()[0]]
        for h in heads:
            for k in h.split(","):
                self.assertIsNotNone(key_type(k), "CSV column %s not in the schema" % k)
        con = sqlite3.connect(self.db)
        cols = [r[1] for r in con.execute("PRAGMA table_info(runs)")]
        con.close()
        for k in cols:
            self.assertIsNotNone(key_type(k), "store column runs.%s not in the schema" % k)

    def test_python_dicts_use_schema_keys(self):
        import richeta

        deprecated = set(SCHEMA["python_deprecated"])
        run_ = richeta.train(D=4, N=8, L=2, B=8, T=20, eval_n=16)
        d = {k: v for k, v in run_.items() if k not in deprecated}
        for k in d:
            self.assertIsNotNone(key_type(k), "train() key %s" % k)
        self.assertIn(run_["status"], SCHEMA["status_words"])
        self.assertTrue(value_fits("final_loss", run_["final_loss"]))
        with richeta.Store(self.db) as st:
            for k in list(st.runs()) + list(st.curves()) + [k for p in st.provenance() for k in p]:
                self.assertIsNotNone(key_type(k), "Store key %s" % k)
            for p in st.provenance():
                for k, v in p.items():
                    self.assertTrue(value_fits(k, v), (k, v))
        sw = richeta.Sweep.open(self.db)
        try:
            for k, v in sw.runs().items():
                self.assertIsNotNone(key_type(k), "Sweep.runs() key %s" % k)
            self.assertTrue(set(sw.runs()["status"]) <= set(SCHEMA["status_words"]))
        finally:
            sw.close()

    def test_schema_keys_are_documented(self):
        with open(os.path.join(SRC, "docs", "output.md"), encoding="utf-8") as f:
            doc = f.read()
        for k in list(SCHEMA["keys"]) + list(SCHEMA["records"]) + SCHEMA["status_words"]:
            self.assertIn("`%s`" % k, doc, "docs/output.md does not mention %s" % k)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
