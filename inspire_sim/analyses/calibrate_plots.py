"""Figures of a calibration: marginals, pairs, posterior predictive, identifiability (no pyplot state).

They receive the calibration's tables (the weighted posterior draws, the prior ranges, the posterior
medians, the predictive and summary tables), never the calibration itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

Priors = Mapping[str, tuple[float, float]]

MAX_PAIRS = 6  # the pair plot shows the six best-identified parameters


def _short(name: str) -> str:
    return name.removeprefix("model.").replace("_", " ")


def fig_marginals(posterior: pd.DataFrame, priors: Priors, median: Mapping[str, float]) -> Figure:
    """Weighted posterior histogram of each parameter over its prior range (prior = flat line).

    ``posterior``: one row per draw, the parameters (dotted names) and ``weight``."""
    names = list(priors)
    ncols = min(4, len(names))
    nrows = int(np.ceil(len(names) / ncols))
    fig = Figure(figsize=(3.2 * ncols, 2.4 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    w = posterior["weight"].to_numpy()
    med = median
    for ax, n in zip(axes.ravel(), names, strict=False):
        lo, hi = priors[n]
        ax.hist(posterior[n], bins=20, range=(lo, hi), weights=w, density=True, color="#4c72b0", alpha=0.8)
        ax.axhline(1.0 / (hi - lo), color="grey", ls="--", lw=1, label="prior")
        ax.axvline(med[n], color="black", lw=1.2, label="median")
        ax.set_title(_short(n), fontsize=9)
        ax.set_xlim(lo, hi)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=7, frameon=False)
    fig.suptitle("Posterior marginals (bars) against the flat prior (dashed)", fontsize=10)
    fig.tight_layout()
    return fig


def fig_pairs(posterior: pd.DataFrame, priors: Priors, summary: pd.DataFrame) -> Figure:
    """Pairwise scatter of the best-identified parameters (point size = weight)."""
    names = list(summary.sort_values("width_ratio")["parameter"].head(MAX_PAIRS))
    k = len(names)
    fig = Figure(figsize=(1.9 * k + 0.5, 1.9 * k + 0.5))
    axes = fig.subplots(k, k, squeeze=False)
    post = posterior
    size = 4 + 60 * post["weight"] / post["weight"].max()
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            if i == j:
                ax.hist(post[a], bins=15, range=priors[a], weights=post["weight"], color="#4c72b0")
                ax.set_yticks([])
            else:
                ax.scatter(post[b], post[a], s=size, alpha=0.4, color="#4c72b0", linewidths=0)
                ax.set_ylim(*priors[a])
            ax.set_xlim(*priors[b])
            ax.tick_params(labelsize=6)
            if i == k - 1:
                ax.set_xlabel(_short(b), fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(_short(a), fontsize=7)
    fig.suptitle(f"Posterior pairs of the {k} best-identified parameters", fontsize=10)
    fig.tight_layout()
    return fig


def fig_predictive(pred: pd.DataFrame) -> Figure:
    """Each target (value ± 2 sd) against the posterior predictive median and 5-95% interval."""
    d = pred.reset_index(drop=True)
    fig = Figure(figsize=(7.5, 0.42 * len(d) + 1.2))
    ax = fig.subplots()
    y = np.arange(len(d))[::-1]
    scale = d["value"].abs().where(d["value"].abs() > 0, 1.0)
    rel = lambda col: d[col] / scale  # noqa: E731  (every target on its own relative scale)
    ax.barh(y, rel("high") - rel("low"), left=rel("low"), color="#dddddd", height=0.6, label="target ± 2 sd")
    ax.plot(d["value"] / scale, y, "|", color="black", ms=12, label="target")
    ax.errorbar(
        rel("model_median"),
        y,
        xerr=[rel("model_median") - rel("model_q05"), rel("model_q95") - rel("model_median")],
        fmt="o",
        color="#c44e52",
        ms=4,
        capsize=2,
        label="model: median, 5-95%",
    )
    labels = [f"{t}{' (held out)' if h else ''}" for t, h in zip(d["target"], d["held_out"], strict=True)]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("value relative to the target (1 = on target)")
    ax.axvline(1.0, color="black", lw=0.5, ls=":")
    ax.legend(fontsize=7, loc="lower right", frameon=False)
    ax.set_title("Posterior predictive check", fontsize=10)
    fig.tight_layout()
    return fig


def fig_identifiability(summary: pd.DataFrame) -> Figure:
    """Posterior 90% width / prior 90% width per parameter: below 1 = the data inform it."""
    d = summary.sort_values("width_ratio", ascending=False)
    fig = Figure(figsize=(6.5, 0.3 * len(d) + 1.2))
    ax = fig.subplots()
    colors = ["#4c72b0" if r < 0.5 else "#999999" for r in d["width_ratio"]]
    ax.barh([_short(n) for n in d["parameter"]], d["width_ratio"], color=colors)
    ax.axvline(1.0, color="black", lw=0.8, ls="--")
    ax.set_xlabel("posterior width / prior width (90% intervals; lower = better identified)")
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title("Identifiability (blue: width halved or better)", fontsize=10)
    fig.tight_layout()
    return fig


def write_figures(
    posterior: pd.DataFrame,
    priors: Priors,
    median: Mapping[str, float],
    pred: pd.DataFrame,
    summary: pd.DataFrame,
    folder: Path,
) -> dict[str, Path]:
    """Write the four figures as PNG into ``folder``; return their paths by name."""
    folder.mkdir(parents=True, exist_ok=True)
    figs = {
        "marginals": fig_marginals(posterior, priors, median),
        "pairs": fig_pairs(posterior, priors, summary),
        "predictive": fig_predictive(pred),
        "identifiability": fig_identifiability(summary),
    }
    paths = {}
    for name, fig in figs.items():
        paths[f"fig_{name}"] = folder / f"{name}.png"
        fig.savefig(paths[f"fig_{name}"], dpi=120)
    return paths
