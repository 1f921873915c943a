"""Base class of every handle wrapper: ownership, closing, error checks,
and the guard against using one handle from two threads at once."""

import ctypes
import threading
import weakref

from ._errors import ConcurrentUseError, check_global, make_error
from ._lib import lib


class _Guard:
    """Who is inside the C library with a handle (or the handles it shares
    state with: borrowed views, an Optim and its Model, a Trainer and its
    Stream). ctypes releases the GIL during a call, so two threads can be in
    C with one handle at once: the second raises ConcurrentUseError instead
    of silently corrupting results. The same thread may re-enter (a
    callback reading its trainer). Closing from inside a call of the same
    thread (a callback closing its own trainer) is deferred to the end of
    the outermost call."""

    __slots__ = ("lock", "owner", "depth", "pending")

    def __init__(self):
        self.lock = threading.Lock()
        self.owner = None
        self.depth = 0
        self.pending = []  # handles whose close() waits for the call to end

    def enter(self, what):
        me = threading.get_ident()
        with self.lock:
            if self.depth and self.owner != me:
                raise ConcurrentUseError(
                    12, "a handle (or one it shares state with) is in use by another thread; "
                    "handles are not thread-safe: use one per thread", what)
            self.owner = me
            self.depth += 1

    def exit(self):
        with self.lock:
            self.depth -= 1
            if self.depth:
                return
            self.owner = None
            pending, self.pending = self.pending, []
        for h in pending:
            h.close()

    def busy_here(self):
        """1: in use by this thread, -1: by another, 0: idle."""
        with self.lock:
            if not self.depth:
                return 0
            return 1 if self.owner == threading.get_ident() else -1


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
        self._guard = _Guard()
        self._close_pending = False

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
        obj._guard = owner._guard  # the same C object underneath
        owner._dependents.add(obj)
        return obj

    def _depend_on(self, other):
        """Record that this object borrows ``other``: closing ``other`` closes
        this first, and both are guarded together (using them from two
        threads at once is concurrent use of ``other``)."""
        other._dependents.add(self)
        self._guard = other._guard

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
        guard = self._guard
        guard.enter(name)
        try:
            st = getattr(lib, name)(self._h, *args)
            self._check(st, name)
        finally:
            guard.exit()

    def _query(self, suffix, *args):
        """A size query (NULL buffers, capacity 0): BUFFER_TOO_SMALL is the
        expected answer there, with the size in the count out-param."""
        name = "richeta_%s_%s" % (self._kind, suffix)
        guard = self._guard
        guard.enter(name)
        try:
            st = getattr(lib, name)(self._h, *args)
            if st not in (0, 15):
                self._check(st, name)
        finally:
            guard.exit()

    def close(self):
        """Free the handle (idempotent). Borrowing objects are closed first.

        From inside a call on it in this thread (a callback closing its own
        trainer), the close is deferred to the end of that call; from
        another thread during a call it raises ConcurrentUseError."""
        busy = self._guard.busy_here()
        if busy and self._ptr is not None:
            if busy < 0:
                raise ConcurrentUseError(12, "close() while another thread uses the handle",
                                         "richeta_%s_free" % self._kind)
            self._close_pending = True
            with self._guard.lock:
                self._guard.pending.append(self)
            return
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
