"""Torch loss curves into the library's time-warp tools (CurveSet, align)."""

import math

from ..timewarp import align


def _floats(values, what):
    """Plain floats from a list of numbers / 0-d tensors or a 1-d tensor or array."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().reshape(-1).tolist()
    elif hasattr(values, "tolist"):
        values = values.tolist()
    out = []
    for v in values:
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            raise TypeError("%s: %r is not a number" % (what, v)) from None
    return out


def loss_curve(losses, steps=None, eta=None, eval_losses=None):
    """A run dict (as :func:`richeta.train` returns) from a torch loss curve.

    ``losses[i]`` is the loss at ``steps[i]`` (default ``i``: the loss
    computed in loop iteration i, before its update, is the loss after i
    steps). Numbers, 0-d tensors and 1-d tensors are accepted. ``eta`` (one
    number, or one per point) is the rate without the width multiplier
    (:meth:`GammaLR.eta`); it fills the ``eta`` entry that :func:`richeta.align`
    reads at step 0. The result works with :func:`richeta.align`,
    :meth:`richeta.CurveSet.add_run` and :func:`richeta.plots.loss_curves`.
    """
    loss = _floats(losses, "losses")
    t = [float(i) for i in range(len(loss))] if steps is None else _floats(steps, "steps")
    if len(t) != len(loss):
        raise ValueError("steps and losses differ in length (%d, %d)" % (len(t), len(loss)))
    run = {"step": t, "train_loss": loss}
    if eval_losses is not None:
        ev = _floats(eval_losses, "eval_losses")
        if len(ev) != len(loss):
            raise ValueError("eval_losses and losses differ in length (%d, %d)" % (len(ev), len(loss)))
        run["test_loss"] = ev
    else:
        run["test_loss"] = [math.nan] * len(loss)
    run["steps"], run["eval_loss"] = run["step"], run["test_loss"]  # deprecated names
    if eta is not None:
        e = _floats(eta, "eta") if hasattr(eta, "__len__") else [float(eta)] * len(loss)
        if len(e) != len(loss):
            raise ValueError("eta and losses differ in length (%d, %d)" % (len(e), len(loss)))
        run["eta"] = e
    return run


def add_loss_curve(curveset, losses, gamma, eta, steps=None, depth=0, label=None):
    """Add a torch loss curve to a :class:`richeta.CurveSet`; return its index.

    Step 0 and non-finite or non-positive losses are left out (log time and
    log loss). ``eta`` is the rate without the width multiplier.
    """
    run = loss_curve(losses, steps)
    pts = [(s, v) for s, v in zip(run["step"], run["train_loss"])
           if s > 0 and math.isfinite(v) and v > 0]
    if not pts:
        raise ValueError("no positive step with a finite, positive loss")
    return curveset.add([p[0] for p in pts], [p[1] for p in pts], gamma=gamma, eta=eta,
                        depth=depth, label=label if label is not None else "gamma=%g" % gamma)


def align_losses(curves, gammas, etas, depth=0, steps=None, key="train_loss", **options):
    """:func:`richeta.align` on torch loss curves, one per gamma.

    ``curves``: loss curves (lists or tensors) or :func:`loss_curve` dicts;
    ``etas``: each curve's rate without the width multiplier (the theory
    mapping tau = eta t / gamma). Returns align's dict (close its
    ``curveset`` when done).
    """
    runs = [c if isinstance(c, dict) else loss_curve(c, steps) for c in curves]
    if len(runs) != len(gammas) or len(runs) != len(etas):
        raise ValueError("%d curves, %d gammas and %d etas" % (len(runs), len(gammas), len(etas)))
    return align(runs, [float(g) for g in gammas], [float(e) for e in etas], key=key,
                 depth=depth, **options)
