"""Policy goals: what a plan is meant to buy, measured the same way everywhere.

A :class:`Goal` names a run indicator, how one run is reduced to one number (its statistic over
the reporting months), its unit and a practical-relevance threshold. Counts are in real-population
units (``metrics.real_name``), so effects and costs per additional outcome do not depend on how many
SMEs are simulated. ``robust`` (and the
decision report) rank plans by these goals; :func:`goal_values` is the one reduction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..errors import InputError, unknown_key_fix


@dataclass(frozen=True)
class Goal:
    """One policy goal: indicator, reduction, unit and the smallest effect worth having."""

    name: str
    label: str
    indicator: str
    statistic: Literal["mean_second_half", "sum", "last"]
    unit: str
    threshold: float  # practical relevance: the smallest effect (plan - baseline) that meets the goal
    relative: bool  # threshold as a share of the baseline value (True) or in the goal's unit (False)

    def describe_threshold(self, threshold: float | None = None) -> str:
        t = self.threshold if threshold is None else threshold
        if self.relative:
            return f"+{t:.0%} over the baseline"
        return f"+{t:g} {self.unit.removesuffix('s') if t == 1 else self.unit}"


GOALS: dict[str, Goal] = {
    g.name: g
    for g in (
        Goal("oi_share", "more SMEs doing open innovation", "cooperating_share", "mean_second_half",
             "percentage points", 1.0, False),
        Goal("cross_border", "more cross-border partnerships", "new_cross_border", "sum", "partnerships", 0.05, True),
        Goal("scaling_up", "more SMEs reaching scaling-up", "scaling_up_reached", "last", "SMEs", 0.05, True),
        Goal("successes", "more successful OI projects", "successes", "sum", "projects", 0.05, True),
    )
}  # fmt: skip
"""The four goals of the deployment plan (issue: a policymaker's answer)."""

SPEND = "spend_total"


def reduce(ts: Any, indicator: str, statistic: str) -> float:
    """One number from a run's timeseries column, counts in real-population units."""
    from ..core.metrics import real_name

    name = real_name(indicator)
    col = ts[name if name in ts.columns else indicator].to_numpy(dtype=float)
    if statistic == "mean_second_half":
        return float(np.mean(col[len(col) // 2 :]))
    if statistic == "sum":
        return float(np.sum(col))
    return float(col[-1])


def goal_values(result: Any) -> dict[str, float]:
    """Every goal's value in one run, plus total spend (real EUR); shares in percentage points, counts in
    real SMEs/projects (the simulated count times real SMEs per simulated SME)."""
    ts = result.timeseries
    out = {}
    for g in GOALS.values():
        v = reduce(ts, g.indicator, g.statistic)
        out[g.name] = 100.0 * v if g.unit == "percentage points" else v
    out["spend_eur"] = float(ts[SPEND].sum())
    return out


def parse_thresholds(items: dict[str, Any]) -> dict[str, float]:
    """Goal thresholds: the defaults, overridden by ``{goal: value}`` (validated, one-line errors)."""
    out = {g.name: g.threshold for g in GOALS.values()}
    for name, value in items.items():
        if name not in GOALS:
            raise InputError("unknown goal", field=f"--goal {name}", fix=unknown_key_fix(name, GOALS))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
            raise InputError(f"must be a number, got {value!r}", field=f"--goal {name}", fix=f"write {name}=0.1")
        out[name] = float(value)
    return out
