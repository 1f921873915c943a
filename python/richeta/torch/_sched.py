"""The gamma-aware learning-rate scheduler for torch optimizers, and the tau clock."""

import math
import numbers

from torch.optim import lr_scheduler as _lrs

from ..config import Config, param_info, param_key
from ..enums import Param
from ..model import Sched

# torch >= 2 names the base class LRScheduler (keeping _LRScheduler as an
# alias subclass); torch 1.13 has only _LRScheduler.
_BASE = getattr(_lrs, "LRScheduler", None) or _lrs._LRScheduler

#: Configuration keys that shape eta(t) = g(gamma) s(t): the gamma rule and the time schedule.
SCHEDULE_KEYS = (Param.GAMMA_RULE, Param.SCHEDULE, Param.WARMUP_STEPS, Param.DECAY_STEPS,
                 Param.DECAY_FACTOR, Param.MIN_FACTOR, Param.LAZY_EXPONENT, Param.RICH_EXPONENT,
                 Param.CROSSOVER, Param.RULE_PREFACTOR, Param.STEPS)


def width_multiplier(param, readout_fan_in):
    """The learning-rate width multiplier of a parameterization.

    The library's optimizer moves every parameter by ``eta * width_mult *
    grad`` with ``width_mult`` the readout's fan-in (N, or D for a single
    layer) in mean-field / muP and 1 in NTK and SP. Pass the result as
    ``width_mult`` of :class:`GammaLR`.
    """
    name = _param_name(param)
    if not isinstance(readout_fan_in, numbers.Integral) or readout_fan_in < 1:
        raise ValueError("readout_fan_in must be a positive integer, got %r" % (readout_fan_in,))
    return float(readout_fan_in) if name == "mf" else 1.0


def _param_name(param):
    name = str(param).lower()
    if name not in ("mf", "ntk", "sp"):
        raise ValueError("parameterization must be 'mf', 'ntk' or 'sp', got %r" % (param,))
    return name


def _positive(value, what):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError("%s must be a number, got %r" % (what, value)) from None
    if not (v > 0 and math.isfinite(v)):
        raise ValueError("%s must be finite and > 0, got %r" % (what, value))
    return v


def _schedule_spec(options):
    """{spec name: value} of the schedule keyword arguments (validated keys)."""
    allowed = {int(k) for k in SCHEDULE_KEYS}
    spec = {}
    for name, value in options.items():
        try:
            key = param_key(name)
        except KeyError:
            raise TypeError("unknown schedule option %r" % name) from None
        if key not in allowed:
            raise TypeError("%r is not a schedule option (one of: %s)"
                            % (name, ", ".join(param_info(k)[1] for k in SCHEDULE_KEYS)))
        if not isinstance(value, (str, numbers.Real)) or isinstance(value, bool):
            raise TypeError("schedule option %s must be a number or a name, got %r" % (name, value))
        if not isinstance(value, str):  # plain int/float, not IntEnum or NumPy scalars
            value = int(value) if isinstance(value, numbers.Integral) else float(value)
        spec[param_info(key)[1]] = value
    return spec


class TauClock:
    """The reparameterized time tau = sum_t eta_t / gamma.

    ``tick(eta)`` after each optimizer step, with ``eta`` the rate of that
    step without the width multiplier (the convention of
    :class:`richeta.CurveSet`'s "theory" mapping, tau = eta t / gamma for a
    constant rate). :class:`GammaLR` keeps one for you (``scheduler.tau``).
    """

    def __init__(self, gamma):
        self.gamma = _positive(gamma, "gamma")
        self.tau = 0.0
        self.steps = 0

    def tick(self, eta):
        """Advance by one step taken at rate ``eta``; return the new tau."""
        eta = float(eta)
        if not (eta >= 0 and math.isfinite(eta)):
            raise ValueError("eta must be finite and >= 0, got %r" % (eta,))
        self.tau += eta / self.gamma
        self.steps += 1
        return self.tau

    def state_dict(self):
        """Plain numbers: ``gamma``, ``tau``, ``steps``."""
        return {"gamma": self.gamma, "tau": self.tau, "steps": self.steps}

    def load_state_dict(self, state):
        """Restore a :meth:`state_dict`."""
        self.gamma = _positive(state["gamma"], "gamma")
        self.tau = float(state["tau"])
        self.steps = int(state["steps"])

    def __repr__(self):
        return "TauClock(gamma=%g, tau=%g, steps=%d)" % (self.gamma, self.tau, self.steps)


class GammaLR(_BASE):
    """A torch learning-rate scheduler with the library's gamma rule and time schedules.

    Parameter group ``i`` gets, at step t (``last_epoch``)::

        lr_i(t) = base_lr_i * width_mult_i * g(gamma) * s(t)

    ``base_lr_i`` is the group's own initial rate (``initial_lr``, as every
    torch scheduler): the scheduler scales each group's rate relatively and
    never overwrites the ratios between groups (the muP convention). g is
    the gamma rule (``rule``: "none", "theory" = gamma^2 below 1 and
    gamma^(2/L) above, or "custom" with ``lazy_exp``, ``rich_exp``,
    ``crossover``, ``prefactor``) and s(t) the time schedule (``schedule``:
    "constant", "cosine" over ``T`` steps down to ``min_factor``, "step"
    with ``decay_every``/``decay_factor``; ``warmup`` linear warm-up steps),
    both computed by libricheta's scheduler. ``width_mult`` is explicit:
    the library's mean-field optimizer multiplies every rate by the readout
    fan-in N (see :func:`width_multiplier`); give one number or one per
    group.

    With ``optimizer.step(); scheduler.step()`` each step, ``tau`` holds
    sum eta_t / gamma over the steps taken (``eta_t`` the rate of group
    ``tau_group`` without the width multiplier). ``state_dict()`` holds only
    plain numbers and strings, so ``torch.save``/``torch.load`` round-trip.
    ``step(epoch)`` is not supported (the deprecated epoch form of torch).
    """

    def __init__(self, optimizer, gamma, depth, width_mult, rule="theory", last_epoch=-1,
                 tau_group=0, **schedule):
        self.gamma = _positive(gamma, "gamma")
        if not isinstance(depth, numbers.Integral) or isinstance(depth, bool) or depth < 1:
            raise ValueError("depth must be an integer >= 1, got %r" % (depth,))
        self.depth = int(depth)
        groups = len(optimizer.param_groups)
        if isinstance(width_mult, (list, tuple)):
            if len(width_mult) != groups:
                raise ValueError("width_mult: %d values for %d parameter groups"
                                 % (len(width_mult), groups))
            self.width_mult = [_positive(w, "width_mult") for w in width_mult]
        else:
            self.width_mult = [_positive(width_mult, "width_mult")] * groups
        if not isinstance(tau_group, numbers.Integral) or not 0 <= tau_group < groups:
            raise ValueError("tau_group must index one of the %d parameter groups" % groups)
        self.tau_group = int(tau_group)
        spec = _schedule_spec(dict(schedule, rule=rule))
        if str(spec.get("schedule", "")).lower() in ("cosine", "1") and "T" not in spec:
            raise ValueError("schedule='cosine' needs T, the number of steps it spans")
        self.spec = spec
        self.tau = 0.0
        self._sched = self._make_sched()
        self._counting = False
        super().__init__(optimizer, last_epoch)
        if self.last_epoch > 0:  # constructed mid-run: tau of the steps before
            self.tau = sum(self.eta(t) for t in range(self.last_epoch)) / self.gamma
        self._counting = True

    def _make_sched(self):
        with Config(gamma=self.gamma, L=self.depth, eta0=1.0, **self.spec) as cfg:
            return Sched(cfg)

    # --- the rates ---
    @property
    def gamma_factor(self):
        """g(gamma), the gamma rule's factor."""
        return self._sched.gamma_factor

    def time_factor(self, step=None):
        """s(t) at ``step`` (default: the current step ``last_epoch``)."""
        return self._sched.time_factor(self.last_epoch if step is None else step)

    def factor(self, step=None):
        """g(gamma) s(t): the factor every base rate is multiplied by (before ``width_mult``)."""
        return self._sched.eta(self.last_epoch if step is None else step)

    def eta(self, step=None, group=None):
        """The library's rate of a group, base_lr g(gamma) s(t), without the width multiplier."""
        g = self.tau_group if group is None else group
        return self.base_lrs[g] * self.factor(step)

    def get_lr(self):
        """The rates of every group at ``last_epoch`` (closed form)."""
        f = self.factor(self.last_epoch)
        return [b * w * f for b, w in zip(self.base_lrs, self.width_mult)]

    _get_closed_form_lr = get_lr

    def step(self, epoch=None):
        """Advance one step (after ``optimizer.step()``): tau and every group's rate."""
        if epoch is not None:
            raise TypeError("GammaLR.step() takes no epoch; restore a position with load_state_dict()")
        if self.__dict__.get("_counting"):
            self.tau += self.eta(self.last_epoch) / self.gamma
        super().step()

    # --- persistence: plain numbers only (the library handle is rebuilt) ---
    def state_dict(self):
        """The scheduler state: plain numbers, strings, lists and dicts."""
        return {k: (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v)
                for k, v in self.__dict__.items() if k not in ("optimizer", "_sched")}

    def load_state_dict(self, state_dict):
        """Restore a :meth:`state_dict`: rebuilds the library scheduler and sets
        every group's rate to the restored step's (whatever the order in which
        the optimizer's state was loaded)."""
        state = dict(state_dict)
        for key in ("gamma", "depth", "width_mult", "spec", "base_lrs", "last_epoch", "tau"):
            if key not in state:
                raise KeyError("GammaLR state_dict lacks %r" % key)
        if len(state["width_mult"]) != len(self.optimizer.param_groups):
            raise ValueError("state_dict has %d width multipliers for %d parameter groups"
                             % (len(state["width_mult"]), len(self.optimizer.param_groups)))
        state["spec"] = _schedule_spec(state["spec"])
        self.__dict__.update(state)
        self._sched = self._make_sched()
        rates = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, rates):
            group["lr"] = lr
        self._last_lr = list(rates)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_sched", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._sched = self._make_sched()
