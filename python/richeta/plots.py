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


# The heatmap's map, the same as richeta plot's (tools/cmd_plot.c): viridis
# is perceptually uniform and sequential, unlike a rainbow.
HEATMAP_CMAP = "viridis"
# richeta plot's greys: a seed diverged or failed; a seed stalled (only).
_DIVERGED_GREY, _STALLED_GREY = "#b4b4b4", "#e6e6e6"


def _cell_loss(runs, i):
    """Run i's plotted loss: held-out when stored (``test_final_loss``, as
    :meth:`richeta.Store.runs` gives it), else the training-batch loss; NaN
    when neither is a positive number."""
    for key in ("test_final_loss", "final_loss"):
        col = runs.get(key)
        v = None if col is None else col[i]
        if v is not None and math.isfinite(float(v)) and float(v) > 0:
            return float(v)
    return float("nan")


def heatmap(result, depth=None, path=None, title=None, key="eta_opt"):
    """Final loss over the (gamma, eta0) grid of a sweep, as ``richeta plot``
    draws it: log10 of the seed-mean loss of the converged cells (held-out
    when available) in viridis; cells where a seed diverged or failed in
    grey, stalled ones in light grey.

    ``result`` is the dict returned by :func:`richeta.sweep` (or a dict with
    "runs" and optionally "eta_star", e.g. ``{"runs": Store(db).runs(h)}``).
    eta_max and eta_opt per gamma are drawn, with the guide lines eta ∝
    gamma^2 and gamma^(2/L) through the measured eta* (``key``) at the
    gamma closest to 1; a guide is in the legend only when it is drawn.
    """
    import numpy as np

    plt = _pyplot()
    runs = result["runs"]
    g = [float(v) for v in runs["gamma"]]
    e = [float(v) for v in runs["eta0"]]
    st = [str(v) for v in runs["status"]]
    gs, es = sorted(set(g)), sorted(set(e))
    acc = {}
    for i, (gi, ei, si) in enumerate(zip(g, e, st)):
        acc.setdefault((gi, ei), []).append((si, _cell_loss(runs, i)))
    z = np.full((len(es), len(gs)), np.nan)
    masked = np.full((len(es), len(gs)), np.nan)  # 0: stalled only, 1: diverged or failed
    for (gi, ei), cell in acc.items():
        r, c = es.index(ei), gs.index(gi)
        if any(si in ("diverged", "failed") for si, _ in cell):
            masked[r, c] = 1.0
        elif all(si == "converged" and math.isfinite(li) for si, li in cell):
            z[r, c] = math.log10(sum(li for _, li in cell) / len(cell))
        else:
            masked[r, c] = 0.0
    from matplotlib.colors import ListedColormap

    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    xe, ye = _edges(gs), _edges(es)
    mesh = ax.pcolormesh(xe, ye, np.ma.masked_invalid(z), cmap=HEATMAP_CMAP, shading="flat")
    ax.pcolormesh(xe, ye, np.ma.masked_invalid(masked),
                  cmap=ListedColormap([_STALLED_GREY, _DIVERGED_GREY]), vmin=0, vmax=1,
                  shading="flat")
    fig.colorbar(mesh, ax=ax, label="log10 final loss, held-out when available\n"
                 "(grey: diverged, light grey: stalled, blank: not run)")
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
            lo = [x for x in gs if x <= 1.0]
            hi = [x for x in gs if x >= 1.0]
            # a guide over fewer than two gammas would be an invisible line
            # with a legend entry
            if len(lo) > 1:
                ax.plot(lo, [e0 * (x / g0) ** 2 for x in lo], "k:", label="∝ gamma^2")
            if len(hi) > 1:
                ax.plot(hi, [e0 * (x / g0) ** (2.0 / depth) for x in hi], "k-.",
                        label="∝ gamma^(2/%d)" % depth)
        ax.set_ylim(_edges(es)[0], _edges(es)[-1])
        ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title or "final loss over gamma x eta0")
    return _finish(fig, path)


def _log_per_decade(run):
    """log_per_decade of a :func:`richeta.train` result's configuration
    string; None when it does not say."""
    for item in str(run.get("config", "")).split(","):
        k, _, v = item.partition("=")
        if k.strip() == "log_per_decade":
            try:
                return float(v)
            except ValueError:
                return None
    return None


def _without_near_duplicate_end(pts, per_decade):
    """The trainer logs T on top of its log-spaced schedule, and T's
    training loss is on the batch it has just trained on: a scheduled step
    just below T (398 of 400) draws a near-vertical last segment. Drop T's
    point when it is less than half a log spacing after the previous one,
    as ``richeta plot`` does (the stored curve keeps both)."""
    if len(pts) > 1 and per_decade and per_decade > 0 and \
            math.log10(pts[-1][0] / pts[-2][0]) < 0.5 / per_decade:
        return pts[:-1]
    return pts


def loss_curves(runs, labels=None, key="train_loss", path=None, title=None, ax=None):
    """Loss against step (log-log) for one or several :func:`richeta.train`
    results (a final point within half a log spacing of the one before it
    is left out, as in ``richeta plot``)."""
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
        pts = _without_near_duplicate_end(pts, _log_per_decade(run))
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
