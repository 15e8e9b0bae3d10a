"""Validation report: knockout machinery, targets table, scale check, outputs and CLI."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest

import inspire_sim as I
from inspire_sim.analyses import patterns, validate
from inspire_sim.analyses.targets import load_targets

SMALL: dict[str, Any] = {"n_smes": 600, "steps": 60}


@pytest.fixture
def false_failure_only(monkeypatch):
    """Only the false-failure learning measure (its knockout: no learning jump)."""
    measure = next(x for x in patterns.MEASURES if x.name == "false_failure_learning_ratio")
    monkeypatch.setattr(patterns, "MEASURES", [measure])
    monkeypatch.setattr(validate, "MEASURES", [measure])
    return measure


@pytest.mark.slow  # replications plus knockout and null runs (~4 s)
def test_knockout_of_false_failures_fails_its_measure(false_failure_only) -> None:
    scen = I.load_scenario("baseline", **SMALL)
    runs = validate._replicate(scen, 3, 1, workers=1)
    table, null = validate.pattern_table(scen, runs, 2, 1, workers=1)
    row = table.iloc[0]
    assert row["passes"] and row["knockout"] == "false_failure_jump=0.0"
    assert row["knockout_value"] < 1.5 and row["knockout_fails"]
    assert len(null) == 1 and not null["passes"].iloc[0]


@pytest.mark.slow  # replications and a scale check (~4 s)
def test_target_table_and_scale_check_known_structure(tmp_path) -> None:
    scen = I.load_scenario("baseline", **SMALL)
    runs = validate._replicate(scen, 3, 2, workers=1)
    t = validate.target_table(load_targets("eu_cis"), runs)
    assert (t["model_q05"] <= t["model_mean"]).all() and (t["model_mean"] <= t["model_q95"]).all()
    first = np.array([validate.target_value(load_targets("eu_cis").targets[0], r) for r in runs])
    assert t["model_se"].iloc[0] == pytest.approx(first.std(ddof=1) / np.sqrt(3))  # the mean's standard error
    assert (t["model_se"].dropna() >= 0).all() and t["model_se"].notna().all()
    held = set(t.loc[t["held_out"], "target"])  # issue 20: >= 20 fitted targets, published figures held out
    assert len(held) == 21 and {"cooperating_share_innovators", "cooperating_share_germany"} <= held
    assert (~t["held_out"]).sum() == 28 and "cross_border_share_germany" not in held
    same = validate.scale_table(scen, (300, 300), 2, 2, workers=1)
    assert (same["difference"] == 0).all() and same["agrees"].all()  # same size, same seeds: identical
    conv = validate.convergence_table(runs)
    assert list(conv.groupby("indicator")["replications"].max()) == [3] * conv["indicator"].nunique()


@pytest.mark.slow  # a whole validation: replications, knockout, scale check (~5 s)
def test_validate_writes_report(tmp_path, false_failure_only) -> None:
    v = validate.validate("baseline", replications=2, scale=(200, 400), scale_replications=2, workers=1, **SMALL)
    paths = validate.write_outputs(v, tmp_path)
    cols = pd.read_csv(paths["patterns"]).columns
    expected = ["measure", "pattern", "value", "low", "high", "passes", "knockout", "knockout_value", "knockout_fails"]
    assert all(c in cols for c in expected)
    html = paths["report_html"].read_text()
    assert "Validation of baseline" in html and "knockout fails" in html and "<script" not in html
    assert (tmp_path / "figures" / "targets.png").stat().st_size > 5000
    assert "null model" in paths["report_md"].read_text().lower()
    assert "Plausibility in real units" in paths["report_md"].read_text() and paths["plausibility"].is_file()


def test_validate_cli_errors(tmp_path) -> None:
    from inspire_sim.cli import main

    assert main(["validate", "--replications", "1", "--out", str(tmp_path)]) == 2
    assert main(["validate", "--posterior", str(tmp_path), "--out", str(tmp_path)]) == 2
    assert main(["validate", "--scale", "100", "100", "--out", str(tmp_path)]) == 2


@pytest.mark.slow  # a whole validation run (~4 s)
def test_html_is_escaped(tmp_path, false_failure_only) -> None:
    base = I.load_scenario("baseline", **SMALL)
    evil = dataclasses.replace(base, name="<script>alert(1)</script>")
    v = validate.validate(evil, replications=2, scale=None, workers=1)
    paths = validate.write_outputs(v, tmp_path, figures=False)
    html, md = paths["report_html"].read_text(), paths["report_md"].read_text()
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<script>alert" not in md and "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "&#39;" not in md and "model's mean" in md  # Markdown keeps apostrophes as they are
