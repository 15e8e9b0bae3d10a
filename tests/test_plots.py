"""Figures: known answers for the data behind them, and non-trivial PNG files."""

from __future__ import annotations

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import inspire_sim
from inspire_sim.reports import plots
from inspire_sim.results import RunResult

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def reps():
    scenario = inspire_sim.load_scenario("baseline", n_smes=200)
    return inspire_sim.run_replications(scenario, 3, seed=11, steps=24)


def _tiny(timeseries=None, smes=None, partnerships=None, panel=None) -> RunResult:
    empty = pd.DataFrame()
    return RunResult(
        timeseries if timeseries is not None else empty,
        smes if smes is not None else empty,
        partnerships if partnerships is not None else empty,
        panel if panel is not None else empty,
        empty,
        empty,
    )


# ----------------------------------------------------------------------------------------
# the data behind the figures: known answers
# ----------------------------------------------------------------------------------------


def test_band_is_mean_and_t_interval_over_replications():
    a = _tiny(pd.DataFrame({"step": [1, 2], "x": [1.0, 10.0]}))
    b = _tiny(pd.DataFrame({"step": [1, 2], "x": [3.0, 10.0]}))
    df = plots.band([a, b], "x")
    assert df["mean"].tolist() == [2.0, 10.0]
    assert df.loc[0, "ci_low"] < 1.0 and df.loc[0, "ci_high"] > 3.0  # t(1 df) interval is wide
    assert df.loc[1, "ci_low"] == df.loc[1, "ci_high"] == 10.0
    single = plots.band(a, lambda ts: ts["x"] * 2)
    assert single["mean"].tolist() == [2.0, 20.0] and single["ci_low"].isna().all()


def test_partner_type_shares_by_stage():
    ps = pd.DataFrame(
        {
            "partner_type": ["psr", "psr", "crowd", "large_firm"],
            "lead_stage": ["development", "development", "development", "scaling_up"],
        }
    )
    shares = plots.partner_type_shares(_tiny(partnerships=ps))
    assert list(shares.index) == plots.PARTNER_TYPES and list(shares.columns) == plots.STAGES
    assert shares.loc["psr", "development"] == pytest.approx(2 / 3)
    assert shares.loc["large_firm", "scaling_up"] == 1.0
    assert shares["exploration"].isna().all()  # no partnership in that stage


def test_failure_trajectories_known_answer():
    steps = np.arange(1, 11)
    panel = pd.DataFrame(
        {
            "step": np.concatenate([steps, steps]),
            "sme_id": [1] * 10 + [2] * 10,
            "confidence": np.concatenate([steps / 10, np.full(10, 0.5)]),
            "failed_this_step": [s == 5 for s in steps] + [False] * 10,
        }
    )
    smes = pd.DataFrame({"sme_id": [1, 2, 3], "resilience": [0.9, 0.1, 0.5]})
    traj = plots.failure_trajectories(_tiny(smes=smes, panel=panel), before=2, after=3)
    every = traj[traj["group"] == "all"].set_index("offset")["confidence"]
    assert every.to_dict() == pytest.approx({-2: 0.3, -1: 0.4, 0: 0.5, 1: 0.6, 2: 0.7, 3: 0.8})
    assert set(traj["group"]) == {"all", "high"}  # SME 1 has the highest resilience


def test_failure_trajectories_prefer_the_panels_resilience():
    panel = pd.DataFrame(
        {
            "step": [1, 2] * 3,
            "sme_id": [1, 1, 2, 2, 3, 3],
            "confidence": [0.8, 0.4] * 3,
            "failed_this_step": [False, True] * 3,
            "resilience": [0.1, 0.1, 0.5, 0.5, 0.9, 0.9],
        }
    )
    smes = pd.DataFrame({"sme_id": [1], "resilience": [0.9]})  # SMEs 2 and 3 have exited
    traj = plots.failure_trajectories(_tiny(smes=smes, panel=panel))
    assert set(traj["group"]) == {"all", "low", "medium", "high"}
    assert traj.loc[traj["group"] == "all", "events"].max() == 3


def test_failure_trajectories_without_resilience_only_pool():
    panel = pd.DataFrame(
        {"step": [1, 2], "sme_id": [1, 1], "confidence": [0.8, 0.4], "failed_this_step": [False, True]}
    )
    traj = plots.failure_trajectories(_tiny(smes=pd.DataFrame({"sme_id": [1]}), panel=panel))
    assert set(traj["group"]) == {"all"}


# ----------------------------------------------------------------------------------------
# the figures of real runs
# ----------------------------------------------------------------------------------------


def test_figures_of_replications_have_mean_lines_and_bands(reps):
    fig = plots.stage_shares(reps)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == len(plots.STAGES)
    assert len(ax.collections) == len(plots.STAGES)  # one band per line
    single = plots.stage_shares(reps[0]).axes[0]
    assert len(single.get_lines()) == len(plots.STAGES) and not single.collections


@pytest.mark.parametrize("name", list(plots.FIGURES))
def test_every_figure_function_returns_a_figure_with_content(reps, name):
    fig = plots.FIGURES[name](reps)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_lines() or ax.get_images() or ax.patches


@pytest.mark.slow
def test_save_figures_writes_non_trivial_pngs(reps, tmp_path):
    paths = plots.save_figures(reps, tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"{k}.png" for k in plots.FIGURES)
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC), path
        assert len(data) > 10_000, path
        image = matplotlib.image.imread(path)
        assert image.shape[0] > 300 and image.shape[1] > 500
        assert image[..., :3].std() > 0.05, f"{path.name} looks blank"


@pytest.mark.slow
def test_figures_survive_runs_without_events(tmp_path):
    ts = pd.DataFrame(
        {"step": [1, 2]}
        | {
            c: [0.0, 0.0]
            for c in ["share_" + s for s in plots.STAGES]
            + ["new_partnerships", "new_cross_border", "cross_border_share"]
        }
    )
    empty_ps = pd.DataFrame({"partner_type": pd.Series(dtype=str), "lead_stage": pd.Series(dtype=str)})
    smes = pd.DataFrame({"sme_id": [1, 2, 3], "business_results": [0.0, 0.0, 0.0], "resilience": [0.1, 0.5, 0.9]})
    panel = pd.DataFrame({"step": [1], "sme_id": [1], "confidence": [0.5], "failed_this_step": [False]})
    paths = plots.save_figures(_tiny(ts, smes, empty_ps, panel), tmp_path)
    assert all(p.stat().st_size > 1000 for p in paths)


def test_partner_type_panels_one_figure_a_panel_per_group(reps):
    fig = plots.partner_type_by_stage_panels({"a": reps, "b": reps[:1], "c": reps})
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.images]
    assert len(panels) == 3
    assert [ax.get_title().split(" (")[0] for ax in panels] == ["a", "b", "c"]
    # the same shares as the single-scenario figure
    single = plots.partner_type_by_stage(reps).axes[0].images[0].get_array()
    np.testing.assert_array_equal(panels[0].images[0].get_array(), single)
