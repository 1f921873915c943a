"""gamma x eta0 x seed sweeps (``richeta_sweep``), eta* and power-law fits."""

import ctypes
import math

from ._arrays import In, Out, vector
from ._errors import RichetaError, check_global, tell_library
from ._handle import Handle, _decode
from ._lib import ON_RUN_FUNC, SweepCallbacks, lib
from .config import Config, _fspath
from .enums import (Axis, EtaStarFlag, Journal, RunStatus, StepsLaw, SweepMode, SweepOption,  # noqa: F401
                    _member, status_word)


def _axis(a):
    return int(_member(Axis, a, "axis"))


def _option(o):
    return int(_member(SweepOption, o, "sweep option"))


class Sweep(Handle):
    """A gamma x eta0 x seed sweep (``richeta_sweep``).

    ``Sweep(config=None, gamma=..., eta0=..., seeds=..., mode=..., workers=..., **params)``.

    ``gamma`` / ``eta0`` take a grid: a spec string ("1e-2:1e2:2" range or
    "0.1,1,10" list), a sequence of values, or a (lo, hi, per_decade) tuple.
    ``shard=(K, N)`` runs only shard K of N (see ``richeta sweep --shard``);
    ``journal="delete"`` keeps the database without a write-ahead log (NFS).
    ``progress=f`` (the stall criterion, ``richeta sweep --stall``; default
    0.9) records a finished run whose final loss is above f times its
    baseline (the smaller of its initial loss and the held-out constant
    predictor's) as "stalled", not converged; ``progress=0`` is the 1.0
    protocol (every finished run converged) and keeps 1.0's sweep hash;
    ``durable=True`` syncs every stored run;
    ``steps_law="escape"`` (or "tau" with ``tau_budget``) gives each run a T
    that grows with gamma, capped at ``steps_max``.
    Every :class:`SweepOption` is a keyword of its lower-case name. Other
    keywords are configuration parameters.
    """

    _kind = "sweep"

    def __init__(self, config=None, gamma=None, eta0=None, seeds=None, mode=None, workers=None,
                 decades_below=None, blas_single=None, shard=None, journal=None, progress=None,
                 durable=None, steps_law=None, tau_budget=None, steps_max=None, **params):
        super().__init__()
        self._pending = []
        self._keep = None
        cfg = Config.coerce(config, params)
        self._adopt(self._construct("richeta_sweep_new", cfg._h))
        if gamma is not None:
            self.set_grid("gamma", gamma)
        if eta0 is not None:
            self.set_grid("eta0", eta0)
        if seeds is not None:
            self.seeds = seeds
        for opt, v in (("mode", mode), ("workers", workers), ("decades_below", decades_below),
                       ("blas_single", blas_single), ("progress", progress), ("durable", durable),
                       ("tau_budget", tau_budget), ("steps_max", steps_max), ("steps_law", steps_law)):
            if v is not None:
                if opt == "mode":
                    v = _member(SweepMode, v, "mode")
                elif opt == "steps_law":
                    v = _member(StepsLaw, v, "steps_law")
                self.set_option(opt, v)
        if shard is not None:  # (K, N): run shard K of N
            k, n = shard
            self.set_option("shard_count", n)
            self.set_option("shard_index", k)
        if journal is not None:
            self.set_option("journal", _member(Journal, journal, "journal"))

    @classmethod
    def open(cls, db_path, config_hash=None):
        """The stored runs of a sweep in a database."""
        obj = cls.__new__(cls)
        Handle.__init__(obj)
        obj._pending, obj._keep = [], None
        obj._adopt(cls._construct("richeta_sweep_open", _fspath(db_path),
                                  config_hash.encode() if config_hash else None, None))
        return obj

    def _check(self, st, fn_name):
        if st != 0:
            err = None
            try:
                Handle._check(self, st, fn_name)
            except RichetaError as e:
                err = e
            if self._pending:
                exc = self._pending[0]
                del self._pending[:]
                raise exc from err
            raise err

    def set_grid(self, axis, grid):
        """Set the grid of ``axis`` ("gamma" or "eta0"): a spec string, values, or (lo, hi, per_decade)."""
        a = _axis(axis)
        if isinstance(grid, str):
            self._call("set_grid", a, grid.encode())
        elif isinstance(grid, tuple) and len(grid) == 3 and isinstance(grid[2], (int, float)) \
                and not isinstance(grid[0], (list, tuple)):
            self._call("set_grid_range", a, float(grid[0]), float(grid[1]), float(grid[2]))
        else:
            v = In(grid, "f8", axis if isinstance(axis, str) else "grid")
            self._call("set_grid_list", a, v.ptr, v.size)

    def grid(self, axis):
        """Grid values of ``axis``."""
        a = _axis(axis)
        n = ctypes.c_int64()
        self._query("get_grid", a, None, 0, ctypes.byref(n))
        o = Out((n.value,))
        self._call("get_grid", a, o.ptr, n.value, ctypes.byref(n))
        return o.result()

    @property
    def seeds(self):
        """Seeds of each grid cell (write-only: an int n for range(n), or a sequence)."""
        raise AttributeError("seeds are write-only (read them from runs())")

    @seeds.setter
    def seeds(self, seeds):
        if isinstance(seeds, int):
            seeds = range(seeds)
        s = In(list(seeds), "i8", "seeds")
        self._call("set_seeds", s.ptr, s.size)

    def set_option(self, option, value):
        """Set a :class:`SweepOption` (or its name)."""
        self._call("set_option", _option(option), float(value))

    def get_option(self, option):
        """Value of a :class:`SweepOption`."""
        v = ctypes.c_double()
        self._call("get_option", _option(option), ctypes.byref(v))
        return v.value

    @property
    def hash(self):
        """Configuration hash identifying the sweep in its store."""
        buf = ctypes.create_string_buffer(64)
        self._call("hash", buf, len(buf))
        return _decode(buf.value)

    def run(self, db_path, on_run=None):
        """Run (resumably) into ``db_path``. ``on_run(gamma, eta0, seed,
        status, final_loss, cached, finished)`` is called after each stored
        run (``status`` a :class:`RunStatus`; ``richeta.status_word(status)``
        is the word that ``runs()`` gives); returning True stops the sweep (AbortedError), None or
        False goes on, anything else is a TypeError."""
        cb = None
        if on_run is not None:
            pending = self._pending

            def hook(user, gamma, eta0, seed, status, final_loss, cached, finished):
                try:
                    st = _run_status(status)
                    if st == RunStatus.DIVERGED:  # no final loss (docs/output.md)
                        final_loss = math.nan
                    r = on_run(gamma, eta0, seed, st, final_loss, bool(cached), finished)
                    if r is None or r is False:
                        return 0
                    if r is True:
                        return 1
                    raise TypeError("on_run must return None, False or True (stop); it "
                                    "returned a %s" % type(r).__name__)
                except BaseException as e:  # noqa: B902 - must never unwind into C
                    pending.append(e)
                    tell_library(e)
                    return 1

            cfunc = ON_RUN_FUNC(hook)
            table = SweepCallbacks(ctypes.sizeof(SweepCallbacks), cfunc, None)
            self._keep = (cfunc, table)
            cb = ctypes.byref(table)
        try:
            self._call("run", _fspath(db_path), cb)
        finally:
            self._keep = None
        return self

    def load(self, db_path):
        """Load the stored runs of this sweep from ``db_path``."""
        self._call("load", _fspath(db_path))
        return self

    def runs(self):
        """Loaded runs as a dict of arrays: gamma, eta0, seed, status (a list
        of status words, as ``train()["status"]``), final_loss (training
        batch; NaN for a diverged run)."""
        n = ctypes.c_int64()
        self._query("runs", None, None, None, None, None, 0, ctypes.byref(n))
        c = n.value
        g, e, s, st, fl = Out((c,)), Out((c,)), Out((c,), "i8"), (ctypes.c_int32 * max(c, 1))(), Out((c,))
        self._call("runs", g.ptr, e.ptr, s.ptr, st, fl.ptr, c, ctypes.byref(n))
        words = [_word(v) for v in st[:c]]
        final = fl.result()
        for i, w in enumerate(words):
            if w == "diverged":  # no final loss (docs/output.md), not the blown-up number
                final[i] = math.nan
        return {"gamma": g.result(), "eta0": e.result(), "seed": s.result(),
                "status": words, "final_loss": final}

    def eta_star(self):
        """eta* per gamma: dict of arrays gamma, eta_max, eta_opt, opt_loss, flags."""
        n = ctypes.c_int64()
        self._query("eta_star", None, None, None, None, None, 0, ctypes.byref(n))
        c = n.value
        g, mx, op, lo = Out((c,)), Out((c,)), Out((c,)), Out((c,))
        fl = (ctypes.c_int32 * max(c, 1))()
        self._call("eta_star", g.ptr, mx.ptr, op.ptr, lo.ptr, fl, c, ctypes.byref(n))
        return {"gamma": g.result(), "eta_max": mx.result(), "eta_opt": op.result(),
                "opt_loss": lo.result(), "flags": vector([int(v) for v in fl[:c]], "i8")}

    @property
    def eta_resolution(self):
        """Resolution of eta* in decades: the largest gap between neighbouring eta0 grid points."""
        v = ctypes.c_double()
        self._call("eta_resolution", ctypes.byref(v))
        return v.value


def _word(code):
    """Status word of a stored run's status code (the code itself, as text,
    should a newer library report one this binding does not know)."""
    try:
        return status_word(RunStatus(int(code)))
    except ValueError:
        return "status %d" % int(code)


def _run_status(code):
    """RunStatus of a code (the bare int for a code this binding does not know)."""
    try:
        return RunStatus(code)
    except ValueError:
        return int(code)


def fit_powerlaw(x, y):
    """Least squares of log10 y = slope log10 x + intercept:
    returns (slope, slope_stderr, prefactor = 10^intercept)."""
    xi, yi = In(x, "f8", "x"), In(y, "f8", "y")
    if xi.size != yi.size:
        raise ValueError("x and y differ in length (%d, %d)" % (xi.size, yi.size))
    s, se, ic = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    check_global(lib.richeta_fit_powerlaw(xi.ptr, yi.ptr, xi.size, ctypes.byref(s), ctypes.byref(se),
                                          ctypes.byref(ic)), "richeta_fit_powerlaw")
    return s.value, se.value, 10.0 ** ic.value


def merge(out_db, in_dbs, journal="wal"):
    """Merge sweep databases into ``out_db`` (runs keyed by configuration
    hash, gamma, eta0 and seed; identical runs kept once; conflicting results
    raise, naming both files and the run, and merge nothing). Returns
    ``(runs_added, runs_identical)``."""
    paths = [_fspath(p) for p in in_dbs]
    arr = (ctypes.c_char_p * max(len(paths), 1))(*paths)
    added, same = ctypes.c_int64(), ctypes.c_int64()
    j = Journal[journal.upper()] if isinstance(journal, str) else int(journal)
    check_global(lib.richeta_sweep_merge(_fspath(out_db), arr, len(paths), int(j),
                                         ctypes.byref(added), ctypes.byref(same)),
                 "richeta_sweep_merge")
    return added.value, same.value


def sweep(db_path, config=None, on_run=None, **kw):
    """Run a sweep into ``db_path`` and return ``{"runs": ..., "eta_star": ...,
    "hash": ...}`` (keywords as for :class:`Sweep`)."""
    with Sweep(config, **kw) as sw:
        sw.run(db_path, on_run=on_run)
        return {"runs": sw.runs(), "eta_star": sw.eta_star(), "hash": sw.hash,
                "eta_resolution": sw.eta_resolution}


def fit_eta_star(eta_star, depth, key="eta_opt", crossover=1.0):
    """Fit eta*(gamma) ∝ gamma^a separately below and above ``crossover``.

    Returns {"lazy": (slope, stderr, prefactor, n) or None, "rich": ...,
    "theory_lazy": 2, "theory_rich": 2/depth}. Points with NaN eta* are left out.
    """
    g = [float(v) for v in eta_star["gamma"]]
    e = [float(v) for v in eta_star[key]]
    out = {"theory_lazy": 2.0, "theory_rich": 2.0 / depth}
    for name, pick in (("lazy", lambda x: x <= crossover), ("rich", lambda x: x >= crossover)):
        pts = [(a, b) for a, b in zip(g, e) if pick(a) and not math.isnan(b) and b > 0]
        if len({a for a, _ in pts}) >= 2:
            s, se, p = fit_powerlaw([a for a, _ in pts], [b for _, b in pts])
            out[name] = (s, se, p, len(pts))
        else:
            out[name] = None
    return out
