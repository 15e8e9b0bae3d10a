"""Figures of a sweep (matplotlib, Agg backend): Sobol' bars with confidence
intervals, Morris mu*-sigma plots, and response plots of each output."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .sweep import SweepResult


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def sobol_bars(indices: pd.DataFrame, output: str, path: Path) -> Path:
    """S1 and ST per factor with their confidence intervals."""
    plt = _plt()
    d = indices[(indices["output"] == output) & (indices["index"].isin(["S1", "ST"]))]
    factors = list(dict.fromkeys(d["factor"]))
    x = np.arange(len(factors))
    fig, ax = plt.subplots(figsize=(max(5.0, 0.9 * len(factors) + 2), 4))
    for k, (idx, colour) in enumerate((("S1", "tab:blue"), ("ST", "tab:orange"))):
        s = d[d["index"] == idx].set_index("factor").reindex(factors)
        ax.bar(x + (k - 0.5) * 0.38, s["value"], 0.38, yerr=s["conf"], capsize=3, label=idx, color=colour)
    ax.set_xticks(x, factors, rotation=30, ha="right")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("Sobol' index")
    ax.set_title(f"Sobol' indices of {output} (bars: 95% CI)" if len(output) < 40 else output)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def morris_plot(indices: pd.DataFrame, output: str, path: Path) -> Path:
    """mu* against sigma, one labelled point per factor (horizontal bars: mu* CI)."""
    plt = _plt()
    d = indices[indices["output"] == output]
    w = d.pivot_table(index="factor", columns="index", values="value", sort=False)
    conf = d[d["index"] == "mu_star"].set_index("factor")["conf"].reindex(w.index)
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.errorbar(w["mu_star"], w["sigma"], xerr=conf, fmt="o", capsize=3)
    for f, row in w.iterrows():
        ax.annotate(str(f), (row["mu_star"], row["sigma"]), textcoords="offset points", xytext=(4, 4), fontsize=8)
    top = float(np.nanmax(np.r_[w["mu_star"].to_numpy(), w["sigma"].to_numpy(), 0.0]))
    ax.plot([0, top], [0, top], ls="--", lw=0.7, color="grey", label="sigma = mu*")
    ax.set_xlabel("mu* (mean absolute elementary effect over the full range)")
    ax.set_ylabel("sigma (non-linearity / interactions)")
    ax.set_title(f"Morris screening of {output}")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def response_plot(result: SweepResult, output: str, path: Path) -> Path:
    """Grid: output vs the first factor, one line per value of the second (mean and CI
    over replications, averaged over further factors). Other designs: output against
    each factor (one panel per factor, point means)."""
    plt = _plt()
    spec = result.spec
    s = result.summary[result.summary["output"] == output]
    factors = spec.factor_names
    if spec.design.kind == "grid":
        x = factors[0]
        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        groups = [(None, s)] if len(factors) == 1 else list(s.groupby(factors[1], sort=True))
        for label, g in groups:
            g = g.groupby(x, sort=True)[["mean", "ci_low", "ci_high"]].mean().reset_index()
            xs = g[x].to_numpy()
            line = ax.plot(xs, g["mean"], marker="o", label=None if label is None else f"{factors[1]} = {label}")
            ax.fill_between(
                xs.astype(float) if xs.dtype != object else np.arange(len(xs)),
                g["ci_low"],
                g["ci_high"],
                alpha=0.2,
                color=line[0].get_color(),
            )
        ax.set_xlabel(x)
        ax.set_ylabel(output)
        if len(factors) > 1:
            ax.legend(fontsize=8)
        extra = f" (averaged over {', '.join(factors[2:])})" if len(factors) > 2 else ""
        ax.set_title(f"{output}: mean and 95% CI over {spec.replications} replications{extra}", fontsize=9)
    else:
        n = len(factors)
        cols = min(n, 4)
        rows = int(np.ceil(n / cols))
        fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.8 * rows), squeeze=False, sharey=True)
        for ax, f in zip(axes.flat, factors, strict=False):
            ax.scatter(s[f], s["mean"], s=6, alpha=0.5)
            ax.set_xlabel(f, fontsize=8)
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        axes[0, 0].set_ylabel(output)
        fig.suptitle(f"{output} against each factor ({spec.design.kind} design)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def make_figures(result: SweepResult) -> list[Path]:
    """Every figure of a sweep, written to ``OUT/figures``; returns the paths."""
    folder = result.out / "figures"
    folder.mkdir(exist_ok=True)
    paths = []
    for out in result.spec.output_names:
        if result.summary[result.summary["output"] == out]["mean"].notna().any():
            paths.append(response_plot(result, out, folder / f"response_{_slug(out)}.png"))
        idx = result.indices
        if idx is not None and not idx.empty and (idx["output"] == out).any():
            if result.spec.design.kind == "sobol":
                paths.append(sobol_bars(idx, out, folder / f"sobol_{_slug(out)}.png"))
            else:
                paths.append(morris_plot(idx, out, folder / f"morris_{_slug(out)}.png"))
    return paths
