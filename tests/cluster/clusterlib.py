"""Helpers of the cluster tests: TAP output, running the programs, and the
comparison of stores (every run column but the wall time and row id, and
every curve point)."""
import os
import shutil
import sqlite3
import subprocess
import tempfile

RUN_COLS = ("config_hash, gamma, eta0, seed, eta, status, steps, initial_loss, final_loss,"
            " best_loss, test_initial_loss, test_final_loss, test_best_loss, test_accuracy,"
            " message, config")

# A small sweep: a deep linear network, 5 gammas x 23 eta0 x 2 seeds
# (138 runs stored in adaptive mode), well under a second on one core.
SMALL = ["--D", "8", "--N", "16", "--L", "2", "--B", "16", "--T", "40", "--eval_n", "32",
         "--act", "identity", "--gamma-grid", "1e-3,1e-2,1,100,1000",
         "--eta-grid", "1e-8:1e3:2", "--nseeds", "2"]


class Tap:
    def __init__(self):
        self.n = 0
        self.fails = 0

    def check(self, cond, what, detail=""):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {what}", flush=True)
        else:
            self.fails += 1
            print(f"not ok {self.n} - {what}", flush=True)
            for line in str(detail).splitlines()[:20]:
                print(f"#   {line}", flush=True)
        return cond

    def done(self):
        print(f"1..{self.n}", flush=True)
        return 1 if self.fails else 0


def run(cmd, env=None, timeout=300):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=timeout)


def table(db):
    """(runs, curves) of a store: sorted tuples, wall time and row ids left out."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        runs = sorted(con.execute(f"SELECT {RUN_COLS} FROM runs").fetchall(), key=repr)
        curves = sorted(con.execute(
            "SELECT r.config_hash, r.gamma, r.eta0, r.seed, c.step, c.loss, c.test_loss,"
            " c.test_accuracy, c.eta FROM curves c JOIN runs r ON r.id = c.run_id").fetchall(),
            key=repr)
    finally:
        con.close()
    return runs, curves


def count(db, sql="SELECT count(*) FROM runs", args=()):
    if not os.path.exists(db):
        return 0
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql, args).fetchone()[0]
    except sqlite3.OperationalError:  # tables not created yet
        return 0
    finally:
        con.close()


def same_tables(a, b):
    """(equal, first difference) of two stores."""
    ta, tb = table(a), table(b)
    for name, x, y in (("runs", ta[0], tb[0]), ("curves", ta[1], tb[1])):
        if x != y:
            diff = [p for p in zip(x, y) if p[0] != p[1]][:1]
            return False, f"{name}: {len(x)} vs {len(y)} rows; first difference {diff}"
    return True, ""


def tmpdir(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    return d, lambda: shutil.rmtree(d, ignore_errors=True)
