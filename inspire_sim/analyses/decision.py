"""The decision table: for each policy goal, the plans ranked by what they buy, at what cost, how sure.

:func:`decide` works on paired replications (replication ``r`` of every plan shares its seed and,
with a posterior, its parameter draw with replication ``r`` of the baseline). For every goal of
:data:`inspire_sim.analyses.goals.GOALS` and every plan it reports, in real-population units:

- ``effect``: mean paired difference plan - baseline, with a 95% Student-t interval;
- ``cost_per_additional``: extra spending / additional outcome (real EUR per additional SME,
  partnership or project; "lower is better"); NaN when the plan buys nothing (effect <= 0);
- ``p_beats_baseline``: the probability that the plan's mean effect is positive (:func:`p_positive`:
  the Student-t model of the interval, so it agrees with it); ``p_beats_next``: the same against
  the plan ranked just below;
- ``relevant``: whether the effect reaches the goal's practical-relevance threshold;
  ``clear``: whether the 95% interval excludes zero.

:func:`sentences` turns the table into plain language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .goals import GOALS, Goal, goal_values


def represented_smes(result: Any) -> float:
    """Real SMEs a run stands for (its manifest's population; the simulated count without one)."""
    pop = (result.manifest or {}).get("population", {}).get("represented_smes")
    if pop:
        return float(sum(pop.values()))
    return float(result.timeseries["n_smes"].iloc[-1])


def _values(runs: Sequence[Any]) -> pd.DataFrame:
    return pd.DataFrame([goal_values(r) for r in runs])


def _per_unit(goal: Goal, effect: np.ndarray, population: float) -> np.ndarray:
    """Additional outcomes in countable units (percentage points of SMEs -> SMEs)."""
    return effect / 100.0 * population if goal.unit == "percentage points" else effect


def p_positive(diff: np.ndarray) -> float:
    """Probability that the mean paired difference is positive: the Student-t distribution of the mean
    (``t_{n-1}``, location = mean, scale = standard error), the same model as the 95% interval, so a
    plan whose interval includes zero never gets more than 97.5%. With no spread: 1 if the mean is
    positive, else 0."""
    diff = np.asarray(diff, dtype=float)
    diff = diff[np.isfinite(diff)]
    n = len(diff)
    if n == 0:
        return float("nan")
    mean = float(diff.mean())
    se = float(diff.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0
    if se == 0.0:
        return 1.0 if mean > 0 else 0.0
    return float(stats.t.cdf(mean / se, n - 1))


def decide(
    results: Mapping[str, Sequence[Any]],
    baseline: str,
    plans: Sequence[str],
    *,
    seed: int = 0,
    thresholds: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The decision table (see the module docstring); one row per goal and plan, ranked within a goal.

    ``seed`` is accepted for a stable call signature; the table draws no random numbers.

    Columns: ``goal, plan, rank, effect, effect_low, effect_high, cost_per_additional,
    p_beats_baseline``, then ``goal_label, unit, cost_unit, extra_spend_eur, p_beats_next, next_plan,
    relevant, clear, threshold, replications``.
    """
    base = _values(results[baseline])
    vals = {p: _values(results[p]) for p in plans}
    n = len(base)
    for p, v in vals.items():
        if len(v) != n:
            raise ValueError(f"plan {p!r} has {len(v)} replications, the baseline {n}: they must be paired")
    population = float(np.mean([represented_smes(r) for r in results[baseline]]))
    tq = stats.t.ppf(0.975, max(n - 1, 1))
    rows = []
    for g in GOALS.values():
        threshold = (thresholds or {}).get(g.name, g.threshold)
        diffs = {p: (vals[p][g.name] - base[g.name]).to_numpy(dtype=float) for p in plans}
        order = sorted(plans, key=lambda p: -float(np.mean(diffs[p])))
        for rank, p in enumerate(order, start=1):
            d = diffs[p]
            mean = float(d.mean())
            half = float(tq * d.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
            extra = float((vals[p]["spend_eur"] - base["spend_eur"]).mean())
            units = float(_per_unit(g, np.array([mean]), population)[0])
            nxt = order[rank] if rank < len(order) else None
            base_mean = float(base[g.name].mean())
            size = mean / base_mean if g.relative and base_mean else mean
            rows.append(
                {
                    "goal": g.name,
                    "goal_label": g.label,
                    "plan": p,
                    "rank": rank,
                    "effect": mean,
                    "effect_low": mean - half,
                    "effect_high": mean + half,
                    "unit": g.unit,
                    "cost_per_additional": extra / units if units > 0 else float("nan"),
                    "cost_unit": "EUR per additional " + ("SME doing OI" if g.name == "oi_share" else g.unit[:-1]),
                    "extra_spend_eur": extra,
                    "p_beats_baseline": p_positive(d),
                    "p_beats_next": p_positive(d - diffs[nxt]) if nxt else float("nan"),
                    "next_plan": nxt or "",
                    "relevant": bool(size >= threshold),
                    "clear": bool(n > 1 and (mean - half > 0 or mean + half < 0)),
                    "threshold": g.describe_threshold(threshold),
                    "replications": n,
                }
            )
    first = ["goal", "plan", "rank", "effect", "effect_low", "effect_high", "cost_per_additional", "p_beats_baseline"]
    table = pd.DataFrame(rows)
    return table[[*first, *(c for c in table.columns if c not in first)]]


def fmt_effect(v: float, unit: str = "", *, decimals: bool | None = None) -> str:
    """``+2.1 percentage points`` / ``+1,234 SMEs``: shares with one decimal, counts as whole numbers
    (``decimals`` forces one or the other when there is no ``unit``)."""
    if not np.isfinite(v):
        return "n/a"
    one = unit == "percentage points" if decimals is None else decimals
    num = f"{v:+.1f}" if one else f"{round(v) + 0:+,d}"
    return f"{num} {unit}".strip()


def _ci(row: Any) -> str:
    one = row["unit"] == "percentage points"
    lo, hi = fmt_effect(row["effect_low"], decimals=one), fmt_effect(row["effect_high"], decimals=one)
    return f"95% CI {lo} to {hi}"


def _eur(v: float) -> str:
    """EUR 1.23 M, EUR 152,600, EUR 950 (as the report); "no gain" when there is none."""
    if not np.isfinite(v):
        return "no gain"
    if abs(v) >= 1e9:
        return f"EUR {v / 1e9:,.2f} bn"
    if abs(v) >= 1e6:
        return f"EUR {v / 1e6:,.2f} M"
    return f"EUR {round(v, -2) if abs(v) >= 1e4 else v:,.0f}"


def _prob(p: float) -> str:
    """A probability: "over 99%" / "under 1%" at the ends, never a flat "100%" or "0%"."""
    if p >= 0.995:
        return "over 99%"
    if p <= 0.005:
        return "under 1%"
    return f"{p:.0%}"


def sentences(table: pd.DataFrame) -> list[str]:
    """One plain-language paragraph per goal: the best plan, what it buys, the cost, how sure."""
    out = []
    for _, g in table.groupby("goal", sort=False):
        best = g.sort_values("rank").iloc[0]
        label = best["goal_label"]
        if best["effect"] <= 0 or not best["clear"]:
            out.append(
                f"For {label}, no plan clearly beats the baseline: the best, {best['plan']}, changes it by "
                f"{fmt_effect(best['effect'], best['unit'])} ({_ci(best)})."
            )
            continue
        text = (
            f"For {label}, {best['plan']} ranks first of {len(g)}: {fmt_effect(best['effect'], best['unit'])} "
            f"({_ci(best)}), "
            f"at {_eur(best['cost_per_additional'])} per additional {best['cost_unit'].split('additional ')[-1]}. "
            f"It beats the baseline with probability {_prob(best['p_beats_baseline'])}"
        )
        if best["next_plan"]:
            text += f" and the next-best plan, {best['next_plan']}, with probability {_prob(best['p_beats_next'])}"
        text += "."
        if not best["relevant"]:
            text += f" The gain is below the practical-relevance threshold ({best['threshold']})."
        out.append(text)
    return out
