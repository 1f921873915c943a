"""Array passing without NumPy as a hard dependency.

With NumPy (and RICHETA_NO_NUMPY unset), ndarray arguments are passed to C
without any copy: they must already be C-contiguous and of the exact dtype
(float64, or float32 for the single-precision twins), else TypeError or
ValueError is raised; use :func:`richeta.as_array` to convert explicitly.
Plain Python sequences are converted (that copy is the point of passing a
list). Results are ndarrays with NumPy, nested lists without.
"""

import ctypes
import numbers
import os

from ._lib import c_dbl, c_flt, c_i64

np = None
if not os.environ.get("RICHETA_NO_NUMPY"):
    try:
        import numpy as np  # noqa: F811
    except ImportError:  # pragma: no cover - depends on the environment
        np = None

#: True when results are NumPy arrays.
HAVE_NUMPY = np is not None

_CTYPE = {"f8": c_dbl, "f4": c_flt, "i8": c_i64}
_NAME = {"f8": "float64", "f4": "float32", "i8": "int64"}


def as_array(obj, dtype="float64"):
    """Explicit conversion helper: a C-contiguous NumPy array of ``dtype``
    (a copy only when needed). Requires NumPy."""
    if np is None:
        raise RuntimeError("as_array needs NumPy")
    return np.ascontiguousarray(obj, dtype=dtype)


def is_ndarray(obj):
    return np is not None and isinstance(obj, np.ndarray)


def kind_of(obj):
    """'f4' for float32 ndarrays, 'f8' otherwise: chooses the C twin."""
    if is_ndarray(obj) and obj.dtype == np.float32:
        return "f4"
    return "f8"


def _flatten(obj, name):
    """Flatten a nested sequence of numbers; return (flat list, shape)."""
    if isinstance(obj, (str, bytes)):
        raise TypeError("%s: expected a sequence of numbers, got %s" % (name, type(obj).__name__))
    try:
        items = list(obj)
    except TypeError:
        raise TypeError("%s: expected a sequence of numbers, got %s" % (name, type(obj).__name__))
    if items and not isinstance(items[0], numbers.Real) and hasattr(items[0], "__len__"):
        flat, inner = [], None
        for row in items:
            f, s = _flatten(row, name)
            if inner is None:
                inner = s
            elif s != inner:
                raise ValueError("%s: ragged nested sequence" % name)
            flat.extend(f)
        return flat, (len(items),) + (inner or ())
    for v in items:
        # numbers.Real covers int, float and NumPy scalars; bools are refused
        if not isinstance(v, numbers.Real) or isinstance(v, bool):
            raise TypeError("%s: element %r is not a number" % (name, v))
    return items, (len(items),)


class In:
    """An input buffer: ``ptr`` (ctypes pointer), ``size``, ``shape``.

    Keeps whatever owns the memory alive as long as the object lives."""

    __slots__ = ("ptr", "size", "shape", "_keep")

    def __init__(self, obj, kind="f8", name="array"):
        ct = _CTYPE[kind]
        if np is not None:
            if isinstance(obj, np.ndarray):
                arr = obj
            elif isinstance(obj, (list, tuple, range)):
                flat, shape = _flatten(obj, name)  # same rules with and without NumPy
                arr = np.array(flat, dtype=_NAME[kind]).reshape(shape)
            elif hasattr(obj, "__array_interface__") or hasattr(obj, "__array__"):
                arr = np.asarray(obj)  # zero-copy view when the layout allows
            else:
                arr = np.array(obj, dtype=_NAME[kind])
            if arr.dtype != np.dtype(_NAME[kind]):
                raise TypeError(
                    "%s: dtype %s given where %s is required (no silent copy; convert with "
                    "richeta.as_array(x, %r))" % (name, arr.dtype, _NAME[kind], _NAME[kind])
                )
            if not arr.flags.c_contiguous:
                raise ValueError(
                    "%s: array is not C-contiguous (no silent copy; convert with "
                    "richeta.as_array(x, %r))" % (name, _NAME[kind])
                )
            self.ptr = arr.ctypes.data_as(ctypes.POINTER(ct))
            self.size = int(arr.size)
            self.shape = tuple(int(s) for s in arr.shape)
            self._keep = arr
            return
        if isinstance(obj, ctypes.Array) and obj._type_ is ct:
            self.ptr = ctypes.cast(obj, ctypes.POINTER(ct))
            self.size = len(obj)
            self.shape = (len(obj),)
            self._keep = obj
            return
        flat, shape = _flatten(obj, name)
        buf = (ct * len(flat))(*flat)
        self.ptr = ctypes.cast(buf, ctypes.POINTER(ct))
        self.size = len(flat)
        self.shape = shape
        self._keep = buf


class Out:
    """An output buffer of ``shape``; ``result()`` gives an ndarray or a
    nested list. A caller-provided NumPy ``out`` array is filled in place."""

    __slots__ = ("ptr", "size", "shape", "_buf", "_kind")

    def __init__(self, shape, kind="f8", out=None, name="out"):
        ct = _CTYPE[kind]
        self.shape = tuple(int(s) for s in shape)
        n = 1
        for s in self.shape:
            n *= s
        self.size = n
        self._kind = kind
        if out is not None:
            if not is_ndarray(out):
                raise TypeError("%s: must be a NumPy array" % name)
            if out.dtype != np.dtype(_NAME[kind]) or not out.flags.c_contiguous \
                    or not out.flags.writeable:
                raise ValueError("%s: must be a writable C-contiguous %s array" % (name, _NAME[kind]))
            if out.size != n:
                raise ValueError("%s: has %d elements, %d needed" % (name, out.size, n))
            self._buf = out
            self.ptr = out.ctypes.data_as(ctypes.POINTER(ct))
        elif np is not None:
            self._buf = np.empty(self.shape, dtype=_NAME[kind])
            self.ptr = self._buf.ctypes.data_as(ctypes.POINTER(ct))
        else:
            self._buf = (ct * max(n, 1))()
            self.ptr = ctypes.cast(self._buf, ctypes.POINTER(ct))

    def result(self, count=None):
        """The filled buffer (first ``count`` entries of a 1-D buffer)."""
        if np is not None:
            if count is not None:
                return self._buf[:count]
            return self._buf
        flat = list(self._buf[: self.size if count is None else count])
        if count is not None or len(self.shape) <= 1:
            return flat
        return _nest(flat, self.shape)


def _nest(flat, shape):
    if len(shape) == 1:
        return list(flat)
    step = 1
    for s in shape[1:]:
        step *= s
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def from_pointer(ptr, shape, kind="f8"):
    """Writable view of C memory (callbacks): ndarray with NumPy, a flat
    ctypes array otherwise. Valid only during the callback."""
    n = 1
    for s in shape:
        n *= s
    ct = _CTYPE[kind]
    if np is not None:
        return np.ctypeslib.as_array(ptr, shape=tuple(shape))
    return ctypes.cast(ptr, ctypes.POINTER(ct * n)).contents


def vector(values, kind="f8"):
    """A 1-D result from a Python list."""
    if np is not None:
        return np.array(values, dtype=_NAME[kind])
    return list(values)
