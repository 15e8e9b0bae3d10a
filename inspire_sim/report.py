"""The comparison report: a self-contained HTML page, the same in Markdown, PNG figures.

:func:`write_report` writes into a directory::

    report.html        opens offline: CSS inline, figures embedded as base64 PNG, no JS
    report.md          the same content; figures linked from figures/
    figures/*.png      every figure as a PNG file
    *.csv, comparison.json   the tables of the comparison (Comparison.save_tables)

Figures (matplotlib ``Figure`` objects, no pyplot state): indicators over time per
scenario with 95% bands, the paired effect over time, per-country effects,
cost-effectiveness, spending over time by lever, spending by country, and the
partner type by stage heatmap of each scenario (:func:`inspire_sim.plots.partner_type_by_stage`).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .compare import HEADLINE, OUTCOMES, Comparison
from .compare.store import _slug
from .results import RunResult, mean_ci

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
# Plain-language guide
# ----------------------------------------------------------------------------------------

GUIDE: dict[str, tuple[str, str]] = {
    "cooperating_share": (
        "Cooperating SMEs",
        "Share of SMEs that took part in at least one open-innovation (OI) project in the last 12 months "
        "(the Community Innovation Survey's 'cooperating'). Read changes in percentage points (pp): "
        "+2 pp means two more SMEs in every hundred cooperate.",
    ),
    "cross_border_share": (
        "Cooperating SMEs with a foreign partner",
        "Among the cooperating SMEs, the share with a partner in another country: the 'national trap' "
        "indicator. It is a share of cooperating SMEs, so it can rise when cooperation grows abroad or when "
        "domestic-only cooperation shrinks; read it together with the cooperating share.",
    ),
    "new_partnerships": (
        "New OI projects per month",
        "OI projects started per month, averaged over the run (one project = one lead SME with one partner).",
    ),
    "new_cross_border": (
        "New cross-border projects per month",
        "OI projects with a partner in another country started per month, averaged over the run.",
    ),
    "successes": (
        "Successful projects per month",
        "Projects that ended in success per month, averaged over the run. The cost-effectiveness table "
        "uses the total over the run.",
    ),
    "project_success_rate": (
        "Project success rate",
        "Share of the projects resolved in the last 12 months that succeeded. Quality rather than quantity: "
        "a measure that brings many first-time collaborators can raise the number of successes while the "
        "rate falls.",
    ),
    "scaling_up_reached": (
        "SMEs that reached scaling-up",
        "SMEs that entered the scaling-up stage at some time during the run (a running total).",
    ),
    "mean_confidence": (
        "Confidence in collaboration",
        "Average confidence of SMEs in collaborating (0 to 1). Failed projects lower it; failure-recovery "
        "support helps it come back; SMEs with low confidence stop looking for partners.",
    ),
    "retry_rate_after_failure": (
        "Retry after failure",
        "Share of failed projects followed by a new project of the same SME within 12 months: the "
        "resilience of the ecosystem (success often takes several attempts).",
    ),
    "business_results_total": (
        "Business results",
        "Sum of the business results of the SMEs at the end (model units). Heavy-tailed: one 'unicorn' can "
        "dominate a run, so this indicator is noisy; trust a change only when its interval excludes zero.",
    ),
    "exits": (
        "SME exits per month",
        "SMEs that ran out of cash per month (lower is better); each is replaced by a new SME.",
    ),
    "spend_total": (
        "Public spending",
        "Spending of all support measures over the whole run, in EUR (what the plan costs).",
    ),
}

UNCERTAINTY_GUIDE = [
    (
        "Replications",
        "Each scenario was simulated {R} times with different random seeds. The same {R} seeds were used for every "
        "scenario, so replication r of a plan and replication r of the baseline meet the same chance events "
        "(common random numbers): their difference is the effect of the plan alone. The effect shown is the "
        "average of these {R} paired differences.",
    ),
    (
        "95% confidence interval (CI)",
        "The range of effects compatible with the simulations. When it lies entirely above or below zero the "
        "direction is clear and the table says better or worse (higher or lower when neither direction is "
        "preferable). When it contains zero the table says 'no clear change': the plan may help a little, harm a "
        "little or do nothing; more replications narrow the interval.",
    ),
    (
        "Unpaired CI",
        "The interval the same runs would give without pairing (as if plan and baseline had been simulated with "
        "unrelated seeds). The paired interval is usually much narrower: pairing removes the chance differences "
        "between runs.",
    ),
    (
        "What the intervals do not cover",
        "They measure simulation noise only. They do not cover uncertainty about the model's assumptions "
        "(behavioural rules, parameter values, costs); use `inspire-sim sensitivity` for those. Read the results "
        "as a comparison of plans under the same assumptions, not as a forecast.",
    ),
    (
        "Cost per additional unit",
        "Extra spending of the plan over the baseline divided by the extra outcomes over the whole run (for "
        "example EUR per additional successful OI project). Its interval comes from a bootstrap over the paired "
        "replications. 'no upper bound' means the gain could be zero; 'no gain' means the plan produced no more "
        "than the baseline, so a cost per unit would be meaningless; 'saves money' means it gained and cost less.",
    ),
    (
        "Scale",
        "Counts refer to the simulated population of {N} SMEs over {T} months, with the budgets of the scenario "
        "files. Compare plans with each other; do not read the counts as EU totals.",
    ),
]


# ----------------------------------------------------------------------------------------
# Number formatting
# ----------------------------------------------------------------------------------------


def _ok(v: Any) -> bool:
    return v is not None and isinstance(v, (int, float, np.integer, np.floating)) and math.isfinite(float(v))


def fmt_eur(v: float, sign: bool = False) -> str:
    """EUR 1.23 M, EUR 152,600, EUR 950."""
    if not _ok(v):
        return "n/a"
    s = "-" if v < 0 else ("+" if sign and v > 0 else "")
    a = abs(float(v))
    if a >= 1e6:
        return f"{s}EUR {a / 1e6:,.2f} M"
    if a >= 1e4:
        return f"{s}EUR {round(a, -2):,.0f}"
    return f"{s}EUR {a:,.0f}"


def _num(v: float, sign: bool = False) -> str:
    if not _ok(v):
        return "n/a"
    v = float(v)
    if abs(v) < 1e-12:  # floating-point dust of a zero difference
        v = 0.0
    sp = "+" if sign else ""
    a = abs(v)
    if a >= 1e4:
        return f"{v:{sp},.0f}"
    if a >= 100:
        return f"{v:{sp}.0f}"
    if a >= 10:
        return f"{v:{sp}.1f}"
    if a >= 0.01 or a == 0:
        return f"{v:{sp}.2f}"
    return f"{v:{sp}.2g}"


def fmt_value(v: float, unit: str) -> str:
    """A level: shares in %, EUR, otherwise a number."""
    if unit == "share":
        return f"{100 * v:.1f}%" if _ok(v) else "n/a"
    if unit == "EUR":
        return fmt_eur(v)
    return _num(v)


def fmt_effect(v: float, unit: str) -> str:
    """A difference: shares in percentage points, EUR, otherwise a signed number."""
    if _ok(v) and abs(float(v)) < 1e-12:  # floating-point dust of a zero difference
        v = 0.0
    if unit == "share":
        return f"{100 * v:+.1f} pp" if _ok(v) else "n/a"
    if unit == "EUR":
        return fmt_eur(v, sign=True)
    return _num(v, sign=True)


def fmt_ci(lo: float, hi: float, unit: str) -> str:
    if not (_ok(lo) and _ok(hi)):
        return "n/a"
    return f"{fmt_effect(lo, unit)} to {fmt_effect(hi, unit)}"


def fmt_rel(v: float) -> str:
    if not _ok(v):
        return "n/a"
    r = round(100 * v)
    return f"{r:+d}%" if r != 0 else "0%"


def fmt_ratio(row: pd.Series | dict) -> tuple[str, str]:
    """(EUR per unit, its CI) of a cost-effectiveness row, in words when there is none."""
    status = row["status"]
    if status == "no gain":
        return "no gain", ""
    if status == "saves money":
        return "saves money", f"gains {_num(row['additional'])} and costs {fmt_eur(-row['additional_cost_eur'])} less"
    lo, hi = row["eur_per_unit_ci_low"], row["eur_per_unit_ci_high"]
    ci = f"{fmt_eur(lo)} to {fmt_eur(hi) if _ok(hi) else 'no upper bound'}"
    return fmt_eur(row["eur_per_unit"]), ci


# ----------------------------------------------------------------------------------------
# Series over time
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    name: str
    title: str
    unit: str
    of: Callable[[pd.DataFrame], pd.Series]


SERIES = (
    Series("cooperating_share", "Cooperating SMEs (12 months)", "share", lambda ts: ts["cooperating_share"]),
    Series("cross_border_share", "... of which with a foreign partner", "share", lambda ts: ts["cross_border_share"]),
    Series("project_success_rate", "Project success rate (12 months)", "share", lambda ts: ts["project_success_rate"]),
    Series("mean_confidence", "Confidence in collaboration", "0-1", lambda ts: ts["mean_confidence"]),
    Series("successes_so_far", "Successful OI projects so far", "projects", lambda ts: ts["successes"].cumsum()),
    Series(
        "cross_border_so_far",
        "Cross-border partnerships so far",
        "projects",
        lambda ts: ts["new_cross_border"].cumsum(),
    ),
    Series("scaling_up_reached", "SMEs that reached scaling-up so far", "SMEs", lambda ts: ts["scaling_up_reached"]),
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


def _monthly_spend(runs: list[RunResult]) -> pd.DataFrame:
    """step x lever mean monthly spending over replications (EUR)."""
    from .params import LEVERS

    steps = runs[0].timeseries["step"].to_numpy()
    tabs = []
    for r in runs:
        tabs.append(r.timeseries.set_index("step")[[f"spend_{k}" for k in LEVERS]].reindex(steps, fill_value=0.0))
    mean = sum(t.to_numpy(dtype="float64") for t in tabs) / len(tabs)
    return pd.DataFrame(mean, index=steps, columns=list(LEVERS))


def fig_spend_over_time(comp: Comparison) -> Figure:
    """Monthly spending by lever (mean over replications), one panel per scenario."""
    labels = comp.all_labels
    fig, axes = _grid(len(labels), ncols=min(3, len(labels)), w=4.3, h=2.9)
    data = {k: _monthly_spend(comp.results[k]) for k in labels}
    ymax = max(float(d.sum(axis=1).max()) for d in data.values()) / 1e3
    for ax, label in zip(axes, labels, strict=True):
        d = data[label]
        ax.stackplot(
            d.index,
            *(d[c].to_numpy() / 1e3 for c in d.columns),
            labels=[c.replace("_", " ") for c in d.columns],
            colors=[LEVER_COLORS[c] for c in d.columns],
            alpha=0.85,
        )
        ax.set_ylim(0, max(ymax * 1.05, 1.0))
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("month", fontsize=8)
        ax.set_ylabel("EUR thousand / month", fontsize=8)
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
    tot = comp.costs.groupby(["scenario", "country"], observed=True)["eur"].sum()
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


def fig_partner_heatmap(comp: Comparison, label: str) -> Figure:
    from .plots import partner_type_by_stage

    fig = partner_type_by_stage(comp.results[label])
    fig.suptitle(f"{label}: partner type by stage of the lead SME (all replications pooled)", fontsize=10)
    return fig


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
    for label in comp.all_labels:
        out.append(
            FigureInfo(
                f"partner_type_by_stage_{_slug(label)}",
                f"Partner types by stage: {label}",
                "Share of each stage's partnerships by partner type (columns add up to 100%); n = "
                "projects started by SMEs in that stage, all replications pooled.",
                _png(fig_partner_heatmap(comp, label)),
            )
        )
    return out


# ----------------------------------------------------------------------------------------
# Report content
# ----------------------------------------------------------------------------------------


def _months(p: Any, steps: int) -> str:
    end = p.end if p.end is not None else steps
    end = min(end, steps)
    if p.start == 0 and end >= steps:
        return f"months 1-{steps} (whole run)"
    return f"months {p.start + 1}-{end}"


def _where(p: Any) -> str:
    parts = ["all countries" if p.countries == "all" else ", ".join(p.countries)]
    if p.regions:
        parts.append("regions " + ", ".join(p.regions))
    if p.sectors:
        parts.append("sectors " + ", ".join(p.sectors))
    return "; ".join(parts)


def _details(p: Any) -> str:
    d = []
    if p.kind == "support_funding":
        d.append(f"grant up to {fmt_eur(p.grant_size)} ({100 * p.co_funding_rate:.0f}% co-funding)")
        if len(p.target_stages) < 4:
            d.append("stages " + ", ".join(s.replace("_", "-") for s in p.target_stages))
    else:
        cap = getattr(p, "capacity", None)
        if cap is not None:
            d.append(f"{cap} SME{'s' if cap != 1 else ''}/month/country")
        cost = getattr(p, "cost_per_service", None)
        if cost is not None:
            d.append(f"{fmt_eur(cost)} per SME")
    return "; ".join(d)


def plan_measures(scenario: Any, steps: int) -> list[dict[str, str]]:
    """The measures of a scenario in words (for the plan tables)."""
    from .compare import measure_ceiling

    rows = []
    for p in scenario.policies:
        ceiling = measure_ceiling(p, steps)
        rows.append(
            {
                "measure": p.label or p.kind.replace("_", " "),
                "lever": p.kind.replace("_", " "),
                "where": _where(p),
                "when": _months(p, steps),
                "details": _details(p),
                "per_month": fmt_eur(p.budget_per_step) if p.budget_per_step is not None else "no cap",
                "total": fmt_eur(p.total_budget) if p.total_budget is not None else "no cap",
                "ceiling": fmt_eur(ceiling) if math.isfinite(ceiling) else "unbounded",
            }
        )
    return rows


def _verdict_class(v: str) -> str:
    return {"better": "good", "worse": "bad", "higher": "up", "lower": "down"}.get(v, "none")


def report_context(comp: Comparison, figures: list[FigureInfo], command: str | None = None) -> dict[str, Any]:
    """Everything the templates show, as plain strings and lists."""
    from .metrics import INDICATORS

    meta = comp.meta
    steps = meta["months"]
    R = meta["replications"]
    headline = comp.headline()
    ce = comp.cost_effectiveness
    glance = []
    for label in comp.labels:
        sub = ce[ce["scenario"] == label].set_index("outcome")
        first = sub.iloc[0]
        outcomes = []
        for o in OUTCOMES.values():
            row = sub.loc[o.name]
            ratio, ratio_ci = fmt_ratio(row)
            outcomes.append(
                {
                    "name": o.plural,
                    "additional": _num(row["additional"], sign=True),
                    "additional_ci": fmt_ci(row["additional_ci_low"], row["additional_ci_high"], "count"),
                    "ratio": ratio,
                    "ratio_ci": ratio_ci,
                    "unit": o.unit,
                    "status": row["status"],
                }
            )
        desc = comp.scenarios[label].description if label in comp.scenarios else ""
        glance.append(
            {
                "label": label,
                "description": desc,
                "cost": fmt_eur(first["additional_cost_eur"], sign=True),
                "cost_ci": fmt_ci(first["additional_cost_ci_low"], first["additional_cost_ci_high"], "EUR"),
                "outcomes": outcomes,
            }
        )

    glance_rows = [
        {
            "metric": "extra public spending",
            "cls": "",
            "cells": [{"value": g["cost"], "ci": g["cost_ci"]} for g in glance],
        }
    ]
    for k, o in enumerate(OUTCOMES.values()):
        glance_rows.append(
            {
                "metric": f"additional {o.plural}",
                "cls": "",
                "cells": [
                    {"value": g["outcomes"][k]["additional"], "ci": g["outcomes"][k]["additional_ci"]} for g in glance
                ],
            }
        )
        glance_rows.append(
            {
                "metric": f"EUR per additional {o.unit}",
                "cls": "ratio",
                "cells": [{"value": g["outcomes"][k]["ratio"], "ci": g["outcomes"][k]["ratio_ci"]} for g in glance],
            }
        )

    def rows_of(df: pd.DataFrame) -> list[dict[str, str]]:
        out = []
        for _, r in df.iterrows():
            title = GUIDE.get(r["indicator"], (r["indicator"].replace("_", " "), ""))[0]
            out.append(
                {
                    "indicator": r["indicator"],
                    "title": title,
                    "statistic": r["statistic"],
                    "unit": r["unit"],
                    "baseline": fmt_value(r["baseline_mean"], r["unit"]),
                    "scenario": fmt_value(r["scenario_mean"], r["unit"]),
                    "effect": fmt_effect(r["effect"], r["unit"]),
                    "ci": fmt_ci(r["ci_low"], r["ci_high"], r["unit"]),
                    "unpaired_ci": fmt_ci(r["unpaired_ci_low"], r["unpaired_ci_high"], r["unit"]),
                    "relative": fmt_rel(r["relative_change"]),
                    "verdict": r["verdict"],
                    "cls": _verdict_class(r["verdict"]),
                }
            )
        return out

    tables = [{"label": label, "rows": rows_of(headline[headline["scenario"] == label])} for label in comp.labels]
    full = [
        {"label": label, "rows": rows_of(comp.indicators[comp.indicators["scenario"] == label])}
        for label in comp.labels
    ]

    # per country: outcomes and cost-effectiveness
    cce = comp.country_cost_effectiveness
    country_tables = []
    for label in comp.labels:
        rows = []
        for country in meta["countries"]:
            sub = cce[(cce["scenario"] == label) & (cce["country"] == country)].set_index("outcome")
            if sub.empty:
                continue
            succ = sub.loc["successful_projects"]
            ratio, ratio_ci = fmt_ratio(succ)
            rows.append(
                {
                    "country": country,
                    "successes": f"{_num(succ['additional'], sign=True)} ({fmt_ci(succ['additional_ci_low'], succ['additional_ci_high'], 'n')})",
                    "cross_border": _num(sub.loc["cross_border_partnerships", "additional"], sign=True),
                    "scaling": _num(sub.loc["smes_reaching_scaling_up", "additional"], sign=True),
                    "cost": fmt_eur(succ["additional_cost_eur"], sign=True),
                    "ratio": ratio + (f" ({ratio_ci})" if ratio_ci and succ["status"] != "saves money" else ""),
                }
            )
        country_tables.append({"label": label, "rows": rows})

    # costs: levers against ceilings, countries
    cost_tables = []
    for label in comp.all_labels:
        cl = comp.ceilings[comp.ceilings["scenario"] == label]
        levers = [
            {
                "lever": r["lever"].replace("_", " "),
                "spent": fmt_eur(r["spent_eur"]),
                "ceiling": fmt_eur(r["ceiling_eur"])
                if _ok(r["ceiling_eur"])
                else ("unbounded" if r["ceiling_eur"] == np.inf else "n/a"),
                "utilisation": f"{100 * r['utilisation']:.0f}%" if _ok(r["utilisation"]) else "-",
            }
            for _, r in cl.iterrows()
            if r["spent_eur"] > 0 or (_ok(r["ceiling_eur"]) and r["ceiling_eur"] > 0)
        ]
        tot_spent = float(cl["spent_eur"].sum())
        tot_ceiling = float(cl["ceiling_eur"].sum())
        byc = comp.costs[comp.costs["scenario"] == label].groupby("country", observed=True, sort=False)["eur"].sum()
        countries = [{"country": c, "spent": fmt_eur(byc.get(c, 0.0))} for c in meta["countries"]]
        measures = plan_measures(comp.scenarios[label], steps) if label in comp.scenarios else []
        desc = comp.scenarios[label].description if label in comp.scenarios else ""
        cost_tables.append(
            {
                "label": label,
                "description": desc,
                "levers": levers,
                "countries": countries,
                "total_spent": fmt_eur(tot_spent),
                "total_ceiling": fmt_eur(tot_ceiling) if math.isfinite(tot_ceiling) else "unbounded",
                "measures": measures,
            }
        )

    guide = [
        {"indicator": k, "title": t, "text": txt, "unit": INDICATORS[k].unit if k in INDICATORS else ""}
        for k, (t, txt) in GUIDE.items()
    ]
    fmt = {"R": R, "N": meta.get("n_smes"), "T": steps}
    uncertainty = [{"title": t, "text": txt.format(**fmt)} for t, txt in UNCERTAINTY_GUIDE]
    runs = meta.get("runs", {})
    settings = [
        ("baseline", comp.baseline),
        ("plans", ", ".join(comp.labels)),
        (
            "replications",
            f"{R} per scenario (seeds spawned from --seed {meta.get('seed')}; the same for every scenario)",
        ),
        ("months", str(steps)),
        ("SMEs", str(meta.get("n_smes"))),
        ("countries", ", ".join(meta["countries"])),
        (
            "confidence intervals",
            f"{100 * meta['confidence']:.0f}%: paired t-interval; costs per unit: paired "
            f"bootstrap, {meta['bootstrap']['resamples']} resamples",
        ),
        ("version", f"inspire_sim {meta.get('version')}, git {meta.get('git_revision')}"),
    ]
    if runs:
        settings.append(
            (
                "runs",
                f"{runs.get('runs_executed', 0)} executed, {runs.get('runs_reused', 0)} reused from "
                f"the store ({runs.get('backend', {}).get('backend', 'n/a')})",
            )
        )
    if command:
        settings.append(("command", command))
    return {
        "title": f"Deployment plans compared with '{comp.baseline}'",
        "settings": settings,
        "glance": glance,
        "glance_rows": glance_rows,
        "tables": tables,
        "full": full,
        "country_tables": country_tables,
        "cost_tables": cost_tables,
        "guide": guide,
        "uncertainty": uncertainty,
        "figures": {f.stem: f for f in figures},
        "heatmaps": [f for f in figures if f.stem.startswith("partner_type_by_stage_")],
        "months": steps,
        "R": R,
        "headline_names": list(HEADLINE),
    }


# ----------------------------------------------------------------------------------------
# Templates
# ----------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:0;color:#1d2430;background:#fafafa}
main{max-width:1180px;margin:0 auto;padding:1.2rem 1.6rem 3rem;background:#fff}
h1{font-size:1.6rem;margin:.4rem 0 .2rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:2px solid #dde3ea;padding-bottom:.2rem}
h3{font-size:1.05rem;margin:1.4rem 0 .4rem}p,li{line-height:1.45}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.86rem;width:100%}
th,td{border-bottom:1px solid #e3e7ec;padding:.28rem .45rem;text-align:left;vertical-align:top}
th{background:#f1f4f7;font-weight:600}td.num{text-align:right;white-space:nowrap}
.good{color:#11703a;font-weight:600}.bad{color:#b3261e;font-weight:600}.up,.down{color:#1f4e8c;font-weight:600}.none{color:#6b7280}
figure{margin:1rem 0 1.6rem}figure img{max-width:100%;height:auto;border:1px solid #e3e7ec}
figcaption{font-size:.85rem;color:#4b5563;margin-top:.3rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1rem}
.card{border:1px solid #dde3ea;border-radius:6px;padding:.7rem .9rem;background:#fcfdfe}
.card h3{margin-top:0}.muted{color:#6b7280;font-size:.85rem}
nav a{margin-right:.8rem;font-size:.9rem}details{margin:.6rem 0}summary{cursor:pointer;font-weight:600}
dl.guide dt{font-weight:600;margin-top:.6rem}dl.guide dd{margin-left:1rem}
code{background:#f1f4f7;padding:0 .2rem;border-radius:3px}
table.glance td.num{white-space:normal;text-align:right}table.glance th{text-align:left}table.glance tr>th:first-child{min-width:13rem}
table.glance tr.ratio td,table.glance tr.ratio th{background:#f7faf7}.ci{color:#6b7280;font-size:.78rem}
"""

HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
<main>
<h1>{{ title }}</h1>
<p class="muted">Simulated with inspire_sim (agent-based model of SME open innovation, after the EU H2020 project INSPIRE).
Every plan was run with the same random seeds as the baseline; effects are paired differences with 95% confidence intervals.</p>
<nav><a href="#glance">At a glance</a><a href="#effects">Effects</a><a href="#time">Over time</a><a href="#countries">By country</a>
<a href="#costs">Costs</a><a href="#partners">Partners</a><a href="#guide">How to read</a><a href="#plans">Plans</a><a href="#settings">Settings</a></nav>

<h2 id="glance">At a glance</h2>
<p>Additional outcomes and costs over the {{ months }} months, compared with the baseline (mean of {{ R }} paired replications; 95% CI in brackets).</p>
<table class="glance">
<tr><th></th>{% for g in glance %}<th>{{ g.label }}</th>{% endfor %}</tr>
<tr><td class="muted">plan</td>{% for g in glance %}<td class="muted">{{ g.description }}</td>{% endfor %}</tr>
{% for r in glance_rows %}<tr class="{{ r.cls }}"><th>{{ r.metric }}</th>{% for c in r.cells %}<td class="num">{{ c.value }}{% if c.ci %}<br><span class="ci">{{ c.ci }}</span>{% endif %}</td>{% endfor %}</tr>
{% endfor %}</table>
<figure><img src="{{ figures.cost_effectiveness.data_uri }}" alt="{{ figures.cost_effectiveness.title }}">
<figcaption>{{ figures.cost_effectiveness.caption }}</figcaption></figure>

<h2 id="effects">Headline indicators</h2>
<p>Baseline and plan: mean over replications. Effect: plan minus baseline, averaged over paired replications, with its 95% CI.
The unpaired CI shows what the same runs would give without common random numbers.</p>
{% for t in tables %}<h3>{{ t.label }}</h3>
<table>
<tr><th>indicator</th><th>statistic</th><th>baseline</th><th>plan</th><th>effect</th><th>95% CI</th><th>unpaired 95% CI</th><th>relative</th><th>verdict</th></tr>
{% for r in t.rows %}<tr><td title="{{ r.indicator }}">{{ r.title }}</td><td>{{ r.statistic }}</td><td class="num">{{ r.baseline }}</td><td class="num">{{ r.scenario }}</td>
<td class="num">{{ r.effect }}</td><td class="num">{{ r.ci }}</td><td class="num muted">{{ r.unpaired_ci }}</td><td class="num">{{ r.relative }}</td><td class="{{ r.cls }}">{{ r.verdict }}</td></tr>
{% endfor %}</table>
{% endfor %}
<details><summary>All indicators</summary>
{% for t in full %}<h3>{{ t.label }}</h3>
<table>
<tr><th>indicator</th><th>statistic</th><th>unit</th><th>baseline</th><th>plan</th><th>effect</th><th>95% CI</th><th>verdict</th></tr>
{% for r in t.rows %}<tr><td>{{ r.indicator }}</td><td>{{ r.statistic }}</td><td>{{ r.unit }}</td><td class="num">{{ r.baseline }}</td><td class="num">{{ r.scenario }}</td>
<td class="num">{{ r.effect }}</td><td class="num">{{ r.ci }}</td><td class="{{ r.cls }}">{{ r.verdict }}</td></tr>
{% endfor %}</table>
{% endfor %}</details>

<h2 id="time">Over time</h2>
{% for stem in ["timeseries", "effects_over_time"] %}{% set f = figures[stem] %}
<figure><img src="{{ f.data_uri }}" alt="{{ f.title }}"><figcaption>{{ f.caption }}</figcaption></figure>
{% endfor %}

<h2 id="countries">By country</h2>
{% set f = figures.effects_by_country %}
<figure><img src="{{ f.data_uri }}" alt="{{ f.title }}"><figcaption>{{ f.caption }}</figcaption></figure>
{% for t in country_tables %}<h3>{{ t.label }}: additional outcomes by country (over the run)</h3>
<table>
<tr><th>country</th><th>additional successful projects (95% CI)</th><th>additional cross-border partnerships</th><th>additional SMEs reaching scaling-up</th><th>extra spending</th><th>EUR per additional success (95% CI)</th></tr>
{% for r in t.rows %}<tr><td>{{ r.country }}</td><td class="num">{{ r.successes }}</td><td class="num">{{ r.cross_border }}</td><td class="num">{{ r.scaling }}</td><td class="num">{{ r.cost }}</td><td class="num">{{ r.ratio }}</td></tr>
{% endfor %}</table>
{% endfor %}

<h2 id="costs">Costs</h2>
{% for stem in ["spend_over_time", "spend_by_country"] %}{% set f = figures[stem] %}
<figure><img src="{{ f.data_uri }}" alt="{{ f.title }}"><figcaption>{{ f.caption }}</figcaption></figure>
{% endfor %}
<p>Spending by lever against the ceiling set by the plan's caps (per measure: the smaller of its total budget and its monthly cap times its active months).</p>
<div class="cards">
{% for c in cost_tables %}<section class="card"><h3>{{ c.label }}</h3>
<table><tr><th>lever</th><th>spent</th><th>ceiling</th><th>used</th></tr>
{% for l in c.levers %}<tr><td>{{ l.lever }}</td><td class="num">{{ l.spent }}</td><td class="num">{{ l.ceiling }}</td><td class="num">{{ l.utilisation }}</td></tr>
{% endfor %}<tr><th>total</th><th class="num">{{ c.total_spent }}</th><th class="num">{{ c.total_ceiling }}</th><th></th></tr></table>
<details><summary>by country</summary><table>{% for r in c.countries %}<tr><td>{{ r.country }}</td><td class="num">{{ r.spent }}</td></tr>{% endfor %}</table></details>
</section>
{% endfor %}</div>

<h2 id="partners">Partner types by stage</h2>
<p>Which partners SMEs work with at each stage of their OI journey (INSPIRE: peers and research organisations from development to scaling-up, large firms close to market, the crowd in the resource stages).</p>
{% for f in heatmaps %}<figure><img src="{{ f.data_uri }}" alt="{{ f.title }}"><figcaption>{{ f.title }}. {{ f.caption }}</figcaption></figure>
{% endfor %}

<h2 id="guide">How to read this report</h2>
<h3>Uncertainty</h3>
<dl class="guide">{% for u in uncertainty %}<dt>{{ u.title }}</dt><dd>{{ u.text }}</dd>{% endfor %}</dl>
<h3>Indicators</h3>
<dl class="guide">{% for g in guide %}<dt>{{ g.title }} <span class="muted">({{ g.indicator }})</span></dt><dd>{{ g.text }}</dd>{% endfor %}</dl>

<h2 id="plans">The plans</h2>
{% for c in cost_tables %}<h3>{{ c.label }}</h3><p class="muted">{{ c.description }}</p>
{% if c.measures %}<table><tr><th>measure</th><th>lever</th><th>where</th><th>when</th><th>details</th><th>cap per month</th><th>total cap</th><th>ceiling over the run</th></tr>
{% for m in c.measures %}<tr><td>{{ m.measure }}</td><td>{{ m.lever }}</td><td>{{ m.where }}</td><td>{{ m.when }}</td><td>{{ m.details }}</td><td class="num">{{ m.per_month }}</td><td class="num">{{ m.total }}</td><td class="num">{{ m.ceiling }}</td></tr>
{% endfor %}</table>{% else %}<p>No support measures.</p>{% endif %}
{% endfor %}

<h2 id="settings">Settings and reproducibility</h2>
<table>{% for k, v in settings %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}</table>
<p class="muted">Tables: indicators.csv, countries.csv, costs.csv, ceilings.csv, cost_effectiveness.csv, country_cost_effectiveness.csv; figures: figures/*.png.</p>
</main>
</body>
</html>
"""

MD_TEMPLATE = """# {{ title }}

Simulated with inspire_sim (agent-based model of SME open innovation, after the EU H2020 project INSPIRE).
Every plan was run with the same random seeds as the baseline; effects are paired differences with 95% confidence intervals.

## At a glance

Additional outcomes and costs over the {{ months }} months, compared with the baseline (mean of {{ R }} paired replications; 95% CI in brackets).

| |{% for g in glance %} {{ g.label | md }} |{% endfor %}
|---|{% for g in glance %}--:|{% endfor %}
{% for r in glance_rows %}| {% if r.cls %}*{{ r.metric }}*{% else %}**{{ r.metric }}**{% endif %} |{% for c in r.cells %} {{ c.value }}{% if c.ci %} ({{ c.ci }}){% endif %} |{% endfor %}
{% endfor %}
{% for g in glance %}- **{{ g.label | md }}**: {{ g.description | md }}
{% endfor %}
![{{ figures.cost_effectiveness.title }}]({{ figures.cost_effectiveness.file }})

## Headline indicators

Effect = plan minus baseline, averaged over paired replications, with its 95% CI; the unpaired CI is what the same runs would give without common random numbers.
{% for t in tables %}
### {{ t.label }}

| indicator | statistic | baseline | plan | effect | 95% CI | unpaired 95% CI | relative | verdict |
|---|---|--:|--:|--:|--:|--:|--:|---|
{% for r in t.rows %}| {{ r.title | md }} | {{ r.statistic }} | {{ r.baseline }} | {{ r.scenario }} | {{ r.effect }} | {{ r.ci }} | {{ r.unpaired_ci }} | {{ r.relative }} | {{ r.verdict }} |
{% endfor %}{% endfor %}
All indicators: `indicators.csv`.

## Over time

{% for stem in ["timeseries", "effects_over_time"] %}{% set f = figures[stem] %}![{{ f.title }}]({{ f.file }})

*{{ f.caption }}*

{% endfor %}
## By country

{% set f = figures.effects_by_country %}![{{ f.title }}]({{ f.file }})

*{{ f.caption }}*
{% for t in country_tables %}
### {{ t.label }}: additional outcomes by country (over the run)

| country | additional successful projects (95% CI) | additional cross-border partnerships | additional SMEs reaching scaling-up | extra spending | EUR per additional success (95% CI) |
|---|--:|--:|--:|--:|--:|
{% for r in t.rows %}| {{ r.country }} | {{ r.successes }} | {{ r.cross_border }} | {{ r.scaling }} | {{ r.cost }} | {{ r.ratio }} |
{% endfor %}{% endfor %}
## Costs

{% for stem in ["spend_over_time", "spend_by_country"] %}{% set f = figures[stem] %}![{{ f.title }}]({{ f.file }})

*{{ f.caption }}*

{% endfor %}Spending by lever against the ceiling set by the plan's caps (per measure: the smaller of its total budget and its monthly cap times its active months).
{% for c in cost_tables %}
### {{ c.label }}

| lever | spent | ceiling | used |
|---|--:|--:|--:|
{% for l in c.levers %}| {{ l.lever }} | {{ l.spent }} | {{ l.ceiling }} | {{ l.utilisation }} |
{% endfor %}| **total** | **{{ c.total_spent }}** | **{{ c.total_ceiling }}** | |
{% endfor %}
## Partner types by stage

{% for f in heatmaps %}![{{ f.title }}]({{ f.file }})

*{{ f.title }}. {{ f.caption }}*

{% endfor %}
## How to read this report

### Uncertainty

{% for u in uncertainty %}- **{{ u.title }}.** {{ u.text }}
{% endfor %}
### Indicators

{% for g in guide %}- **{{ g.title }}** (`{{ g.indicator }}`): {{ g.text }}
{% endfor %}
## The plans
{% for c in cost_tables %}
### {{ c.label }}

{{ c.description }}
{% if c.measures %}
| measure | lever | where | when | details | cap per month | total cap | ceiling over the run |
|---|---|---|---|---|--:|--:|--:|
{% for m in c.measures %}| {{ m.measure | md }} | {{ m.lever }} | {{ m.where | md }} | {{ m.when }} | {{ m.details | md }} | {{ m.per_month }} | {{ m.total }} | {{ m.ceiling }} |
{% endfor %}{% else %}
No support measures.
{% endif %}{% endfor %}
## Settings and reproducibility

{% for k, v in settings %}- **{{ k }}**: {{ v | md }}
{% endfor %}
Tables: indicators.csv, countries.csv, costs.csv, ceilings.csv, cost_effectiveness.csv, country_cost_effectiveness.csv; figures: figures/*.png.
"""


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(comp: Comparison, figures: list[FigureInfo], command: str | None = None) -> tuple[str, str]:
    """(HTML, Markdown) of the report."""
    import jinja2

    ctx = report_context(comp, figures, command)
    html_env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False)
    md_env = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined)
    md_env.filters["md"] = _md
    html = html_env.from_string(HTML_TEMPLATE).render(css=CSS, **ctx)
    md = md_env.from_string(MD_TEMPLATE).render(**ctx)
    return html, md


def write_report(comp: Comparison, directory: str | Path, command: str | None = None) -> dict[str, Path]:
    """Write report.html, report.md, figures/*.png and the tables into ``directory``."""
    out = Path(directory)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    figures = make_figures(comp)
    for f in figures:
        (out / f.file).write_bytes(f.png)
    html, md = render(comp, figures, command)
    (out / "report.html").write_text(html, encoding="utf-8")
    (out / "report.md").write_text(md, encoding="utf-8")
    comp.save_tables(out)
    return {"html": out / "report.html", "markdown": out / "report.md", "figures": out / "figures"}
