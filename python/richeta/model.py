"""Model, optimizer and scheduler handles."""

import ctypes
import numbers

from . import _arrays
from ._arrays import In, Out
from ._errors import check_global
from ._handle import Handle
from ._lib import lib
from .config import Config, param_key
from .enums import DType, Param


def _byref(v):
    return ctypes.byref(v)


class Model(Handle):
    """A gamma-parameterized MLP (``richeta_model``).

    ``Model(config=None, **params)``: weights drawn from the seed, theta0
    captured. Arrays: x is (batch, D), y and outputs (batch, C), row-major;
    float64 NumPy arrays (float32 ones use the single-precision twins).
    """

    _kind = "model"

    def __init__(self, config=None, **params):
        super().__init__()
        cfg = Config.coerce(config, params)
        self._adopt(self._construct("richeta_model_new", cfg._h))

    # --- hyperparameters ---
    def get_int(self, name):
        """Integer configuration value of the model (``Param`` or name)."""
        v = ctypes.c_int64()
        self._call("get_int", param_key(name), _byref(v))
        return v.value

    def get_double(self, name):
        """Floating-point configuration value of the model (``Param`` or name)."""
        v = ctypes.c_double()
        self._call("get_double", param_key(name), _byref(v))
        return v.value

    input_dim = property(lambda self: self.get_int(Param.INPUT_DIM), doc='Input dimension D.')
    width = property(lambda self: self.get_int(Param.WIDTH), doc='Hidden width N.')
    output_dim = property(lambda self: self.get_int(Param.OUTPUT_DIM), doc='Outputs C.')
    depth = property(lambda self: self.get_int(Param.DEPTH), doc='Number of weight matrices L.')
    gamma = property(lambda self: self.get_double(Param.GAMMA), doc='Feature-learning strength gamma.')
    dtype = property(lambda self: DType(self.get_int(Param.DTYPE)), doc="The model's :class:`DType` (never AUTO).")

    @property
    def num_params(self):
        """Number of trainable parameters."""
        v = ctypes.c_int64()
        self._call("num_params", _byref(v))
        return v.value

    @property
    def num_layers(self):
        """Number of parametrized layers (L for the MLP, 4 for the CNN, 41 for the ResNet-18)."""
        v = ctypes.c_int64()
        self._call("num_layers", _byref(v))
        return v.value

    def layer_shape(self, layer):
        """(rows, cols, bias_len) of layer ``layer``."""
        r, c, b = ctypes.c_int64(), ctypes.c_int64(), ctypes.c_int64()
        self._call("layer_shape", int(layer), _byref(r), _byref(c), _byref(b))
        return r.value, c.value, b.value

    # --- parameters ---
    def get_layer(self, layer):
        """(W of shape (rows, cols), b of length bias_len or None)."""
        rows, cols, blen = self.layer_shape(layer)
        w = Out((rows, cols))
        b = Out((blen,)) if blen else None
        self._call("get_layer", int(layer), w.ptr, w.size, b.ptr if b else None, blen if b else 0)
        return w.result(), (b.result() if b else None)

    def set_layer(self, layer, weights, bias=None):
        """Overwrite layer ``layer`` (theta0 unchanged; see recenter())."""
        rows, cols, blen = self.layer_shape(layer)
        w = In(weights, "f8", "weights")
        if w.size != rows * cols:
            raise ValueError("weights: %d values given, layer %d is %dx%d" % (w.size, layer, rows, cols))
        bptr, bn = None, 0
        if bias is not None:
            b = In(bias, "f8", "bias")
            if b.size != blen:
                raise ValueError("bias: %d values given, layer %d has %d" % (b.size, layer, blen))
            bptr, bn = b.ptr, b.size
        self._call("set_layer", int(layer), w.ptr, w.size, bptr, bn)

    def get_params(self, out=None):
        """Flat parameter vector (W_0, b_0, W_1, b_1, ...)."""
        o = Out((self.num_params,), out=out)
        self._call("get_params", o.ptr, o.size)
        return o.result()

    def get_initial_params(self, out=None):
        """Flat frozen initial parameters theta0."""
        o = Out((self.num_params,), out=out)
        self._call("get_initial_params", o.ptr, o.size)
        return o.result()

    def set_params(self, params):
        """Overwrite every parameter from a flat array (theta0 unchanged)."""
        p = In(params, "f8", "params")
        n = self.num_params
        if p.size != n:
            raise ValueError("params: %d values given, the model has %d" % (p.size, n))
        self._call("set_params", p.ptr, p.size)

    params = property(get_params, set_params)
    initial_params = property(get_initial_params)

    @property
    def num_running_stats(self):
        """Length of batch normalization's running statistics (0 without it)."""
        v = ctypes.c_int64()
        self._call("num_running_stats", _byref(v))
        return v.value

    def get_running_stats(self, initial=False, out=None):
        """Running statistics of theta (or of theta0 with ``initial``): per
        batch-normalization layer, its running means then its running variances."""
        o = Out((self.num_running_stats,), out=out)
        self._call("get_running_stats", 1 if initial else 0, o.ptr, o.size)
        return o.result()

    def set_running_stats(self, stats, initial=False):
        """Overwrite the running statistics of theta (or of theta0 with ``initial``)."""
        p = In(stats, "f8", "stats")
        n = self.num_running_stats
        if p.size != n:
            raise ValueError("stats: %d values given, the model has %d" % (p.size, n))
        self._call("set_running_stats", 1 if initial else 0, p.ptr, p.size)

    def recenter(self):
        """Capture the current parameters as theta0."""
        self._call("recenter")

    # --- evaluation ---
    def _batch(self, x, y=None, kind=None):
        # The model's precision picks the kernel: a float64 model computes in
        # float64 whatever the arrays (float32 ones are widened, exactly); a
        # float32 model takes float32 arrays without a copy.
        if kind is None and self.dtype == DType.F64:
            kind = "f8"
            x, y = _widened(x), _widened(y)
        kind = kind or _arrays.kind_of(x)
        D, C = self.input_dim, self.output_dim
        xi = In(x, kind, "x")
        if xi.size % D:
            raise ValueError("x: %d values is not a whole number of samples of D=%d" % (xi.size, D))
        if len(xi.shape) == 2 and xi.shape[1] != D:
            raise ValueError("x: shape %s, expected (batch, %d)" % (xi.shape, D))
        batch = xi.size // D
        yi = None
        if y is not None:
            yi = In(y, kind, "y")
            if yi.size != batch * C:
                raise ValueError("y: %d values given, %d needed (batch %d x C=%d)" % (yi.size, batch * C, batch, C))
        return kind, xi, yi, batch

    def forward(self, x, out=None):
        """Model output (batch, C), centered when centering is on."""
        kind, xi, _, batch = self._batch(x)
        o = Out((batch, self.output_dim), kind, out=out)
        self._call("forward_" + _suffix(kind), xi.ptr, batch, o.ptr)
        return o.result()

    __call__ = forward

    def loss_grad(self, x, y, grad=True, out=None):
        """(mean loss, flat gradient or None)."""
        kind, xi, yi, batch = self._batch(x, y)
        loss = ctypes.c_double()
        if grad:
            g = Out((self.num_params,), kind, out=out)
            self._call("loss_grad_" + _suffix(kind), xi.ptr, yi.ptr, batch, _byref(loss), g.ptr, g.size)
            return loss.value, g.result()
        self._call("loss_grad_" + _suffix(kind), xi.ptr, yi.ptr, batch, _byref(loss), None, 0)
        return loss.value, None

    def loss_grad_labels(self, x, labels, grad=True, out=None):
        """(mean cross-entropy, flat gradient or None) for class indices:
        ``labels`` is one int per sample in [0, C) (a list or an integer
        array), the same bits as :meth:`loss_grad` with their one-hot rows.
        Needs loss=ce."""
        kind, xi, _, batch = self._batch(x)
        lab = _int32_labels(labels, batch)
        loss = ctypes.c_double()
        fn = "loss_grad_labels_" + _suffix(kind)
        if grad:
            g = Out((self.num_params,), kind, out=out)
            self._call(fn, xi.ptr, lab, batch, _byref(loss), g.ptr, g.size)
            return loss.value, g.result()
        self._call(fn, xi.ptr, lab, batch, _byref(loss), None, 0)
        return loss.value, None

    def loss(self, x, y):
        """Mean loss of the batch (x, y)."""
        return self.loss_grad(x, y, grad=False)[0]

    def evaluate(self, x, y):
        """(mean loss, accuracy); accuracy is NaN when C = 1."""
        kind, xi, yi, batch = self._batch(x, y)
        loss, acc = ctypes.c_double(), ctypes.c_double()
        self._call("evaluate_" + _suffix(kind), xi.ptr, yi.ptr, batch, _byref(loss), _byref(acc))
        return loss.value, acc.value


def _widened(a):
    """A float32 NumPy array as float64 (exact); anything else as given."""
    if _arrays.is_ndarray(a) and a.dtype == _arrays.np.float32:
        return _arrays.np.ascontiguousarray(a, dtype=_arrays.np.float64)
    return a


def _int32_labels(labels, batch):
    """Class indices as a C int32 array of ``batch`` entries (a copy: labels
    are one small int per sample); integers only, no silent rounding."""
    if _arrays.is_ndarray(labels):
        if labels.dtype.kind not in "iu":
            raise TypeError("labels: dtype %s given where integers are required" % labels.dtype)
        flat = labels.ravel().tolist()
    else:
        flat, _ = _arrays._flatten(labels, "labels")
        for v in flat:
            if not isinstance(v, numbers.Integral):
                raise TypeError("labels: element %r is not an integer" % (v,))
    if len(flat) != batch:
        raise ValueError("labels: %d given for a batch of %d samples" % (len(flat), batch))
    for i, v in enumerate(flat):
        if not -(2**31) <= v < 2**31:
            raise ValueError("labels: label of sample %d is %d, outside the classes" % (i, v))
    return (ctypes.c_int32 * batch)(*flat)


def _suffix(kind):
    return "f32" if kind == "f4" else "f64"


class Optim(Handle):
    """SGD bound to one model (``richeta_optim``); keeps the model alive."""

    _kind = "optim"

    def __init__(self, model, config=None, **params):
        super().__init__()
        if not isinstance(model, Model):
            raise TypeError("model must be a richeta.Model")
        cfg = Config.coerce(config, params)
        self._adopt(self._construct("richeta_optim_new", model._h, cfg._h))
        self.model = model
        self._depend_on(model)

    @property
    def eta(self):
        """The optimizer's current learning rate (settable)."""
        v = ctypes.c_double()
        self._call("get_eta", _byref(v))
        return v.value

    @eta.setter
    def eta(self, value):
        self._call("set_eta", float(value))

    @property
    def width_multiplier(self):
        """The optimizer's per-layer rate multiplier of the parameterization."""
        v = ctypes.c_double()
        self._call("width_multiplier", _byref(v))
        return v.value

    @property
    def steps(self):
        """Optimizer steps taken since creation or reset()."""
        v = ctypes.c_int64()
        self._call("steps", _byref(v))
        return v.value

    def reset(self):
        """Clear the momentum buffer and the step count."""
        self._call("reset")

    def step(self, x, y):
        """One SGD step; returns the batch loss before the update."""
        kind, xi, yi, batch = self.model._batch(x, y)
        loss = ctypes.c_double()
        self._call("step_" + _suffix(kind), xi.ptr, yi.ptr, batch, _byref(loss))
        return loss.value


class Sched(Handle):
    """Learning rate eta(t) = eta0 g(gamma) s(t) (``richeta_sched``).

    ``eta`` and ``time_factor`` take a step or an array of steps (a NumPy
    array gives an array of the same shape, a list a list). A Sched pickles
    as its configuration."""

    _kind = "sched"

    def __init__(self, config=None, **params):
        super().__init__()
        cfg = Config.coerce(config, params)
        self._spec = cfg.to_string()
        self._adopt(self._construct("richeta_sched_new", cfg._h))

    def __reduce__(self):
        self._h  # a closed Sched has nothing left to pickle: ValueError
        return (Sched, (self._spec,))

    def _per_step(self, suffix, step):
        def one(t):
            v = ctypes.c_double()
            self._call(suffix, _step(t), _byref(v))
            return v.value

        if _arrays.is_ndarray(step):
            flat = [one(t) for t in step.reshape(-1).tolist()]
            return _arrays.np.array(flat, dtype="float64").reshape(step.shape)
        if isinstance(step, (list, tuple)):
            return [one(t) for t in step]
        return one(step)

    def eta(self, step):
        """Learning rate at ``step`` (an int, or an array or list of them)."""
        return self._per_step("eta", step)

    @property
    def gamma_factor(self):
        """g(gamma), the gamma rule's factor."""
        v = ctypes.c_double()
        self._call("gamma_factor", _byref(v))
        return v.value

    def time_factor(self, step):
        """s(t), warm-up and schedule factor at ``step`` (or an array of steps)."""
        return self._per_step("time_factor", step)

    def apply(self, optim, step):
        """Set ``optim``'s rate to eta(step)."""
        self._call("apply", optim._h, _step(step))


def _step(t):
    """A step number: an integer (integral floats too) >= 0, else ValueError
    or TypeError; never silently truncated."""
    if isinstance(t, float):
        if not t.is_integer():
            raise ValueError("step must be a whole number, got %r" % t)
        t = int(t)
    try:
        t = int(t.__index__())
    except (AttributeError, TypeError):
        raise TypeError("step must be an integer, got %r" % (t,)) from None
    if t < 0:
        raise ValueError("step must be >= 0, got %d" % t)
    return t


def gamma_rule_theory(gamma, depth):
    """g(gamma) = gamma^2 (gamma <= 1), gamma^(2/L) (gamma >= 1)."""
    v = ctypes.c_double()
    check_global(lib.richeta_gamma_rule_theory(float(gamma), int(depth), _byref(v)),
                 "richeta_gamma_rule_theory")
    return v.value
