"""The decision table: for each policy goal, the plans ranked by what they buy, at what cost, how sure.

:func:`decide` works on paired replications (replication ``r`` of every plan shares its seed and,
with a posterior, its parameter draw with replication ``r`` of the baseline). For every goal of
:data:`inspire_sim.goals.GOALS` and every plan it reports, in real-population units:

- ``effect``: mean paired difference plan - baseline, with a 95% Student-t interval;
- ``cost_per_additional``: extra spending / additional outcome (real EUR per additional SME,
  partnership or project; "lower is better"); NaN when the plan buys nothing (effect <= 0);
- ``p_beats_baseline``: the probability that the plan's mean effect is positive, from a paired
  bootstrap over replications; ``p_beats_next``: the same against the plan ranked just below;
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

N_BOOT = 2000
BOOT_SALT = 0xDEC1


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


def _boot_positive(diff: np.ndarray, rng: np.random.Generator, n_boot: int) -> float:
    """Share of bootstrap resamples (over replications) whose mean difference is positive."""
    if len(diff) < 2:
        return float(diff.mean() > 0) if len(diff) else float("nan")
    idx = rng.integers(0, len(diff), size=(n_boot, len(diff)))
    return float((diff[idx].mean(axis=1) > 0).mean())


def decide(
    results: Mapping[str, Sequence[Any]],
    baseline: str,
    plans: Sequence[str],
    *,
    seed: int = 0,
    thresholds: Mapping[str, float] | None = None,
    n_boot: int = N_BOOT,
) -> pd.DataFrame:
    """The decision table (see the module docstring); one row per goal and plan, ranked within a goal.

    Columns: ``goal, goal_label, plan, rank, effect, effect_low, effect_high, unit,
    cost_per_additional, cost_unit, extra_spend_eur, p_beats_baseline, p_beats_next, next_plan,
    relevant, clear, threshold, replications``.
    """
    base = _values(results[baseline])
    vals = {p: _values(results[p]) for p in plans}
    n = len(base)
    for p, v in vals.items():
        if len(v) != n:
            raise ValueError(f"plan {p!r} has {len(v)} replications, the baseline {n}: they must be paired")
    population = float(np.mean([represented_smes(r) for r in results[baseline]]))
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), BOOT_SALT]))
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
                    "p_beats_baseline": _boot_positive(d, rng, n_boot),
                    "p_beats_next": _boot_positive(d - diffs[nxt], rng, n_boot) if nxt else float("nan"),
                    "next_plan": nxt or "",
                    "relevant": bool(size >= threshold),
                    "clear": bool(n > 1 and (mean - half > 0 or mean + half < 0)),
                    "threshold": g.describe_threshold(threshold),
                    "replications": n,
                }
            )
    return pd.DataFrame(rows)


def _fmt(v: float, unit: str = "") -> str:
    """``+2.1 percentage points`` / ``+1,234 SMEs``; without ``unit`` just the signed number."""
    num = f"{v:+.1f}" if unit in ("percentage points", "") and abs(v) < 100 else f"{v:+,.0f}"
    return f"{num} {unit}".strip()


def _ci(row: Any) -> str:
    return f"95% CI {_fmt(row['effect_low'])} to {_fmt(row['effect_high'])}"


def _eur(v: float) -> str:
    return f"EUR {v:,.0f}" if np.isfinite(v) else "no gain"


def sentences(table: pd.DataFrame) -> list[str]:
    """One plain-language paragraph per goal: the best plan, what it buys, the cost, how sure."""
    out = []
    for _, g in table.groupby("goal", sort=False):
        best = g.sort_values("rank").iloc[0]
        label = best["goal_label"]
        if best["effect"] <= 0 or not best["clear"]:
            out.append(
                f"For {label}, no plan clearly beats the baseline: the best, {best['plan']}, changes it by "
                f"{_fmt(best['effect'], best['unit'])} ({_ci(best)})."
            )
            continue
        text = (
            f"For {label}, {best['plan']} ranks first of {len(g)}: {_fmt(best['effect'], best['unit'])} "
            f"({_ci(best)}), "
            f"at {_eur(best['cost_per_additional'])} per additional {best['cost_unit'].split('additional ')[-1]}. "
            f"It beats the baseline with probability {best['p_beats_baseline']:.0%}"
        )
        if best["next_plan"]:
            text += f" and the next-best plan, {best['next_plan']}, with probability {best['p_beats_next']:.0%}"
        text += "."
        if not best["relevant"]:
            text += f" The gain is below the practical-relevance threshold ({best['threshold']})."
        out.append(text)
    return out
