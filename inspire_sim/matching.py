"""Partner search and matching, vectorised over all searching SMEs (the hot path).

One month (DESIGN.md §1, phase 3):

1. :func:`find_seekers`: free, confident, innovation-active SMEs that can afford a
   project search with a probability set by :func:`rules.search_probability`.
2. :func:`draw_candidates`: each seeker gets ``n_candidates`` candidates: its most
   trusted past partner (with probability ``trusted_first``) and chance encounters,
   domestic with probability ``home_bias``; partner types are drawn with the encounter
   shares. Intermediaries add introductions: brokers add foreign candidates (flagged
   ``brokered``: less friction), matchmakers add domestic candidates screened for
   chemistry and vision (flagged ``matchmade``).
3. :func:`evaluate`: attractiveness of every (seeker, candidate) pair.
4. :func:`match`: each seeker proposes to its best candidate if attractive enough; the
   partner accepts if the SME is attractive to it; partner capacity is respected,
   proposals being served in a random (common-random-number) order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import rules
from .agents import NO_STEP

if TYPE_CHECKING:
    from .model import InspireModel


@dataclass
class Candidates:
    """Candidate partners of the seekers: actor indices (S, K) with -1 for none."""

    seekers: np.ndarray
    actor: np.ndarray
    brokered: np.ndarray  # bool (S, K)
    matchmade: np.ndarray  # bool (S, K)
    reduction: np.ndarray  # float (S,): friction share removed on brokered pairs


def find_seekers(model: InspireModel, month: int) -> np.ndarray:
    """SME slots that search for a partner this month."""
    s, p = model.sme, model.p
    cost = p.project_cost
    net_share = np.clip(1.0 - s.voucher / cost, 0.0, 1.0) if cost > 0 else np.zeros(model.n)
    prob = rules.search_probability(
        s.confidence,
        model.strength[model.actors.country[: model.n]],
        net_share,
        search_rate=p.search_rate,
        strength_effect=p.strength_search_effect,
        min_confidence=p.min_confidence_to_search,
    )
    free = s.innovative & (s.n_lead < p.max_concurrent_projects) & (s.cash >= cost * net_share)
    u = model.streams.get("search", month).random(model.n)
    return np.flatnonzero(free & (u < prob))


def _chance(
    model: InspireModel,
    home: np.ndarray,
    u_dom: np.ndarray,
    u_pick: np.ndarray,
    ptype: np.ndarray,
    domestic_prob: float,
) -> np.ndarray:
    """Actors met by chance: of type ``ptype``, domestic with ``domestic_prob``, else foreign.

    Foreign actors are drawn uniformly among actors of that type abroad, so larger
    countries are met more often. Returns -1 where no such actor exists.
    """
    off, cnt = model.tc_off[ptype, home], model.tc_cnt[ptype, home]
    t_off, t_cnt = model.type_off[ptype], model.type_cnt[ptype]
    domestic = u_dom < domestic_prob
    pos_dom = off + np.minimum((u_pick * cnt).astype(np.int64), np.maximum(cnt - 1, 0))
    n_for = t_cnt - cnt
    r = np.minimum((u_pick * n_for).astype(np.int64), np.maximum(n_for - 1, 0))
    r = r + np.where(r >= off - t_off, cnt, 0)
    pos = np.where(domestic, pos_dom, t_off + r)
    ok = np.where(domestic, cnt > 0, n_for > 0)
    return np.where(ok, model.by_tc[np.clip(pos, 0, len(model.by_tc) - 1)], -1)


def _types_by_fit(model: InspireModel, stage: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Partner types an intermediary introduces: probability proportional to fit^2 at ``stage``."""
    w = rules.STAGE_FIT[:, stage].T.astype(np.float64) ** 2  # (S, T)
    cum = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    return (u[..., None] > cum[:, None, :]).sum(axis=-1).clip(0, w.shape[1] - 1)


def draw_candidates(model: InspireModel, seekers: np.ndarray, month: int) -> Candidates:
    """Candidates from trust, chance encounters and intermediaries' introductions."""
    p, s, a = model.p, model.sme, model.actors
    n_s, k = len(seekers), p.n_candidates
    home = a.country[seekers].astype(np.int64)
    u = model.streams.uniform("candidates", month, a.uid[seekers], 3 * k + 1)
    ptype = np.searchsorted(model.encounter_cum, u[:, k : 2 * k], side="right").clip(0, 3)
    actor = _chance(model, np.repeat(home[:, None], k, axis=1), u[:, :k], u[:, 2 * k : 3 * k], ptype, p.home_bias)
    # (a) the most trusted past partner goes first, if there is one not burnt
    mem, trust = s.mem_partner[seekers], s.mem_trust[seekers]
    masked = np.where((mem >= 0) & (trust >= 0), trust, -np.inf)
    best = masked.argmax(axis=1)
    has = np.isfinite(masked[np.arange(n_s), best]) & (u[:, 3 * k] < p.trusted_first)
    actor[has, 0] = mem[has, best[has]]
    cols = [actor]
    brokered = [np.zeros_like(actor, dtype=bool)]
    matchmade = [np.zeros_like(actor, dtype=bool)]
    reduction = np.zeros(n_s)
    served_any = np.zeros(n_s, dtype=bool)
    prio = model.streams.uniform("intermediaries", month, a.uid[seekers], 1)[:, 0]
    stage = s.stage[seekers]
    for pol in model.active_policies("cross_border_brokering", month):
        pos = np.flatnonzero(~served_any)
        served = np.isin(seekers, pol.serve(model, seekers[pos], prio[pos]))
        if not served.any():
            continue
        served_any |= served
        e = pol.spec.extra_candidates
        uu = model.streams.uniform(f"broker:{pol.index}", month, a.uid[seekers[served]], 2 * e)
        types = _types_by_fit(model, stage[served], uu[:, :e])
        extra = np.full((n_s, e), -1, dtype=np.int64)
        extra[served] = _chance(
            model, np.repeat(home[served, None], e, axis=1), np.ones((served.sum(), e)), uu[:, e:], types, 0.0
        )
        reduction[served] = pol.spec.friction_reduction
        cols.append(extra)
        brokered.append(extra >= 0)
        matchmade.append(np.zeros_like(extra, dtype=bool))
    served_any[:] = False
    for pol in model.active_policies("matchmaking", month):
        pos = np.flatnonzero(~served_any)
        served = np.isin(seekers, pol.serve(model, seekers[pos], prio[pos]))
        if not served.any():
            continue
        served_any |= served
        pool, e = pol.spec.screening_pool, pol.spec.extra_candidates
        uu = model.streams.uniform(f"matchmaker:{pol.index}", month, a.uid[seekers[served]], 2 * pool)
        types = _types_by_fit(model, stage[served], uu[:, :pool])
        screened = _chance(
            model, np.repeat(home[served, None], pool, axis=1), np.zeros((served.sum(), pool)), uu[:, pool:], types, 1.0
        )
        # the intermediary keeps the best `e` by chemistry + shared vision (+ stage fit)
        sub = seekers[served]
        j = np.where(screened >= 0, screened, 0)
        score = (
            rules.chemistry(
                a.persona[sub][:, None, :],
                a.persona[j],
                a.uid[sub][:, None],
                a.uid[j],
                model.chem_key,
                p.chemistry_pair_sd,
            )
            + rules.shared_vision(a.vision[sub][:, None, :], a.vision[j])
            + rules.STAGE_FIT[a.ptype[j], stage[served][:, None]]
        )
        score = np.where((screened >= 0) & (j != sub[:, None]), score, -np.inf)
        top = np.argsort(-score, axis=1, kind="stable")[:, :e]
        picked = np.take_along_axis(screened, top, axis=1)
        picked = np.where(np.isfinite(np.take_along_axis(score, top, axis=1)), picked, -1)
        extra = np.full((n_s, e), -1, dtype=np.int64)
        extra[served] = picked
        cols.append(extra)
        brokered.append(np.zeros_like(extra, dtype=bool))
        matchmade.append(extra >= 0)
    return Candidates(seekers, np.hstack(cols), np.hstack(brokered), np.hstack(matchmade), reduction)


def evaluate(model: InspireModel, c: Candidates) -> dict[str, np.ndarray]:
    """Pair features and attractiveness for every (seeker, candidate), shape (S, K)."""
    p, s, a = model.p, model.sme, model.actors
    i = c.seekers
    valid = c.actor >= 0
    j = np.where(valid, c.actor, 0)
    valid &= (j != i[:, None]) & (a.load[j] < a.capacity[j])
    ci, cj = a.country[i].astype(np.int64)[:, None], a.country[j].astype(np.int64)
    chem = rules.chemistry(
        a.persona[i][:, None, :], a.persona[j], a.uid[i][:, None], a.uid[j], model.chem_key, p.chemistry_pair_sd
    )
    vision = rules.shared_vision(a.vision[i][:, None, :], a.vision[j], s.vision_align[i][:, None])
    fit = rules.STAGE_FIT[a.ptype[j], s.stage[i][:, None]]
    same = j[:, :, None] == s.mem_partner[i][:, None, :]
    trust = (same * s.mem_trust[i][:, None, :]).sum(axis=-1)
    repeat = same.any(axis=-1)
    red = np.where(c.brokered, c.reduction[:, None], 0.0)
    foreign = ci != cj
    friction = rules.border_friction(
        model.distance[ci, cj], s.experience[i[:, None], cj], p.friction_scale, p.experience_effect, red
    )
    trap = 1.0 + p.resource_focus_trap * s.resource_focus[i][:, None]
    search_cost = foreign * p.search_cost_foreign * trap * (1.0 - red)
    weights = dict(w_chemistry=p.w_chemistry, w_vision=p.w_vision, w_stage_fit=p.w_stage_fit, w_trust=p.w_trust)
    attract = rules.attractiveness(chem, vision, fit, trust, friction, search_cost, **weights)
    # the partner's view: the same chemistry, vision, trust and friction, and what the SME brings
    appeal = a.capability[i][:, None]
    attract_partner = rules.attractiveness(chem, vision, appeal, trust, friction, 0.0, **weights)
    return dict(
        valid=valid,
        actor=j,
        chem=chem,
        vision=vision,
        fit=fit,
        trust=trust,
        friction=friction,
        foreign=foreign,
        repeat=repeat,
        attract=np.where(valid, attract, -np.inf),
        attract_partner=attract_partner,
    )


def match(model: InspireModel, month: int) -> dict[str, np.ndarray]:
    """Phase 3: who partners with whom this month. Returns columns of the new projects."""
    p, a = model.p, model.actors
    seekers = find_seekers(model, month)
    model.last_seekers = len(seekers)
    c = draw_candidates(model, seekers, month)
    f = evaluate(model, c)
    model.counters["chem_candidates_sum"] += float(f["chem"][f["valid"]].sum())
    model.counters["chem_candidates_n"] += int(f["valid"].sum())
    rows = np.arange(len(seekers))
    best = f["attract"].argmax(axis=1) if len(seekers) else np.zeros(0, dtype=np.int64)
    pick = lambda key: f[key][rows, best]  # noqa: E731
    propose = pick("attract") > p.accept_threshold
    accept = propose & (pick("attract_partner") > p.accept_threshold)
    partner = pick("actor")
    # capacity: proposals to one partner are served in a random order
    cand = np.flatnonzero(accept)
    prio = model.streams.uniform("queue", month, a.uid[seekers[cand]], 1)[:, 0]
    order = cand[np.lexsort((prio, partner[cand]))]
    pj = partner[order]
    rank = np.arange(len(order)) - np.searchsorted(pj, pj, side="left")
    ok = np.sort(order[rank < (a.capacity[pj] - a.load[pj])])
    lead = seekers[ok]
    return dict(
        lead=lead,
        partner=partner[ok],
        chemistry=pick("chem")[ok],
        vision=pick("vision")[ok],
        fit=pick("fit")[ok],
        trust=pick("trust")[ok],
        friction=pick("friction")[ok],
        cross_border=pick("foreign")[ok],
        repeat_partner=pick("repeat")[ok],
        brokered=c.brokered[rows, best][ok],
        matchmade=c.matchmade[rows, best][ok],
    )


__all__ = ["NO_STEP", "Candidates", "draw_candidates", "evaluate", "find_seekers", "match"]
