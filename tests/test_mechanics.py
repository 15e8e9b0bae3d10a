"""The realistic mechanics of issue 8: each one acts, and knocking it out removes its effect."""

from __future__ import annotations

import numpy as np
import pytest

import inspire_sim as I
from inspire_sim.core import rules
from inspire_sim.levers import SHIPPED

W = 1200  # real SMEs per simulated SME, roughly, at these sizes (EU-27, 1,500 simulated)


@pytest.fixture(scope="module")
def small():
    return I.load_scenario("no_support", n_smes=1500, steps=48, burn_in=12)


def late(rs, col, window=24):
    return np.array([r.timeseries[col].iloc[-window:].mean() for r in rs])


def test_abandonment_depends_on_resilience_and_can_be_switched_off(small):
    on = I.InspireModel(small.with_overrides({"abandon_prob": 0.8, "abandon_return_rate": 0.0}), seed=3)
    off = I.InspireModel(small.with_overrides({"abandon_prob": 0.0}), seed=3)
    for _ in range(24):
        on.step()
        off.step()
    assert off.sme.abandoned.sum() == 0
    quit_ = on.sme.abandoned
    assert quit_.sum() > 20
    assert on.sme.resilience[quit_].mean() < on.sme.resilience[on.sme.failures > 0].mean()
    # abandoned SMEs never search
    from inspire_sim.core import matching

    assert not np.isin(np.flatnonzero(quit_), matching.find_seekers(on.world, on.world.month)).any()


def test_failure_recovery_brings_abandoned_smes_back(small):
    base = small.with_overrides({"abandon_prob": 0.6})
    plan = base.with_overrides({"failure_recovery.capacity": 40 * W, "failure_recovery.recovery_boost": 5.0})
    a = I.run_replications(base, 4, seed=8)
    b = I.run_replications(plan, 4, seed=8)
    assert (late(b, "abandoned_share") < late(a, "abandoned_share")).all()
    assert late(b, "cooperating_share").mean() > late(a, "cooperating_share").mean()


def test_learning_curve_first_attempts_succeed_less():
    kw = dict(
        base_success_logit=0.0,
        b_vision=1.0,
        b_partnership_model=1.0,
        b_stage_fit=1.0,
        b_trust=1.0,
        b_complementarity=1.0,
        b_friction=1.0,
        b_strength=1.0,
        b_novice=0.5,
    )
    first = rules.success_probability(0.5, 0.2, 0.5, 0.0, 0.0, 0.0, 0.5, 1.0, **kw)
    fifth = rules.success_probability(0.5, 0.2, 0.5, 0.0, 0.0, 0.0, 0.5, 1 / 5, **kw)
    assert first == pytest.approx(1 / (1 + np.exp(0.5)))
    assert fifth > first


def test_small_countries_look_abroad_more(small):
    m = I.InspireModel(small, seed=1)
    dp = dict(zip(m.country_names, m.world.domestic_prob[0], strict=True))
    assert dp["Germany"] == pytest.approx(m.p.home_bias) and dp["Finland"] < dp["Denmark"] < dp["Italy"]
    flat = I.InspireModel(small.with_overrides({"home_bias_size_elasticity": 0.0}), seed=1)
    assert np.allclose(flat.world.domestic_prob[0], flat.p.home_bias)
    r = I.run(small.with_overrides({"n_smes": 4000}), seed=1)
    c = r.countries[r.countries["step"] > 24].groupby("country", observed=True)["cross_border_share"].mean()
    by_size = sorted(small.countries, key=lambda x: x.smes)
    smallest, largest = [x.name for x in by_size[:5]], [x.name for x in by_size[-3:]]
    assert c[smallest].mean() > c[largest].mean()


def test_focus_switch_at_scaling_up(small):
    bigger = small.with_overrides({"n_smes": 4000})  # enough SMEs enter scaling-up with partners to drop
    r = I.run(bigger.with_overrides({"focus_switch_prob": 1.0}), seed=2)
    none = I.run(bigger.with_overrides({"focus_switch_prob": 0.0}), seed=2)
    assert r.timeseries["focus_switches"].iloc[-1] > 0 and none.timeseries["focus_switches"].iloc[-1] == 0
    # without switches, resource-focused SMEs keep their partners on entering scaling-up
    assert (
        none.timeseries["partner_turnover_at_scaleup"].iloc[-1] < r.timeseries["partner_turnover_at_scaleup"].iloc[-1]
    )


def test_vouchers_are_not_cash_and_expire(small):
    scen = small.with_overrides(
        {"support_funding.budget_per_step": 200_000.0 * W, "support_funding.application_cost": 0.0}
    )
    m = I.InspireModel(scen, seed=4)
    pol = next(p for p in m.policies if p.kind == "support_funding")
    cash = m.sme.cash.copy()
    pol.open_month(m.world, m.world.month)
    awarded = pol.voucher > 0
    assert awarded.sum() > 0
    assert np.array_equal(m.sme.cash[awarded], cash[awarded])  # no cash transfer on award
    for _ in range(pol.spec.validity_months + 2):
        m.step()
    # vouchers awarded in that first month were used for a project or expired
    assert (pol.voucher[awarded & (pol.served_at == pol.served_at[awarded].min())] == 0).all()
    assert 0 < m.recorder.latest["take_up_support_funding"] < 1


def test_toolbox_gains_halve_after_the_half_life(small):
    scen = small.with_overrides({"oi_toolbox.capacity": 50 * W, "oi_toolbox.half_life_months": 6.0, "burn_in": 0})
    m = I.InspireModel(scen, seed=5)
    pol = next(p for p in m.policies if p.kind == "oi_toolbox")
    m.step()
    coached = np.flatnonzero(pol.gain_pm > 0)
    assert len(coached) > 0
    before, uid = m.sme.toolbox[coached].copy(), m.actors.uid[coached].copy()
    for _ in range(6):
        m.step()
    stay = m.actors.uid[coached] == uid  # not replaced by an entrant
    assert stay.mean() > 0.9
    assert np.allclose(m.sme.toolbox[coached][stay], before[stay] / 2, rtol=1e-3)


def test_broker_capacity_binds_in_the_shipped_plan():
    """Doubling broker capacity in the shipped brokering plan serves more SMEs and changes results."""
    scen = I.load_scenario("cross_border_brokering", n_smes=2000, steps=36, burn_in=12)
    cap = next(p.model_dump()["capacity"] for p in scen.policies if p.kind == "cross_border_brokering")
    a = I.run(scen, seed=6)
    b = I.run(scen.with_overrides({"cross_border_brokering.capacity": 2 * cap}), seed=6)
    served_a = a.timeseries["awarded_cross_border_brokering"].sum()
    assert b.timeseries["awarded_cross_border_brokering"].sum() > 1.15 * served_a
    assert not a.timeseries["new_cross_border"].equals(b.timeseries["new_cross_border"])


def test_every_shipped_lever_reports_take_up(small):
    r = I.run(small, seed=1)
    for kind in SHIPPED:
        assert f"take_up_{kind}" in r.timeseries and f"awarded_{kind}_real" in r.timeseries


def test_a_domestic_encounter_is_never_the_seeker_itself():
    """Issue 20 (scale): a small simulated pool must not waste encounters on the seeker; without
    the exclusion, Malta's few simulated SMEs would meet themselves often."""
    from inspire_sim.core import matching
    from inspire_sim.core.state import PartnerType

    m = I.InspireModel(I.load_scenario("baseline", n_smes=600, burn_in=0), seed=3)
    w = m.world
    smes = np.arange(m.n)
    k = 40
    home = np.repeat(w.actors.country[smes].astype(np.int64)[:, None], k, axis=1)
    u = np.random.default_rng(0).random((m.n, k))
    ptype = np.full((m.n, k), int(PartnerType.SME_PEER))
    cnt = w.index.tc_cnt[ptype, home]
    without = matching.chance(w, home, np.zeros((m.n, k)), u, ptype, 1.0)
    got = matching.chance(w, home, np.zeros((m.n, k)), u, ptype, 1.0, seeker=smes[:, None])
    assert (without == smes[:, None]).any()  # the draw does hit the seeker without the exclusion
    assert not ((got == smes[:, None]) & (cnt > 1)).any()
    changed = got != without
    assert (without[changed] == np.broadcast_to(smes[:, None], got.shape)[changed]).all()  # only those draws move
    assert (w.actors.country[got[changed]] == home[changed]).all()  # to another actor of the same country


def test_capacity_tokens_carry_a_small_countrys_fraction_of_a_service():
    """A country entitled to a fifth of a service a month serves one SME when one asks (token bucket)."""
    scen = I.load_scenario("baseline", n_smes=2000, burn_in=0)
    m = I.InspireModel(scen, seed=1)
    pol = next(p for p in m.policies if p.kind == "matchmaking")
    want = np.broadcast_to(pol.expected_capacity(m.world), pol.capacity_credit.shape)[0]
    small = int(np.argmin(np.where(want > 0, want, np.inf)))
    assert 0 < want[small] < 1
    pol.capacity_credit[:] = 0.0
    caps = [int(pol.scaled_capacity(m.world, t)[0, small]) for t in range(int(np.ceil(1 / want[small])) + 1)]
    assert caps[0] == 0 and caps[-1] == 1  # a whole service once enough months have accrued
