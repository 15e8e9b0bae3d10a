"""Property-based tests (hypothesis) of the rules and the capacity-respecting selection."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from inspire_sim.core import rules
from inspire_sim.core.params import ModelParams
from inspire_sim.core.policies import pick_per_country

P = ModelParams()
KW = dict(
    base_success_logit=P.base_success_logit,
    b_vision=P.b_vision,
    b_partnership_model=P.b_partnership_model,
    b_stage_fit=P.b_stage_fit,
    b_trust=P.b_trust,
    b_complementarity=P.b_complementarity,
    b_friction=P.b_friction,
    b_strength=P.b_strength,
)
unit = st.floats(0.0, 1.0)


@given(st.integers(0, 2**62), st.integers(0, 2**62), st.integers(0, 2**63))
def test_pair_uniform_symmetric_in_open_unit_interval(a, b, key):
    u = rules.pair_uniform(np.array([a]), np.array([b]), np.uint64(key))
    assert u == rules.pair_uniform(np.array([b]), np.array([a]), np.uint64(key))
    assert 0.0 < u[0] < 1.0


@given(unit, unit, unit, st.floats(-1, 1), unit, st.floats(0, 2), unit, st.floats(0.01, 0.5))
def test_success_probability_bounded_and_monotone(vision, pm, fit, trust, comp, friction, strength, d):
    p = rules.success_probability(vision, pm, fit, trust, comp, friction, strength, **KW)
    assert 0.0 < p < 1.0
    assert rules.success_probability(vision + d, pm, fit, trust, comp, friction, strength, **KW) >= p
    assert rules.success_probability(vision, pm, fit, trust, comp, friction + d, strength, **KW) <= p


@given(unit, unit, st.floats(0, 1), st.floats(0, 1), st.floats(1, 10))
def test_confidence_stays_in_unit_interval(conf, resilience, hit, rate, boost):
    after = rules.confidence_after_failure(conf, resilience, hit)
    assert 0.0 <= after <= conf
    rec = rules.recover_confidence(after, resilience, rate, boost, floor=0.5)
    assert after <= rec <= 1.0


@given(st.floats(0, 2), st.floats(0, 20), st.floats(0, 2), unit)
def test_friction_falls_with_experience_and_brokering(distance, experience, effect, reduction):
    f0 = rules.border_friction(distance, 0.0, 1.0, effect)
    f1 = rules.border_friction(distance, experience, 1.0, effect)
    f2 = rules.border_friction(distance, experience, 1.0, effect, reduction)
    assert 0.0 <= f2 <= f1 <= f0


@settings(max_examples=200)
@given(st.data())
def test_pick_per_country_respects_caps_and_limit(data):
    n = data.draw(st.integers(0, 60))
    nc = data.draw(st.integers(1, 5))
    country = np.array(data.draw(st.lists(st.integers(0, nc - 1), min_size=n, max_size=n)), dtype=np.int64)
    priority = np.array(data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
    caps = np.array(data.draw(st.lists(st.integers(0, 10), min_size=nc, max_size=nc)), dtype=np.int64)
    limit = data.draw(st.one_of(st.none(), st.integers(0, 30)))
    cand = np.arange(100, 100 + n)
    got = pick_per_country(cand, country, caps, priority, limit)
    assert len(set(got)) == len(got) and set(got) <= set(cand)
    idx = got - 100
    assert (np.bincount(country[idx], minlength=nc) <= caps).all()
    feasible = int(np.minimum(np.bincount(country, minlength=nc), caps).sum())
    assert len(got) == (feasible if limit is None else min(limit, feasible))
