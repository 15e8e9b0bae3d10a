"""Virtual lottery trials: uptake shares add up, vouchers work, absent levers get one clear line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import inspire_sim as I
from inspire_sim.analyses.trial import HORIZONS, OUTCOMES, TrialResult, published_comparison, run_trial, write_trial
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
            "--n-smes",
            "600",
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
    assert json.loads((out / "manifest.json").read_text())["scenario"]["model"]["n_smes"] == 600  # --n-smes
    # vouchers have published lottery evaluations: the comparison is written and reported
    pub = pd.read_csv(out / "published.csv")
    assert list(pub["measure"]) == ["take_up", "additionality", "deadweight", "unused"]
    assert "Against published evaluations" in (out / "report.md").read_text()
    assert "published.csv" in capsys.readouterr().out
    rc = main(["trial", "baseline", "--lever", "no_such_lever", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "support_funding, matchmaking" in err
    rc = main(["trial", "baseline", "--lever", "support_funding", "--n-smes", "0", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "--n-smes" in err and "fix" in err


def test_report_with_figures(small, tmp_path):
    res = run_trial(small.with_overrides({"oi_toolbox.start": 0}), "oi_toolbox", replications=2, seed=2, steps=14)
    files = write_trial(res, tmp_path)
    assert (tmp_path / "effects.png").stat().st_size > 1000 and (tmp_path / "uptake.png").exists()
    assert {f.name for f in files} >= {"report.html", "report.md"}
    assert max(HORIZONS) == 60


def _fake(lever: str, **uptake: list[float]) -> TrialResult:
    return TrialResult(
        scenario="s", lever=lever, share=0.5, replications=3, seed=0, steps=12,
        uptake=pd.DataFrame({"lever": lever, "replicate": [0, 1, 2], "awarded": 100, **uptake}),
        effects=pd.DataFrame(), per_replicate=pd.DataFrame(),
    )  # fmt: skip


def test_published_comparison_known_answers():
    res = _fake(
        "support_funding",
        take_up=[0.84, 0.85, 0.86],  # in 0.69-0.90
        additionality=[0.50, 0.51, 0.52],  # below 0.65-0.80
        deadweight=[0.34, 0.34, 0.34],  # above 0.10-0.20
        unused=[0.16, 0.15, 0.14],
    )
    pub = published_comparison(res).set_index("measure")
    assert pub.loc["take_up", "model"] == pytest.approx(0.85)
    assert (pub.loc["take_up", "published_low"], pub.loc["take_up", "published_high"]) == (0.69, 0.9)
    assert pub.loc["take_up", "ci_low"] < 0.85 < pub.loc["take_up", "ci_high"]
    assert pub["reading"].to_dict() == {
        "take_up": "within",
        "additionality": "below",
        "deadweight": "above",
        "unused": "within",
    }
    # the 2005 deadweight is derived from that round's redemption and additionality (0.85 - 0.65)
    assert pub.loc["deadweight", "published_high"] == pytest.approx(0.20)
    assert "derived" in pub.loc["deadweight", "sources"] and "CPB" in pub.loc["additionality", "sources"]
    # a wide CI that reaches the range only "overlaps"
    wide = _fake("support_funding", take_up=[0.6, 0.66, 0.62], additionality=[0.7] * 3, deadweight=[0.1] * 3,
                 unused=[0.4, 0.34, 0.38])  # fmt: skip
    assert published_comparison(wide).set_index("measure").loc["take_up", "reading"] == "overlaps"


def test_levers_without_published_evaluations_get_no_comparison():
    assert published_comparison(_fake("matchmaking", take_up=[0.6] * 3, additionality=[0.4] * 3,
                                      deadweight=[0.2] * 3, unused=[0.4] * 3)).empty  # fmt: skip
