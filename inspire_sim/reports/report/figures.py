"""Figures of the comparison report (matplotlib ``Figure`` objects, no pyplot state)."""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ...results import RunResult, mean_ci
from ..compare import OUTCOMES, Comparison
from ..compare.budget import levers_of
from ..compare.tables import LEVEL_COUNTRY

DPI = 110
BASE_COLOR = "black"
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
LEVER_COLORS = {
    "support_funding": "#4c72b0",
    "cross_border_brokering": "#dd8452",
    "matchmaking": "#55a868",
    "oi_toolbox": "#c44e52",
    "failure_recovery": "#8172b3",
}


# ----------------------------------------------------------------------------------------
# Series over time
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    name: str
    title: str
    unit: str
    of: Callable[[pd.DataFrame], pd.Series]


def _real(ts: pd.DataFrame, name: str) -> pd.Series:
    """A count in real-population units (``metrics.real_name``; the simulated count if a run lacks it)."""
    from ...core.metrics import real_name

    real = real_name(name)
    return ts[real if real in ts.columns else name]


SERIES = (
    Series("cooperating_share", "Cooperating SMEs (12 months)", "share", lambda ts: ts["cooperating_share"]),
    Series("cross_border_share", "... of which with a foreign partner", "share", lambda ts: ts["cross_border_share"]),
    Series("project_success_rate", "Project success rate (12 months)", "share", lambda ts: ts["project_success_rate"]),
    Series("mean_confidence", "Confidence in collaboration", "0-1", lambda ts: ts["mean_confidence"]),
    Series(
        "successes_so_far", "Successful OI projects so far", "real projects", lambda ts: _real(ts, "successes").cumsum()
    ),
    Series(
        "cross_border_so_far",
        "Cross-border partnerships so far",
        "real projects",
        lambda ts: _real(ts, "new_cross_border").cumsum(),
    ),
    Series(
        "scaling_up_reached",
        "SMEs that reached scaling-up so far",
        "real SMEs",
        lambda ts: _real(ts, "scaling_up_reached"),
    ),
    Series("spend_so_far", "Public spending so far", "EUR million", lambda ts: ts["spend_total"].cumsum() / 1e6),
)


def _matrix(runs: list[RunResult], series: Series) -> tuple[np.ndarray, np.ndarray]:
    steps = runs[0].timeseries["step"].to_numpy()
    return steps, np.stack([series.of(r.timeseries).to_numpy(dtype="float64") for r in runs])


def _colors(comp: Comparison) -> dict[str, str]:
    return {comp.baseline: BASE_COLOR} | {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(comp.labels)}


def _band(ax, x, m, color, label, ls="-", clip: tuple[float, float] | None = None) -> None:
    mean, lo, hi = mean_ci(m, axis=0)
    if clip is not None:
        lo, hi = np.clip(lo, *clip), np.clip(hi, *clip)
    ax.plot(x, mean, color=color, label=label, linestyle=ls, linewidth=1.4)
    if not np.isnan(lo).all():
        ax.fill_between(x, lo, hi, color=color, alpha=0.18, linewidth=0)


def _grid(n: int, ncols: int = 4, w: float = 3.3, h: float = 2.7) -> tuple[Figure, list]:
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(w * ncols, h * nrows + 0.6), layout="constrained")
    axes = list(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _scale(unit: str) -> tuple[float, str]:
    return (100.0, "%") if unit == "share" else (1.0, unit)


# ----------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------


def fig_timeseries(comp: Comparison) -> Figure:
    """Each scenario's mean over replications with its 95% band, per indicator."""
    colors = _colors(comp)
    fig, axes = _grid(len(SERIES))
    for ax, s in zip(axes, SERIES, strict=True):
        k, unit = _scale(s.unit)
        for label in comp.all_labels:
            x, m = _matrix(comp.results[label], s)
            clip = (0.0, 100.0) if s.unit == "share" else (0.0, np.inf)
            _band(ax, x, k * m, colors[label], label, "--" if label == comp.baseline else "-", clip)
        ax.set_title(s.title, fontsize=9)
        ax.set_xlabel("month", fontsize=8)
        ax.set_ylabel(unit, fontsize=8)
        ax.tick_params(labelsize=7)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 5), fontsize=8)
    fig.suptitle(f"Indicators over time: mean of {comp.meta['replications']} replications, band = 95% CI", fontsize=10)
    return fig


def fig_effects_over_time(comp: Comparison) -> Figure:
    """Paired difference scenario - baseline over time, with its 95% band."""
    colors = _colors(comp)
    fig, axes = _grid(len(SERIES))
    for ax, s in zip(axes, SERIES, strict=True):
        k, unit = _scale(s.unit)
        unit = "pp" if s.unit == "share" else unit
        x, mb = _matrix(comp.results[comp.baseline], s)
        for label in comp.labels:
            _, ms = _matrix(comp.results[label], s)
            _band(ax, x, k * (ms - mb), colors[label], label)
        ax.axhline(0, color="0.4", linewidth=0.8)
        ax.set_title(s.title, fontsize=9)
        ax.set_xlabel("month", fontsize=8)
        ax.set_ylabel(f"difference ({unit})", fontsize=8)
        ax.tick_params(labelsize=7)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(max(len(labels), 1), 5), fontsize=8)
    fig.suptitle(
        f"Effect of each plan over time: paired difference from '{comp.baseline}' (same seeds), band = 95% CI",
        fontsize=10,
    )
    return fig


COUNTRY_PANELS = (
    ("cooperating_share", "Cooperating SMEs", "pp"),
    ("cross_border_share", "... with a foreign partner", "pp"),
    ("successes", "Successful projects per month", "projects/month"),
    ("scaling_up_reached", "SMEs that reached scaling-up", "SMEs"),
)


def fig_country_effects(comp: Comparison) -> Figure:
    """Per-country paired effects with 95% CIs (one marker per plan)."""
    colors = _colors(comp)
    countries = comp.meta["countries"]
    fig = Figure(figsize=(13, 0.38 * len(countries) + 1.8), layout="constrained")
    axes = fig.subplots(1, len(COUNTRY_PANELS), sharey=True)
    n = max(len(comp.labels), 1)
    y0 = np.arange(len(countries))[::-1]
    for ax, (name, title, unit) in zip(axes, COUNTRY_PANELS, strict=True):
        k = 100.0 if unit == "pp" else 1.0
        for i, label in enumerate(comp.labels):
            sub = comp.countries[(comp.countries["scenario"] == label) & (comp.countries["indicator"] == name)]
            sub = sub.set_index("country").reindex(countries)
            y = y0 + (i - (n - 1) / 2) * (0.7 / n)
            eff = k * sub["effect"].to_numpy(dtype="float64")
            err = np.vstack(
                [eff - k * sub["ci_low"].to_numpy(dtype="float64"), k * sub["ci_high"].to_numpy(dtype="float64") - eff]
            )
            ax.errorbar(
                eff, y, xerr=err, fmt="o", color=colors[label], markersize=4, capsize=2, linewidth=1, label=label
            )
        ax.axvline(0, color="0.4", linewidth=0.8)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(f"effect ({unit})", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].set_yticks(y0, countries)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(n, 5), fontsize=8)
    fig.suptitle("Effects by country: paired difference from the baseline with 95% CI", fontsize=10)
    return fig


def fig_cost_effectiveness(comp: Comparison) -> Figure:
    """EUR per additional unit of each outcome, with bootstrap 95% CIs."""
    colors = _colors(comp)
    fig = Figure(figsize=(13, 0.45 * len(comp.labels) + 1.9), layout="constrained")
    axes = fig.subplots(1, len(OUTCOMES))
    ce = comp.cost_effectiveness
    y = np.arange(len(comp.labels))[::-1]
    for ax, o in zip(axes, OUTCOMES.values(), strict=True):
        sub = ce[ce["outcome"] == o.name].set_index("scenario").reindex(comp.labels)
        finite = sub["eur_per_unit_ci_high"].replace(np.inf, np.nan)
        top = np.nanmax(np.r_[sub["eur_per_unit"].to_numpy(dtype="float64"), finite.to_numpy(dtype="float64"), 1.0])
        xmax = 1.15 * top / 1e3
        for yi, label in zip(y, comp.labels, strict=True):
            row = sub.loc[label]
            if row["status"] in ("no gain", "saves money"):
                ax.text(0.02 * xmax, yi, row["status"], va="center", fontsize=8, color="0.3")
                continue
            v = row["eur_per_unit"] / 1e3
            lo = row["eur_per_unit_ci_low"] / 1e3
            hi = row["eur_per_unit_ci_high"] / 1e3
            ax.barh(yi, v, color=colors[label], alpha=0.75, height=0.6)
            if np.isfinite(hi):
                ax.plot([lo, hi], [yi, yi], color="black", linewidth=1.2)
            else:
                ax.annotate(
                    "",
                    xy=(xmax, yi),
                    xytext=(lo, yi),
                    arrowprops={"arrowstyle": "->", "color": "black", "linewidth": 1.2},
                )
        ax.set_xlim(0, xmax)
        ax.set_yticks(y, comp.labels, fontsize=8)
        ax.set_title(f"EUR per additional {o.unit}", fontsize=9)
        ax.set_xlabel("EUR thousand", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[1:]:
        ax.set_yticklabels([])
    fig.suptitle(
        "Cost-effectiveness: extra spending / extra outcomes over the run (line: 95% bootstrap CI; "
        "arrow: no upper bound)",
        fontsize=10,
    )
    return fig


def _lever_color(kind: str, levers: list[str]) -> str:
    """The lever's colour: fixed for the shipped levers, from the palette for user levers."""
    return LEVER_COLORS.get(kind) or PALETTE[levers.index(kind) % len(PALETTE)]


def _monthly_spend(runs: list[RunResult], levers: list[str]) -> pd.DataFrame:
    """step x lever mean monthly spending over replications (real EUR), from each run's own
    ``spend_<lever>`` columns (a lever a run lacks spent nothing)."""
    steps = runs[0].timeseries["step"].to_numpy()
    cols = [f"spend_{k}" for k in levers]
    tabs = [
        r.timeseries.set_index("step").reindex(columns=cols).fillna(0.0).reindex(steps, fill_value=0.0) for r in runs
    ]
    mean = sum(t.to_numpy(dtype="float64") for t in tabs) / len(tabs)
    return pd.DataFrame(mean, index=steps, columns=levers)


def fig_spend_over_time(comp: Comparison) -> Figure:
    """Monthly spending by lever (mean over replications), one panel per scenario."""
    labels = comp.all_labels
    fig, axes = _grid(len(labels), ncols=min(3, len(labels)), w=4.3, h=2.9)
    levers = levers_of(r for k in labels for r in comp.results[k])
    data = {k: _monthly_spend(comp.results[k], levers) for k in labels}
    ymax = max(float(d.sum(axis=1).max()) for d in data.values()) / 1e6
    for ax, label in zip(axes, labels, strict=True):
        d = data[label]
        ax.stackplot(
            d.index,
            *(d[c].to_numpy() / 1e6 for c in d.columns),
            labels=[c.replace("_", " ") for c in d.columns],
            colors=[_lever_color(c, levers) for c in d.columns],
            alpha=0.85,
        )
        ax.set_ylim(0, max(ymax * 1.05, 0.1))
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("month", fontsize=8)
        ax.set_ylabel("EUR million / month", fontsize=8)
        ax.tick_params(labelsize=7)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=5, fontsize=8)
    fig.suptitle("Spending over time by lever (mean over replications)", fontsize=10)
    return fig


def fig_spend_by_country(comp: Comparison) -> Figure:
    """Total spending over the run by country, one bar per scenario."""
    colors = _colors(comp)
    countries = comp.meta["countries"]
    labels = comp.all_labels
    fig = Figure(figsize=(9, 0.42 * len(countries) * max(1, len(labels) / 3) + 1.6), layout="constrained")
    ax = fig.subplots()
    by_country = comp.costs[comp.costs["level"] == LEVEL_COUNTRY]
    tot = by_country.set_index(["scenario", "country"])["eur"]
    n = len(labels)
    y0 = np.arange(len(countries))[::-1]
    for i, label in enumerate(labels):
        v = np.array([tot.get((label, c), 0.0) for c in countries]) / 1e6
        ax.barh(
            y0 + (n - 1 - 2 * i) * 0.4 / n,
            v,
            height=0.8 / n,
            color=colors[label],
            label=label,
            alpha=0.8 if label != comp.baseline else 0.5,
        )
    ax.set_yticks(y0, countries, fontsize=8)
    ax.set_xlabel("EUR million over the run", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=8, loc="best")
    ax.set_title("Spending by country (booked where the supported SME is; mean over replications)", fontsize=10)
    return fig


def fig_partner_types(comp: Comparison) -> Figure:
    """Partner type by stage: one panel per scenario, shared colour scale."""
    from ..plots import partner_type_by_stage_panels

    return partner_type_by_stage_panels({label: comp.results[label] for label in comp.all_labels})


MAP_INDICATOR = "cooperating_share"


def fig_effect_maps(comp: Comparison) -> list[tuple[str, Figure]]:
    """One offline tile map per plan (:func:`inspire_sim.reports.cartogram.cartogram`): its paired effect on the
    share of SMEs cooperating in OI, by country, in percentage points (hatched: CI includes zero)."""
    from ..cartogram import cartogram

    c = comp.countries
    mine = c[c["indicator"] == MAP_INDICATOR]
    span = float(100 * np.nanmax(np.abs(mine["effect"].to_numpy(dtype="float64")), initial=0.0)) or 1.0
    out = []
    for label in comp.labels:
        sub = c[(c["scenario"] == label) & (c["indicator"] == MAP_INDICATOR)].set_index("country")
        fig = cartogram(
            (100 * sub["effect"]).to_dict(),
            span=span,
            title=f"{label}: change in SMEs doing OI",
            unit="pp",
            low=(100 * sub["ci_low"]).to_dict(),
            high=(100 * sub["ci_high"]).to_dict(),
        )
        out.append((label, fig))
    return out


REGION_MAP_OUTCOME = "successful_projects"


def fig_region_maps(comp: Comparison) -> list[tuple[str, Figure]]:
    """One offline NUTS-2 dot map per plan (:func:`inspire_sim.reports.cartogram.region_map`): its paired
    effect on successful OI projects per 1,000 real SMEs of each region (black edge: CI excludes zero)."""
    from ..cartogram import region_map

    re = comp.region_effects
    if re is None or not len(re):
        return []
    mine = re[re["outcome"] == REGION_MAP_OUTCOME]
    vals = mine["per_1000_smes"].to_numpy(dtype="float64")
    # one colour scale for every plan, robust to a few tiny regions with extreme per-SME values
    span = float(np.nanpercentile(np.abs(vals), 98)) if np.isfinite(vals).any() else 1.0
    out = []
    for label in comp.labels:
        sub = mine[mine["scenario"] == label].set_index("region")
        fig = region_map(
            sub["per_1000_smes"].to_dict(),
            span=span or 1.0,
            title=f"{label}: additional successful OI projects per 1,000 SMEs",
            unit="per 1,000 SMEs",
            low=sub["per_1000_ci_low"].to_dict(),
            high=sub["per_1000_ci_high"].to_dict(),
        )
        out.append((label, fig))
    return out


@dataclass
class FigureInfo:
    stem: str
    title: str
    caption: str
    png: bytes

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    @property
    def file(self) -> str:
        return f"figures/{self.stem}.png"


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def make_figures(comp: Comparison) -> list[FigureInfo]:
    """Every figure of the report, rendered as PNG."""
    R = comp.meta["replications"]
    out = [
        FigureInfo(
            "timeseries",
            "Indicators over time",
            f"Mean over {R} replications per scenario; shaded band: 95% confidence interval of the mean. "
            "Baseline dashed.",
            _png(fig_timeseries(comp)),
        ),
        FigureInfo(
            "effects_over_time",
            "Effect of each plan over time",
            "Paired difference plan minus baseline, month by month; band: 95% CI. Where the band leaves "
            "the zero line, the plan has made a clear difference by that month.",
            _png(fig_effects_over_time(comp)),
        ),
        FigureInfo(
            "effects_by_country",
            "Effects by country",
            "Paired effect in each country with 95% CI (markers: plans). Intervals crossing zero: no clear "
            "change in that country. Small countries have few SMEs and wide intervals.",
            _png(fig_country_effects(comp)),
        ),
        FigureInfo(
            "cost_effectiveness",
            "Cost-effectiveness",
            "Extra spending divided by extra outcomes over the run; line: 95% paired-bootstrap CI; "
            "arrow: no upper bound (the gain could be zero).",
            _png(fig_cost_effectiveness(comp)),
        ),
        FigureInfo(
            "spend_over_time",
            "Spending over time",
            "Monthly spending by lever, mean over replications. Phased plans show their phases here.",
            _png(fig_spend_over_time(comp)),
        ),
        FigureInfo(
            "spend_by_country",
            "Spending by country",
            "Total spending over the run per country, mean over replications.",
            _png(fig_spend_by_country(comp)),
        ),
    ]
    for k, (label, fig) in enumerate(fig_effect_maps(comp)):
        out.append(
            FigureInfo(
                f"effects_map_{k + 1}",
                f"Map: {label}",
                f"{label}: change in the share of SMEs cooperating in OI (last 12 months, final month), percentage "
                "points, by country; blue = more, red = fewer (one colour scale for all plans); hatched = the 95% CI "
                "includes zero.",
                _png(fig),
            )
        )
    for k, (label, fig) in enumerate(fig_region_maps(comp)):
        out.append(
            FigureInfo(
                f"region_map_{k + 1}",
                f"Regions: {label}",
                f"{label}: additional successful OI projects over the run per 1,000 real SMEs of each NUTS-2 "
                "region (paired with the baseline); blue = more, red = fewer (one colour scale for all plans, "
                "clipped at the 98th percentile); black edge = the 95% CI excludes zero. With few simulated SMEs per "
                "region, single regions are noisy: read the pattern, and the tables by region group below.",
                _png(fig),
            )
        )
    out.append(
        FigureInfo(
            "partner_type_by_stage",
            "Partner types by stage",
            "Share of each stage's partnerships by partner type (columns add up to 100%), one panel per "
            "scenario; n = projects started by SMEs in that stage, all replications pooled.",
            _png(fig_partner_types(comp)),
        )
    )
    return out
