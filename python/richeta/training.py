"""Streams, trainers and the ``train()`` helper."""

import ctypes
import weakref

from . import _arrays
from ._arrays import Out
from ._errors import AbortedError, RichetaError, tell_library
from ._handle import Handle
from ._lib import FILL_FUNC, ON_LOG_FUNC, StreamCallbacks, TrainCallbacks, lib
from .config import Config, _fspath, param_key
from .enums import Param, RunState, status_word
from .model import Model, Optim


def _raise_pending(pending, error):
    """Re-raise the first exception a callback stored, chained to the
    library's error; else raise the library's error."""
    if pending:
        exc = pending[0]
        del pending[:]
        raise exc.with_traceback(exc.__traceback__) from error
    raise error


class Stream(Handle):
    """Where batches come from (``richeta_stream``).

    ``Stream(config)`` builds the configured synthetic or file stream.
    ``Stream(config, fill=fn)`` takes batches from Python: ``fn(step, x, y)``
    fills the writable (B, D) and (B, C) arrays in place (NumPy views; flat
    ctypes arrays without NumPy) or returns ``(x, y)`` sequences to copy in.
    An exception in ``fn`` stops the C call and is re-raised afterwards.
    """

    _kind = "stream"

    def __init__(self, config=None, fill=None, **params):
        super().__init__()
        cfg = Config.coerce(config, params)
        self._pending = []  # exceptions raised inside the fill callback
        self._fill_cfunc = None
        self._callbacks = None
        if fill is None:
            self._adopt(self._construct("richeta_stream_new", cfg._h))
            return
        if not callable(fill):
            raise TypeError("fill must be callable")
        self._fill_cfunc = FILL_FUNC(_make_fill(fill, self._pending))
        self._callbacks = StreamCallbacks(ctypes.sizeof(StreamCallbacks), self._fill_cfunc, None)
        self._adopt(self._construct("richeta_stream_new_callback", cfg._h, ctypes.byref(self._callbacks)))

    def _check(self, st, fn_name):
        if st != 0:
            err = None
            try:
                Handle._check(self, st, fn_name)
            except RichetaError as e:
                err = e
            _raise_pending(self._pending, err)
        del self._pending[:]

    def get_int(self, name):
        """Integer configuration value of the stream (``Param`` or name)."""
        v = ctypes.c_int64()
        self._call("get_int", param_key(name), ctypes.byref(v))
        return v.value

    input_dim = property(lambda self: self.get_int(Param.INPUT_DIM), doc='Input dimension D.')
    output_dim = property(lambda self: self.get_int(Param.OUTPUT_DIM), doc='Outputs C.')
    batch_size = property(lambda self: self.get_int(Param.BATCH), doc='Batch size B.')
    eval_size = property(lambda self: self.get_int(Param.EVAL_SIZE), doc='Held-out samples.')

    def epoch(self, step):
        """Epoch of the last sample of training batch ``step`` (0 for
        synthetic streams): above 0, an online run is reusing samples."""
        v = ctypes.c_int64()
        self._call("epoch", int(step), ctypes.byref(v))
        return v.value

    def batch(self, step, dtype="float64"):
        """(x, y) of training step ``step``."""
        kind = "f4" if dtype in ("float32", "f4", "f32") else "f8"
        B, D, C = self.batch_size, self.input_dim, self.output_dim
        x, y = Out((B, D), kind), Out((B, C), kind)
        self._call("batch_" + ("f32" if kind == "f4" else "f64"), int(step), x.ptr, y.ptr)
        return x.result(), y.result()

    def eval_set(self, first=0, count=None):
        """Held-out samples [first, first+count) as (x, y)."""
        if count is None:
            count = self.eval_size - first
        D, C = self.input_dim, self.output_dim
        x, y = Out((count, D)), Out((count, C))
        self._call("eval_f64", int(first), int(count), x.ptr, y.ptr)
        return x.result(), y.result()


def _make_fill(fn, pending):
    def fill(user, step, batch, d, c, xp, yp):
        try:
            x = _arrays.from_pointer(xp, (batch, d))
            y = _arrays.from_pointer(yp, (batch, c))
            ret = fn(step, x, y)
            if isinstance(ret, (tuple, list)) and len(ret) == 2:
                _copy_into(x, ret[0], batch * d, "x")
                _copy_into(y, ret[1], batch * c, "y")
            elif ret is not None:  # a 3-tuple, an array...: a mistake, not a batch
                raise TypeError("fill must fill x and y in place and return None, or return "
                                "(x, y); it returned %s" % _describe(ret))
            return 0
        except BaseException as e:  # noqa: B902 - must never unwind into C
            pending.append(e)
            tell_library(e)
            return 1

    return fill


def _describe(v):
    if isinstance(v, (tuple, list)):
        return "a %d-%s" % (len(v), type(v).__name__)
    return "a %s" % type(v).__name__


def _copy_into(dst, src, n, name):
    if _arrays.is_ndarray(dst):
        dst[...] = _arrays.np.asarray(src, dtype=dst.dtype).reshape(dst.shape)
        return
    flat, _ = _arrays._flatten(src, name)
    if len(flat) != n:
        raise ValueError("fill returned %d values for %s, %d needed" % (len(flat), name, n))
    dst[:] = flat


class Trainer(Handle):
    """A training run (``richeta_trainer``).

    ``Trainer(config=None, stream=None, **params)``. ``model``, ``optim`` and
    ``stream`` are borrowed views that keep the trainer alive.
    """

    _kind = "trainer"

    def __init__(self, config=None, stream=None, **params):
        super().__init__()
        cfg = Config.coerce(config, params)
        self._stream = stream
        self._pending = []
        self._log_keep = None
        if stream is None:
            self._adopt(self._construct("richeta_trainer_new", cfg._h))
        else:
            if not isinstance(stream, Stream):
                raise TypeError("stream must be a richeta.Stream")
            self._adopt(self._construct("richeta_trainer_new_with_stream", cfg._h, stream._h))
            self._depend_on(stream)
        self._views = {}

    @classmethod
    def resume(cls, path):
        """A trainer restored from a checkpoint alone."""
        obj = cls.__new__(cls)
        Handle.__init__(obj)
        obj._stream, obj._pending, obj._log_keep, obj._views = None, [], None, {}
        obj._adopt(cls._construct("richeta_trainer_resume", _fspath(path), None))
        return obj

    def _check(self, st, fn_name):
        if st != 0:
            err = None
            try:
                Handle._check(self, st, fn_name)
            except RichetaError as e:
                err = e
            pending = self._pending + (self._stream._pending if self._stream is not None else [])
            del self._pending[:]
            if self._stream is not None:
                del self._stream._pending[:]
            _raise_pending(pending, err)

    def run(self, max_steps=None, on_log=None):
        """Run up to ``max_steps`` more steps (default: to the end).

        ``on_log(step, train_loss, eval_loss, eta)`` is called at every logged
        step; it returns None or False to go on, True to stop the run
        (AbortedError); anything else is a TypeError. An exception in it
        stops the run and is re-raised. ``on_log`` may close the trainer:
        the run stops, the trainer is closed when the call returns, and
        ``run`` returns None. Returns the RunState.
        """
        if max_steps is None:
            max_steps = 2 ** 62
        cb = None
        if on_log is not None:
            if not callable(on_log):
                raise TypeError("on_log must be callable")
            me = weakref.ref(self)
            closing = lambda: me() is None or me()._close_pending  # noqa: E731
            cfunc = ON_LOG_FUNC(_make_on_log(on_log, self._pending, closing))
            table = TrainCallbacks(ctypes.sizeof(TrainCallbacks), cfunc, None)
            self._log_keep = (cfunc, table)  # alive while C may call it
            cb = ctypes.byref(table)
        try:
            self._call("run", int(max_steps), cb)
        except AbortedError:
            if not self._close_pending:
                raise
        finally:
            self._log_keep = None
        if self._close_pending:  # closed by its own callback
            return None
        return self.state

    @property
    def saved_blas_threads(self):
        """BLAS thread count recorded in the checkpoint this trainer was
        restored from (0: none or written by richeta 1.0). A resumed run is
        bit-identical to an uninterrupted one with that count
        (``richeta.blas_threads(n)``)."""
        v = ctypes.c_int()
        self._call("saved_blas_threads", ctypes.byref(v))
        return v.value

    @property
    def step(self):
        """Steps taken so far."""
        v = ctypes.c_int64()
        self._call("step", ctypes.byref(v))
        return v.value

    @property
    def state(self):
        """The :class:`RunState` of the run."""
        v = ctypes.c_int()
        self._call("state", ctypes.byref(v))
        return RunState(v.value)

    def log(self):
        """The log as a dict of arrays (keys of docs/output.md): step,
        train_loss (training batch), test_loss (held-out), eta and
        test_accuracy (held-out), NaN where undefined. ``steps``,
        ``eval_loss`` and ``accuracy`` are deprecated aliases of ``step``,
        ``test_loss`` and ``test_accuracy`` (the same arrays)."""
        n = ctypes.c_int64()
        self._query("log", None, None, None, None, 0, ctypes.byref(n))
        count = n.value
        s, tr, ev, eta = Out((count,), "i8"), Out((count,)), Out((count,)), Out((count,))
        acc = Out((count,))
        self._call("log", s.ptr, tr.ptr, ev.ptr, eta.ptr, count, ctypes.byref(n))
        self._call("log_accuracy", acc.ptr, count, ctypes.byref(n))
        step, test, accuracy = s.result(n.value), ev.result(n.value), acc.result(n.value)
        return {"step": step, "train_loss": tr.result(n.value), "test_loss": test,
                "eta": eta.result(n.value), "test_accuracy": accuracy,
                # deprecated names (richeta <= 1.1 snapshots), same arrays
                "steps": step, "eval_loss": test, "accuracy": accuracy}

    def _view(self, name, cls):
        v = self._views.get(name)
        if v is None or v.closed:
            ptr = getattr(lib, "richeta_trainer_" + name)(self._h)
            if not ptr:
                raise RichetaError(20, "richeta_trainer_%s returned NULL" % name)
            v = cls._borrowed(ptr, self)
            self._views[name] = v
        return v

    @property
    def model(self):
        """The trainer's model (borrowed view; keeps the trainer alive)."""
        return self._view("model", Model)

    @property
    def optim(self):
        """The trainer's optimizer (borrowed view)."""
        v = self._view("optim", Optim)
        v.model = self.model
        return v

    @property
    def stream(self):
        """The trainer's stream (the caller's Stream, or a borrowed view)."""
        if self._stream is not None:
            return self._stream
        v = self._view("stream", Stream)
        if not hasattr(v, "_pending"):
            v._pending, v._fill_cfunc, v._callbacks = [], None, None
        return v

    def save(self, path):
        """Write a checkpoint atomically."""
        self._call("save", _fspath(path))

    def load(self, path):
        """Restore a checkpoint made with the same configuration."""
        self._call("load", _fspath(path))

    def close(self):
        """Free the trainer (deferred to the end of run() when called from on_log)."""
        Handle.close(self)
        if self.closed:  # not deferred by a callback
            self._stream = None


def _make_on_log(fn, pending, closing):
    def on_log(user, step, train_loss, eval_loss, eta):
        try:
            ret = fn(step, train_loss, eval_loss, eta)
            if closing():  # the callback closed its trainer: stop now
                return 1
            if ret is None or ret is False:
                return 0
            if ret is True:
                return 1
            raise TypeError("on_log must return None, False or True (stop); it returned %s"
                            % _describe(ret))
        except BaseException as e:  # noqa: B902 - must never unwind into C
            pending.append(e)
            tell_library(e)
            return 1

    return on_log


def train(config=None, on_log=None, stream=None, **params):
    """Train one run to the end and return its log.

    ``richeta.train(gamma=1, N=64, act='tanh', T=1000)`` returns the
    arrays of :meth:`Trainer.log` (``step``, ``train_loss``, ``test_loss``,
    ``eta``, ``test_accuracy``) plus ``status`` (the status word "converged"
    or "diverged", as in a sweep's runs), ``final_loss`` (training-batch loss
    at the last logged step) and ``test_final_loss`` (held-out), both None
    for a diverged run or when undefined, and ``config`` (the canonical spec
    string). Keys and meanings: docs/output.md.
    """
    cfg = Config.coerce(config, params)
    with Trainer(cfg, stream=stream) as tr:
        state = tr.run(on_log=on_log)
        out = tr.log()
        out["status"] = status_word(state)
        for key, series in (("final_loss", "train_loss"), ("test_final_loss", "test_loss")):
            last = float(out[series][-1]) if len(out[series]) else float("nan")
            out[key] = None if state == RunState.DIVERGED or last != last else last
        out["config"] = cfg.to_string()
    return out
