"""The results store (Parquet + manifest.json) and the replication summary."""

from __future__ import annotations

import filecmp
import json
import re
import subprocess

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from scipy import stats

import inspire_sim
from inspire_sim.core.metrics import INDICATORS
from inspire_sim.manifest import git_revision
from inspire_sim.results import (
    FINAL,
    MEAN_PER_MONTH,
    TOTAL,
    RunResult,
    load_run,
    load_runs,
    mean_ci,
    read_manifest,
    save_run,
    save_runs,
    summarize,
)

SMALL = {"n_smes": 200}
STEPS = 24


@pytest.fixture(scope="module")
def scenario():
    return inspire_sim.load_scenario("baseline", **SMALL)


@pytest.fixture(scope="module")
def reps(scenario):
    """Twelve small replications (also used by the summary tests)."""
    return inspire_sim.run_replications(scenario, 12, seed=7, steps=STEPS)


def _parquet_files(directory):
    return sorted(p.name for p in directory.glob("*.parquet"))


# ----------------------------------------------------------------------------------------
# save / load
# ----------------------------------------------------------------------------------------


def test_round_trip_keeps_every_table(reps, tmp_path):
    save_runs(reps[:3], tmp_path)
    assert _parquet_files(tmp_path) == sorted(f"{t}.parquet" for t in RunResult.TABLES)
    back = load_runs(tmp_path)
    assert len(back) == 3
    for original, loaded in zip(reps[:3], back, strict=True):
        for table in RunResult.TABLES:
            pdt.assert_frame_equal(getattr(loaded, table), getattr(original, table).reset_index(drop=True))
    one = load_run(tmp_path, 2)
    pdt.assert_frame_equal(one.partnerships, reps[2].partnerships.reset_index(drop=True))
    assert one.manifest == back[2].manifest


def test_tables_carry_a_replication_column(reps, tmp_path):
    save_runs(reps[:3], tmp_path)
    ts = pd.read_parquet(tmp_path / "timeseries.parquet")
    assert ts.columns[0] == "replication"
    assert sorted(ts["replication"].unique()) == [0, 1, 2]
    assert len(ts) == 3 * STEPS


def test_load_run_rejects_a_missing_replication(reps, tmp_path):
    save_run(reps[0], tmp_path)
    with pytest.raises(IndexError):
        load_run(tmp_path, 1)


def test_same_seed_gives_bit_identical_parquet(scenario, tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    save_run(inspire_sim.run(scenario, seed=3, steps=STEPS), a)
    save_run(inspire_sim.run(scenario, seed=3, steps=STEPS), b)
    save_run(inspire_sim.run(scenario, seed=4, steps=STEPS), c)
    names = _parquet_files(a)
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert match == names and not mismatch and not errors
    assert (a / "timeseries.parquet").read_bytes() != (c / "timeseries.parquet").read_bytes()


# ----------------------------------------------------------------------------------------
# manifest
# ----------------------------------------------------------------------------------------


def test_manifest_describes_the_run(scenario, reps, tmp_path):
    save_runs(reps[:3], tmp_path, extra={"command": {"argv": ["run"]}})
    man = json.loads((tmp_path / "manifest.json").read_text())
    assert man["version"] == inspire_sim.__version__
    assert man["git_revision"] is None or re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", man["git_revision"])
    assert man["scenario"] == json.loads(json.dumps(scenario.to_dict()))  # full resolved parameters
    assert man["scenario"]["model"]["n_smes"] == SMALL["n_smes"]
    assert scenario.file_hash and man["scenario_file_hash"] == scenario.file_hash
    assert man["n_replications"] == 3
    assert [r["replication"] for r in man["replications"]] == [0, 1, 2]
    seeds = [json.dumps(r["seed"]) for r in man["replications"]]
    assert len(set(seeds)) == 3, "each replication records its own seed"
    assert all("timings" in r for r in man["replications"])
    assert man["tables"]["timeseries"]["rows"] == 3 * STEPS
    assert man["command"] == {"argv": ["run"]}


def test_loaded_manifest_is_the_runs_own(reps, tmp_path):
    save_runs(reps[:2], tmp_path)
    for r, loaded in enumerate(load_runs(tmp_path)):
        for key, value in reps[r].manifest.items():
            assert json.dumps(loaded.manifest[key], sort_keys=True) == json.dumps(value, sort_keys=True, default=str)
    assert read_manifest(tmp_path)["n_replications"] == 2


def test_git_revision_outside_a_repository_is_unknown(tmp_path):
    assert git_revision(tmp_path) is None


def test_git_revision_names_the_commit(tmp_path):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(tmp_path)]
    try:
        subprocess.run([*git, "init", "-q"], check=True)
        (tmp_path / "f.txt").write_text("x")
        subprocess.run([*git, "add", "f.txt"], check=True)
        subprocess.run([*git, "commit", "-q", "-m", "c"], check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.fail(f"git is needed for this test: {exc}")
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert git_revision(tmp_path) == head
    (tmp_path / "f.txt").write_text("y")
    assert git_revision(tmp_path) == head + "+dirty"


# ----------------------------------------------------------------------------------------
# summary over replications
# ----------------------------------------------------------------------------------------


def test_mean_ci_known_answer():
    mean, lo, hi = mean_ci(np.array([1.0, 2.0, 3.0]))
    half = stats.t.ppf(0.975, 2) / np.sqrt(3)
    assert mean == pytest.approx(2.0)
    assert (lo, hi) == pytest.approx((2.0 - half, 2.0 + half))
    assert np.isnan(mean_ci(np.array([5.0]))[1])  # one value: no interval
    assert mean_ci(np.array([4.0, 4.0, np.nan]))[1:] == (4.0, 4.0)  # NaN ignored, no spread


def test_summary_has_every_indicator_with_its_statistic(reps):
    summary = summarize(reps)
    assert list(summary.columns) == ["indicator", "statistic", "unit", "mean", "ci_low", "ci_high", "n"]
    assert set(summary["indicator"]) == set(INDICATORS)
    row = summary.set_index("indicator")
    assert row.loc["cooperating_share", "statistic"] == FINAL
    assert row.loc["new_partnerships", "statistic"] == MEAN_PER_MONTH
    assert row.loc["spend_total", "statistic"] == TOTAL
    assert row.loc["spend_total", "unit"] == "EUR"
    final = np.mean([r.timeseries["cooperating_share"].iloc[-1] for r in reps])
    monthly = np.mean([r.timeseries["new_partnerships"].mean() for r in reps])
    total = np.mean([r.timeseries["spend_total"].sum() for r in reps])
    assert row.loc["cooperating_share", "mean"] == pytest.approx(final)
    assert row.loc["new_partnerships", "mean"] == pytest.approx(monthly)
    assert row.loc["spend_total", "mean"] == pytest.approx(total)


def test_summary_interval_contains_the_mean(reps):
    summary = summarize(reps).dropna(subset=["ci_low"])
    assert len(summary) > 0.8 * len(INDICATORS)
    assert (summary["ci_low"] <= summary["mean"] + 1e-12).all()
    assert (summary["mean"] <= summary["ci_high"] + 1e-12).all()


def test_summary_of_one_run_has_no_interval(reps):
    summary = summarize(reps[:1])
    assert summary["ci_low"].isna().all() and summary["ci_high"].isna().all()
    assert (summary["n"] <= 1).all()


def test_more_replications_give_narrower_intervals(reps):
    """A 12-replication interval is narrower than the typical 3-replication one (mean over the four
    disjoint triples: a single triple can by chance agree closely), by about the t-and-sqrt(n)
    factor of the formula (expected ratio ~ 3.9 for equal spread)."""
    names = ["mean_confidence", "new_partnerships", "cooperating_share", "share_exploration"]
    many = summarize(reps).set_index("indicator").loc[names]
    width_many = many["ci_high"] - many["ci_low"]
    triples = [summarize(reps[k : k + 3]).set_index("indicator").loc[names] for k in range(0, 12, 3)]
    width_few = sum(t["ci_high"] - t["ci_low"] for t in triples) / len(triples)
    assert (width_many > 0).all(), "these indicators should vary between replications"
    ratio = width_few / width_many
    assert (ratio > 1.5).all(), ratio.to_dict()
