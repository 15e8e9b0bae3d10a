"""One rule reduces a run's monthly series to one number (results.reduce_series)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from inspire_sim.results import FINAL, MEAN_PER_MONTH, TOTAL, reduce_series

VALUES = pd.Series([1.0, 2.0, 3.0, 10.0])
STEPS = pd.Series([1, 2, 3, 4])


@pytest.mark.parametrize(
    ("stat", "expected"),
    [("final", 10.0), (FINAL, 10.0), ("mean", 4.0), (MEAN_PER_MONTH, 4.0), ("cumulative", 16.0), (TOTAL, 16.0)],
)
def test_known_answers(stat, expected):
    assert reduce_series(VALUES, stat) == expected


def test_window_restricts_mean_and_sum_not_final():
    assert reduce_series(VALUES, "mean", STEPS, (2, 3)) == 2.5
    assert reduce_series(VALUES, "cumulative", STEPS, (3, 4)) == 13.0
    assert reduce_series(VALUES, "final", STEPS, (1, 2)) == 10.0


def test_bad_input():
    with pytest.raises(ValueError, match="unknown statistic 'median'"):
        reduce_series(VALUES, "median")
    with pytest.raises(ValueError, match="needs the months"):
        reduce_series(VALUES, "mean", window=(1, 2))
    assert math.isnan(reduce_series(pd.Series([], dtype="float64"), "final"))
