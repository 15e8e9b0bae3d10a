"""Virtual lottery trials: uptake shares add up, vouchers work, absent levers get one clear line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import inspire_sim as I
from inspire_sim.analyses.trial import HORIZONS, OUTCOMES, run_trial, write_trial
from inspire_sim.cli import main
from inspire_sim.errors import InputError
from inspire_sim.levers import SHIPPED

W = 500


@pytest.fixture(scope="module")
def small():
    return I.load_scenario("no_support", n_smes=1000, steps=30, burn_in=12)


@pytest.mark.parametrize("lever", SHIPPED)
def test_every_shipped_lever_can_be_trialled(small, lever):
    scen = small.with_overrides({f"{lever}.start": 0})
    res = run_trial(scen, lever, replications=2, seed=3, steps=14)
    u = res.uptake
    assert list(u.columns) == ["lever", "replicate", "awarded", "take_up", "additionality", "deadweight", "unused"]
    assert (u["lever"] == lever).all() and (u["awarded"] > 0).all()
    assert np.allclose(u["additionality"] + u["deadweight"], u["take_up"])
    assert np.allclose(u["take_up"] + u["unused"], 1.0)
    assert set(res.effects["outcome"]) == set(OUTCOMES) and set(res.effects["horizon_months"]) == {12}


def test_voucher_lottery_raises_projects_of_winners(small):
    scen = small.with_overrides({"support_funding.budget_per_step": 100_000.0 * W})
    res = run_trial(scen, "support_funding", replications=3, seed=1, steps=30)
    e = res.effects.set_index(["outcome", "horizon_months"])
    assert e.loc[("projects_started", 12), "effect"] > 0
    assert e.loc[("projects_started", 12), "ci_low"] <= e.loc[("projects_started", 12), "effect"]
    assert 0 < res.uptake["additionality"].mean() < 1 and res.uptake["unused"].mean() > 0


def test_absent_lever_is_one_line_listing_the_scenario_levers():
    with pytest.raises(InputError, match="its levers: support_funding, matchmaking"):
        run_trial(I.load_scenario("baseline"), "oi_toolbox", replications=2)


def test_trial_command_writes_the_report(tmp_path, capsys):
    out = tmp_path / "t"
    rc = main(
        [
            "trial",
            "baseline",
            "--lever",
            "support_funding",
            "--replications",
            "2",
            "--steps",
            "14",
            "--set",
            "n_smes=600",
            "--set",
            "burn_in=6",
            "--out",
            str(out),
            "--quiet",
            "--no-figures",
        ]
    )
    assert rc == 0
    for name in ("uptake.csv", "effects.csv", "report.html", "report.md", "manifest.json"):
        assert (out / name).exists(), name
    assert "take-up" in (out / "report.md").read_text()
    assert len(pd.read_csv(out / "uptake.csv")) == 2
    rc = main(["trial", "baseline", "--lever", "no_such_lever", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "support_funding, matchmaking" in err


def test_report_with_figures(small, tmp_path):
    res = run_trial(small.with_overrides({"oi_toolbox.start": 0}), "oi_toolbox", replications=2, seed=2, steps=14)
    files = write_trial(res, tmp_path)
    assert (tmp_path / "effects.png").stat().st_size > 1000 and (tmp_path / "uptake.png").exists()
    assert {f.name for f in files} >= {"report.html", "report.md"}
    assert max(HORIZONS) == 60
