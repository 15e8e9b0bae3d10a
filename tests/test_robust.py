"""Robustness across plausible worlds: CRN, tables, PRIM known answer, guards."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import inspire_sim as I
from inspire_sim.analyses.goals import GOALS, parse_thresholds
from inspire_sim.analyses.robust import RobustResult, discover, latin_worlds, robust, write_outputs

pytest.importorskip("ema_workbench")
SMALL = {"n_smes": 250, "steps": 24}


@pytest.fixture(scope="module")
def small_result() -> RobustResult:
    base = I.load_scenario("baseline", **SMALL)
    twin = dataclasses.replace(base, name="baseline_twin")  # the baseline under another name
    funding = I.load_scenario("innovation_vouchers", **SMALL)
    return robust(base, [twin, funding], worlds=6, seed=3, workers=1)


@pytest.mark.slow  # shares small_result: 3 plans x 6 worlds (~6 s)
def test_a_copy_of_the_baseline_has_zero_effect_in_every_world(small_result: RobustResult) -> None:
    """Common random numbers: same parameters and seed per world => identical runs."""
    twin = small_result.effects[small_result.effects["plan"] == "baseline_twin"]
    assert len(twin) == 6
    assert (twin[[*GOALS, "spend_eur"]].to_numpy() == 0).all()
    sat = small_result.satisficing
    assert (sat.loc[sat["plan"] == "baseline_twin", "share_of_worlds_meeting"] == 0).all()


@pytest.mark.slow  # shares small_result: 3 plans x 6 worlds (~6 s)
def test_funding_spends_more_and_tables_are_consistent(small_result: RobustResult, tmp_path) -> None:
    fund = small_result.effects[small_result.effects["plan"] == "innovation_vouchers"]
    assert (fund["spend_eur"] > 0).all()
    reg = small_result.regret
    assert ((reg["mean_regret"] >= 0) & (reg["max_regret"] >= reg["mean_regret"])).all()
    sat = small_result.satisficing["share_of_worlds_meeting"]
    assert sat.between(0, 1).all()
    paths = write_outputs(small_result, tmp_path, figures=False)
    boxes = pd.read_csv(paths["prim_boxes"])
    assert {"plan", "goal", "coverage", "density", "restricted_dimensions"} <= set(boxes.columns)
    assert "# Robustness of plans against baseline" in paths["report"].read_text()


def test_worlds_cover_the_plausible_ranges() -> None:
    w = latin_worlds(50, seed=1)
    specs = {s.name: s for s in I.levers.parameter_specs()}
    for col in w.columns.drop("world"):
        sa_range = specs[col].sa_range
        assert sa_range is not None, f"{col} has no sa_range"
        lo, hi = sa_range
        assert w[col].between(lo, hi).all()
        # Latin hypercube: exactly one draw in each of 50 equal strata
        strata = np.floor((w[col] - lo) / (hi - lo) * 50).clip(0, 49)
        assert len(set(strata)) == 50
    assert latin_worlds(5, seed=1).equals(latin_worlds(5, seed=1))
    assert not latin_worlds(5, seed=1).equals(latin_worlds(5, seed=2))


@pytest.mark.slow  # EMA PRIM on 300 worlds for each of the four goals (~3.5 s)
def test_prim_finds_the_planted_box() -> None:
    """Misses exactly when x1 < 0.3: PRIM must restrict x1 from above near 0.3 and nothing else much."""
    rng = np.random.default_rng(0)
    n = 300
    worlds = pd.DataFrame({"world": np.arange(n), "model.x1": rng.random(n), "model.x2": rng.random(n)})
    miss = worlds["model.x1"] < 0.3
    effects = pd.DataFrame({"world": np.arange(n), "plan": "p", **{g: np.where(miss, -1.0, 5.0) for g in GOALS}})
    for g in GOALS:
        effects[f"{g}_relative"] = effects[g]
    res = RobustResult(
        worlds=worlds, runs=pd.DataFrame(), effects=effects, thresholds={g: 0.0 for g in GOALS},
        baseline="b", plans=["p"], source="test",
    )  # fmt: skip
    boxes = discover(res)
    row = boxes[boxes["goal"] == "oi_share"].iloc[0]
    assert row["explains"] and row["density"] >= 0.9 and row["coverage"] >= 0.8
    assert "x1 below 0.3" in row["note"] or "x1 below 0.29" in row["note"] or "x1 below 0.31" in row["note"]


def test_guards_give_one_line_errors() -> None:
    base = I.load_scenario("baseline", **SMALL)
    other = dataclasses.replace(I.load_scenario("national_funding", n_smes=300, steps=24), name="bigger")
    with pytest.raises(I.InputError, match="another population"):
        robust(base, [other], worlds=4, workers=1)
    with pytest.raises(I.InputError, match="--worlds"):
        robust(base, [other], worlds=2)
    with pytest.raises(I.InputError, match="did you mean 'oi_share'"):
        parse_thresholds({"oi_shar": 1.0})
    from inspire_sim.cli import main

    assert main(["robust", "baseline", "national_funding", "--posterior", "/nonexistent", "--out", "/tmp/x"]) == 2
