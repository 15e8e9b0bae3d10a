"""Figures of a run or of replications (matplotlib, no pyplot state, Agg rendering).

Each figure function takes one :class:`~inspire_sim.results.RunResult` or a list of
replications and returns a :class:`matplotlib.figure.Figure`. Lines over time show the
mean over replications with a band: the 95% Student-t interval of that mean (as in
:func:`inspire_sim.results.summarize`; no band with a single run). Distributions and
the partner-type heatmap pool the rows of all replications.
:func:`save_figures` writes them all as PNG.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..core.state import PartnerType, Stage
from ..results import RunResult, mean_ci

Results = RunResult | Sequence[RunResult]

STAGES = [s.label for s in Stage]
PARTNER_TYPES = [p.label for p in PartnerType]
RESILIENCE_GROUPS = ("low", "medium", "high")
DPI = 120


def _as_list(results: Results) -> list[RunResult]:
    return [results] if isinstance(results, RunResult) else list(results)


def _pretty(label: str) -> str:
    return label.replace("_", " ")


def _new_figure(ncols: int = 1, width: float = 8.0, height: float = 4.8) -> tuple[Figure, list]:
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def _no_data(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")


# ----------------------------------------------------------------------------------------
# Mean line + band over replications
# ----------------------------------------------------------------------------------------


def band(results: Results, value: str | Callable[[pd.DataFrame], pd.Series]) -> pd.DataFrame:
    """Mean over replications of a time-series column (or of ``value(timeseries)``) per step.

    Returns columns ``step, mean, ci_low, ci_high`` (95% t-interval of the mean).
    """
    series = [
        (r.timeseries[value] if isinstance(value, str) else value(r.timeseries)).set_axis(r.timeseries["step"])
        for r in _as_list(results)
    ]
    wide = pd.concat(series, axis=1).sort_index()
    mean, lo, hi = mean_ci(wide.to_numpy(dtype="float64"), axis=1)
    return pd.DataFrame({"step": wide.index.to_numpy(), "mean": mean, "ci_low": lo, "ci_high": hi})


def _plot_band(ax, df: pd.DataFrame, x: str = "step", **line) -> None:
    (handle,) = ax.plot(df[x], df["mean"], **line)
    if df["ci_low"].isna().all():  # a single run: no band
        return
    ax.fill_between(df[x], df["ci_low"], df["ci_high"], color=handle.get_color(), alpha=0.2, linewidth=0)


def _caption(results: list[RunResult]) -> str:
    n = len(results)
    return f"mean of {n} replications, band: 95% CI" if n > 1 else "one run"


# ----------------------------------------------------------------------------------------
# The figures
# ----------------------------------------------------------------------------------------


def stage_shares(results: Results) -> Figure:
    """Share of SMEs in each OI-journey stage over time."""
    results = _as_list(results)
    fig, (ax,) = _new_figure()
    for stage in STAGES:
        _plot_band(ax, band(results, f"share_{stage}"), label=_pretty(stage))
    ax.set(
        xlabel="month",
        ylabel="share of SMEs",
        ylim=(0, None),
        title=f"SMEs by stage of the OI journey ({_caption(results)})",
    )
    fig.legend(loc="outside right upper")
    return fig


def partner_type_shares(results: Results) -> pd.DataFrame:
    """Share of each partner type among the partnerships of each lead-SME stage (pooled)."""
    rows = pd.concat([r.partnerships[["partner_type", "lead_stage"]] for r in _as_list(results)])
    counts = pd.crosstab(rows["partner_type"], rows["lead_stage"]).reindex(
        index=PARTNER_TYPES, columns=STAGES, fill_value=0
    )
    return counts / counts.sum(axis=0).replace(0, np.nan)


def _partner_heatmap(ax, results: list[RunResult]) -> tuple[Any, int]:
    """Draw the partner type x stage shares of ``results`` on ``ax``; return (image, projects)."""
    shares = partner_type_shares(results)
    n = sum(len(r.partnerships) for r in results)
    per_stage = pd.concat([r.partnerships["lead_stage"] for r in results]).value_counts()
    image = ax.imshow(shares.to_numpy(dtype="float64"), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for (i, j), v in np.ndenumerate(shares.to_numpy(dtype="float64")):
        if not np.isnan(v):
            ax.text(j, i, f"{v:.0%}", ha="center", va="center", color="white" if v < 0.6 else "black")
    ax.set_xticks(range(len(STAGES)), [f"{_pretty(s)}\nn={per_stage.get(s, 0)}" for s in STAGES])
    ax.set_yticks(range(len(PARTNER_TYPES)), [_pretty(p) for p in PARTNER_TYPES])
    if n == 0:
        _no_data(ax, "no partnerships")
    return image, n


def partner_type_by_stage(results: Results) -> Figure:
    """Heatmap: which partner types SMEs work with at each stage (P2)."""
    results = _as_list(results)
    fig, (ax,) = _new_figure(width=7.5, height=4.5)
    image, n = _partner_heatmap(ax, results)
    ax.set(
        xlabel="stage of the lead SME",
        ylabel="partner type",
        title=f"Partner type by stage: share of each stage's partnerships ({n} projects)",
    )
    fig.colorbar(image, ax=ax, label="share of the stage's partnerships")
    return fig


def partner_type_by_stage_panels(groups: dict[str, Results], ncols: int = 3) -> Figure:
    """One faceted figure: the partner type x stage heatmap of each group (e.g. each scenario).

    Panels share the colour scale and the axes; each panel's title names its group and its number
    of projects (all replications pooled).
    """
    import math

    n = len(groups)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(4.6 * ncols + 1.0, 3.4 * nrows + 0.6), layout="constrained")
    axes = list(fig.subplots(nrows, ncols, squeeze=False, sharey=True).ravel())
    image = None
    for k, (ax, (label, results)) in enumerate(zip(axes, groups.items(), strict=False)):
        image, count = _partner_heatmap(ax, _as_list(results))
        ax.set_title(f"{label} ({count} projects)", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        if k % ncols:
            ax.tick_params(labelleft=False)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle("Partner type by stage of the lead SME: share of each stage's partnerships", fontsize=10)
    if image is not None:
        fig.colorbar(image, ax=axes[:n], label="share of the stage's partnerships", shrink=0.8)
    return fig


def domestic_vs_cross_border(results: Results) -> Figure:
    """New domestic and cross-border partnerships per month, and the cross-border share (P3)."""
    results = _as_list(results)
    fig, (ax, ax2) = _new_figure(ncols=2, width=11.0)
    _plot_band(ax, band(results, lambda ts: ts["new_partnerships"] - ts["new_cross_border"]), label="domestic")
    _plot_band(ax, band(results, "new_cross_border"), label="cross-border")
    ax.set(xlabel="month", ylabel="new partnerships per month", ylim=(0, None), title="New OI partnerships")
    ax.legend(loc="best")
    _plot_band(ax2, band(results, "cross_border_share"), color="C1")
    ax2.set(xlabel="month", ylabel="share", ylim=(0, 1), title="Cooperating SMEs with a foreign partner (12 months)")
    fig.suptitle(f"Domestic vs cross-border partnering ({_caption(results)})")
    return fig


def _thin(n: int, body: int = 2000, tail: int = 500) -> np.ndarray:
    """Indices of a sorted sample worth drawing: ``body`` spread evenly, the top ``tail`` all."""
    return np.unique(np.concatenate([np.linspace(0, n - 1, min(n, body)).astype(int), np.arange(max(n - tail, 0), n)]))


def business_results_distribution(results: Results) -> Figure:
    """Distribution of SMEs' innovation turnover (business results in EUR a year) at the end, log scales (P4)."""
    results = _as_list(results)
    col = "innovation_turnover" if "innovation_turnover" in results[0].smes else "business_results"
    values = pd.concat([r.smes[col] for r in results]).to_numpy(dtype="float64")
    unit = "EUR a year" if col == "innovation_turnover" else "result units"
    positive = np.sort(values[values > 0])
    fig, (ax, ax2) = _new_figure(ncols=2, width=11.0)
    zero = 1 - positive.size / max(values.size, 1)
    if positive.size:
        bins = np.logspace(np.log10(positive[0]), np.log10(positive[-1]) + 1e-9, 30)
        ax.hist(positive, bins=bins, color="C0")
        ccdf = 1.0 - np.arange(positive.size) / positive.size
        keep = _thin(positive.size)
        ax2.loglog(positive[keep], ccdf[keep], ".", markersize=3)
    else:
        _no_data(ax, "no SME has innovation turnover")
        _no_data(ax2, "no SME has innovation turnover")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(
        xlabel=f"innovation turnover ({unit})",
        ylabel="SMEs",
        title=f"Innovation turnover > 0 ({zero:.0%} of SMEs have none)",
    )
    ax2.set(
        xlabel=f"innovation turnover ({unit})",
        ylabel="share of SMEs (with turnover > 0) at or above x",
        title="Tail: complementary cumulative distribution",
    )
    fig.suptitle(f"Distribution of innovation turnover at the end ({len(results)} run(s) pooled)")
    return fig


def _resilience_groups(traits: pd.DataFrame) -> pd.Series:
    """sme_id -> resilience tercile label (empty without a ``resilience`` column)."""
    if "resilience" not in traits or len(traits) < len(RESILIENCE_GROUPS):
        return pd.Series(dtype="object")
    ranks = traits["resilience"].rank(method="first")
    groups = pd.qcut(ranks, len(RESILIENCE_GROUPS), labels=list(RESILIENCE_GROUPS)).astype("object")
    return pd.Series(groups.to_numpy(), index=traits["sme_id"].to_numpy())


def failure_trajectories(result: RunResult, before: int = 6, after: int = 18) -> pd.DataFrame:
    """Mean confidence of panel SMEs ``before``..``after`` months around each failure.

    Returns columns ``group``, ``offset`` (months from the failure), ``confidence`` and
    ``events``. Groups: "all", and the resilience terciles ("low", "medium", "high") --
    of the panel SMEs when the panel has a ``resilience`` column, else of the final
    SME population joined on ``sme_id`` (SMEs that exited then count in "all" only).
    """
    panel = result.panel
    events = panel.loc[panel["failed_this_step"].astype(bool), ["sme_id", "step"]].rename(columns={"step": "t0"})
    window = events.merge(pd.DataFrame({"offset": np.arange(-before, after + 1)}), how="cross")
    window["step"] = window["t0"] + window["offset"]
    window = window.merge(panel[["sme_id", "step", "confidence"]], on=["sme_id", "step"])
    traits = panel.drop_duplicates("sme_id") if "resilience" in panel else result.smes
    tercile = window["sme_id"].map(_resilience_groups(traits))
    both = pd.concat([window.assign(group="all"), window.assign(group=tercile).dropna(subset=["group"])])
    out = both.groupby(["group", "offset"])["confidence"].agg(confidence="mean", events="size")
    return out.reset_index()


def confidence_around_failures(results: Results, before: int = 6, after: int = 18) -> Figure:
    """Confidence trajectories around a failed project, by resilience tercile (P5)."""
    results = _as_list(results)
    traj = pd.concat([failure_trajectories(r, before, after).assign(rep=k) for k, r in enumerate(results)])
    fig, (ax,) = _new_figure()
    styles = {
        "all": {"color": "black", "linestyle": "--"},
        "low": {"color": "C3"},
        "medium": {"color": "C1"},
        "high": {"color": "C2"},
    }
    for group, style in styles.items():
        sub = traj[traj["group"] == group]
        if sub.empty:
            continue
        wide = sub.pivot(index="offset", columns="rep", values="confidence").reindex(range(-before, after + 1))
        mean, lo, hi = mean_ci(wide.to_numpy(dtype="float64"), axis=1)
        label = "all failures" if group == "all" else f"{group} resilience"
        df = pd.DataFrame({"offset": wide.index, "mean": mean, "ci_low": lo, "ci_high": hi})
        _plot_band(ax, df, x="offset", label=label, **style)
    if traj.empty:
        _no_data(ax, "no failure among the panel SMEs")
    else:
        ax.legend(loc="best")
    ax.axvline(0, color="0.5", linewidth=0.8)
    ax.set(
        xlabel="months from the failure",
        ylabel="mean confidence",
        xlim=(-before, after),
        title=f"Confidence around failed projects ({_caption(results)})",
    )
    return fig


FIGURES: dict[str, Callable[[Results], Figure]] = {
    "stage_shares": stage_shares,
    "partner_type_by_stage": partner_type_by_stage,
    "domestic_vs_cross_border": domestic_vs_cross_border,
    "business_results": business_results_distribution,
    "confidence_around_failures": confidence_around_failures,
}
"""File stem -> figure function; :func:`save_figures` writes ``<stem>.png``."""


def save_figures(results: Results, directory: str | Path, dpi: int = DPI) -> list[Path]:
    """Write every figure of :data:`FIGURES` as PNG into ``directory``; return the paths."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, make in FIGURES.items():
        path = out / f"{stem}.png"
        make(results).savefig(path, dpi=dpi)
        paths.append(path)
    return paths
