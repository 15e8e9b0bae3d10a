"""Falsifiable patterns: each measure passes in the baseline and fails when its mechanism is knocked out.

A measure whose knockout leaves it passing, or moves it out of its band by no more than noise
(3 standard errors over the knockout's replications), would be no evidence for its mechanism; the
null model (every knockout at once) must fail all measures but at most two (issue 20).
"""

from __future__ import annotations

import numpy as np
import pytest

import inspire_sim as I
from inspire_sim.analyses import validate as V
from inspire_sim.analyses.patterns import MEASURES

R = 4
SIZE = {"n_smes": 20000}  # the baseline size: 3 standard errors need it; the patterns: tests/test_patterns.py


def test_every_measure_declares_its_mechanism_and_knockout() -> None:
    for m in MEASURES:
        assert m.mechanism, f"{m.name} names no mechanism"
        assert m.knockout, f"{m.name} has no knockout"
        I.load_scenario("baseline").with_overrides(dict(m.knockout))  # the overrides are valid parameters


def test_margin_in_standard_errors_counts_a_value_that_cannot_be_computed_as_outside() -> None:
    assert V.outside_by(0.5, 0.0, 0.4, 0.02) == pytest.approx(5.0)
    assert V.outside_by(0.3, 0.0, 0.4, 0.02) == pytest.approx(-5.0)
    assert V.outside_by(float("nan"), 0.0, 0.4, 0.02) == np.inf
    assert V.outside_by(-0.1, 0.0, np.inf, 0.0) == np.inf


@pytest.fixture(scope="module")
def tables():
    scen = I.load_scenario("baseline", **SIZE)
    runs = I.run_replications(scen, R, seed=404)
    return V.pattern_table(scen, runs, R, 404, 1)


@pytest.mark.slow
@pytest.mark.parametrize("name", [m.name for m in MEASURES])
def test_knockout_fails_its_measure_by_more_than_three_standard_errors(tables, name) -> None:
    row = tables[0].set_index("measure").loc[name]
    assert row["knockout_fails"], (
        f"{row['pattern']} {name} = {row['knockout_value']:.4f} under its knockout ({row['knockout']}): outside "
        f"[{row['low']}, {row['high']}] by {row['knockout_margin_se']:.2f} standard errors, needs more than "
        f"{V.KNOCKOUT_MARGIN_SE:g}; mechanism '{row['mechanism']}'"
    )


@pytest.mark.slow
def test_null_model_fails_all_measures_but_two(tables) -> None:
    null = tables[1]
    passing = sorted(null.loc[null["passes"], "measure"])
    assert len(passing) <= 2, f"the null model (all mechanisms off) passes {len(passing)} measures: {passing}"
