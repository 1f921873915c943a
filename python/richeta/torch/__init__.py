"""richeta.torch: the library's gamma lessons for a user's own PyTorch models.

Imported only on request (``import richeta.torch``); nothing else in the
package needs torch.

* :class:`GammaLR`: a ``torch.optim.lr_scheduler`` scheduler with the gamma
  rule and the library's time schedules, relative per-group rates, an
  explicit width multiplier, and a plain-number ``state_dict``.
* :class:`TauClock` and ``GammaLR.tau``: tau = sum eta_t / gamma.
* :func:`loss_curve`, :func:`add_loss_curve`, :func:`align_losses`: torch loss
  curves into :class:`richeta.CurveSet` / :func:`richeta.align`.
* Building blocks of the paper's parameterization: :class:`Dense`,
  :class:`Readout` (divided by gamma and its fan-in), :class:`Conv2d`,
  :class:`Activation`, :class:`Centered` (f(theta) - f(theta0)),
  :func:`layer_scaling` (the per-layer multipliers of mf / ntk / sp),
  :func:`mlp` (the library's MLP) and :func:`from_model`.
* :func:`coord_check`, :func:`coord_growth`, :func:`plot_coord_check`:
  activation sizes across widths over the first steps.

Example::

    import torch, richeta.torch as rt
    net = rt.mlp(16, 256, 1, depth=3, act="relu", param="mf", gamma=10.0)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)        # lr = eta0
    sched = rt.GammaLR(opt, gamma=10.0, depth=3, width_mult=rt.width_multiplier("mf", 256))
    # loop: loss.backward(); opt.step(); sched.step(); log (sched.tau, loss)
"""

try:
    import torch as _torch  # noqa: F401
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("richeta.torch needs PyTorch (import torch failed: %s)" % e) from e

from ._sched import SCHEDULE_KEYS, GammaLR, TauClock, width_multiplier
from ._curves import add_loss_curve, align_losses, loss_curve
from ._blocks import (ACTIVATIONS, Activation, Centered, Conv2d, Dense, Readout, flat_grad,
                      flat_params, from_model, layer_scaling, load_flat, mlp)
from ._coord import coord_check, coord_growth, plot_coord_check

__all__ = [
    "GammaLR", "TauClock", "width_multiplier", "SCHEDULE_KEYS",
    "loss_curve", "add_loss_curve", "align_losses",
    "layer_scaling", "Dense", "Readout", "Conv2d", "Activation", "ACTIVATIONS", "Centered", "mlp",
    "from_model", "load_flat", "flat_params", "flat_grad",
    "coord_check", "coord_growth", "plot_coord_check",
]
