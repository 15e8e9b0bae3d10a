"""Researcher figures of sensitivity analyses: ranked top factors, few labels, analytic overlays."""

from __future__ import annotations

import numpy as np
import pandas as pd

from inspire_sim.experiments import plots


def _morris(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        mu = float(n - i) + rng.random()
        f = f"model.factor_number_{i}_with_a_rather_long_name"
        rows += [
            {"output": "y", "index": "mu_star", "factor": f, "value": mu, "conf": 0.1 * mu},
            {"output": "y", "index": "sigma", "factor": f, "value": 0.5 * mu, "conf": np.nan},
            {"output": "y", "index": "mu", "factor": f, "value": mu, "conf": np.nan},
        ]
    return pd.DataFrame(rows)


def test_morris_bars_show_the_top_15_in_rank_order(tmp_path) -> None:
    import matplotlib.pyplot as plt

    plt.close("all")
    plots.morris_bars(_morris(), "y", tmp_path / "bars.png")
    assert (tmp_path / "bars.png").stat().st_size > 5000
    assert plots.short_label("model.search_rate") == "search rate"
    assert len(plots.short_label("model." + "x" * 80)) == 28


def test_mu_sigma_plot_labels_only_the_top_factors(tmp_path, monkeypatch) -> None:
    captured = {}
    real = plots._plt

    def spy():
        plt = real()
        orig = plt.subplots

        def subplots(*a, **k):
            fig, ax = orig(*a, **k)
            captured["ax"] = ax
            return fig, ax

        monkeypatch.setattr(plt, "subplots", subplots)
        return plt

    monkeypatch.setattr(plots, "_plt", spy)
    plots.morris_plot(_morris(), "y", tmp_path / "mu_sigma.png")
    texts = [t.get_text() for t in captured["ax"].texts]
    numbers, key = texts[:-1], texts[-1].splitlines()
    assert numbers == [str(i) for i in range(1, plots.LABELLED + 1)]
    assert len(key) == plots.LABELLED and key[0].startswith("1  factor number 0 ")


def test_sobol_bars_overlay_analytic_values(tmp_path, monkeypatch) -> None:
    rows = []
    for f, s1, st in (("x1", 0.31, 0.56), ("x2", 0.44, 0.44), ("x3", 0.0, 0.24)):
        rows += [
            {"output": "y", "index": "S1", "factor": f, "value": s1, "conf": 0.02},
            {"output": "y", "index": "ST", "factor": f, "value": st, "conf": 0.02},
        ]
    analytic = {"S1": {"x1": 0.314, "x2": 0.442, "x3": 0.0}, "ST": {"x1": 0.558, "x2": 0.442, "x3": 0.244}}
    seen = {}
    real = plots._plt

    def spy():
        plt = real()
        orig = plt.subplots

        def subplots(*a, **k):
            fig, ax = orig(*a, **k)
            seen["ax"] = ax
            return fig, ax

        monkeypatch.setattr(plt, "subplots", subplots)
        return plt

    monkeypatch.setattr(plots, "_plt", spy)
    plots.sobol_bars(pd.DataFrame(rows), "y", tmp_path / "sobol.png", analytic)
    from matplotlib.collections import PathCollection

    marks = [c for c in seen["ax"].collections if isinstance(c, PathCollection)]
    ys = sorted(float(y) for c in marks for y in np.asarray(c.get_offsets())[:, 1])
    assert ys == sorted([0.314, 0.442, 0.0, 0.558, 0.442, 0.244])
    # ranked by ST: x1 first
    assert [t.get_text() for t in seen["ax"].get_xticklabels()] == ["x1", "x2", "x3"]
