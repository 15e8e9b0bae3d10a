"""``compare --posterior DIR``: replication r of the baseline and of every plan runs with the same
posterior draw r and seed; the report shows noise-only and total intervals (fake posterior folder)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from inspire_sim.analyses.robust import posterior_draws, posterior_median
from inspire_sim.core.scenario import load_scenario
from inspire_sim.errors import InputError
from inspire_sim.reports.compare import compare, run_plans

SMALL: dict[str, Any] = {"replications": 3, "seed": 2, "steps": 6, "n_smes": 150, "workers": 1, "n_boot": 200}
VALUES = [0.3, 0.5, 0.9]


@pytest.fixture()
def posterior(tmp_path):
    """A calibration folder as ``inspire-sim calibrate`` writes it: draws of home_bias with weights."""
    folder = tmp_path / "calib"
    folder.mkdir()
    pd.DataFrame({"model.home_bias": VALUES, "weight": [0.2, 0.5, 0.3]}).to_parquet(folder / "posterior.parquet")
    (folder / "calibrated.toml").write_text('name = "calibrated"\n[model]\nhome_bias = 0.5\n')
    return folder


def _home_bias(run) -> float:
    return float(run.manifest["scenario"]["model"]["home_bias"])


def test_draws_are_reproducible_by_weight_and_the_median_comes_from_calibrated_toml(posterior):
    a, b = posterior_draws(posterior, 50, seed=1), posterior_draws(posterior, 50, seed=1)
    assert a == b and {d["model.home_bias"] for d in a} <= set(VALUES)
    assert posterior_median(posterior) == {"model.home_bias": 0.5}
    with pytest.raises(InputError, match="--posterior"):
        posterior_median(posterior / "missing")


@pytest.mark.slow  # over ~2 s: kept out of make check's fast tier
def test_each_replication_of_every_plan_gets_the_same_draw_and_seed(posterior, tmp_path):
    comp = compare("baseline", ["national_funding"], store=tmp_path / "store", posterior=posterior, **SMALL)
    draws = posterior_draws(posterior, 3, seed=2)
    for r in range(3):
        base, plan = comp.results["baseline"][r], comp.results["national_funding"][r]
        assert _home_bias(base) == _home_bias(plan) == draws[r]["model.home_bias"]
        assert base.manifest["seed"] == plan.manifest["seed"]
    pu = comp.parameter_uncertainty
    assert set(pu["plan"]) == {"national_funding"} and len(pu) == 4
    cols = {"effect_median_world", "noise_low", "noise_high", "effect", "total_low", "total_high", "p_beats_baseline"}
    assert cols <= set(pu.columns)
    assert comp.meta["posterior"]["median"] == {"model.home_bias": 0.5}
    # the noise-only runs are at the median, in the same store (a second key)
    assert comp.meta["posterior"]["noise_only_runs"]["runs_executed"] == 6


@pytest.mark.slow  # over ~2.5 s: kept out of make check's fast tier
def test_the_store_key_includes_the_draw(tmp_path):
    scen = load_scenario("baseline", n_smes=100, steps=3)
    draws = [{"model.home_bias": 0.3}, {"model.home_bias": 0.9}]
    runs, info = run_plans([scen], 2, seed=1, store=tmp_path, draws=draws)
    assert info["runs_executed"] == 2 and [_home_bias(r) for r in runs[0]] == [0.3, 0.9]
    _, info = run_plans([scen], 2, seed=1, store=tmp_path, draws=draws)
    assert info["runs_reused"] == 2
    other, info = run_plans(
        [scen], 2, seed=1, store=tmp_path, draws=[{"model.home_bias": 0.3}, {"model.home_bias": 0.5}]
    )
    assert info["runs_executed"] == 1 and info["runs_reused"] == 1  # only the new draw runs
    np.testing.assert_array_equal(other[0][0].timeseries["successes"], runs[0][0].timeseries["successes"])


@pytest.mark.slow  # over ~2.5 s: kept out of make check's fast tier
def test_the_report_shows_noise_only_and_total_intervals(posterior, tmp_path):
    from inspire_sim.reports.report import write_report

    comp = compare("baseline", ["national_funding"], store=tmp_path / "store", posterior=posterior, **SMALL)
    write_report(comp, tmp_path / "out", figures=False)
    html, md = (tmp_path / "out" / "report.html").read_text(), (tmp_path / "out" / "report.md").read_text()
    for text in (html, md):
        assert "noise-only 95% CI" in text and "total 95% CI" in text and "beats baseline (draws)" in text
    assert (tmp_path / "out" / "parameter_uncertainty.csv").is_file()


def test_cli_posterior_folder_without_posterior_is_one_line(tmp_path, capsys):
    from inspire_sim.cli import main

    (tmp_path / "empty").mkdir()
    args = ["compare", "baseline", "national_funding", "-r", "2", "-t", "3", "-n", "100", "-w", "1", "-q", "--no-pdf"]
    assert main([*args, "--posterior", str(tmp_path / "empty"), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--posterior" in err[0]
