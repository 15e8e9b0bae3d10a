"""Levers are plug-ins: a lever defined only in tests/ runs through run and run_replications,
is resolved by import path on worker processes, and its spend appears in the outputs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import inspire_sim as I
from inspire_sim.core import policies
from inspire_sim.errors import InputError
from inspire_sim.levers import parameter_specs

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


@pytest.fixture(scope="module", autouse=True)
def _forget_user_lever():
    """The registry is process-wide: remove the test lever after this module."""
    yield
    if "confidence_coaching" in policies.LEVER_POLICIES:
        policies.unregister_lever("confidence_coaching")
    sys.modules.pop("user_levers", None)


@pytest.fixture(scope="module")
def user_scenario(tmp_path_factory):
    sys.path.insert(0, str(TESTS))
    path = tmp_path_factory.mktemp("scen") / "with_user_lever.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            name = "with_user_lever"
            extends = "{(ROOT / "scenarios" / "no_support.toml").as_posix()}"
            [model]
            n_smes = 600
            steps = 24
            burn_in = 12
            [[policies]]
            kind = "user_levers:ConfidenceCoaching"
            budget_per_step = 2000000.0
            """
        )
    )
    return I.load_scenario(path)


def test_user_lever_runs_and_spends(user_scenario):
    r = I.run(user_scenario, seed=3)
    assert "spend_confidence_coaching" in r.timeseries
    spent = r.timeseries["spend_confidence_coaching"]
    assert spent.sum() > 0
    assert spent.sum() == pytest.approx(r.timeseries["spend_total"].sum())
    assert set(r.spend["lever"].astype(str)) == {"confidence_coaching"}
    base = I.run(user_scenario.with_overrides({"confidence_coaching.capacity": 0}), seed=3)
    assert r.timeseries["mean_confidence"].mean() > base.timeseries["mean_confidence"].mean()


def test_user_lever_in_replications_and_registry(user_scenario):
    runs = I.run_replications(user_scenario, 2, seed=5)
    assert all(x.timeseries["spend_confidence_coaching"].sum() > 0 for x in runs)
    assert "confidence_coaching.confidence_gain" in {s.name for s in parameter_specs()}
    assert policies.resolve_kind("user_levers:ConfidenceCoaching") == "confidence_coaching"


@pytest.mark.slow  # a fresh interpreter imports the package and runs (~4 s)
def test_user_lever_resolves_in_a_fresh_process(user_scenario, tmp_path):
    """A worker process never saw the main process's import: it resolves the kind itself."""
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(TESTS)!r})
        import inspire_sim as I
        r = I.run(I.load_scenario({user_scenario.path!r}), seed=3)
        print(r.timeseries["spend_confidence_coaching"].sum())
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    here = I.run(user_scenario, seed=3).timeseries["spend_confidence_coaching"].sum()
    assert float(out.stdout.strip()) == pytest.approx(here)


def test_unknown_user_lever_is_one_clear_error(tmp_path):
    path = tmp_path / "bad.toml"
    parent = (ROOT / "scenarios" / "baseline.toml").as_posix()
    path.write_text(f'name = "bad"\nextends = "{parent}"\n[[policies]]\nkind = "no_such_module:Lever"\n')
    with pytest.raises(InputError, match=r"policies\[0\]\.kind"):
        I.load_scenario(path)


def test_no_lever_name_is_matched_outside_its_own_module():
    """Phases, model, params, scenario and metrics never test for a lever by name."""
    pkg = ROOT / "inspire_sim" / "core"
    names = list(policies.LEVER_POLICIES)[:5]
    for module in ("model.py", "matching.py", "lifecycle.py", "params.py", "scenario.py", "metrics.py", "world.py"):
        text = (pkg / module).read_text()
        for kind in names:
            assert f'"{kind}"' not in text, f"{module} matches lever {kind!r} by name"


def test_stochastic_rounding_is_unbiased():
    x = np.full(200_000, 0.3)
    u = np.random.default_rng(0).random(len(x))
    assert policies.stochastic_round(x, u).mean() == pytest.approx(0.3, abs=0.005)


def test_user_lever_can_be_trialled(user_scenario):
    from inspire_sim.analyses.trial import run_trial

    res = run_trial(user_scenario, "user_levers:ConfidenceCoaching", replications=2, seed=1, steps=14)
    assert (res.uptake["lever"] == "confidence_coaching").all() and (res.uptake["awarded"] > 0).all()
