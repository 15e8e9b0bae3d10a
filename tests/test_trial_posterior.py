"""``trial --posterior DIR``: replicate r (trial and twin) runs posterior draw r; effects add the
noise-only interval at the posterior median and P(effect > 0) (fake posterior folder)."""

from __future__ import annotations

import pandas as pd
import pytest

import inspire_sim as I
from inspire_sim.analyses.trial import run_trial, write_trial
from inspire_sim.cli import main

W = 500


@pytest.fixture()
def posterior(tmp_path):
    folder = tmp_path / "calib"
    folder.mkdir()
    pd.DataFrame({"model.home_bias": [0.3, 0.6, 0.9], "weight": [1.0, 1.0, 1.0]}).to_parquet(
        folder / "posterior.parquet"
    )
    (folder / "calibrated.toml").write_text('name = "calibrated"\n[model]\nhome_bias = 0.6\n')
    return folder


@pytest.mark.slow
def test_trial_with_a_posterior_reports_noise_only_and_total_intervals(posterior, tmp_path):
    from inspire_sim.analyses.robust import posterior_draws

    scen = I.load_scenario("no_support", n_smes=600, steps=14, burn_in=12)
    scen = scen.with_overrides({"support_funding.budget_per_step": 100_000.0 * W})
    res = run_trial(scen, "support_funding", replications=3, seed=1, steps=14, posterior=posterior)
    assert res.manifest["posterior"]["draws"] == posterior_draws(posterior, 3, seed=1)
    e = res.effects
    assert {"effect_median_world", "noise_ci_low", "noise_ci_high", "p_positive"} <= set(e.columns)
    assert e["p_positive"].between(0, 1).all()
    # the noise-only numbers are those of a plain trial at the posterior median
    plain = run_trial(
        scen.with_overrides({"model.home_bias": 0.6}), "support_funding", replications=3, seed=1, steps=14
    )
    pd.testing.assert_series_equal(
        e["effect_median_world"], plain.effects["effect"], check_names=False, check_index=False
    )
    # the draws (0.3, 0.6, 0.9 for seed 1) change the runs: total effects differ from the median world's
    assert not e["effect"].equals(e["effect_median_world"])
    write_trial(res, tmp_path / "out", figures=False)
    for name in ("report.html", "report.md"):
        assert "noise-only 95% CI" in (tmp_path / "out" / name).read_text()


def test_trial_cli_posterior_without_files_is_one_line(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    args = ["trial", "baseline", "--lever", "support_funding", "-r", "2", "-t", "3", "-q"]
    assert main([*args, "--posterior", str(tmp_path / "empty"), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--posterior" in err[0]
