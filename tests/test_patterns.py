"""The baseline reproduces the patterns P1-P8 at once over 20 replications."""

from __future__ import annotations

import pytest

import inspire_sim as I
from inspire_sim.analyses.patterns import MEASURES, check_patterns

pytestmark = pytest.mark.slow  # 20 baseline replications (~30 s): make test, not the fast tier


@pytest.fixture(scope="module")
def table():
    runs = I.run_replications(I.load_scenario("baseline"), 20, seed=2026)
    return check_patterns(runs)


def test_every_pattern_is_measured(table):
    assert set(table["pattern"]) == {f"P{k}" for k in range(1, 9)}
    assert len(table) == len(MEASURES)


@pytest.mark.parametrize("measure", [m.name for m in MEASURES])
def test_pattern_measure_within_band(table, measure):
    row = table.set_index("measure").loc[measure]
    assert row["passed"], (
        f"{row['pattern']} {measure} = {row['value']:.4f} outside [{row['lo']}, {row['hi']}]: {row['meaning']}"
    )


def test_cis_calibration_targets(table):
    t = table.set_index("measure")["value"]
    assert 0.10 <= t["cooperating_share"] <= 0.18  # CIS: 10-18% of SMEs cooperate
    assert 0.20 <= t["cross_border_share"] <= 0.45  # about a third of cooperating SMEs go abroad
