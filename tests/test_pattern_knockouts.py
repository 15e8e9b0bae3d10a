"""Falsifiable patterns: each measure passes in the baseline and fails when its mechanism is knocked out.

A measure whose knockout leaves it passing would be no evidence for its mechanism; the null model
(every knockout at once) must fail most measures.
"""

from __future__ import annotations

import pytest

import inspire_sim as I
from inspire_sim.analyses.patterns import MEASURES, check_patterns, null_model_overrides

R = 5
SIZE = {"n_smes": 2000}
GROUPS: dict[tuple, list] = {}
for _m in MEASURES:
    GROUPS.setdefault(tuple(sorted(_m.knockout.items())), []).append(_m)


def test_every_measure_declares_its_mechanism_and_knockout() -> None:
    for m in MEASURES:
        assert m.mechanism, f"{m.name} names no mechanism"
        assert m.knockout, f"{m.name} has no knockout"
        I.load_scenario("baseline").with_overrides(dict(m.knockout))  # the overrides are valid parameters


@pytest.fixture(scope="module")
def knockout_runs() -> dict[tuple, list]:
    base = I.load_scenario("baseline", **SIZE)
    return {key: I.run_replications(base.with_overrides(dict(key)), R, seed=404) for key in GROUPS}


@pytest.mark.slow
@pytest.mark.parametrize("key", list(GROUPS), ids=["+".join(k for k, _ in key) for key in GROUPS])
def test_knockout_fails_its_measures(knockout_runs, key) -> None:
    table = check_patterns(knockout_runs[key]).set_index("measure")
    for m in GROUPS[key]:
        row = table.loc[m.name]
        assert not row["passed"], (
            f"{m.pattern} {m.name} still passes ({row['value']:.4f} in [{m.lo}, {m.hi}]) with its mechanism "
            f"'{m.mechanism}' knocked out by {dict(key)}"
        )


@pytest.mark.slow
def test_null_model_fails_most_measures() -> None:
    runs = I.run_replications(I.load_scenario("baseline", **SIZE).with_overrides(null_model_overrides()), R, seed=404)
    table = check_patterns(runs)
    passing = sorted(table.loc[table["passed"], "measure"])
    assert len(passing) <= 3, f"the null model (all mechanisms off) passes {len(passing)} measures: {passing}"
