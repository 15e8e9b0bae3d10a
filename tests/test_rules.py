"""Known answers for the pure decision rules."""

import numpy as np
import pytest
from scipy.special import expit

from inspire_sim.core import rules
from inspire_sim.core.agents import PartnerType, Stage
from inspire_sim.core.params import ModelParams

P = ModelParams()
SUCCESS_KW = dict(
    base_success_logit=P.base_success_logit,
    b_vision=P.b_vision,
    b_partnership_model=P.b_partnership_model,
    b_stage_fit=P.b_stage_fit,
    b_trust=P.b_trust,
    b_complementarity=P.b_complementarity,
    b_friction=P.b_friction,
    b_strength=P.b_strength,
)


def test_cosine_and_unit_rows():
    v = rules.unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert np.allclose(v[0], [0.6, 0.8]) and np.all(v[1] == 0)
    assert rules.cosine(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == 0.0
    assert rules.cosine(v[0], v[0]) == pytest.approx(1.0)
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 1.0]])
    same = rules.unit_rows(x, out=x)  # in place: the same values as out of place
    assert same is x and np.array_equal(x, rules.unit_rows(np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 1.0]])))


def test_pair_uniform_is_symmetric_reproducible_and_uniform():
    a = np.arange(20000)
    b = a[::-1].copy()
    u1 = rules.pair_uniform(a, b, np.uint64(7))
    assert np.array_equal(u1, rules.pair_uniform(b, a, np.uint64(7)))
    assert not np.array_equal(u1, rules.pair_uniform(a, b, np.uint64(8)))
    assert u1.min() > 0 and u1.max() < 1
    assert abs(u1.mean() - 0.5) < 0.01 and abs(u1.var() - 1 / 12) < 0.005


def test_hash_uniform_depends_on_month_and_column():
    u = rules.hash_uniform(np.uint64(1), 3, np.arange(1000), 4)
    assert u.shape == (1000, 4)
    assert not np.allclose(u[:, 0], u[:, 1])
    assert np.array_equal(u, rules.hash_uniform(np.uint64(1), 3, np.arange(1000), 4))
    assert not np.array_equal(u, rules.hash_uniform(np.uint64(1), 4, np.arange(1000), 4))


def test_chemistry_without_pair_term_is_persona_similarity():
    p = np.array([[1.0, 0.0], [0.0, 1.0]])
    q = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert np.allclose(rules.chemistry(p, q, [1, 2], [3, 4], np.uint64(0), 0.0), [1.0, 0.0])


def test_shared_vision_known_values():
    a, b = np.array([1.0, 0.0]), np.array([-1.0, 0.0])
    assert rules.shared_vision(a, a) == pytest.approx(1.0)
    assert rules.shared_vision(a, b) == pytest.approx(0.0)
    assert rules.shared_vision(a, b, 0.5) == pytest.approx(0.5)  # coaching closes half the gap


def test_border_friction():
    assert rules.border_friction(0.0, 0.0, 1.0, 0.5) == 0.0  # domestic
    assert rules.border_friction(0.4, 0.0, 1.0, 0.5) == pytest.approx(0.4)
    assert rules.border_friction(0.4, 2.0, 1.0, 0.5) == pytest.approx(0.4 * np.exp(-1.0))
    assert rules.border_friction(0.4, 0.0, 1.0, 0.5, reduction=0.75) == pytest.approx(0.1)


def test_border_friction_of_integer_counts_equals_float32_counts():
    # the SMEs store experience as uint16 counts (memory); friction must be what float32 counts gave
    counts = np.array([[0, 1, 7], [300, 2, 65_000]], dtype=np.uint16)
    distance = np.array([[0.0, 0.3, 0.9], [0.5, 0.1, 0.2]])
    as_int = rules.border_friction(distance, counts, 1.3, 0.21, 0.25)
    as_f32 = rules.border_friction(distance, counts.astype(np.float32), 1.3, 0.21, 0.25)
    assert as_int.dtype == as_f32.dtype
    np.testing.assert_array_equal(as_int, as_f32)
    assert not np.array_equal(as_int, rules.border_friction(distance, counts.astype(np.float64), 1.3, 0.21, 0.25))


def test_attractiveness_formula():
    a = rules.attractiveness(0.5, 0.7, 0.9, 0.1, 0.2, 0.05, w_chemistry=1, w_vision=2, w_stage_fit=3, w_trust=4)
    assert a == pytest.approx(0.5 + 2 * 0.2 + 3 * 0.4 + 4 * 0.1 - 0.2 - 0.05)


def test_success_probability_typical_project_is_base_logit():
    p = rules.success_probability(0.5, 0.2, 0.5, 0.0, 0.0, 0.0, 0.5, **SUCCESS_KW)
    assert p == pytest.approx(expit(P.base_success_logit))


@pytest.mark.parametrize("arg, up", [(0, True), (1, True), (2, True), (3, True), (4, True), (5, False), (6, True)])
def test_success_probability_direction(arg, up):
    base = [0.5, 0.2, 0.5, 0.0, 0.0, 0.0, 0.5]
    hi = list(base)
    hi[arg] += 0.3
    p0 = rules.success_probability(*base, **SUCCESS_KW)
    p1 = rules.success_probability(*hi, **SUCCESS_KW)
    assert (p1 > p0) == up


def test_confidence_rules():
    assert rules.confidence_after_failure(0.8, 0.0, 0.5) == pytest.approx(0.3)
    assert rules.confidence_after_failure(0.8, 1.0, 0.5) == pytest.approx(0.8)  # fully resilient
    assert rules.confidence_after_failure(0.2, 0.0, 0.5) == 0.0
    assert rules.confidence_after_success(0.5, 0.2) == pytest.approx(0.6)
    slow = rules.recover_confidence(0.5, 0.0, 0.1, floor=0.5)
    fast = rules.recover_confidence(0.5, 1.0, 0.1, floor=0.5)
    boosted = rules.recover_confidence(0.5, 0.0, 0.1, boost=3.0, floor=0.5)
    assert slow == pytest.approx(0.525) and fast == pytest.approx(0.575) and boosted == pytest.approx(0.575)


def test_search_probability():
    kw = dict(search_rate=0.1, strength_effect=1.0, min_confidence=0.4, cost_offset=1.5)
    assert rules.search_probability(0.3, 0.5, 1.0, **kw) == 0.0  # not confident enough
    assert rules.search_probability(1.0, 0.5, 1.0, **kw) == pytest.approx(0.05)
    assert rules.search_probability(1.0, 0.5, 0.5, **kw) == pytest.approx(0.1)  # a grant pays half
    assert rules.search_probability(1.0, 1.0, 1.0, **kw) == pytest.approx(0.1)  # strong system doubles


def test_results_share_by_stage_and_focus():
    st = np.array([Stage.EXPLORATION, Stage.DEVELOPMENT, Stage.SCALING_UP, Stage.COMMERCIALISATION])
    assert np.allclose(rules.results_share(st, False, 0.2, development=0.1, scaling=0.6), [0.0, 0.1, 0.6, 1.0])
    assert np.allclose(rules.results_share(st, True, 0.2, development=0.1, scaling=0.6), [0.0, 0.02, 0.12, 0.2])


def test_stage_fit_encodes_inspire_partner_roles():
    f = rules.STAGE_FIT
    assert f[PartnerType.LARGE_FIRM, Stage.SCALING_UP] > f[PartnerType.LARGE_FIRM, Stage.DEVELOPMENT]
    assert f[PartnerType.CROWD].argmin() == Stage.COMMERCIALISATION
    assert f[PartnerType.PSR].argmax() == Stage.DEVELOPMENT
    assert ((f >= 0) & (f <= 1)).all()
