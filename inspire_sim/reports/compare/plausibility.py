"""Plausibility in real units for a comparison: every scenario's headline figures against real-world references.

One block of rows per scenario (the baseline first): the rows of
:func:`inspire_sim.analyses.plausibility.plausibility_table` on that scenario's replications, and
for each plan the cost per additional OI project (cost-effectiveness table, outcome
``oi_projects_started``) against the CPB voucher evaluations -- judged for voucher plans only
(:func:`~inspire_sim.analyses.plausibility.is_voucher_plan`), ``not applicable`` for the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from ...analyses.plausibility import (
    COLUMNS,
    is_voucher_plan,
    load_references,
    plausibility_table,
    voucher_cost_row,
)

if TYPE_CHECKING:
    from .tables import Comparison

COST_OUTCOME = "oi_projects_started"


def _scenario_of(comp: Comparison, label: str) -> Any:
    scen = comp.scenarios.get(label)
    if scen is not None:
        return scen
    runs = comp.results.get(label) or []
    return ((runs[0].manifest or {}).get("scenario") or {}) if runs else {}


def comparison_plausibility(comp: Comparison) -> pd.DataFrame:
    """The plausibility table of a comparison: ``scenario`` + the columns of :func:`plausibility_table`."""
    refs = load_references()
    frames = []
    ce = comp.cost_effectiveness
    for label in [comp.baseline, *comp.labels]:
        table = plausibility_table(comp.results[label], references=refs)
        if label != comp.baseline and len(ce):
            row = ce[(ce["scenario"] == label) & (ce["outcome"] == COST_OUTCOME)]
            if len(row):
                r = row.iloc[0]
                extra = voucher_cost_row(
                    float(r["eur_per_unit"]),
                    str(r["status"]),
                    is_voucher_plan(_scenario_of(comp, label), _scenario_of(comp, comp.baseline)),
                    refs,
                )
                table = pd.concat([table, pd.DataFrame([extra], columns=list(COLUMNS))], ignore_index=True)
        frames.append(table.assign(scenario=label)[["scenario", *COLUMNS]])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["scenario", *COLUMNS])
