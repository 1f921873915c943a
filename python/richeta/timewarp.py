"""Curve sets: plateau / escape / staircase detection and alignment of loss
trajectories across gamma (``richeta_curveset``)."""

import ctypes

from ._arrays import In, Out
from ._errors import check_global
from ._handle import Handle, _decode
from ._lib import lib
from .enums import TwOption, TwTime, _member


def option_info(option):
    """(lower, upper, default) of a curve-set option."""
    lo, hi, de = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    check_global(lib.richeta_curveset_option_info(int(_opt(option)), ctypes.byref(lo),
                                                  ctypes.byref(hi), ctypes.byref(de)),
                 "richeta_curveset_option_info")
    return lo.value, hi.value, de.value


def _opt(option):
    return _member(TwOption, option, "curve-set option")


def _time(which):
    return int(_member(TwTime, which, "time mapping"))


class CurveSet(Handle):
    """A set of loss trajectories. Time mappings: "raw", "theory", "power",
    "empirical" (or TwTime values)."""

    _kind = "curveset"

    def __init__(self, **options):
        super().__init__()
        self._adopt(self._construct("richeta_curveset_new", None))
        for k, v in options.items():
            if k.upper() not in TwOption.__members__:
                self.close()
                raise TypeError("unexpected keyword argument %r (options: %s)"
                                % (k, ", ".join(m.name.lower() for m in TwOption)))
            self.set_option(k, v)

    def set_option(self, option, value):
        """Set a curve-set option (a :class:`TwOption` or its name)."""
        self._call("set_option", int(_opt(option)), float(value))

    def get_option(self, option):
        """Value of a curve-set option."""
        v = ctypes.c_double()
        self._call("get_option", int(_opt(option)), ctypes.byref(v))
        return v.value

    def add(self, steps, loss, gamma, eta, eta0=0.0, depth=0, label=None):
        """Add a curve (copied); returns its index."""
        s, l = In(steps, "f8", "steps"), In(loss, "f8", "loss")
        if s.size != l.size:
            raise ValueError("steps and loss differ in length (%d, %d)" % (s.size, l.size))
        idx = ctypes.c_int64()
        self._call("add", s.ptr, l.ptr, s.size, float(gamma), float(eta0), float(eta), int(depth),
                   label.encode() if label is not None else None, ctypes.byref(idx))
        return idx.value

    def add_run(self, run, gamma, eta, eta0=0.0, depth=0, label=None, key="train_loss"):
        """Add a ``richeta.train()`` result (steps > 0 with finite, positive loss)."""
        steps = run["step"] if "step" in run else run["steps"]
        pts = [(float(t), float(v)) for t, v in zip(steps, run[key]) if v == v and v > 0]
        return self.add([p[0] for p in pts], [p[1] for p in pts], gamma, eta, eta0, depth, label)

    def __len__(self):
        v = ctypes.c_int64()
        self._call("count", ctypes.byref(v))
        return v.value

    count = property(__len__, doc='Number of curves.')

    def info(self, idx):
        """dict(gamma, eta0, eta, depth, points, label) of curve ``idx``."""
        g, e0, e, d, n = (ctypes.c_double(), ctypes.c_double(), ctypes.c_double(),
                          ctypes.c_int64(), ctypes.c_int64())
        self._call("info", int(idx), ctypes.byref(g), ctypes.byref(e0), ctypes.byref(e),
                   ctypes.byref(d), ctypes.byref(n))
        return {"gamma": g.value, "eta0": e0.value, "eta": e.value, "depth": d.value,
                "points": n.value, "label": self.label(idx)}

    def label(self, idx):
        """Label of curve ``idx``."""
        needed = ctypes.c_size_t()
        st = lib.richeta_curveset_label(self._h, int(idx), None, 0, ctypes.byref(needed))
        if st not in (0, 15):
            self._check(st, "richeta_curveset_label")
        buf = ctypes.create_string_buffer(max(needed.value, 1))
        self._call("label", int(idx), buf, len(buf), None)
        return _decode(buf.value)

    def data(self, idx):
        """(steps, loss) of curve ``idx`` as added."""
        n = ctypes.c_int64()
        self._query("data", int(idx), None, None, 0, ctypes.byref(n))
        s, l = Out((n.value,)), Out((n.value,))
        self._call("data", int(idx), s.ptr, l.ptr, n.value, None)
        return s.result(), l.result()

    def plateau(self, idx):
        """Plateau loss level of curve ``idx``."""
        v = ctypes.c_double()
        self._call("plateau", int(idx), ctypes.byref(v))
        return v.value

    def escape(self, idx, fraction=0.5):
        """Step at which the smoothed loss falls below fraction x plateau (inf if never)."""
        v = ctypes.c_double()
        self._call("escape", int(idx), float(fraction), ctypes.byref(v))
        return v.value

    def staircase(self, idx):
        """(drop steps, landing levels) of curve ``idx``."""
        n = ctypes.c_int64()
        self._query("staircase", int(idx), None, None, 0, ctypes.byref(n))
        s, l = Out((n.value,)), Out((n.value,))
        if n.value:
            self._call("staircase", int(idx), s.ptr, l.ptr, n.value, ctypes.byref(n))
        return s.result(), l.result()

    def set_power(self, a, b):
        """Exponents of the "power" mapping tau = t eta^a gamma^b."""
        self._call("set_power", float(a), float(b))

    def time_factor(self, idx, which="theory"):
        """Time factor c_i of curve ``idx`` under mapping ``which`` (tau = c_i t)."""
        v = ctypes.c_double()
        self._call("time_factor", int(idx), _time(which), ctypes.byref(v))
        return v.value

    def align_empirical(self, reference=0):
        """Empirical time scales s_i (reference gets 1)."""
        n = len(self)
        o = Out((n,))
        self._call("align_empirical", int(reference), o.ptr, n)
        return o.result()

    def fit_scales(self, which="empirical"):
        """(exponent, stderr, prefactor) of S_i = prefactor gamma_i^exponent."""
        e, s, p = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
        self._call("fit_scales", _time(which), ctypes.byref(e), ctypes.byref(s), ctypes.byref(p))
        return e.value, s.value, p.value

    def tau_range(self, idx, which="theory"):
        """(first, last) mapped time of curve ``idx`` under ``which``."""
        lo, hi = ctypes.c_double(), ctypes.c_double()
        self._call("tau_range", int(idx), _time(which), ctypes.byref(lo), ctypes.byref(hi))
        return lo.value, hi.value

    def spread(self, which="raw"):
        """Spread of the curves on the common tau grid under mapping ``which``."""
        v = ctypes.c_double()
        self._call("spread", _time(which), ctypes.byref(v))
        return v.value

    def collapse_quality(self, which="theory"):
        """Q = spread(which) / spread(raw): 0 perfect, 1 no better than raw."""
        v = ctypes.c_double()
        self._call("collapse_quality", _time(which), ctypes.byref(v))
        return v.value

    def resample(self, idx, which, tau_min, tau_max, points=200):
        """(tau grid, loss) on a log-spaced grid; NaN outside the curve."""
        t, l = Out((int(points),)), Out((int(points),))
        self._call("resample", int(idx), _time(which), float(tau_min), float(tau_max), int(points),
                   t.ptr, l.ptr)
        return t.result(), l.result()


def align(runs, gammas=None, etas=None, key="test_loss", reference=0, depth=None, fraction=0.5,
          **options):
    """Align several :func:`richeta.train` results (one per gamma).

    Each run's gamma (and depth L) is read from its configuration
    (``run["config"]``); ``gammas`` is needed only for runs without one (torch
    curves) and must otherwise list the same gammas in the same order (a
    check, not an override); ``etas`` (the
    effective rates of the theory mapping, default: each run's logged rate
    at step 0) must have one value per run. Mismatched lengths are a
    ValueError. Steps 0 and non-positive or NaN losses are left out (a run
    without a held-out set falls back to ``train_loss``). Returns a dict:
    ``scales`` (empirical, reference = 1), ``exponent`` and ``stderr`` of the
    empirical scales against gamma, ``theory_exponent``, ``escape`` times,
    ``quality`` (collapse quality Q per mapping) and the ``curveset`` itself
    (open; close it when done).
    """
    from .config import Config

    runs = list(runs)
    for what, seq in (("gammas", gammas), ("etas", etas)):
        if seq is not None and len(seq) != len(runs):
            raise ValueError("align: %d runs but %d %s" % (len(runs), len(seq), what))
    cfgs = []
    for i, run in enumerate(runs):
        if run.get("config"):
            with Config(run["config"]) as c:
                cfgs.append((c["gamma"], c["L"]))
                if gammas is not None and float(gammas[i]) != c["gamma"]:
                    raise ValueError("align: gammas[%d] = %r but run %d was trained with gamma = %r"
                                     % (i, gammas[i], i, c["gamma"]))
        elif gammas is None:
            raise ValueError("align: run %d has no \"config\" to read its gamma from: give gammas"
                             % i)
        else:
            cfgs.append((float(gammas[i]), 0))
    cs = CurveSet(**options)
    try:
        for i, (run, (g, L)) in enumerate(zip(runs, cfgs)):
            k = key if key in run or key != "test_loss" else "eval_loss"  # older dicts
            vals = [float(v) for v in run[k]]
            if not any(v == v and v > 0 for v in vals):
                k = "train_loss"
            steps = run["step"] if "step" in run else run["steps"]
            pts = [(float(s), float(v)) for s, v in zip(steps, run[k])
                   if s > 0 and v == v and v > 0]
            eta = float(etas[i]) if etas is not None else float(run["eta"][0])
            cs.add([p[0] for p in pts], [p[1] for p in pts], gamma=g, eta=eta,
                   depth=L if depth is None else depth, label="gamma=%g" % g)
        gs = [g for g, _ in cfgs]
        out = {"curveset": cs, "scales": cs.align_empirical(reference),
               "escape": [cs.escape(i, fraction) for i in range(len(cs))], "quality": {}}
        if len(set(gs)) >= 2:
            out["exponent"], out["stderr"], _ = cs.fit_scales("empirical")
            out["theory_exponent"], _, _ = cs.fit_scales("theory")
        if len(cs) >= 2:
            for which in ("theory", "empirical"):
                out["quality"][which] = cs.collapse_quality(which)
        return out
    except BaseException:
        cs.close()
        raise
