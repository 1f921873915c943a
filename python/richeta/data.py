"""Finite data sets from files (``richeta_dataset``)."""

import ctypes

from ._arrays import In, Out
from ._handle import Handle
from .config import _fspath
from .enums import Norm


def _norm(mode):
    return int(Norm[mode.upper()] if isinstance(mode, str) else mode)


class Dataset(Handle):
    """``Dataset("fashion-mnist:train")``, ``Dataset("npy:X.npy,Y.npy")``...
    (spec forms in data.h)."""

    _kind = "dataset"

    def __init__(self, spec):
        super().__init__()
        self._adopt(self._construct("richeta_dataset_open", _fspath(spec), None))

    def _i64(self, suffix, *args):
        v = ctypes.c_int64()
        self._call(suffix, *args, ctypes.byref(v))
        return v.value

    def __len__(self):
        return self._i64("num_samples")

    num_samples = property(__len__, doc='Number of samples.')
    input_dim = property(lambda self: self._i64("input_dim"), doc='Input dimension D.')
    target_dim = property(lambda self: self._i64("target_dim"), doc='Target dimension.')
    num_channels = property(lambda self: self._i64("num_channels"), doc='Channels of a sample.')

    @property
    def num_classes(self):
        """Class count of integer labels (0: real-valued targets); settable."""
        return self._i64("num_classes")

    @num_classes.setter
    def num_classes(self, k):
        self._call("set_num_classes", int(k))

    @property
    def sample_shape(self):
        """Shape of one input sample (e.g. (3, 32, 32))."""
        n = ctypes.c_int64()
        self._query("sample_shape", None, 0, ctypes.byref(n))
        buf = (ctypes.c_int64 * max(n.value, 1))()
        self._call("sample_shape", buf, n.value, ctypes.byref(n))
        return tuple(buf[: n.value])

    def label(self, index):
        """Class label of sample ``index`` (integer-label data sets)."""
        return self._i64("label", int(index))

    def get_input(self, index):
        """Input vector of sample ``index`` (normalized)."""
        d = self.input_dim
        o = Out((d,))
        self._call("get_input", int(index), o.ptr, d)
        return o.result()

    def set_channel_axis(self, axis):
        """Which axis of a sample holds the channels (for per-channel normalization)."""
        self._call("set_channel_axis", int(axis))

    def normalize(self, mode="per_feature"):
        """Compute statistics on this set and standardize with them."""
        self._call("normalize", _norm(mode))

    def set_normalization(self, mode, mean, std):
        """Normalize inputs with ``mode`` (a :class:`Norm`), per-coordinate ``mean`` and ``std``."""
        m, s = In(mean, "f8", "mean"), In(std, "f8", "std")
        if m.size != s.size:
            raise ValueError("mean and std differ in length")
        self._call("set_normalization", _norm(mode), m.ptr, s.ptr, m.size)

    def get_normalization(self):
        """(Norm mode, means, stds)."""
        mode, n = ctypes.c_int(), ctypes.c_int64()
        self._query("get_normalization", ctypes.byref(mode), None, None, 0, ctypes.byref(n))
        m, s = Out((n.value,)), Out((n.value,))
        self._call("get_normalization", None, m.ptr, s.ptr, n.value, None)
        return Norm(mode.value), m.result(), s.result()

    def copy_normalization(self, src):
        """Use the normalization of data set ``src`` (e.g. the training split's)."""
        self._call("copy_normalization", src._h)

    def raw_stats(self):
        """(mean, std) of all raw input values."""
        m, s = ctypes.c_double(), ctypes.c_double()
        self._call("raw_stats", ctypes.byref(m), ctypes.byref(s))
        return m.value, s.value

    def batch(self, seed, step, batch, dtype="float64", targets=True):
        """(x, y, epoch) of batch ``step``; y is None without targets."""
        kind = "f4" if dtype in ("float32", "f4", "f32") else "f8"
        d, k = self.input_dim, self.target_dim
        x = Out((int(batch), d), kind)
        y = Out((int(batch), k), kind) if targets else None
        ep = ctypes.c_int64()
        self._call("batch_" + ("f32" if kind == "f4" else "f64"), int(seed), int(step), int(batch),
                   x.ptr, x.size, y.ptr if y else None, y.size if y else 0, ctypes.byref(ep))
        return x.result(), (y.result() if y else None), ep.value
