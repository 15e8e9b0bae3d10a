"""Known answers through the whole runner: SALib's Ishigami function (a=7, b=0.1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inspire_sim.experiments import load_spec, run_sensitivity, wide_indices
from inspire_sim.experiments.testfunctions import ishigami, ishigami_indices

ANALYTIC_S1 = [0.314, 0.442, 0.0]
ANALYTIC_ST = [0.558, 0.442, 0.244]


def test_analytic_values_match_the_issue():
    ind = ishigami_indices()
    np.testing.assert_allclose(ind["S1"], ANALYTIC_S1, atol=5e-4)
    np.testing.assert_allclose(ind["ST"], ANALYTIC_ST, atol=5e-4)
    # the spec carries the same known answers (drawn on its Sobol' figure)
    analytic = load_spec("ishigami").outputs[0].analytic
    assert analytic is not None
    for idx in ("S1", "ST"):
        np.testing.assert_allclose([analytic[idx][f] for f in ("x1", "x2", "x3")], ind[idx], atol=5e-4)


def test_analytic_values_are_checked_and_not_part_of_the_identity():
    from inspire_sim.errors import InputError

    spec = load_spec("ishigami")
    out = spec.outputs[0].model_dump(exclude_none=True)
    without = load_spec("ishigami", outputs=[{k: v for k, v in out.items() if k != "analytic"}])
    assert without.outputs[0].analytic is None and without.hash == spec.hash
    bad = {**out, "analytic": {"S1": {"x4": 0.1}}}
    with pytest.raises(InputError, match=r"outputs\[0=y\].analytic': analytic S1 names 'x4'.*did you mean"):
        load_spec("ishigami", outputs=[bad])
    with pytest.raises(InputError, match=r"analytic.*'S2' is not allowed"):
        load_spec("ishigami", outputs=[{**out, "analytic": {"S2": {"x1": 0.1}}}])
    with pytest.raises(InputError, match=r"analytic ST of 'x1' is 'high'.*finite number"):
        load_spec("ishigami", outputs=[{**out, "analytic": {"ST": {"x1": "high"}}}])


def test_our_ishigami_is_salibs():
    from SALib.test_functions import Ishigami

    x = np.random.default_rng(3).uniform(-np.pi, np.pi, (20, 3))
    ours = [ishigami({"x1": a, "x2": b, "x3": c})["y"] for a, b, c in x]
    np.testing.assert_allclose(ours, Ishigami.evaluate(x), rtol=1e-12)


@pytest.fixture(scope="module")
def sobol_result(tmp_path_factory):
    spec = load_spec("ishigami")
    assert spec.design.samples == 1024 and spec.design.kind == "sobol"
    return run_sensitivity(spec, tmp_path_factory.mktemp("ish") / "out", workers=1, progress=False)


@pytest.mark.slow
def test_sobol_indices_within_tolerance_of_analytic(sobol_result):
    res = sobol_result
    assert res.n_runs == 1024 * 5 and res.n_failed == 0
    w = wide_indices(res.indices).set_index("factor").loc[["x1", "x2", "x3"]]
    for idx, truth in (("S1", ANALYTIC_S1), ("ST", ANALYTIC_ST)):
        tol = np.maximum(0.05, 2 * w[f"{idx}_conf"].to_numpy())
        err = np.abs(w[idx].to_numpy() - truth)
        assert (err <= tol).all(), f"{idx}: {w[idx].to_numpy()} vs {truth} (tol {tol})"
        assert (w[f"{idx}_conf"] > 0).all() and (w[f"{idx}_conf"] < 0.15).all()
    assert (res.out / "indices.parquet").exists() and (res.out / "figures" / "sobol_y.png").exists()
    disk = pd.read_csv(res.out / "indices.csv")
    assert set(disk["index"]) == {"S1", "ST"}


def test_sobol_figure_overlays_the_analytic_values(tmp_path, monkeypatch):
    """figures/sobol_y.png draws the spec's analytic S1 and ST as black marks over the bars."""
    from matplotlib.collections import PathCollection

    from inspire_sim.experiments import plots

    spec = load_spec("ishigami", sets={"design.samples": 128})
    res = run_sensitivity(spec, tmp_path / "o", workers=1, progress=False, figures=False)

    axes = []
    real = plots._plt

    def spy():
        plt = real()
        orig = plt.subplots

        def subplots(*a, **k):
            fig, ax = orig(*a, **k)
            axes.append(ax)
            return fig, ax

        monkeypatch.setattr(plt, "subplots", subplots)
        return plt

    monkeypatch.setattr(plots, "_plt", spy)
    paths = plots.make_figures(res.spec, res.summary, res.indices, res.out / "figures")
    assert [p.name for p in paths] == ["sobol_y.png"] and len(axes) == 1
    marks = [c for c in axes[0].collections if isinstance(c, PathCollection)]
    ys = sorted(float(y) for c in marks for y in np.asarray(c.get_offsets())[:, 1])
    assert ys == sorted(ANALYTIC_S1 + ANALYTIC_ST)
    assert "analytic" in [t.get_text() for t in axes[0].get_legend().get_texts()]


def test_wrong_model_fails_the_known_answer(tmp_path):
    """The check can fail: a perturbed Ishigami (a=3) moves the indices out of tolerance."""
    spec = load_spec("ishigami", fixed={"a": 3.0, "b": 0.1}, design={"kind": "sobol", "samples": 256})
    res = run_sensitivity(spec, tmp_path / "o", workers=1, progress=False, figures=False)
    w = wide_indices(res.indices).set_index("factor")
    assert abs(w.loc["x2", "S1"] - 0.442) > 0.1


def test_morris_ranks_ishigami_factors(tmp_path):
    spec = load_spec("ishigami", design={"kind": "morris", "samples": 50, "num_levels": 4})
    res = run_sensitivity(spec, tmp_path / "o", workers=1, progress=False)
    w = wide_indices(res.indices).set_index("factor")
    assert res.n_runs == 50 * 4
    assert {"mu", "mu_star", "mu_star_conf", "sigma"} <= set(w.columns)
    # x3 acts only through its interaction with x1: mu ~ 0 but sigma > 0; x2 is the strongest mu*
    assert w["mu_star"].idxmax() in ("x1", "x2")
    assert abs(w.loc["x3", "mu"]) < w.loc["x3", "sigma"]
    assert (res.out / "figures" / "morris_y.png").exists()


@pytest.mark.slow
def test_second_order_indices(tmp_path):
    spec = load_spec("ishigami", design={"kind": "sobol", "samples": 512, "second_order": True})
    res = run_sensitivity(spec, tmp_path / "o", workers=1, progress=False, figures=False)
    assert res.n_runs == 512 * (2 * 3 + 2)
    assert res.indices is not None
    s2 = res.indices[res.indices["index"] == "S2"].set_index(["factor", "factor2"])
    assert len(s2) == 3
    # analytic S2(x1, x3) = 0.244; others 0
    assert abs(s2.loc[("x1", "x3"), "value"] - 0.244) < max(0.1, 2 * s2.loc[("x1", "x3"), "conf"])
    assert abs(s2.loc[("x1", "x2"), "value"]) < max(0.1, 2 * s2.loc[("x1", "x2"), "conf"])
