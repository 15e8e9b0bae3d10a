"""The comparison in real units: costs per additional outcome divide real EUR by real counts, and a
user lever (registered through ``inspire_sim.levers``) goes through the tables and the report."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import inspire_sim as I
from inspire_sim.core import policies
from inspire_sim.reports.compare import compare, compare_results
from inspire_sim.results import RunResult

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
WEIGHT = 500.0  # real SMEs per simulated SME


def _run(successes: list[int], spend: list[float], seed: int) -> RunResult:
    """A one-country run whose counts have real twins (x WEIGHT) and whose manifest has the weight."""
    steps = np.arange(1, len(successes) + 1)
    s = np.array(successes, dtype=float)
    ts = pd.DataFrame(
        {
            "step": steps,
            "n_smes": 100,
            "cooperating_share": 0.2,
            "new_partnerships": successes,
            "new_partnerships_real": s * WEIGHT,
            "successes": successes,
            "successes_real": s * WEIGHT,
            "new_cross_border": 0,
            "new_cross_border_real": 0.0,
            "scaling_up_reached": 0,
            "scaling_up_reached_real": 0.0,
            "spend_support_funding": spend,
            "spend_total": spend,
        }
    )
    country = pd.Categorical(["A"] * len(steps), categories=["A"])
    countries = pd.DataFrame(
        {
            "step": steps,
            "country": country,
            "cooperating_share": 0.2,
            "cooperating_share_innovators": 0.3,
            "innovators_cooperating_share": 0.2,
            "cross_border_share": 0.1,
            "new_partnerships": successes,
            "successes": successes,
            "failures": 0,
            "scaling_up_reached": 0,
            "innovation_turnover": 1.0,
            "spend_total": spend,
        }
    )
    sp = pd.DataFrame({"step": steps, "lever": pd.Categorical(["support_funding"] * len(steps)), "country": country})
    sp["eur"] = spend
    part = pd.DataFrame({"cross_border": [], "lead_country": pd.Categorical([], categories=["A"])})
    manifest = {"seed": seed, "population": {"represented_smes": {"A": 100 * WEIGHT}, "weight": {"A": WEIGHT}}}
    empty = pd.DataFrame()
    return RunResult(ts, empty, part, empty, sp, countries, manifest=manifest)


def test_cost_per_additional_outcome_divides_real_eur_by_real_counts():
    base = [_run([3, 3, 4 + k], [5e6, 5e6, 0.0], seed=k) for k in range(3)]
    # +10 simulated successes = +5,000 real ones, for EUR 10 M more: EUR 2,000 per real success
    plan = [_run([3, 3, 14 + k], [10e6, 10e6, 0.0], seed=k) for k in range(3)]
    comp = compare_results(base, {"plan": plan}, seed=1)
    row = comp.cost_effectiveness.set_index("outcome").loc["successful_projects"]
    assert row["additional"] == pytest.approx(10 * WEIGHT) and row["additional_cost_eur"] == pytest.approx(10e6)
    assert row["eur_per_unit"] == pytest.approx(2_000.0)
    # by country: the simulated count times the country's weight
    crow = comp.country_cost_effectiveness.set_index("outcome").loc["successful_projects"]
    assert crow["additional"] == pytest.approx(10 * WEIGHT) and crow["eur_per_unit"] == pytest.approx(2_000.0)
    cty = comp.countries.set_index("indicator").loc["successes"]
    assert cty["unit"] == "real projects/month" and cty["effect"] == pytest.approx(10 * WEIGHT / 3)
    # the headline shows the real twin of a count
    ind = comp.indicators.set_index("indicator")
    assert ind.loc["successes_real", "effect"] == pytest.approx(ind.loc["successes", "effect"] * WEIGHT)


@pytest.fixture(scope="module")
def user_lever_plans(tmp_path_factory):
    """A baseline without support and a plan with a lever defined only in tests/ (user_levers.py)."""
    sys.path.insert(0, str(TESTS))
    folder = tmp_path_factory.mktemp("user_lever")
    common = f'extends = "{(ROOT / "scenarios" / "no_support.toml").as_posix()}"\n[model]\nn_smes = 300\nsteps = 12\n'
    (folder / "base.toml").write_text('name = "plain"\n' + common)
    (folder / "plan.toml").write_text(
        'name = "coaching"\n'
        + common
        + textwrap.dedent(
            """
            [[policies]]
            kind = "user_levers:ConfidenceCoaching"
            budget_per_step = 2000000.0
            """
        )
    )
    yield I.load_scenario(folder / "base.toml"), I.load_scenario(folder / "plan.toml")
    if "confidence_coaching" in policies.LEVER_POLICIES:
        policies.unregister_lever("confidence_coaching")
    sys.modules.pop("user_levers", None)
    sys.path.remove(str(TESTS))


@pytest.mark.slow
def test_a_user_lever_goes_through_the_tables_and_the_report(user_lever_plans, tmp_path):
    from inspire_sim.reports.report import write_report

    base, plan = user_lever_plans
    comp = compare(base, [plan], replications=2, seed=3, workers=1, n_boot=200)
    costs = comp.costs[(comp.costs["scenario"] == "coaching") & (comp.costs["level"] == "lever")]
    spent = costs.set_index("lever")["eur"]
    assert spent["confidence_coaching"] > 0 and spent.drop("confidence_coaching").sum() == 0
    ceil = comp.ceilings[(comp.ceilings["scenario"] == "coaching") & (comp.ceilings["level"] == "lever")]
    assert ceil.set_index("lever").loc["confidence_coaching", "ceiling_eur"] == pytest.approx(2e6 * 12)
    ind = comp.indicators.set_index("indicator")
    assert ind.loc["spend_confidence_coaching", "effect"] == pytest.approx(spent["confidence_coaching"])
    paths = write_report(comp, tmp_path / "out")
    assert "confidence coaching" in paths["html"].read_text()
