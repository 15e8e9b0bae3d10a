"""Pure, vectorised decision rules of the model, testable without a model.

Every function takes numpy arrays (or scalars) and returns arrays; none draws random
numbers except through the stateless :func:`pair_uniform` hash.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, ndtri

from .state import PartnerType, Stage

# What each partner type contributes at each stage, in [0, 1] (rows: PartnerType,
# columns: Stage). Source: INSPIRE findings (SOURCES.md): SME peers and PSRs engage from
# development to scaling-up; large firms are prominent close to market, especially in
# scaling-up; the crowd engages in resource stages and little in commercialisation.
# The numbers are assumptions shaped by those findings.
STAGE_FIT = np.array(
    [
        #  expl  dev   scale comm
        [0.55, 0.80, 0.70, 0.40],  # SME peer
        [0.60, 0.85, 0.60, 0.15],  # PSR
        [0.10, 0.35, 0.85, 0.80],  # large firm
        [0.75, 0.55, 0.30, 0.00],  # crowd
    ],
    dtype=np.float32,
)
assert STAGE_FIT.shape == (len(PartnerType), len(Stage))


def weak(param, other):
    """``param`` as numpy takes a Python number next to the array ``other`` (NEP 50 "weak" scalars).

    A parameter is a Python number in a single run, and an array of per-row values in a batch
    of runs that differ in it. Next to a float32 array numpy casts a Python float to float32
    before computing; this casts the per-row values likewise, so each row of a batch computes
    exactly what its run computes alone. Numbers and other combinations pass unchanged.
    """
    if isinstance(param, np.ndarray) and param.dtype == np.float64 and np.result_type(other) == np.float32:
        return param.astype(np.float32)
    return param


def unit_rows(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), into ``out`` if given (it may be ``x``: in place)."""
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    if out is None:
        return np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)
    np.divide(x, norm, out=out, where=norm > 0)
    np.copyto(out, 0.0, where=~(norm > 0))
    return out


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of unit vectors ``a`` and ``b`` (same shape, last axis)."""
    return np.einsum("...d,...d->...", a, b)


_U64 = 1 << 64


def _splitmix64(x: np.ndarray) -> np.ndarray:
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def pair_uniform(uid_a: np.ndarray, uid_b: np.ndarray, key: np.uint64) -> np.ndarray:
    """A reproducible uniform(0, 1) per unordered pair, without storing N x N values.

    Symmetric: ``pair_uniform(a, b) == pair_uniform(b, a)``; depends only on the two
    ids and the key (from the run's seed).
    """
    a = np.asarray(uid_a, dtype=np.uint64)
    b = np.asarray(uid_b, dtype=np.uint64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    with np.errstate(over="ignore"):
        h = _splitmix64(_splitmix64(lo ^ key) ^ (hi * np.uint64(0xD6E8FEB86659FD93)))
    return ((h >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)


def month_salt(key: np.uint64 | int, month: int) -> np.uint64:
    """The (key, month) salt of :func:`hash_uniform`, in exact 64-bit modular arithmetic."""
    # Python ints: numpy scalars would warn on the wrap-around (array arithmetic wraps silently)
    return np.uint64((int(key) + (int(month) % _U64) * 0x9E3779B97F4A7C15) % _U64)


def hash_uniform(key: np.uint64, month: int, ids: np.ndarray, ncols: int) -> np.ndarray:
    """Stateless uniforms (len(ids), ncols) from (key, month, id, column) by splitmix64."""
    return salted_uniform(month_salt(key, month), ids, ncols)


def salted_uniform(salt: np.uint64 | np.ndarray, ids: np.ndarray, ncols: int) -> np.ndarray:
    """:func:`hash_uniform` from a (key, month) salt: one salt, or one per id (a batch of runs).

    Element by element the result is the one that id's salt alone gives.
    """
    ids = np.asarray(ids, dtype=np.uint64)
    cols = np.arange(ncols, dtype=np.uint64)
    base = _splitmix64(ids ^ salt)
    h = _splitmix64(base[:, None] + cols[None, :] * np.uint64(0xD1B54A32D192ED03))
    return ((h >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)


def chemistry(persona_a: np.ndarray, persona_b: np.ndarray, uid_a, uid_b, key: np.uint64, pair_sd: float) -> np.ndarray:
    """Personal chemistry of two lead managers.

    ``cos(persona_a, persona_b) + pair_sd * z(pair)``: similarity of personas plus a
    pair-specific normal term that the two persons reveal on meeting (reproducible from
    the pair and the seed). Range: roughly [-1 - 3 sd, 1 + 3 sd]; 0 is indifferent.
    """
    z = ndtri(pair_uniform(uid_a, uid_b, key))
    return cosine(persona_a, persona_b) + pair_sd * z


def shared_vision(vision_a: np.ndarray, vision_b: np.ndarray, alignment: np.ndarray | float = 0.0) -> np.ndarray:
    """Shared strategic vision in [0, 1]: ``(1 + cos) / 2``, raised by vision-setting skill.

    ``alignment`` in [0, 1] (from OI-toolbox coaching) closes that share of the gap to 1.
    """
    base = 0.5 * (1.0 + cosine(vision_a, vision_b))
    return base + np.asarray(alignment) * (1.0 - base)


def border_friction(distance, experience, scale: float, experience_effect: float, reduction=0.0):
    """Border friction of a pair: ``scale * distance * exp(-effect * experience) * (1 - reduction)``.

    ``distance`` is the cultural distance of the two countries (0 for a domestic pair),
    ``experience`` the SME's past projects with that country and ``reduction`` the share a
    cross-border broker removes. Integer counts are computed in float32, as the SMEs' arrays store
    them as uint16.
    """
    experience = np.asarray(experience)
    if experience.dtype.kind in "iu":
        experience = experience.astype(np.float32)
    return (
        scale
        * np.asarray(distance)
        * np.exp(-weak(experience_effect, experience) * experience)
        * (1.0 - np.asarray(reduction))
    )


def attractiveness(chem, vision, fit, trust, friction, search_cost, *, w_chemistry, w_vision, w_stage_fit, w_trust):
    """Attractiveness of a candidate pair (DESIGN.md §1, phase 3).

    ``w_c chem + w_v (vision - 0.5) + w_f (fit - 0.5) + w_t trust - friction - search_cost``.
    Vision and fit are centred so that a typical pair sits near zero.
    """
    chem, vision, fit, trust = (np.asarray(x) for x in (chem, vision, fit, trust))
    return (
        weak(w_chemistry, chem) * chem
        + weak(w_vision, vision) * (vision - 0.5)
        + weak(w_stage_fit, fit) * (fit - 0.5)
        + weak(w_trust, trust) * trust
        - np.asarray(friction)
        - np.asarray(search_cost)
    )


def partnership_model_quality(soft_skills, toolbox):
    """Quality of an SME's partnership model in [0, 1]: OI-management skills plus coaching."""
    return np.clip(np.asarray(soft_skills) + np.asarray(toolbox), 0.0, 1.0)  # no parameters


def success_probability(
    vision,
    pm_quality,
    fit,
    trust,
    complementarity,
    friction,
    strength,
    novice=0.0,
    *,
    base_success_logit,
    b_vision,
    b_partnership_model,
    b_stage_fit,
    b_trust,
    b_complementarity,
    b_friction,
    b_strength,
    b_novice=0.0,
):
    """Probability that an OI project succeeds (logistic).

    ``logit p = b0 + b_v (vision - 0.5) + b_pm (pm - 0.2) + b_fit (fit - 0.5) + b_t trust
    + b_c complementarity - b_f friction + b_s (strength - 0.5)``. Each term is centred
    on a typical value, so ``b0`` is the logit of a typical domestic first-time project
    (``b0 = 0`` gives 0.5; SOURCES.md puts failure at 25-55%). Rises with shared vision,
    partnership-model quality, stage fit, trust, complementarity and the home system's
    strength; falls with border friction and, on the learning curve, with
    ``b_novice x novice`` (``novice = 1 / (1 + past attempts)``: first attempts succeed less).
    """
    vision, pm_quality, fit, trust, complementarity, friction, strength, novice = (
        np.asarray(x) for x in (vision, pm_quality, fit, trust, complementarity, friction, strength, novice)
    )
    term = weak(b_vision, vision) * (vision - 0.5)
    z = weak(base_success_logit, term) + term
    for coef, x in (
        (b_partnership_model, pm_quality - 0.2),
        (b_stage_fit, fit - 0.5),
        (b_trust, trust),
        (b_complementarity, complementarity),
    ):
        z = z + weak(coef, x) * x
    z = z - weak(b_friction, friction) * friction
    x = strength - 0.5
    z = z + weak(b_strength, x) * x
    z = z - weak(b_novice, novice) * novice
    return expit(z)


def sme_capability(learn_tech, base: float):
    """What an SME brings as a partner: ``base`` + its technical learning stock, in [0, 1]."""
    learn_tech = np.asarray(learn_tech)
    return np.clip(weak(base, learn_tech) + learn_tech, 0.0, 1.0)


def complementarity(partner_capability, sme_learning):
    """What the partner brings beyond the SME's own technical stock, in [0, 1]."""
    return np.clip(np.asarray(partner_capability) - np.asarray(sme_learning), 0.0, 1.0)


def confidence_after_failure(confidence, resilience, hit: float):
    """Confidence after a failed project: loses ``hit * (1 - resilience)``, floored at 0."""
    lost = 1.0 - np.asarray(resilience)
    return np.maximum(0.0, np.asarray(confidence) - weak(hit, lost) * lost)


def confidence_after_success(confidence, boost: float):
    """Confidence after a success: closes ``boost`` of the gap to 1."""
    c = np.asarray(confidence)
    return c + weak(boost, c) * (1.0 - c)


def recover_confidence(confidence, resilience, rate: float, boost=1.0, *, floor: float, target=1.0):
    """Monthly recovery toward the SME's own disposition ``target``: ``rate * (floor + resilience)`` of the gap.

    Below ``target`` the step is also multiplied by ``boost`` (failure-recovery support); above it
    (after a success) confidence settles back at the unboosted rate. With ``floor = 0.5``,
    resilient SMEs (trait near 1) recover three times faster than fragile ones (near 0).
    """
    c, resilience, target = np.asarray(confidence), np.asarray(resilience), np.asarray(target)
    # float64 multiplier first: a batch's per-row rates compute exactly what each run computes alone
    up = np.where(c < target, np.asarray(boost, dtype=np.float64), 1.0)
    step = np.clip(rate * up * (weak(floor, resilience) + resilience), 0.0, 1.0)
    return c + step * (target - c)


def persistence(months_since_coop, window: int, factor: float):
    """Search multiplier of OI persistence: ``factor`` within ``window`` months of the last OI activity, else 1.

    ``months_since_coop`` is negative or huge for an SME that never cooperated (no persistence).
    """
    m = np.asarray(months_since_coop)
    return np.where((m >= 0) & (m <= window), factor, 1.0)


def search_probability(
    confidence,
    strength,
    net_cost_share,
    *,
    search_rate: float,
    strength_effect: float,
    min_confidence: float,
    cost_offset: float,
):
    """Monthly probability that a free, innovation-active SME searches for a partner.

    ``search_rate * (1 + e (2 strength - 1))_+ * confidence * (cost_offset - net_cost_share)``
    when confidence is at least ``min_confidence``, else 0. ``net_cost_share`` is the
    share of the project cost the SME pays itself (1 without a grant, lower with one):
    grants make OI affordable (assumption).
    """
    conf = np.asarray(confidence)
    mult = np.maximum(0.0, 1.0 + strength_effect * (2.0 * np.asarray(strength) - 1.0))
    p = search_rate * mult * conf * (cost_offset - np.asarray(net_cost_share))
    return np.where(conf >= weak(min_confidence, conf), np.clip(p, 0.0, 1.0), 0.0)


def relative_pool(smes) -> np.ndarray:
    """Log size of each country's home market against the SME-weighted geometric mean of all of them.

    ``log(smes_c / ref)`` with ``log ref = sum_c smes_c log smes_c / sum_c smes_c``: 0 for a country of the
    reference size, negative for smaller ones. Weighting by SMEs keeps the mean multiplier of
    :func:`pool_search_multiplier` near 1, so the elasticity moves countries apart, not the EU level.
    """
    smes = np.asarray(smes, dtype=np.float64)
    log_s = np.log(smes)
    return log_s - float((smes * log_s).sum() / smes.sum())


def pool_search_multiplier(log_relative_pool, elasticity):
    """Search multiplier of an SME whose home market is ``exp(log_relative_pool)`` times the reference.

    ``(pool / ref) ** -elasticity``: SMEs of small home markets find fewer complementary resources in
    house and at home and cooperate more (small innovation systems rely on collaboration; CIS 2006-08:
    Denmark, Estonia, Cyprus vs Germany, Italy, Spain). ``elasticity = 0`` switches it off.
    """
    x = np.asarray(log_relative_pool, dtype=np.float64)
    return np.exp(-np.asarray(elasticity, dtype=np.float64) * x)


def shared_language(languages: list[list[str]]) -> np.ndarray:
    """(C, C) True where two different countries share an official language."""
    sets = [set(x) for x in languages]
    c = len(sets)
    out = np.zeros((c, c), dtype=bool)
    for i in range(c):
        for j in range(c):
            out[i, j] = i != j and bool(sets[i] & sets[j])
    return out


def results_share(stage, resource_focus, resource_focus_results_share: float, *, development: float, scaling: float):
    """Share of a success's gain that becomes business results (the rest builds resources).

    Exploration builds only resources, development ``development`` results; market stages
    build results: scaling-up ``scaling``, commercialisation 100%, scaled down to
    ``resource_focus_results_share`` of that for resource-focused SMEs (INSPIRE: they can
    reach scaling-up with little business impact).
    """
    if np.ndim(development) == 0 and np.ndim(scaling) == 0:
        by_stage = np.array([0.0, development, scaling, 1.0])[np.asarray(stage)]
    else:  # per row (runs of a batch with different shares)
        by_stage = np.choose(np.asarray(stage), [0.0, np.asarray(development), np.asarray(scaling), 1.0])
    return np.where(np.asarray(resource_focus), by_stage * resource_focus_results_share, by_stage)
