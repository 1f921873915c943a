"""Configuration: ``Config(gamma=1, N=64, act='tanh')``."""

import ctypes

from . import _errors
from ._errors import UnsupportedError, check_global
from ._handle import Handle, _decode
from ._lib import lib
from .enums import Param, ParamType

_ALIASES = {p.name.lower(): p for p in Param}
_ALIASES.update({"lr": Param.ETA0, "eta": Param.ETA0, "steps": Param.STEPS,
                 "weight_decay": Param.WEIGHT_DECAY, "wd": Param.WEIGHT_DECAY})


def param_key(name):
    """Resolve a parameter: a Param/int key, a spec name ("gamma", "N") or an
    alias (the lower-case Param member name, e.g. "width")."""
    if isinstance(name, int):
        return int(name)
    if not isinstance(name, str):
        raise TypeError("parameter name must be str or int, not %s" % type(name).__name__)
    out = ctypes.c_int()
    st = lib.richeta_param_from_name(name.encode(), ctypes.byref(out))
    if st == 0:
        return out.value
    msg = _decode(lib.richeta_last_error())
    if name in _ALIASES:
        return int(_ALIASES[name])
    err = _errors.make_error(st, msg, "richeta_param_from_name")
    raise KeyError("unknown parameter %r%s" % (name, _did_you_mean(name))) from err


def _did_you_mean(name):
    """ "; did you mean 'gamma'?" for the closest spec name or alias, or ""."""
    import difflib

    names = list(_ALIASES)
    for p in Param:
        out = ctypes.c_char_p()
        t = ctypes.c_int()
        if lib.richeta_param_info(int(p), ctypes.byref(t), ctypes.byref(out)) == 0:
            names.append(_decode(out.value))
    close = difflib.get_close_matches(name, names, n=1)
    return "; did you mean %r?" % close[0] if close else ""


def param_info(name):
    """(ParamType, spec name) of a parameter."""
    key = param_key(name)
    t = ctypes.c_int()
    n = ctypes.c_char_p()
    check_global(lib.richeta_param_info(key, ctypes.byref(t), ctypes.byref(n)), "richeta_param_info")
    return ParamType(t.value), _decode(n.value)


def param_bounds(name):
    """(lower, upper, lower_open) of a numeric parameter."""
    key = param_key(name)
    lo, hi, op = ctypes.c_double(), ctypes.c_double(), ctypes.c_int()
    check_global(lib.richeta_param_bounds(key, ctypes.byref(lo), ctypes.byref(hi), ctypes.byref(op)),
                 "richeta_param_bounds")
    return lo.value, hi.value, bool(op.value)


def value_name(name, value):
    """Name of an enumeration value ("tanh" for act=1), or None when the
    parameter is not an enumeration."""
    key = param_key(name)
    out = ctypes.c_char_p()
    st = lib.richeta_param_value_name(key, int(value), ctypes.byref(out))
    if st == 6:  # UNSUPPORTED: not an enumeration
        return None
    check_global(st, "richeta_param_value_name")
    return _decode(out.value)


def _read_string(fn, *args):
    needed = ctypes.c_size_t()
    st = fn(*args, None, 0, ctypes.byref(needed))
    if st not in (0, 15):
        return st, None
    buf = ctypes.create_string_buffer(max(needed.value, 1))
    st = fn(*args, buf, len(buf), None)
    return st, buf.value.decode("utf-8", "replace")


class Config(Handle):
    """A set of hyperparameters.

    ``Config("gamma=2,N=128", act="tanh", depth=2)``: the optional spec string
    is applied first, then the keyword arguments (spec names or aliases;
    enumeration values by name or number).
    """

    _kind = "config"

    def __init__(self, spec=None, **params):
        super().__init__()
        self._adopt(self._construct("richeta_config_new", None))
        if spec:
            self.parse(spec)
        self.update(params)

    @classmethod
    def coerce(cls, config, params):
        """A Config from a Config (cloned if params change it), a spec
        string, a dict or None, plus keyword parameters."""
        if isinstance(config, Config):
            if params:
                config = config.copy()
                config.update(params)
            return config
        if isinstance(config, dict):
            merged = dict(config)
            merged.update(params)
            return cls(**merged)
        if config is None or isinstance(config, str):
            return cls(config, **params)
        raise TypeError("config must be a Config, a spec string or a dict")

    def copy(self):
        """An independent copy (``clone`` is the same)."""
        new = Config.__new__(Config)
        Handle.__init__(new)
        new._adopt(self._construct("richeta_config_clone", self._h))
        return new

    clone = copy

    def update(self, params=None, **kw):
        """Set the parameters of the mapping ``params`` and the keywords.

        An unknown name is a TypeError (an unexpected keyword argument);
        only ``config[name]`` raises KeyError. Bad values are ValueErrors."""
        items = list(dict(params).items()) if params else []
        for k, v in items + list(kw.items()):
            try:
                key = param_key(k)
            except KeyError as e:
                raise TypeError("unexpected keyword argument: %s" % e.args[0]) from None
            self[key] = v
        return self

    def __reduce__(self):
        # pickled as its canonical spec string, which parse() reads back to an equal config
        return (Config, (self.to_string(),))

    def __setitem__(self, name, value):
        """Set a parameter: a number, an enumeration member or name, or a
        string (KeyError for an unknown name, ValueError for a bad value,
        TypeError for a value of the wrong kind)."""
        key = param_key(name)
        ptype, spec_name = param_info(key)
        if ptype == ParamType.STRING:
            if not isinstance(value, str):
                raise TypeError("%s takes a string" % spec_name)
            self._call("set_string", key, value.encode())
            return
        if isinstance(value, str):
            # enumeration names (act='tanh') and numbers as text: the parser knows them
            if any(c in value for c in ",="):
                raise ValueError("%s: invalid value %r" % (spec_name, value))
            self.parse("%s=%s" % (spec_name, value))
            return
        if ptype == ParamType.INT:
            if isinstance(value, float):
                if not value.is_integer():
                    raise TypeError("%s takes an integer, got %r" % (spec_name, value))
                value = int(value)
            try:
                ivalue = int(value.__index__())  # ints, bools, IntEnums, numpy integers
            except (AttributeError, TypeError):
                raise TypeError("%s takes an integer, got %r" % (spec_name, value)) from None
            self._call("set_int", key, ivalue)
        else:
            try:
                dvalue = float(value)
            except (TypeError, ValueError):
                raise TypeError("%s takes a number, got %r" % (spec_name, value)) from None
            self._call("set_double", key, dvalue)

    def __getitem__(self, name):
        """Value of a parameter (KeyError for an unknown name)."""
        key = param_key(name)
        ptype, _ = param_info(key)
        if ptype == ParamType.INT:
            v = ctypes.c_int64()
            self._call("get_int", key, ctypes.byref(v))
            return v.value
        if ptype == ParamType.DOUBLE:
            v = ctypes.c_double()
            self._call("get_double", key, ctypes.byref(v))
            return v.value
        st, s = _read_string(lib.richeta_config_get_string, self._h, key)
        self._check(st, "richeta_config_get_string")
        return s

    def get(self, name, symbolic=False):
        """Value of a parameter; enumerations as their name when ``symbolic``."""
        v = self[name]
        if symbolic and isinstance(v, int):
            n = value_name(name, v)
            if n is not None:
                return n
        return v

    def as_dict(self, symbolic=False):
        """Every parameter, keyed by its spec name."""
        out = {}
        for p in Param:
            try:
                _, spec_name = param_info(p)
            except UnsupportedError:
                continue
            out[spec_name] = self.get(p, symbolic)
        return out

    def parse(self, spec):
        """Apply a ``key=value,...`` spec string (atomically)."""
        self._call("parse", spec.encode())
        return self

    def to_string(self):
        """Canonical spec string (parse() reads it back to an equal config)."""
        st, s = _read_string(lib.richeta_config_to_string, self._h)
        self._check(st, "richeta_config_to_string")
        return s

    __str__ = to_string

    def load(self, path):
        """Apply a spec file (lines of spec strings, # comments)."""
        self._call("load", _fspath(path))
        return self

    def save(self, path):
        """Write the canonical spec string to ``path`` atomically."""
        self._call("save", _fspath(path))

    def __eq__(self, other):
        return isinstance(other, Config) and self.to_string() == other.to_string()

    __hash__ = None

    def __repr__(self):
        if self.closed:
            return "<richeta.Config closed>"
        return "Config(%r)" % self.to_string()


def _fspath(path):
    import os

    p = os.fspath(path)
    return p if isinstance(p, bytes) else p.encode()
