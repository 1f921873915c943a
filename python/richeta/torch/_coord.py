"""Coordinate check across widths: the size of every layer's activations
over the first training steps (as ``mup``'s ``get_coord_data``).

In a parameterization that scales correctly (mean-field / muP with the width
multiplier on the rate), the curves of every layer are flat in the width;
in SP with a width-independent rate the output and the late layers grow
with the width after the first step.
"""

import math

import torch

from ._blocks import Centered


def _watched(model, modules):
    if modules is not None:
        named = dict(model.named_modules())
        missing = [m for m in modules if m not in named]
        if missing:
            raise ValueError("no module named %s in the model" % ", ".join(map(repr, missing)))
        return [(m, named[m]) for m in modules]
    live = model.module if isinstance(model, Centered) else model
    prefix = "module." if isinstance(model, Centered) else ""
    out = []
    for name, m in live.named_modules():
        if name and not any(True for _ in m.children()):  # leaves of the live network
            out.append((prefix + name, m))
    return out


def coord_check(make_model, widths, batches, loss_fn, make_optimizer, steps=4, modules=None):
    """Mean absolute activation of each layer at each of the first ``steps`` steps, per width.

    For every width: ``model = make_model(width)``, ``opt =
    make_optimizer(model, width)`` (an optimizer, or an (optimizer,
    scheduler) pair whose scheduler steps after the optimizer); then at step
    t the batch ``batches(t)`` (a callable, or ``batches[t]``) = (x, y) is
    run forward with hooks on ``modules`` (default: every leaf module of the
    live network, skipping a :class:`Centered` model's frozen copy) and on
    the model output, ``loss_fn(model(x), y)`` is back-propagated and the
    optimizer steps. Use the same batches for every width.

    Returns a list of records ``{"width", "t", "module", "l1"}`` with ``l1``
    the mean absolute value of the module's output (module "output": the
    model's output) before the update of step t.
    """
    records = []
    for width in widths:
        model = make_model(width)
        made = make_optimizer(model, width)
        opt, sched = made if isinstance(made, tuple) else (made, None)
        watched = _watched(model, modules)
        current = {}

        def hook(name):
            def record(_module, _inputs, output):
                if isinstance(output, torch.Tensor):
                    current[name] = float(output.detach().abs().mean())
            return record

        handles = [m.register_forward_hook(hook(name)) for name, m in watched]
        try:
            for t in range(steps):
                x, y = batches(t) if callable(batches) else batches[t]
                current.clear()
                opt.zero_grad()
                out = model(x)
                current["output"] = float(out.detach().abs().mean())
                loss = loss_fn(out, y)
                loss.backward()
                opt.step()
                if sched is not None:
                    sched.step()
                for name, _ in watched + [("output", None)]:
                    records.append({"width": int(width), "t": t, "module": name,
                                    "l1": current.get(name, math.nan)})
        finally:
            for h in handles:
                h.remove()
    return records


def coord_growth(records, module="output", t=None):
    """Slope of log(l1) against log(width) for one module at step ``t``
    (default: the last step): about 0 when the coordinates do not depend on
    the width, 1 when they grow like the width."""
    from ..sweep import fit_powerlaw

    t = max(r["t"] for r in records) if t is None else t
    pts = [(r["width"], r["l1"]) for r in records
           if r["module"] == module and r["t"] == t and r["l1"] > 0 and math.isfinite(r["l1"])]
    if len({w for w, _ in pts}) < 2:
        raise ValueError("module %r at t=%d: fewer than two widths with a positive size" % (module, t))
    return fit_powerlaw([float(w) for w, _ in pts], [v for _, v in pts])[0]


def plot_coord_check(records, path=None, title=None):
    """One panel per step: mean absolute activation against width (log-log), one line per module."""
    from ..plots import _finish, _pyplot

    plt = _pyplot()
    ts = sorted({r["t"] for r in records})
    names = []
    for r in records:
        if r["module"] not in names:
            names.append(r["module"])
    fig, axes = plt.subplots(1, len(ts), figsize=(3.2 * len(ts), 3.4), sharey=True, squeeze=False)
    for ax, t in zip(axes[0], ts):
        for name in names:
            pts = sorted((r["width"], r["l1"]) for r in records
                         if r["t"] == t and r["module"] == name and r["l1"] > 0)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=3, label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("width")
        ax.set_title("t = %d" % t)
    axes[0][0].set_ylabel("mean |activation|")
    axes[0][-1].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return _finish(fig, path)

