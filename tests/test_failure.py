"""Failure that matters (issue 20): confidence, abandonment and partner churn at the levels the
cited figures support, and failure-recovery support that repairs something.

The effect tests pair each replication of the baseline with the same seed under full-coverage
failure-recovery support (common random numbers): the paired difference is the support's effect.
Knockouts switch one mechanism of the failure submodel off and check that its sign disappears.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pytest

import inspire_sim as I
from inspire_sim.core import rules

N, STEPS, R, SEED = 2000, 120, 8, 20
# every SME that failed within the intake window is supported (the lever's effect per SME reached)
SUPPORT = {
    "failure_recovery.start": 0,
    "failure_recovery.capacity": 1_000_000,
    "failure_recovery.budget_per_step": 1e12,
}


@cache
def _runs(overrides: tuple[tuple[str, Any], ...]) -> list[Any]:
    scen = I.load_scenario("baseline", n_smes=N, steps=STEPS).with_overrides(dict(overrides))
    return I.run_replications(scen, R, seed=SEED)


def _stat(runs: list[Any], col: str) -> np.ndarray:
    if col in ("retry_rate_after_failure", "partner_churn"):  # cumulative ratios: the end of the run
        return np.array([r.timeseries[col].iloc[-1] for r in runs])
    return np.array([r.timeseries[col].iloc[-36:].mean() for r in runs])  # the last three years


def _effect(col: str, knockout: dict[str, Any] | None = None) -> tuple[float, float]:
    """Mean paired effect of recovery support on ``col`` and its standard error."""
    ko = tuple(sorted((knockout or {}).items()))
    base, treated = _runs(ko), _runs(ko + tuple(SUPPORT.items()))
    d = _stat(treated, col) - _stat(base, col)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


# --- the pure rules ------------------------------------------------------------------------


def test_confidence_recovers_toward_the_disposition_not_to_one():
    c = rules.recover_confidence(np.array([0.2, 0.9]), np.array([0.5, 0.5]), 0.1, floor=0.5, target=0.7)
    assert c[0] == pytest.approx(0.2 + 0.1 * (0.7 - 0.2))  # up toward 0.7
    assert c[1] == pytest.approx(0.9 - 0.1 * (0.9 - 0.7))  # a success's boost settles back
    boosted = rules.recover_confidence(np.array([0.2, 0.9]), np.array([0.5, 0.5]), 0.1, 3.0, floor=0.5, target=0.7)
    assert boosted[0] == pytest.approx(0.2 + 0.3 * 0.5)  # support speeds recovery ...
    assert boosted[1] == pytest.approx(c[1])  # ... but not the settling back


def test_persistence_multiplies_search_within_the_window_only():
    from inspire_sim.core.state import NO_STEP

    m = np.array([1, 12, 13, -int(NO_STEP)])
    assert rules.persistence(m, 12, 5.0).tolist() == [5.0, 5.0, 1.0, 1.0]


# --- levels ----------------------------------------------------------------------------------


def test_failure_levels_are_plausible():
    base = _runs(())
    conf = _stat(base, "mean_confidence").mean()
    churn = _stat(base, "partner_churn").mean()
    abandoned = _stat(base, "abandoned_share").mean()
    retry = _stat(base, "retry_rate_after_failure").mean()
    assert 0.65 < conf < 0.9, conf  # dispositions U(0.6, 1), dented by failures (not 0.97)
    assert 0.03 < churn < 0.15, churn  # alliances end at ~5-10% a year (Lunnan & Haugland 2008)
    assert 0.004 < abandoned < 0.05, abandoned
    assert 0.1 < retry < 0.5, retry


# --- the effect of failure-recovery support (common random numbers) --------------------------


@pytest.mark.parametrize("col, floor", [("retry_rate_after_failure", 0.035), ("cooperating_share", 0.002)])
def test_recovery_support_repairs_failure(col, floor):
    mean, se = _effect(col)
    assert mean > floor, (col, mean, se)
    assert mean > 3 * se, (col, mean, se)


KNOCKOUTS = {
    # failure costs no confidence and nobody gives up: nothing to repair
    "no_consequence": {"model.failure_confidence_hit": 0.0, "model.abandon_prob": 0.0},
    # no habit of cooperating: an SME whose confidence came back searches no more than any other
    "no_persistence": {"model.coop_persistence": 1.0},
}


@pytest.mark.parametrize("name", sorted(KNOCKOUTS))
def test_knockout_removes_most_of_the_retry_effect(name):
    full, _ = _effect("retry_rate_after_failure")
    ko, _ = _effect("retry_rate_after_failure", KNOCKOUTS[name])
    assert ko < 0.5 * full, (name, ko, full)


def test_knockout_of_tie_breaks_removes_churn():
    churn = _stat(_runs((("model.failure_tie_break", 0.0),)), "partner_churn").mean()
    assert churn < 0.01, churn
