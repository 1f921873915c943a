"""Shared set-up of the Python tests.

With RICHETA_NO_NUMPY=1 NumPy is made unimportable (sys.modules entry set to
None) before richeta is imported, so the core tests prove the binding works
without it. The package is found through PYTHONPATH (the meson test sets it)
or, failing that, the source tree next to this file.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("RICHETA_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))

if os.environ.get("RICHETA_NO_NUMPY"):
    sys.modules["numpy"] = None  # any "import numpy" now raises ImportError

try:
    import richeta  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.join(SOURCE_DIR, "python"))
    import richeta  # noqa: F401

NO_NUMPY = bool(os.environ.get("RICHETA_NO_NUMPY"))


def optional_torch():
    """(torch, "") or (None, skip reason). When the build found torch
    (RICHETA_REQUIRE_TORCH=1, set by meson), a failing import is an error,
    not a skip."""
    if NO_NUMPY:
        return None, "running without NumPy"
    try:
        import numpy  # noqa: F401 - the torch tests compare NumPy arrays
        import torch
    except ImportError as e:
        if os.environ.get("RICHETA_REQUIRE_TORCH"):
            raise
        return None, "torch/numpy not importable (%s)" % e
    return torch, ""


def tolist(a):
    """Nested lists from an ndarray or a list."""
    return a.tolist() if hasattr(a, "tolist") else a


def flat(a):
    a = tolist(a)
    out = []
    for v in a:
        if isinstance(v, list):
            out.extend(flat(v))
        else:
            out.append(v)
    return out


# --- cross-checks of the library's model against a torch twin (float64) ---
# Shared by test_torch_crosscheck (a hand-written torch MLP) and
# test_torch_blocks (the richeta.torch building blocks). NumPy and torch are
# imported inside, so this module still loads without them.


def rel(a, b):
    """max |a - b| / max |b| (b the reference)."""
    import numpy as np

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = max(float(np.max(np.abs(b))), 1e-300)
    return float(np.max(np.abs(a - b))) / scale


def random_batch(rng, B, D, C, loss):
    """A batch (x, y) from a NumPy Generator: Gaussian inputs (B, D); Gaussian
    targets for mse, one-hot random classes otherwise (x drawn first)."""
    import numpy as np

    x = rng.standard_normal((B, D))
    if loss == "mse":
        y = rng.standard_normal((B, C))
    else:
        y = np.eye(C)[rng.integers(0, C, B)]
    return x, y


def torch_loss(kind, f, y):
    """The library's losses in torch: MSE = mean over batch and outputs of
    (f - y)^2 (no 1/2); "ce" = mean over the batch of -sum_c y_c log softmax(f)_c."""
    import torch

    if kind == "mse":
        return torch.mean((f - y) ** 2)
    return torch.mean(-torch.sum(y * torch.log_softmax(f, dim=1), dim=1))


def spec_width_mult(param, depth, D, N):
    """The optimizer's width multiplier as the spec states it (not read from the library)."""
    if param == "mf":
        return float(D if depth == 1 else N)
    return 1.0


def crosscheck_torch(tc, make_twin, param, depth, act, gamma=1.7, bias=1, loss="mse", steps=10,
                     eta0=0.05, D=7, N=16, C=3, B=5, tol=1e-10, **extra):
    """Drive a libricheta model and its torch twin on the same batches, in float64.

    ``make_twin(model, width_mult)`` returns an object with ``params()``
    (tensors in the library's flat order), ``forward(x)``, ``loss_grad(x, y)``
    -> (float, flat ndarray) and ``step(x, y, t)`` -> loss before the update.
    The library side runs ``Optim.step`` after ``Sched.apply(opt, t)``
    (``extra`` may hold schedule, momentum or weight-decay keys). The weights
    are moved off theta0 first so the centered output is not 0. Checks the
    output, loss and gradient, then ``steps`` SGD steps (losses and final
    parameters) to ``tol`` relative; returns the largest deviation seen.
    """
    import numpy as np
    import torch

    cfg = richeta.Config(D=D, N=N, C=C, L=depth, B=B, param=param, act=act, gamma=gamma, bias=bias,
                         loss=loss, dtype="f64", center="frozen", seed=depth * 13 + len(act),
                         eta0=eta0, **extra)
    rng = np.random.default_rng(1000 + depth)
    label = "%s L=%d %s" % (param, depth, act)
    with richeta.Model(cfg) as model, richeta.Optim(model, cfg) as opt, richeta.Sched(cfg) as sched:
        width_mult = spec_width_mult(param, depth, D, N)
        tc.assertEqual(opt.width_multiplier, width_mult)
        twin = make_twin(model, width_mult)

        def twin_flat():
            return torch.cat([p.detach().reshape(-1) for p in twin.params()]).numpy()

        np.testing.assert_array_equal(model.get_params(), twin_flat())
        moved = model.get_params() + 0.3 * rng.standard_normal(model.num_params)
        model.set_params(moved)
        with torch.no_grad():
            off = 0
            for p in twin.params():
                n = p.numel()
                p.copy_(torch.tensor(moved[off:off + n]).reshape(p.shape))
                off += n

        def batch():
            return random_batch(rng, B, D, C, loss)

        devs = []
        x, y = batch()
        devs.append(rel(model.forward(x), twin.forward(torch.tensor(x)).detach().numpy()))
        loss_lib, grad_lib = model.loss_grad(x, y)
        loss_t, grad_t = twin.loss_grad(torch.tensor(x), torch.tensor(y))
        devs.append(rel([loss_lib], [loss_t]))
        devs.append(rel(grad_lib, grad_t))
        tc.assertLess(max(devs), tol, "%s: output/loss/grad deviation %.3g" % (label, max(devs)))
        for t in range(steps):
            x, y = batch()
            sched.apply(opt, t)
            l_lib = opt.step(x, y)
            l_t = twin.step(torch.tensor(x), torch.tensor(y), t)
            devs.append(rel([l_lib], [l_t]))
        devs.append(rel(model.get_params(), twin_flat()))
        tc.assertGreater(rel(model.get_params(), moved), 1e-6, "%s: the run did not move" % label)
        dev = max(devs)
        tc.assertLess(dev, tol, "%s: deviation after %d SGD steps %.3g" % (label, steps, dev))
        return dev
