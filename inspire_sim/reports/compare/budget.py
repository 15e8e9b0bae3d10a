"""Budget accounting: what each measure and lever of a plan may spend, and what a run spent.

Levers are plug-ins (:mod:`inspire_sim.levers`): the levers of a comparison are read from the runs
themselves (their ``spend_<kind>`` columns), never from the process-wide registry, so a user lever
registered in one process and absent from another run cannot break the tables.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ...results import RunResult

SPEND_PREFIX = "spend_"
SPEND_TOTAL = "spend_total"


def run_levers(result: RunResult) -> list[str]:
    """The lever kinds a run recorded spending columns for (``spend_<kind>``, in column order)."""
    return [
        c.removeprefix(SPEND_PREFIX)
        for c in result.timeseries.columns
        if c.startswith(SPEND_PREFIX) and c != SPEND_TOTAL
    ]


def levers_of(results: Iterable[RunResult]) -> list[str]:
    """The union of :func:`run_levers` over ``results`` (first-seen order)."""
    out: dict[str, None] = {}
    for r in results:
        out.update(dict.fromkeys(run_levers(r)))
        if len(r.spend):
            out.update(dict.fromkeys(str(x) for x in pd.unique(r.spend["lever"].astype(str))))
    return list(out)


def _spend_table(result: RunResult, countries: list[str], levers: list[str]) -> pd.Series:
    """lever x country total spending over the run (real EUR), zeros included."""
    sp = result.spend
    if len(sp):
        sp = sp.assign(lever=sp["lever"].astype(str), country=sp["country"].astype(str))
        tab = sp.groupby(["lever", "country"])["eur"].sum()
    else:
        tab = pd.Series(dtype="float64")
    idx = pd.MultiIndex.from_product([levers, countries], names=["lever", "country"])
    return tab.reindex(idx, fill_value=0.0).astype("float64")


def measure_ceiling(policy: Any, steps: int) -> float:
    """Most a measure can spend over ``steps`` months (real EUR): the smaller of its
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


def plan_ceilings(scenario: Any, steps: int, levers: Iterable[str] = ()) -> dict[str, float]:
    """Ceiling of each lever's spending over ``steps`` months (real EUR): the sum of
    :func:`measure_ceiling` over the scenario's measures of that lever.

    Keys: the shipped levers, ``levers`` and every lever the scenario uses (user levers named by
    import path are resolved to their registered kind).
    """
    from ...core.policies import resolve_kind
    from ...levers import SHIPPED

    kinds = [resolve_kind(p.kind) for p in scenario.policies]
    out = dict.fromkeys([*SHIPPED, *levers, *kinds], 0.0)
    for p, kind in zip(scenario.policies, kinds, strict=True):
        out[kind] += measure_ceiling(p, steps)
    return out
