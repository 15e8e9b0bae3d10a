"""Figures of a validation: targets against the model, replication convergence (no pyplot state).

They receive the validation's tables (``ValidationResult.targets`` and ``.convergence``), never the
validation itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def fig_targets(targets: pd.DataFrame) -> Figure:
    """Each target (value ± 2 sd, grey) and the model's mean with its 5-95% range (red), on a relative scale."""
    d = targets.reset_index(drop=True)
    fig = Figure(figsize=(7.5, 0.42 * len(d) + 1.3))
    ax = fig.subplots()
    y = np.arange(len(d))[::-1]
    scale = d["value"].abs().where(d["value"].abs() > 0, 1.0)
    lo, hi = (d["low"] / scale).clip(lower=0), d["high"] / scale
    ax.barh(y, hi - lo, left=lo, color="#dddddd", height=0.6, label="target ± 2 sd")
    ax.plot(np.ones(len(d)), y, "|", color="black", ms=12, label="target")
    m, q05, q95 = d["model_mean"] / scale, d["model_q05"] / scale, d["model_q95"] / scale
    ax.errorbar(m, y, xerr=[(m - q05).clip(lower=0), (q95 - m).clip(lower=0)], fmt="o", color="#c44e52", ms=4,
                capsize=2, label="model: mean, 5-95% of runs")  # fmt: skip
    ax.set_yticks(y, [f"{t}{' (held out)' if h else ''}" for t, h in zip(d["target"], d["held_out"], strict=True)],
                  fontsize=8)  # fmt: skip
    ax.set_xlabel("value relative to the target (1 = on target)")
    ax.legend(fontsize=7, loc="lower right", frameon=False)
    ax.set_title("Survey targets against the model", fontsize=10)
    fig.tight_layout()
    return fig


def fig_convergence(convergence: pd.DataFrame) -> Figure:
    """Running mean ± 95% CI half-width of key shares as replications accumulate."""
    groups = list(convergence.groupby("indicator"))
    fig = Figure(figsize=(3.4 * max(len(groups), 1), 2.8))
    axes = np.atleast_1d(fig.subplots(1, max(len(groups), 1)))
    for ax, (name, g) in zip(axes, groups, strict=False):
        ax.plot(g["replications"], g["mean"], color="#4c72b0")
        ax.fill_between(g["replications"], g["mean"] - g["ci_half_width"], g["mean"] + g["ci_half_width"],
                        color="#4c72b0", alpha=0.2)  # fmt: skip
        ax.set_title(str(name).replace("_", " "), fontsize=9)
        ax.set_xlabel("replications", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle("Replication convergence: running mean and 95% interval", fontsize=10)
    fig.tight_layout()
    return fig


def write_figures(targets: pd.DataFrame, convergence: pd.DataFrame, folder: Path) -> list[Path]:
    """Write the figures as PNG into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, fig in (("targets", fig_targets(targets)), ("convergence", fig_convergence(convergence))):
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=120)
        out.append(path)
    return out
