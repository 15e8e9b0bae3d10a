"""The INSPIRE model route: a spec naming a base scenario, small runs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from inspire_sim.core.scenario import load_scenario
from inspire_sim.experiments import load_spec, run_sweep
from inspire_sim.run import run

OUTPUTS = [
    {"indicator": "cooperating_share", "statistic": "final"},
    {"indicator": "cooperating_share", "statistic": "mean", "window": [13, 24], "name": "coop_year2"},
    {"indicator": "spend_total", "statistic": "cumulative"},
]


@pytest.fixture(scope="module")
def small_spec():
    return load_spec(
        "policy_grid",
        replications=2,
        steps=24,
        fixed={"n_smes": 200},
        outputs=OUTPUTS,
        factors=[
            {"name": "support_funding.budget_per_step", "levels": [0.0, 500_000_000.0]},
            {"name": "cross_border_brokering.capacity", "levels": [0, 40_000]},
        ],
    )


@pytest.fixture(scope="module")
def sequential(small_spec, tmp_path_factory):
    return run_sweep(small_spec, tmp_path_factory.mktemp("seq") / "o", workers=1, progress=False)


def test_runs_equal_direct_model_runs(small_spec, sequential):
    res = sequential
    assert res.n_runs == 8 and res.n_failed == 0
    assert list(res.runs.columns[-3:]) == ["cooperating_share_final", "coop_year2", "spend_total_cumulative"]
    base = load_scenario("baseline", n_smes=200)
    for _, row in res.runs.iloc[[0, 5]].iterrows():
        scen = base.with_overrides(
            {
                "support_funding.budget_per_step": row["support_funding.budget_per_step"],
                "cross_border_brokering.capacity": int(row["cross_border_brokering.capacity"]),
            }
        )
        ts = run(scen, seed=int(row["seed"]), steps=24).timeseries
        assert row["cooperating_share_final"] == ts["cooperating_share"].iloc[-1]
        assert row["coop_year2"] == ts.loc[ts["step"].between(13, 24), "cooperating_share"].mean()
        assert row["spend_total_cumulative"] == ts["spend_total"].sum()


@pytest.mark.slow  # over ~2.5 s: kept out of make check's fast tier
def test_processes_identical_to_sequential(small_spec, sequential, tmp_path):
    proc = run_sweep(small_spec, tmp_path / "p", workers=2, progress=False, figures=False)
    cols = [c for c in sequential.runs.columns if c != "duration_s"]
    pd.testing.assert_frame_equal(sequential.runs[cols], proc.runs[cols], check_exact=True)


def test_policy_moves_its_target_under_crn(sequential):
    s = sequential.summary
    spend = s[s["output"] == "spend_total_cumulative"].groupby("support_funding.budget_per_step")["mean"].mean()
    assert spend.loc[500_000_000.0] > spend.loc[0.0]
    assert (sequential.out / "figures" / "response_coop_year2.png").exists()


def test_manifest_records_the_scenario(sequential):
    import json

    m = json.loads((sequential.out / "manifest.json").read_text())
    assert m["scenario"]["name"] == "baseline" and m["scenario"]["model"]["n_smes"] == 200
    assert m["spec"]["scenario"] == "baseline" and m["spec"]["steps"] == 24


def test_invalid_level_in_the_middle_is_refused_before_any_run(tmp_path):
    # development_threshold must not exceed scaling_threshold (2.5): the middle level breaks that
    from inspire_sim.errors import InputError

    out = tmp_path / "o"
    kw: dict[str, Any] = dict(
        replications=1, steps=12, fixed={"n_smes": 100}, outputs=[{"indicator": "cooperating_share"}]
    )
    with pytest.raises(InputError, match=r"factors\[0=development_threshold\]': value 3.0 is invalid: .*scaling"):
        spec = load_spec(
            "policy_grid",
            factors=[
                {"name": "development_threshold", "levels": [1.0, 3.0, 1.2]},
                {"name": "cross_border_brokering.capacity", "levels": [0, 10]},
            ],
            **kw,
        )
        run_sweep(spec, out, workers=1, progress=False, figures=False)
    assert not out.exists()  # the --out is not poisoned: the corrected spec can use it
    fixed = load_spec("policy_grid", factors=[{"name": "development_threshold", "levels": [1.0, 1.2]}], **kw)
    res = run_sweep(fixed, out, workers=1, progress=False, figures=False)
    assert res.n_runs == 2 and res.n_failed == 0
    assert np.isfinite(res.runs["cooperating_share_final"]).all()


def test_corner_of_the_design_is_validated_at_load():
    from inspire_sim.errors import InputError

    # each value valid alone, invalid together (development above scaling threshold)
    with pytest.raises(InputError, match=r"field 'factors': the design corner \(.*\) is invalid.*narrow"):
        load_spec(
            "policy_grid",
            factors=[
                {"name": "development_threshold", "levels": [1.0, 2.0]},
                {"name": "scaling_threshold", "levels": [1.5, 3.0]},
            ],
        )
