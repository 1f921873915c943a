"""Diagnostics of a model on a probe batch (``richeta_diag_*``): curvature,
kernels, alignment, weight movement, coordinate checks, the lazy limit."""

import ctypes

from ._arrays import In, Out
from ._errors import check_global
from ._lib import lib
from .model import Model


def _xy(model, x, y=None):
    kind, xi, yi, batch = model._batch(x, y, kind="f8")
    return xi, yi, batch


def _call(model, name, *args):
    guard = model._guard  # the model is in use, as in its own calls
    guard.enter("richeta_diag_" + name)
    try:
        st = getattr(lib, "richeta_diag_" + name)(model._h, *args)
        model._check(st, "richeta_diag_" + name)
    finally:
        guard.exit()


def hvp(model, x, y, v):
    """Hessian-vector product H v of the mean loss (flat parameter order).

    Raises UnsupportedError for a model with batch normalization (batch
    statistics have no R-operator; gn_top and ntk remain available)."""
    xi, yi, batch = _xy(model, x, y)
    vi = In(v, "f8", "v")
    n = model.num_params
    if vi.size != n:
        raise ValueError("v: %d values, the model has %d parameters" % (vi.size, n))
    o = Out((n,))
    _call(model, "hvp", xi.ptr, yi.ptr, batch, vi.ptr, o.ptr, n)
    return o.result()


def hessian_top(model, x, y, k=1, iters=20, seed=0):
    """k largest Hessian eigenvalues (Lanczos), descending (UnsupportedError
    with batch normalization, as hvp)."""
    xi, yi, batch = _xy(model, x, y)
    o = Out((int(k),))
    _call(model, "hessian_top", xi.ptr, yi.ptr, batch, int(k), int(iters), int(seed), o.ptr)
    return o.result()


def hessian_trace(model, x, y, probes=10, seed=0):
    """(Hutchinson trace estimate, standard error) (UnsupportedError with
    batch normalization, as hvp)."""
    xi, yi, batch = _xy(model, x, y)
    t, se = ctypes.c_double(), ctypes.c_double()
    _call(model, "hessian_trace", xi.ptr, yi.ptr, batch, int(probes), int(seed), ctypes.byref(t),
          ctypes.byref(se))
    return t.value, se.value


def gn_top(model, x, y, iters=30, seed=0):
    """Largest eigenvalue of the Gauss-Newton matrix (power iteration)."""
    xi, yi, batch = _xy(model, x, y)
    v = ctypes.c_double()
    _call(model, "gn_top", xi.ptr, yi.ptr, batch, int(iters), int(seed), ctypes.byref(v))
    return v.value


def ntk(model, x, initial=False):
    """Empirical NTK, (batch C) x (batch C)."""
    xi, _, batch = _xy(model, x)
    m = batch * model.output_dim
    o = Out((m, m))
    _call(model, "ntk", xi.ptr, batch, 1 if initial else 0, o.ptr, o.size)
    return o.result()


def feature_kernel(model, x, layer):
    """phi(h) phi(h)^T / width after hidden layer ``layer`` (-1: the input)."""
    xi, _, batch = _xy(model, x)
    o = Out((batch, batch))
    _call(model, "feature_kernel", xi.ptr, batch, int(layer), o.ptr, o.size)
    return o.result()


def _square(k, name):
    ki = In(k, "f8", name)
    n = int(round(ki.size ** 0.5))
    if n * n != ki.size:
        raise ValueError("%s: %d values is not a square matrix" % (name, ki.size))
    return ki, n


def eigenvalues(matrix):
    """Eigenvalues of a symmetric matrix, descending."""
    mi, n = _square(matrix, "matrix")
    o = Out((n,))
    check_global(lib.richeta_diag_eigenvalues(n, mi.ptr, o.ptr), "richeta_diag_eigenvalues")
    return o.result()


def kernel_alignment(kernel, y):
    """``<K, Y Y^T>_F / (|K|_F |Y Y^T|_F)``; y is (samples, outputs)."""
    ki, n = _square(kernel, "kernel")
    yi = In(y, "f8", "y")
    if len(yi.shape) == 2:
        samples, outputs = yi.shape
    else:
        samples, outputs = yi.size, 1
    v = ctypes.c_double()
    check_global(lib.richeta_diag_kernel_alignment(n, ki.ptr, yi.ptr, samples, outputs,
                                                   ctypes.byref(v)), "richeta_diag_kernel_alignment")
    return v.value


def cka(k1, k2):
    """Centered kernel alignment of two n x n kernels."""
    a, n = _square(k1, "k1")
    b, m = _square(k2, "k2")
    if n != m:
        raise ValueError("k1 and k2 differ in size")
    v = ctypes.c_double()
    check_global(lib.richeta_diag_cka(n, a.ptr, b.ptr, ctypes.byref(v)), "richeta_diag_cka")
    return v.value


def weight_movement(model):
    """``|W_l - W0_l|_F / |W0_l|_F`` per layer."""
    L = model.depth
    o = Out((L,))
    _call(model, "weight_movement", o.ptr, L)
    return o.result()


def preactivation_size(model, x):
    """Mean ``|h_l|`` per layer (coordinate check)."""
    xi, _, batch = _xy(model, x)
    L = model.depth
    o = Out((L,))
    _call(model, "preactivation_size", xi.ptr, batch, o.ptr, L)
    return o.result()


def kernel_regression(model, x_train, y_train, x_test, ridge=0.0):
    """Lazy-limit prediction with the initial NTK, (n_test, C)."""
    if not isinstance(model, Model):
        raise TypeError("model must be a richeta.Model")
    xi, yi, n_train = _xy(model, x_train, y_train)
    ti, _, n_test = _xy(model, x_test)
    o = Out((n_test, model.output_dim))
    _call(model, "kernel_regression", xi.ptr, yi.ptr, n_train, ti.ptr, n_test, float(ridge), o.ptr)
    return o.result()
