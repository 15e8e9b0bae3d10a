"""The report's content: plan descriptions and the context the templates render."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..compare import HEADLINE, OUTCOMES, Comparison
from ..compare.tables import LEVEL_COUNTRY, LEVEL_LEVER, LEVEL_PLAN
from .figures import FigureInfo
from .format import _ok, fmt_ci, fmt_count, fmt_effect, fmt_eur, fmt_ratio, fmt_rel, fmt_value
from .guide import GUIDE, UNCERTAINTY_GUIDE, guide_title


def _months(p: Any, steps: int) -> str:
    """When a measure runs, in the scenario's own numbers (``start``, ``end`` = months elapsed).

    A measure with ``start = 12, end = 48`` reads "from month 12 to month 48", as plan texts say
    it ("from month 12"); it spends in the 13th to the 48th month of the run.
    """
    end = min(p.end if p.end is not None else steps, steps)
    if p.start == 0 and end >= steps:
        return f"whole run (months 0-{steps})"
    if end >= steps:
        return f"from month {p.start} to the end (month {steps})"
    return f"from month {p.start} to month {end}"


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
    from ..compare import measure_ceiling

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


def _reading_class(v: str) -> str:
    return {"clear gain": "good", "clear loss": "bad", "clearly higher": "up", "clearly lower": "down"}.get(v, "none")


def _pct(p: float) -> str:
    """A probability in percent; "over 99%" / "under 1%" at the ends (never a flat 100% or 0%)."""
    if not _ok(p):
        return "-"
    if p >= 0.995:
        return "over 99%"
    if p <= 0.005:
        return "under 1%"
    return f"{100 * p:.0f}%"


def uncertainty_context(comp: Comparison) -> list[dict[str, str]]:
    """Rows of the parameter-uncertainty table (noise-only vs total intervals); empty without a posterior."""
    from ...analyses.decision import fmt_effect as fmt_goal_effect

    t = comp.parameter_uncertainty
    rows = []
    for _, r in t.iterrows():
        pp = r["unit"] == "percentage points"

        def f(v: float, pp: bool = pp) -> str:
            return fmt_goal_effect(v, decimals=pp)

        rows.append(
            {
                "goal": r["goal_label"],
                "plan": r["plan"],
                "unit": "pp" if pp else r["unit"],
                "median": f(r["effect_median_world"]),
                "noise": f"{f(r['noise_low'])} to {f(r['noise_high'])}",
                "effect": f(r["effect"]),
                "total": f"{f(r['total_low'])} to {f(r['total_high'])}",
                "p_base": _pct(r["p_beats_baseline"]),
            }
        )
    return rows


def decision_context(comp: Comparison) -> list[dict[str, Any]]:
    """Per goal, the ranked plans as display strings (from ``comp.decision``)."""
    from ...analyses.decision import fmt_effect as fmt_goal_effect
    from ...analyses.goals import GOALS

    out = []
    table = comp.decision
    for name, goal in GOALS.items():
        sub = table[table["goal"] == name].sort_values("rank") if len(table) else table
        if sub.empty:
            continue
        unit = str(sub["unit"].iloc[0])
        pp = unit == "percentage points"
        rows = []
        for _, r in sub.iterrows():
            cost = r["cost_per_additional"]
            rows.append(
                {
                    "rank": int(r["rank"]),
                    "plan": r["plan"],
                    "effect": fmt_goal_effect(r["effect"], "pp" if pp else "", decimals=pp),
                    "ci": f"{fmt_goal_effect(r['effect_low'], decimals=pp)} to "
                    f"{fmt_goal_effect(r['effect_high'], decimals=pp)}",
                    "cost": fmt_eur(cost) if _ok(cost) else "buys nothing",
                    "extra_spend": fmt_eur(r["extra_spend_eur"], sign=True),
                    "p_base": _pct(r["p_beats_baseline"]),
                    "p_next": _pct(r["p_beats_next"]) if r["next_plan"] else "-",
                    "next_plan": r["next_plan"],
                    "relevant": "yes" if r["relevant"] else "no",
                    "is_clear": "yes" if r["clear"] else "no",
                    "cls": "best" if r["clear"] and r["relevant"] and r["effect"] > 0 else "",
                }
            )
        statistic = {
            "mean_second_half": "mean over the second half of the run",
            "sum": "total over the run",
            "last": "by the end of the run",
        }[goal.statistic]
        out.append(
            {
                "goal": name,
                "label": goal.label,
                "title": goal.label[:1].upper() + goal.label[1:],
                "unit": unit,
                "statistic": statistic,
                "threshold": goal.describe_threshold(),
                "cost_unit": str(sub["cost_unit"].iloc[0]),
                "rows": rows,
            }
        )
    return out


SEGMENT_TITLES = {"region_group": "region group (Regional Innovation Scoreboard)", "sector": "sector"}


def _group_rank(name: str, groups: tuple[str, ...]) -> int:
    return groups.index(name) if name in groups else len(groups)


def _per_1000(v: float) -> str:
    return f"{v:+.1f}" if math.isfinite(v) else "n/a"


def _segment_context(comp: Comparison) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Tables by region group and by sector (successful OI projects), and the targeting rows."""
    from ...core.regions import GROUPS

    seg = comp.segments
    tables: list[dict[str, Any]] = []
    if seg is not None and len(seg):
        mine = seg[seg["outcome"] == "successful_projects"]
        for label in comp.labels:
            for dim, title in SEGMENT_TITLES.items():
                sub = mine[(mine["scenario"] == label) & (mine["dimension"] == dim)]
                names = [str(v) for v in sub["segment"]]
                rank = sorted(range(len(names)), key=lambda i: (_group_rank(names[i], GROUPS), names[i]))
                sub = sub.iloc[rank]
                rows = []
                for _, r in sub.iterrows():
                    ratio = fmt_eur(r["eur_per_unit"]) if _ok(r["eur_per_unit"]) else r["status"]
                    if r["status"] == "uncertain gain" and _ok(r["eur_per_unit"]):
                        ratio += " (uncertain gain)"
                    rows.append(
                        {
                            "segment": str(r["segment"]).replace("_", " "),
                            "smes": fmt_count(r["real_smes"]),
                            "additional": fmt_count(r["additional"], sign=True),
                            "additional_ci": fmt_ci(r["additional_ci_low"], r["additional_ci_high"], "real count"),
                            "per_1000": _per_1000(r["per_1000_smes"]),
                            "per_1000_ci": f"{_per_1000(r['per_1000_ci_low'])} to {_per_1000(r['per_1000_ci_high'])}",
                            "cost": fmt_eur(r["additional_cost_eur"], sign=True),
                            "ratio": ratio,
                            "cls": "clear" if r["clear"] else "",
                        }
                    )
                tables.append({"label": label, "dimension": title, "rows": rows})
    targeting = []
    tg = comp.targeting
    if tg is not None and len(tg):
        for _, r in tg.iterrows():
            targeting.append(
                {
                    "cells_of": r["cells_of"],
                    "cells": r["cells"],
                    "scenario": r["scenario"],
                    "inside": f"{_per_1000(r['inside_per_1000'])} "
                    f"({_per_1000(r['inside_ci_low'])} to {_per_1000(r['inside_ci_high'])})",
                    "outside": f"{_per_1000(r['outside_per_1000'])} "
                    f"({_per_1000(r['outside_ci_low'])} to {_per_1000(r['outside_ci_high'])})",
                    "effect": f"{_per_1000(r['targeting_effect'])} "
                    f"({_per_1000(r['targeting_ci_low'])} to {_per_1000(r['targeting_ci_high'])})",
                    "is_clear": "yes" if r["clear"] else "no",
                    "cls": "clear" if r["clear"] else "",
                }
            )
    return tables, targeting


def report_context(comp: Comparison, figures: list[FigureInfo], command: str | None = None) -> dict[str, Any]:
    """Everything the templates show, as plain strings and lists."""
    from ...core.metrics import INDICATORS

    meta = comp.meta
    steps = meta["months"]
    R = meta["replications"]
    headline = comp.headline()
    ce = comp.cost_effectiveness
    glance: list[dict[str, Any]] = []
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
                    "additional": fmt_count(row["additional"], sign=True),
                    "additional_ci": fmt_ci(row["additional_ci_low"], row["additional_ci_high"], "real count"),
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
            title = guide_title(r["indicator"])
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
                    "reading": r["reading"],
                    "relevance": r["relevance"],
                    "cls": _reading_class(r["reading"]),
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
                    "successes": f"{fmt_count(succ['additional'], sign=True)} "
                    f"({fmt_ci(succ['additional_ci_low'], succ['additional_ci_high'], 'real count')})",
                    "cross_border": fmt_count(sub.loc["cross_border_partnerships", "additional"], sign=True),
                    "scaling": fmt_count(sub.loc["smes_reaching_scaling_up", "additional"], sign=True),
                    "cost": fmt_eur(succ["additional_cost_eur"], sign=True),
                    "ratio": ratio + (f" ({ratio_ci})" if ratio_ci and succ["status"] != "saves money" else ""),
                }
            )
        country_tables.append({"label": label, "rows": rows})

    segment_tables, targeting_rows = _segment_context(comp)

    # costs: levers against ceilings, countries
    cost_tables = []
    for label in comp.all_labels:
        cl = comp.ceilings[comp.ceilings["scenario"] == label] if len(comp.ceilings) else comp.ceilings
        levers = [
            {
                "lever": r["lever"].replace("_", " "),
                "spent": fmt_eur(r["spent_eur"]),
                "ceiling": fmt_eur(r["ceiling_eur"])
                if _ok(r["ceiling_eur"])
                else ("unbounded" if r["ceiling_eur"] == np.inf else "n/a"),
                "utilisation": f"{100 * r['utilisation']:.0f}%" if _ok(r["utilisation"]) else "-",
            }
            for _, r in cl[cl["level"] == LEVEL_LEVER].iterrows()
            if r["spent_eur"] > 0 or (_ok(r["ceiling_eur"]) and r["ceiling_eur"] > 0)
        ]
        costs = comp.costs[comp.costs["scenario"] == label]
        tot_spent = float(costs.loc[costs["level"] == LEVEL_PLAN, "eur"].sum())
        plan_row = cl[cl["level"] == LEVEL_PLAN]
        tot_ceiling = float(plan_row["ceiling_eur"].iloc[0]) if len(plan_row) else math.nan
        byc = costs[costs["level"] == LEVEL_COUNTRY].set_index("country")["eur"]
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
                "total_ceiling": fmt_eur(tot_ceiling)
                if math.isfinite(tot_ceiling)
                else ("unbounded" if tot_ceiling == math.inf else "n/a"),
                "measures": measures,
            }
        )

    guide = [
        {"indicator": k, "title": t, "text": txt, "unit": INDICATORS[k].unit if k in INDICATORS else ""}
        for k, (t, txt) in GUIDE.items()
    ]
    real = meta.get("represented_smes")
    fmt = {"R": R, "N": f"{meta.get('n_smes'):,}", "T": steps, "REAL": f"{real:,}" if real else "n/a"}
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
    from ...analyses.decision import sentences

    return {
        "uncertainty_rows": uncertainty_context(comp),
        "title": f"Deployment plans compared with '{comp.baseline}'",
        "summary": sentences(comp.decision) if len(comp.decision) else [],
        "decision": decision_context(comp),
        "real_smes": f"{real:,}" if real else "n/a",
        "baseline": comp.baseline,
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
        "heatmaps": [f for f in figures if f.stem == "partner_type_by_stage"],
        "maps": [f for f in figures if f.stem.startswith("effects_map_")],
        "region_maps": [f for f in figures if f.stem.startswith("region_map_")],
        "segment_tables": segment_tables,
        "targeting": targeting_rows,
        "months": steps,
        "R": R,
        "headline_names": list(HEADLINE),
        **plausibility_context(comp),
    }


def plausibility_context(comp: Comparison) -> dict[str, Any]:
    """The "Plausibility in real units" section: its rows as text and one summary line per scenario."""
    from ...analyses.plausibility import display_rows, summary_sentence

    table = comp.plausibility
    if table is None or table.empty:
        return {"plausibility": [], "plausibility_summary": []}
    summary = [f"{label}: {summary_sentence(g)}" for label, g in table.groupby("scenario", sort=False)]
    return {"plausibility": display_rows(table), "plausibility_summary": summary}
