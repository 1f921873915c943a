"""Base class of every handle wrapper: ownership, closing, error checks."""

import ctypes
import weakref

from ._errors import check_global, make_error
from ._lib import lib


def _decode(b):
    return b.decode("utf-8", "replace") if b else ""


class Handle:
    """Owns (or borrows) one C handle.

    An owned handle is freed by :meth:`close`, by ``with`` or, at the latest,
    by a ``weakref.finalize`` finalizer when the object is collected. A
    borrowed handle (e.g. ``trainer.model``) is never freed by Python; it
    keeps its owner alive and is invalidated when the owner is closed.
    Objects that borrow this one (an Optim borrows its Model) are closed
    first when this one is closed.
    """

    _kind = None  # C name part: "model" for richeta_model_*

    def __init__(self):
        self._ptr = None
        self._finalizer = None
        self._owner = None
        self._dependents = weakref.WeakSet()

    # --- construction helpers ---
    def _adopt(self, ptr):
        self._ptr = ptr
        self._finalizer = weakref.finalize(self, getattr(lib, "richeta_%s_free" % self._kind), ptr)

    @classmethod
    def _borrowed(cls, ptr, owner):
        obj = cls.__new__(cls)
        Handle.__init__(obj)
        obj._ptr = ptr
        obj._owner = owner
        owner._dependents.add(obj)
        return obj

    def _depend_on(self, other):
        """Record that this object borrows ``other``: closing ``other`` closes this first."""
        other._dependents.add(self)

    @classmethod
    def _construct(cls, fn_name, *args):
        """Call ``richeta_<kind>_new``-style constructor; return the pointer."""
        out = ctypes.c_void_p()
        st = getattr(lib, fn_name)(ctypes.byref(out), *args)
        check_global(st, fn_name)
        if not out.value:
            raise make_error(20, "%s returned OK and a NULL handle" % fn_name, fn_name)
        return out.value

    # --- use ---
    @property
    def _h(self):
        if self._ptr is None:
            raise ValueError("%s handle is closed" % type(self).__name__)
        return self._ptr

    @property
    def closed(self):
        return self._ptr is None

    def last_error(self):
        """The library's message of the last failed call on this handle."""
        return _decode(getattr(lib, "richeta_%s_last_error" % self._kind)(self._ptr))

    def _check(self, st, fn_name):
        if st != 0:
            raise make_error(st, self.last_error(), fn_name)

    def _call(self, suffix, *args):
        name = "richeta_%s_%s" % (self._kind, suffix)
        st = getattr(lib, name)(self._h, *args)
        self._check(st, name)

    def _query(self, suffix, *args):
        """A size query (NULL buffers, capacity 0): BUFFER_TOO_SMALL is the
        expected answer there, with the size in the count out-param."""
        name = "richeta_%s_%s" % (self._kind, suffix)
        st = getattr(lib, name)(self._h, *args)
        if st not in (0, 15):
            self._check(st, name)

    def close(self):
        """Free the handle (idempotent). Borrowing objects are closed first."""
        for dep in list(self._dependents):
            dep.close()
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
        self._ptr = None
        self._owner = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        state = "closed" if self._ptr is None else ("borrowed" if self._owner else "open")
        return "<richeta.%s %s>" % (type(self).__name__, state)


def out_i64():
    return ctypes.c_int64()


def out_dbl():
    return ctypes.c_double()
