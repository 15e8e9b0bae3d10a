"""Outputs that are the paired effect of a plan (``effect_of``): known answers against direct
runs, common random numbers (a plan against itself has no effect), up-front refusals, and the
shipped Morris screening of a policy effect."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from inspire_sim.core.scenario import SCENARIO_DIR, load_scenario
from inspire_sim.errors import InputError
from inspire_sim.experiments import load_spec, run_sweep, spec_from_dict
from inspire_sim.experiments.execute import statistic
from inspire_sim.run import run

SMALL = {"n_smes": 1000, "burn_in": 6}  # each SME stands for ~1,800: a voucher costs ~EUR 9 M
STEPS = 8


def _spec(outputs: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    return {
        "name": "effects",
        "scenario": "baseline",
        "seed": 5,
        "replications": 2,
        "steps": STEPS,
        "fixed": dict(SMALL),
        "factors": [{"name": "model.search_rate", "levels": [0.1, 0.3]}],
        "outputs": outputs,
        **kw,
    }


COOP = {"indicator": "cooperating_share", "statistic": "mean", "window": [1, STEPS]}


@pytest.fixture(scope="module")
def effects(tmp_path_factory):
    spec = spec_from_dict(
        _spec(
            [
                COOP,
                {**COOP, "effect_of": "innovation_vouchers"},
                {"indicator": "spend_total", "statistic": "cumulative", "effect_of": "innovation_vouchers"},
                {**COOP, "effect_of": "baseline", "name": "self_effect"},
            ]
        )
    )
    return run_sweep(spec, tmp_path_factory.mktemp("fx") / "o", workers=1, progress=False, figures=False)


def test_effect_is_plan_minus_baseline_with_the_same_values_and_seed(effects):
    res = effects
    assert res.n_runs == 4 and res.n_failed == 0
    assert res.spec.output_names == [
        "cooperating_share_mean",
        "cooperating_share_mean_effect_innovation_vouchers",
        "spend_total_cumulative_effect_innovation_vouchers",
        "self_effect",
    ]
    out = {o.column: o for o in res.spec.outputs}
    for _, row in res.runs.iloc[[0, 3]].iterrows():
        values = {"model.search_rate": row["model.search_rate"]}
        base = run(load_scenario("baseline", **SMALL).with_overrides(values), seed=int(row["seed"]), steps=STEPS)
        plan = run(
            load_scenario("innovation_vouchers", **SMALL).with_overrides(values), seed=int(row["seed"]), steps=STEPS
        )
        for col in (
            "cooperating_share_mean_effect_innovation_vouchers",
            "spend_total_cumulative_effect_innovation_vouchers",
        ):
            o = out[col]
            assert row[col] == statistic(plan.timeseries, o) - statistic(base.timeseries, o)
        assert row["cooperating_share_mean"] == statistic(base.timeseries, out["cooperating_share_mean"])


def test_policy_effect_direction_and_pairing(effects):
    runs = effects.runs
    # innovation_vouchers doubles the voucher budget: it spends more in every run
    assert (runs["spend_total_cumulative_effect_innovation_vouchers"] > 0).all()
    # paired: the base scenario against itself differs by exactly nothing (same values, same seed)
    assert (runs["self_effect"] == 0.0).all()
    assert runs["cooperating_share_mean"].nunique() > 1  # ... though the runs themselves vary


def test_effect_is_part_of_the_identity():
    plain = spec_from_dict(_spec([COOP]))
    effect = spec_from_dict(_spec([{**COOP, "effect_of": "innovation_vouchers"}]))
    assert effect.hash != plain.hash
    assert effect.identity()["plan_hashes"] == {"innovation_vouchers": load_scenario("innovation_vouchers").file_hash}
    assert "effect_of" not in plain.identity()["outputs"][0]  # stores of earlier specs keep their hash


def test_unknown_plan_is_refused_with_the_shipped_names():
    with pytest.raises(InputError) as err:
        spec_from_dict(_spec([{**COOP, "effect_of": "innovation_vouchrs"}]))
    text = str(err.value)
    assert "\n" not in text
    assert "field 'outputs[0=cooperating_share_mean_effect_innovation_vouchrs].effect_of'" in text
    assert "plan 'innovation_vouchrs'" in text and "did you mean 'innovation_vouchers'" in text
    assert "shipped: baseline" in text


def test_plan_with_another_population_is_refused(tmp_path):
    plan = tmp_path / "bigger.toml"
    plan.write_text(
        f'name = "bigger"\nextends = "{SCENARIO_DIR / "baseline.toml"}"\n[model]\nresource_focus_share = 0.9\n'
    )
    with pytest.raises(InputError, match=r"effect_of'.*plan 'bigger.toml' is not comparable.*model.resource_focus"):
        spec_from_dict(_spec([{**COOP, "effect_of": "bigger.toml"}]), base_dir=tmp_path)
    # the same difference set for both in [fixed] is no longer a difference
    fixed = {**SMALL, "resource_focus_share": 0.9}
    spec = spec_from_dict(_spec([{**COOP, "effect_of": "bigger.toml"}], fixed=fixed), base_dir=tmp_path)
    assert spec.plans == ["bigger.toml"]


def test_effect_of_on_the_model_route_is_refused():
    raw = {
        "name": "m",
        "model": "inspire_sim.experiments.testfunctions:ishigami",
        "factors": [{"name": "x1", "levels": [0.0, 1.0]}, {"name": "x2", "levels": [0.0, 1.0]}],
        "fixed": {"x3": 0.0, "a": 7.0, "b": 0.1},
        "outputs": [{"indicator": "y", "effect_of": "innovation_vouchers"}],
    }
    with pytest.raises(InputError, match=r"outputs\[0\].effect_of.*applies to the INSPIRE model"):
        spec_from_dict(raw)


@pytest.mark.slow
def test_shipped_morris_policy_effect_runs_and_ranks_factors(tmp_path):
    from inspire_sim.cli import main

    out = tmp_path / "mpe"
    sets = ["design.samples=2", "steps=12", "n_smes=1000", "burn_in=12"]
    args = ["sensitivity", "morris_policy_effect", "-o", str(out), "-w", "2", "-q", "--no-figures"]
    assert main([*args, *[a for s in sets for a in ("--set", s)]]) == 0
    spec = load_spec("morris_policy_effect")
    idx = pd.read_csv(out / "indices.csv")
    k = len(spec.factors)
    assert k > 40 and set(idx["output"]) == {"coop_share_effect", "scaling_up_effect"}
    mu_star = idx[(idx["output"] == "coop_share_effect") & (idx["index"] == "mu_star")]
    assert len(mu_star) == k and np.isfinite(mu_star["value"]).all() and (mu_star["value"] >= 0).all()
    assert mu_star["value"].max() > 0  # some assumption moves the plan's effect
    runs = pd.read_parquet(out / "results.parquet")
    assert len(runs) == 2 * (k + 1) and (runs["status"] == "ok").all()
    assert runs["coop_share_effect"].mean() > 0  # more vouchers: more SMEs cooperate, on average
