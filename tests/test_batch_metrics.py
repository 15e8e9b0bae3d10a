"""The batch-aware recorder: each run's indicators are the run's alone, bit for bit.

Unit tests pin the per-run reductions against numpy on each run's slice (the single run's
operations); the integration tests run a batch of seeds and compare every table of every
run with the same run alone (R = 1), exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
from pandas.testing import assert_frame_equal

from inspire_sim.core.metrics import SegmentSums, country_sums, row_means, row_sums, run_counts, top_sums
from inspire_sim.core.scenario import load_scenario
from inspire_sim.core.simulation import Simulation
from inspire_sim.run import batchable

SIZES = (1, 7, 8, 9, 127, 300, 1000, 8193, 100_000)


def _data(rng: np.random.Generator, size: int, dtype: type) -> np.ndarray:
    """Heavy-tailed values with zeros and negatives: rounding differences would show."""
    x = rng.lognormal(0.0, 2.0, size) * rng.choice([-1.0, 0.0, 1.0, 1.0], size)
    return x.astype(dtype)


# ---------------------------------------------------------------------------- reductions
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", SIZES)
def test_row_sums_and_means_equal_numpy_on_each_runs_slice(dtype, size):
    rng = np.random.default_rng(size)
    for runs in (1, 2, 3, 24) if size <= 8193 else (1, 3):
        x = _data(rng, runs * size, dtype)
        sums, means = row_sums(x, runs), row_means(x, runs)
        assert sums.dtype == dtype and means.dtype == dtype
        for r in range(runs):
            block = x[r * size : (r + 1) * size]
            assert sums[r] == np.sum(block) and means[r] == np.mean(block), (runs, r)
            assert float(means[r]) == float(block.mean())


def test_row_reductions_of_a_strided_view_still_equal_numpy():
    """A non-contiguous input (e.g. a column of a 2-D array) is made contiguous first."""
    rng = np.random.default_rng(5)
    a = _data(rng, 2 * 3 * 1000, np.float32).reshape(3 * 1000, 2)
    x = a[:, 1]
    for r, s in enumerate(row_sums(x, 3)):
        assert s == np.sum(np.ascontiguousarray(x[r * 1000 : (r + 1) * 1000]))


def test_counts_of_booleans_per_run_and_bool_means():
    rng = np.random.default_rng(2)
    m = rng.random(5 * 777) < 0.3
    np.testing.assert_array_equal(row_sums(m, 5), [np.count_nonzero(m[r * 777 : (r + 1) * 777]) for r in range(5)])
    for r, mean in enumerate(row_means(m, 5)):
        assert mean == m[r * 777 : (r + 1) * 777].mean() == np.count_nonzero(m[r * 777 : (r + 1) * 777]) / 777
    run = np.array([0, 2, 2, 4, 2])
    np.testing.assert_array_equal(run_counts(run, 5), [1, 0, 3, 0, 1])
    np.testing.assert_array_equal(run_counts(np.zeros(4, dtype=np.int64), 1), [4])


@pytest.mark.parametrize("size", [5, 300, 1000, 8193])
def test_top_sums_are_each_runs_partition_sum(size):
    rng = np.random.default_rng(size)
    runs = 6
    x = _data(rng, runs * size, np.float64)
    x[:size] = np.abs(x[:size])  # run 0: all positive
    x[size : 2 * size] = -np.abs(x[size : 2 * size])  # run 1: none positive
    k = max(1, int(np.ceil(0.01 * size)))
    got = top_sums(x, runs, k)
    for r in range(runs):
        block = x[r * size : (r + 1) * size]
        positive = block[block > 0]
        if len(positive) > k:
            assert got[r] == np.partition(positive, len(positive) - k)[-k:].sum()
        else:
            assert np.isnan(got[r])
    assert np.isnan(got[1])


def _layout(rng: np.random.Generator, n_countries: int) -> np.ndarray:
    sizes = rng.integers(0, 120, n_countries)
    sizes[rng.integers(n_countries)] += 1
    return np.repeat(np.arange(n_countries), sizes).astype(np.int16)


@pytest.mark.parametrize("runs", [1, 2, 3, 24, 64])
def test_country_sums_equal_the_single_runs_bincount(runs):
    """Sums per (run, country) in row order: the single run's ``np.bincount(country, weights=x)``."""
    rng = np.random.default_rng(runs)
    for n_countries in (1, 2, 5, 31):
        layout = _layout(rng, n_countries)
        country = np.tile(layout, runs)
        x = _data(rng, len(country), np.float64)
        n_run = len(layout)
        for fast in (True, False):
            sums = SegmentSums(country, runs, n_countries, fast=fast)
            assert sums.fast == (fast and runs > 1)  # population.py's layout: one block per country in every run
            got = sums(x)
            assert got.shape == (runs, n_countries)
            for r in range(runs):
                want = np.bincount(layout, weights=x[r * n_run : (r + 1) * n_run], minlength=n_countries)
                np.testing.assert_array_equal(got[r], want)
                assert np.array_equal(np.signbit(got[r]), np.signbit(want))


def test_country_sums_of_an_unsorted_layout_fall_back_to_bincount():
    rng = np.random.default_rng(9)
    layout = rng.permutation(_layout(rng, 6))
    runs = 3
    country = np.tile(layout, runs)
    x = _data(rng, len(country), np.float64)
    sums = SegmentSums(country, runs, 6, fast=True)
    assert not sums.fast
    key = np.repeat(np.arange(runs) * 6, len(layout)) + country
    np.testing.assert_array_equal(sums(x), country_sums(key, x, runs * 6).reshape(runs, 6))


# ---------------------------------------------------------------------------- batch = runs alone
SEEDS = [21, 8, 1000003]


def _simulated(scen, seeds: list[int], months: int = 12) -> Simulation:
    sim = Simulation(scen, seeds)
    sim.burn_in()
    for _ in range(months):
        sim.step()
    return sim


def _tables(rec, run: int) -> dict:
    return {
        "timeseries": rec.timeseries(run),
        "countries": rec.countries(run),
        "spend": rec.spend(run),
        "panel": rec.panel(run),
    }


@pytest.mark.parametrize(("n_smes", "seeds", "months"), [(300, SEEDS, 12), (1000, [5, 77], 6)])
def test_each_runs_tables_in_a_batch_equal_the_run_alone(n_smes, seeds, months):
    """The baseline scenario with its levers (spending, awards and take-up per run)."""
    scen = load_scenario("baseline", n_smes=n_smes, steps=12)
    assert batchable(scen) and scen.policies
    batch = _simulated(scen, seeds, months)
    rec = batch.recorder
    assert rec.runs == len(seeds)
    name = f"{n_smes} SMEs"
    for r, seed in enumerate(seeds):
        alone = _simulated(scen, [seed], months).recorder
        got, want = _tables(rec, r), _tables(alone, 0)
        for table in want:
            assert_frame_equal(got[table], want[table], check_exact=True, obj=f"{name} run {r} {table}")
        assert len(want["timeseries"]) == months and len(want["panel"]) > 0
        assert len(want["spend"]) > 0 and want["timeseries"]["awarded_support_funding"].sum() > 0
        if r == 0:
            assert rec.latest == alone.latest  # undefined ratios are the np.nan object: equal rows compare equal
    # the runs differ (so a table that ignored its run would fail above)
    assert not rec.timeseries(0)["mean_confidence"].equals(rec.timeseries(1)["mean_confidence"])
    assert not rec.countries(0)["innovation_turnover"].equals(rec.countries(1)["innovation_turnover"])
    assert not rec.panel(0)["cash"].equals(rec.panel(1)["cash"])


def test_latest_is_run_zeros_last_row_with_counts_as_int():
    scen = load_scenario("no_support", n_smes=300, steps=12)
    sim = _simulated(scen, [3, 4], months=2)
    rec = sim.recorder
    last = rec.timeseries(0).iloc[-1]
    assert rec.latest["step"] == 2 and type(rec.latest["step"]) is int and type(rec.latest["n_smes"]) is int
    assert rec.latest["n_smes"] == 300
    undefined = [k for k, value in rec.latest.items() if value != value]
    assert undefined and all(rec.latest[k] is np.nan for k in undefined)
    for name, value in rec.latest.items():
        assert value == last[name] or (name in undefined and np.isnan(last[name])), name
    assert rec.timeseries(0)["n_smes"].dtype == np.int64 and rec.timeseries(1)["mean_confidence"].dtype == np.float64


def test_a_run_outside_the_batch_is_refused():
    sim = _simulated(load_scenario("no_support", n_smes=300, steps=12), [3, 4], months=1)
    with pytest.raises(IndexError, match="run 2 is not in this batch of 2"):
        sim.recorder.timeseries(2)


def test_sme_slots_keep_their_country_through_exits():
    """The recorder builds its per-country keys once: entrants must take the leaver's country."""
    scen = load_scenario("no_support", n_smes=300, steps=24)
    sim = Simulation(scen, [3, 4])
    sim.burn_in()
    before = sim.world.actors.country[: sim.world.n].copy()
    exits = 0
    for _ in range(24):
        exits += len(sim.step().upkeep.exits)
    assert exits > 0
    np.testing.assert_array_equal(sim.world.actors.country[: sim.world.n], before)
