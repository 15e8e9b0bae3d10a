"""Mesa conventions: constructor with dotted overrides and rng, running, batch_run, AgentSet.set."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

import inspire_sim as I
from inspire_sim.core.agents import SME


def test_constructor_takes_dotted_overrides_and_rng():
    m = I.InspireModel(n_smes=300, steps=6, burn_in=3, **{"support_funding.grant_size": 8_000.0}, rng=7)
    assert m.n == 300 and m.seed == 7
    assert [p.spec.grant_size for p in m.policies if p.kind == "support_funding"] == [8_000.0]
    a = I.InspireModel("baseline", seed=7, n_smes=300, steps=6, burn_in=3)
    for _ in range(3):
        a.step()
        m.step()
    assert m.inspire_scenario.overrides["support_funding.grant_size"] == 8_000.0
    assert a.recorder.latest["n_smes"] == 300 and a.seed == 7
    with pytest.raises(I.InputError, match="n_smez"):
        I.InspireModel(n_smez=10)


def test_running_turns_false_after_the_last_month():
    m = I.InspireModel(n_smes=200, steps=5, burn_in=2, seed=1)
    k = 0
    while m.running:
        m.step()
        k += 1
        assert k <= 5
    assert k == 5 and m.recorder.latest["step"] == 5


def test_batch_run_works():
    out = mesa.batch_run(
        I.InspireModel,
        parameters={"n_smes": [300, 500], "steps": 4, "burn_in": 2},
        rng=[1, 2],
        max_steps=100,
        number_processes=1,
        display_progress=False,
    )
    df = pd.DataFrame(out)
    assert len(df) == 4
    assert set(df["n_smes"]) == {300, 500} and (df["Step"] == 4).all()
    assert "cooperating_share" in df and df["cooperating_share"].between(0, 1).all()
    # same seed, same parameters: the same answer as a direct run
    direct = I.run(I.load_scenario("baseline", n_smes=300, steps=4, burn_in=2), seed=1)
    row = df[(df["n_smes"] == 300) & (df["seed"] == 1)].iloc[0]
    assert row["cooperating_share"] == pytest.approx(direct.timeseries["cooperating_share"].iloc[-1])


def test_agentset_set_writes_the_arrays_and_reporters_are_optional():
    m = I.InspireModel(
        n_smes=200, steps=3, burn_in=1, seed=2, agent_reporters={"stage": lambda a: getattr(a, "stage", None)}
    )
    smes = m.agents_by_type[SME]
    smes.set("confidence", 0.25)
    assert np.allclose(m.sme.confidence, 0.25)
    assert smes.agg("confidence", np.mean) == pytest.approx(0.25)
    with pytest.raises(AttributeError):
        smes.set("stage", 1)  # read-only view
    m.step()
    assert len(m.datacollector.get_agent_vars_dataframe()) > 0


def test_view_agents_match_the_arrays_after_entries():
    """Eager or lazy, the SME views carry the arrays' ids, in creation order, one per slot."""
    m = I.InspireModel(n_smes=300, steps=24, burn_in=12, seed=3)
    m.run_months(12)
    uid = m.actors.uid
    assert uid[: m.n].max() >= m.m  # exits happened: entrants got ids after every initial agent
    smes = m.agents_by_type[SME]
    assert len(smes) == m.n
    by_slot = sorted(smes, key=lambda a: a.idx)
    assert [a.idx for a in by_slot] == list(range(m.n))
    assert [a.unique_id for a in by_slot] == uid[: m.n].tolist()
    assert [a.unique_id for a in m.sme_agents] == uid[: m.n].tolist()
    assert [a.unique_id for a in m.partner_agents] == uid[m.n :].tolist()
    ids = [a.unique_id for a in m.agents]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) and max(ids) < m.agent_id_counter
    assert smes.agg("confidence", np.mean) == pytest.approx(float(m.sme.confidence.mean()))
    assert len(smes.select(lambda a: a.stage == 0)) == int((m.sme.stage == 0).sum())
