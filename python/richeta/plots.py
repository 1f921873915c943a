"""Plots with matplotlib (imported lazily, Agg backend unless pyplot is
already in use): gamma-eta heatmaps with eta*, loss curves, collapsed curves.

Every function returns the matplotlib Figure and saves it when ``path`` is
given.
"""

import math
import sys


def _pyplot():
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError("richeta.plots needs matplotlib") from e
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _finish(fig, path):
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def _edges(values):
    """Cell edges (geometric midpoints) for log-spaced centres."""
    v = sorted(values)
    if len(v) == 1:
        return [v[0] / math.sqrt(10), v[0] * math.sqrt(10)]
    mids = [math.sqrt(a * b) for a, b in zip(v, v[1:])]
    return [v[0] ** 2 / mids[0]] + mids + [v[-1] ** 2 / mids[-1]]


def heatmap(result, depth=None, path=None, title=None, key="eta_opt"):
    """Final loss over the (gamma, eta0) grid of a sweep.

    ``result`` is the dict returned by :func:`richeta.sweep` (or a dict with
    "runs" and optionally "eta_star"). Diverged cells are grey; eta_max and
    eta_opt per gamma are drawn, with the guide lines eta ∝ gamma^2 and
    gamma^(2/L) through the measured eta* at the gamma closest to 1.
    """
    import numpy as np

    plt = _pyplot()
    runs = result["runs"]
    g = [float(v) for v in runs["gamma"]]
    e = [float(v) for v in runs["eta0"]]
    st = [str(v) for v in runs["status"]]
    fl = [float(v) for v in runs["final_loss"]]
    gs, es = sorted(set(g)), sorted(set(e))
    acc = {}
    for gi, ei, si, li in zip(g, e, st, fl):
        a = acc.setdefault((gi, ei), [])
        a.append(li if si == "converged" and math.isfinite(li) and li > 0 else float("nan"))
    z = np.full((len(es), len(gs)), np.nan)
    diverged = np.full((len(es), len(gs)), np.nan)
    for (gi, ei), vals in acc.items():
        if any(math.isnan(v) for v in vals):
            diverged[es.index(ei), gs.index(gi)] = 1.0
        else:
            z[es.index(ei), gs.index(gi)] = math.log10(sum(vals) / len(vals))
    from matplotlib.colors import ListedColormap

    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    xe, ye = _edges(gs), _edges(es)
    mesh = ax.pcolormesh(xe, ye, np.ma.masked_invalid(z), cmap="viridis", shading="flat")
    ax.pcolormesh(xe, ye, np.ma.masked_invalid(diverged), cmap=ListedColormap(["0.6"]),
                  shading="flat")
    fig.colorbar(mesh, ax=ax, label="log10 final loss (grey: diverged, blank: not run)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("gamma")
    ax.set_ylabel("eta0")
    es_res = result.get("eta_star")
    if es_res is not None:
        eg = [float(v) for v in es_res["gamma"]]
        for k, style in (("eta_max", "m^--"), ("eta_opt", "r*-")):
            ev = [float(v) for v in es_res[k]]
            pts = [(a, b) for a, b in zip(eg, ev) if math.isfinite(b)]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=k)
        pts = [(a, b) for a, b in zip(eg, [float(v) for v in es_res[key]]) if math.isfinite(b)]
        if pts and depth:
            g0, e0 = min(pts, key=lambda p: abs(math.log(p[0])))
            lo = [x for x in gs if x <= 1.0] or [gs[0]]
            hi = [x for x in gs if x >= 1.0] or [gs[-1]]
            ax.plot(lo, [e0 * (x / g0) ** 2 for x in lo], "k:", label="∝ gamma^2")
            ax.plot(hi, [e0 * (x / g0) ** (2.0 / depth) for x in hi], "k-.",
                    label="∝ gamma^(2/%d)" % depth)
        ax.set_ylim(_edges(es)[0], _edges(es)[-1])
        ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title or "final loss over gamma x eta0")
    return _finish(fig, path)


def loss_curves(runs, labels=None, key="train_loss", path=None, title=None, ax=None):
    """Loss against step (log-log) for one or several :func:`richeta.train` results."""
    plt = _pyplot()
    if isinstance(runs, dict):
        runs = [runs]
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.8))
    else:
        fig = ax.figure
    for i, run in enumerate(runs):
        steps = run["step"] if "step" in run else run["steps"]
        pts = [(float(s), float(v)) for s, v in zip(steps, run[key])
               if s > 0 and math.isfinite(float(v)) and float(v) > 0]
        lab = labels[i] if labels else None
        ax.plot([p[0] for p in pts], [p[1] for p in pts], label=lab)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel(key.replace("_", " "))
    if labels:
        ax.legend(fontsize=8)
    ax.set_title(title or "loss curves")
    return _finish(fig, path)


def collapsed_curves(curveset, which="theory", path=None, title=None):
    """Panels of the curves of a :class:`richeta.CurveSet`: against raw
    steps, then against tau = c_i t under each mapping in ``which`` (a name
    or a list of names: "theory", "power", "empirical"), with the collapse
    quality Q of each."""
    plt = _pyplot()
    mappings = [which] if isinstance(which, str) else list(which)
    if "empirical" in mappings:
        try:
            curveset.time_factor(0, "empirical")
        except Exception:  # not aligned yet
            curveset.align_empirical(0)
    panels = ["raw"] + [m for m in mappings if m != "raw"]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.5), sharey=True,
                             squeeze=False)
    axes = axes[0]
    for panel, mapping in zip(axes, panels):
        for i in range(len(curveset)):
            steps, loss = curveset.data(i)
            c = curveset.time_factor(i, mapping)
            info = curveset.info(i)
            pts = [(c * float(s), float(v)) for s, v in zip(steps, loss) if s > 0]
            panel.plot([p[0] for p in pts], [p[1] for p in pts],
                       label=info["label"] or "gamma=%g" % info["gamma"])
        panel.set_xscale("log")
        panel.set_yscale("log")
        if mapping == "raw":
            panel.set_xlabel("step t")
        else:
            try:
                q = curveset.collapse_quality(mapping)
                panel.set_title("Q(%s) = %.3g" % (mapping, q), fontsize=9)
            except Exception:  # fewer than two curves, no overlap...
                pass
            panel.set_xlabel("tau = c_i t (%s)" % mapping)
    axes[0].set_ylabel("loss")
    axes[-1].legend(fontsize=7)
    fig.suptitle(title or "loss curves before and after time reparameterization")
    return _finish(fig, path)
