"""Budget accounting: what each measure and lever of a plan may spend, and what a run spent."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..results import RunResult


def _spend_table(result: RunResult, countries: list[str]) -> pd.DataFrame:
    """lever x country total spending over the run (EUR), zeros included."""
    from ..params import LEVERS

    sp = result.spend
    tab = sp.groupby(["lever", "country"], observed=False)["eur"].sum() if len(sp) else pd.Series(dtype="float64")
    idx = pd.MultiIndex.from_product([list(LEVERS), countries], names=["lever", "country"])
    return tab.reindex(idx, fill_value=0.0).astype("float64")


def measure_ceiling(policy: Any, steps: int) -> float:
    """Most a measure can spend over ``steps`` months (EUR): the smaller of its
    ``total_budget`` and ``budget_per_step`` x active months; inf when neither caps it."""
    end = min(policy.end if policy.end is not None else steps, steps)
    months = max(0, end - policy.start)
    if months == 0:
        return 0.0
    cap = math.inf
    if policy.budget_per_step is not None:
        cap = policy.budget_per_step * months
    if policy.total_budget is not None:
        cap = min(cap, policy.total_budget)
    return cap


def plan_ceilings(scenario: Any, steps: int) -> dict[str, float]:
    """Ceiling of each lever's spending over ``steps`` months (EUR): the sum of
    :func:`measure_ceiling` over the scenario's measures of that lever."""
    from ..params import LEVERS

    out = dict.fromkeys(LEVERS, 0.0)
    for p in scenario.policies:
        out[p.kind] += measure_ceiling(p, steps)
    return out
