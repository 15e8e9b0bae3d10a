"""The model: reproducibility, invariants, Mesa usability, entry/exit, the schedule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import inspire_sim as I
from inspire_sim.core import matching
from inspire_sim.core.agents import SME, Intermediary, Partner, Stage
from inspire_sim.core.metrics import COUNTRY_INDICATORS, INDICATORS
from inspire_sim.errors import InputError
from inspire_sim.results import RunResult


def frames(r: RunResult):
    return [getattr(r, t) for t in RunResult.TABLES]


def test_same_seed_identical_different_seed_differs(small_baseline):
    a, b, c = (I.run(small_baseline, seed=s) for s in (11, 11, 12))
    for x, y in zip(frames(a), frames(b), strict=True):
        pd.testing.assert_frame_equal(x, y)
    assert not a.timeseries.equals(c.timeseries)
    assert not a.partnerships.equals(c.partnerships)


def test_tables_have_the_documented_columns(small_run):
    ts = small_run.timeseries
    assert list(ts.columns) == ["step", *INDICATORS]
    assert ts["step"].tolist() == list(range(1, 61))
    assert list(small_run.countries.columns) == ["step", "country", *COUNTRY_INDICATORS]
    assert len(small_run.countries) == 60 * len(small_run.manifest["scenario"]["countries"])
    assert len(small_run.smes) == 1000
    assert {"partner_type", "lead_stage", "cross_border", "success", "p_success"} <= set(small_run.partnerships)
    assert set(small_run.spend["lever"].unique()) <= {"support_funding", "matchmaking"}
    assert small_run.manifest["seed"] == 3 and small_run.manifest["scenario"]["model"]["n_smes"] == 1000


def test_shares_are_in_unit_interval(small_run):
    ts = small_run.timeseries
    shares = [c for c in ts if "share" in c or c.endswith("_rate_after_failure") or c == "project_success_rate"]
    vals = ts[shares].to_numpy()
    vals = vals[~np.isnan(vals)]
    assert ((vals >= 0) & (vals <= 1)).all()
    stage = ts[[f"share_{s.label}" for s in Stage]].sum(axis=1)
    assert np.allclose(stage, 1.0)


def test_invariants_hold_every_month(small_baseline):
    m = I.InspireModel(small_baseline, seed=5)
    a, s = m.actors, m.sme
    weight = m.world.weight[a.country[: m.n].astype(np.int64)]
    for _ in range(40):
        expiring = {  # grants that expire unused this month return to its budget
            pol.index: float((pol.voucher * weight)[(pol.voucher > 0) & (pol.voucher_until < m.world.month)].sum())
            for pol in m.policies
            if hasattr(pol, "voucher")
        }
        m.step()
        r = m.projects.running
        # partner loads equal the running projects per partner; capacities hold
        load = np.bincount(r["partner"], minlength=m.m)
        assert np.array_equal(load, a.load)
        assert (a.load <= a.capacity).all() and (a.load >= 0).all()
        # lead counts equal running projects per lead; at most max_concurrent_projects
        assert np.array_equal(np.bincount(r["lead"], minlength=m.n), s.n_lead)
        assert s.n_lead.max() <= m.p.max_concurrent_projects
        # nobody partners with themselves; projects end in the future
        assert not np.any(r["lead"] == r["partner"])
        assert (r["end"] > m.month).all()
        # memory references valid actors, trust bounded
        assert ((s.mem_partner >= -1) & (s.mem_partner < m.m)).all()
        assert (np.abs(s.mem_trust) <= 1).all()
        assert ((s.confidence >= 0) & (s.confidence <= 1)).all()
        # a month's spending (or commitments) exceeds its budget by less than one simulated service
        # (stochastic rounding) plus what it carried over: grants returned unused (this month's
        # expiries; exits since the last month) and a binding budget's remainder
        for pol in m.policies:
            if pol.spec.budget_per_step is not None:
                unit = getattr(pol.spec, "grant_size", getattr(pol.spec, "cost_per_service", 0.0))
                assert pol.spent_month < pol.spec.budget_per_step + pol.budget_carry + unit * m.world.weight.max()
                assert pol.budget_carry >= expiring.get(pol.index, 0.0) - 1e-6  # what expired is back in it


def test_partnership_symmetry_and_cross_border_flag(small_run):
    pt = small_run.partnerships
    assert (pt["cross_border"] == (pt["lead_country"].astype(str) != pt["partner_country"].astype(str))).all()
    assert (pt["lead_id"] != pt["partner_id"]).all()
    res = pt[pt["resolved"]]
    assert (res["end"] > res["start"]).all()
    assert not (res["success"] & res["false_failure"]).any()


def test_mesa_agents_are_usable(small_baseline):
    m = I.InspireModel(small_baseline, seed=1)
    for _ in range(12):
        m.step()
    smes = m.agents_by_type[SME]
    assert len(smes) == m.n
    scaling = smes.select(lambda a: a.stage == Stage.SCALING_UP)
    assert len(scaling) == int((m.sme.stage == Stage.SCALING_UP).sum())
    mean_conf = smes.agg("confidence", np.mean)
    assert mean_conf == pytest.approx(float(m.sme.confidence.mean()), rel=1e-6)
    assert len(m.agents_by_type[Partner]) == m.m - m.n
    assert len(m.agents_by_type[Intermediary]) == 2 * len(m.country_names)  # baseline: funding + matchmaking
    j = smes.to_list()[0].journey()
    assert {"stage", "confidence", "failures", "learning", "partners"} <= set(j)
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 12 and "cooperating_share" in df


def test_model_time_and_step_phases(small_baseline):
    m = I.InspireModel(small_baseline, seed=1)
    m.step()
    assert m.time == 1 and m.month == 0
    assert m.recorder.latest["step"] == 1


def test_exits_are_replaced_by_entrants(small_baseline):
    scen = small_baseline.with_overrides({"margin_mean": -6000.0, "initial_cash_mean": 20000.0})
    r = I.run(scen, seed=2, steps=24)
    assert r.timeseries["exits"].sum() > 50
    assert (r.timeseries["n_smes"] == 1000).all()
    assert (r.smes["born"] >= 0).sum() > 50  # entrants
    assert r.smes["sme_id"].is_unique


def test_seekers_respect_confidence_and_innovation(small_baseline):
    m = I.InspireModel(small_baseline, seed=4)
    m.sme.confidence[:] = 0.0
    assert len(matching.find_seekers(m.world, 0)) == 0
    m.sme.confidence[:] = 1.0
    m.sme.innovative[:] = False
    assert len(matching.find_seekers(m.world, 0)) == 0


def test_trusted_partner_is_a_candidate(small_baseline):
    scen = small_baseline.with_overrides({"trusted_first": 1.0})
    m = I.InspireModel(scen, seed=4)
    m.sme.mem_partner[:, 0] = m.n  # everyone remembers partner actor N
    m.sme.mem_trust[:, 0] = 0.5
    c = matching.draw_candidates(m.world, np.arange(50), 0)
    assert (c.blocks[0][:, 0] == m.n).all()


def test_non_positive_steps_rejected(small_baseline):
    with pytest.raises(InputError, match="steps"):
        I.run(small_baseline, steps=0)
    with pytest.raises(InputError, match="replications"):
        I.run_replications(small_baseline, 0)


def test_false_failures_are_rare_and_teach_a_lot(small_run):
    pt = small_run.partnerships
    failed = pt[pt["resolved"] & ~pt["success"]]
    assert 0 <= failed["false_failure"].mean() < 0.15


def test_real_units_convention(small_run):
    from inspire_sim.core.metrics import INDICATORS, real_name

    ts, smes = small_run.timeseries, small_run.smes
    mean_weight = smes["weight"].mean()
    assert real_name("successes") == "successes_real" and real_name("cooperating_share") == "cooperating_share"
    for name, ind in INDICATORS.items():
        if ind.extensive:
            assert np.allclose(ts[real_name(name)], ts[name] * mean_weight)
    # the represented population is the real one: the sum of the countries' SMEs
    scen = small_run.manifest["scenario"]
    assert ts["n_smes_real"].iloc[0] == pytest.approx(sum(c["smes"] for c in scen["countries"]))
