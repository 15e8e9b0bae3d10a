"""inspire_sim.analyses.ema: the model as an EMA Workbench Model, and sweep output ready for PRIM."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import inspire_sim as I
from inspire_sim.core import streams
from inspire_sim.errors import InputError
from inspire_sim.experiments import run_sweep, spec_from_dict

ema_workbench = pytest.importorskip("ema_workbench")  # the [ema] extra (part of [test])
from inspire_sim.analyses.ema import build_model, ema_frame, sweep_to_ema  # noqa: E402

OUT = ("cooperating_share", "mean", (4, 6))


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("ema") / "sweep"
    spec = spec_from_dict(
        {
            "name": "ema",
            "scenario": "baseline",
            "seed": 3,
            "replications": 2,
            "steps": 6,
            "design": {"kind": "grid"},
            "fixed": {"n_smes": 150},
            "factors": [
                {"name": "cross_border_brokering.capacity", "levels": [0, 40]},
                {"name": "model.search_rate", "levels": [0.02, 0.06]},
            ],
            "outputs": [{"indicator": "cooperating_share", "statistic": "final"}],
        }
    )
    run_sweep(spec, out, workers=1, progress=False, figures=False)
    return out


@pytest.mark.slow
def test_sweep_to_ema_gives_float_factors_and_prim_runs(sweep_dir):
    from ema_workbench.analysis import prim

    experiments, outcomes = sweep_to_ema(sweep_dir)
    assert list(experiments.columns) == ["cross_border_brokering.capacity", "model.search_rate"]
    assert (experiments.dtypes == "float64").all()  # the integer grid column too
    assert set(outcomes) == {"cooperating_share_final"} and outcomes["cooperating_share_final"].dtype == np.float64
    assert len(experiments) == len(outcomes["cooperating_share_final"]) == 8
    y = outcomes["cooperating_share_final"] <= np.median(outcomes["cooperating_share_final"])
    box = prim.Prim(experiments, y).find_box()
    assert box is not None and len(box.peeling_trajectory) >= 1


def test_ema_frame_dtypes():
    df = pd.DataFrame({"i": [1, 2], "b": [True, False], "s": pd.array(["a", "b"], dtype="str"), "f": [0.5, 1.0]})
    out = ema_frame(df)
    assert [str(t) for t in out.dtypes] == ["float64", "category", "category", "float64"]


def test_sweep_to_ema_on_a_wrong_folder_is_one_line(tmp_path):
    with pytest.raises(InputError, match="no sweep results"):
        sweep_to_ema(tmp_path)


@pytest.mark.slow
def test_build_model_runs_the_model_with_the_registry_bounds():
    from ema_workbench import SequentialEvaluator, perform_experiments

    model = build_model(["model.search_rate", "model.home_bias"], outcomes=[OUT], n_smes=150, steps=6)
    bounds = {u.name: (u.lower_bound, u.upper_bound) for u in model.uncertainties}
    spec = I.levers.spec_by_name()["model.search_rate"]
    assert bounds["model__search_rate"] == tuple(spec.sa_range or ())  # EMA names: identifiers
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = perform_experiments(model, scenarios=3, evaluator=evaluator)
    y = outcomes["cooperating_share_mean"]
    assert y.shape == (3,) and np.isfinite(y).all()
    row = experiments.iloc[0]
    scen = I.load_scenario(
        "baseline",
        n_smes=150,
        steps=6,
        **{"model.search_rate": row["model__search_rate"], "model.home_bias": row["model__home_bias"]},
    )
    ts = I.run(scen, seed=streams.replicate_seed(0, 0)).timeseries
    assert y[0] == pytest.approx(ts.loc[ts["step"].between(4, 6), "cooperating_share"].mean())


def test_replicator_model_uses_the_replicate_seeds():
    model = build_model(["model.search_rate"], outcomes=[OUT], replications=3, seed=7, steps=6)
    assert [r["seed"] for r in model.replications] == streams.replicate_seeds(7, 3)


def test_bad_outcome_is_one_line():
    with pytest.raises(InputError, match="unknown indicator"):
        build_model(outcomes=[("cooperating_shares", "final", None)])
    with pytest.raises(InputError, match="unknown parameter"):
        build_model(["model.search_rat"])
