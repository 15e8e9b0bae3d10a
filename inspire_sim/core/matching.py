"""Partner search and matching, vectorised over all searching SMEs (the hot path).

One month (DESIGN.md §1, phase 3):

1. :func:`find_seekers`: free, confident, innovation-active SMEs that can afford a
   project search with a probability set by :func:`rules.search_probability`.
2. :func:`draw_candidates`: each seeker gets ``n_candidates`` candidates: its most
   trusted past partner (with probability ``trusted_first``) and chance encounters,
   domestic with the country's probability (``home_bias`` in the largest country, less in
   smaller ones: ``home_bias_size_elasticity``); partner types are drawn with the encounter
   shares. Then every policy's ``add_candidates`` hook may add introductions (e.g.
   brokers add foreign candidates with less friction, matchmakers screened domestic
   ones); a project records the policy that introduced its partner (``introduced_by``).
3. :func:`evaluate`: attractiveness of every (seeker, candidate) pair.
4. :func:`match`: each seeker proposes to its best candidate if attractive enough; the
   partner accepts if the SME is attractive to it; partner capacity is respected,
   proposals being served in a random (common-random-number) order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import rules
from .world import CandidateSet, Matches, World, person_ids, repeat_index


def find_seekers(world: World, month: int) -> np.ndarray:
    """SME slots that search for a partner this month (after the levers' subsidies)."""
    s, n = world.sme, world.n
    p: Any = world.param_view(world.sme_run)
    cost = s.next_cost  # each SME's planned next project
    subsidy = np.zeros(n)
    for pol in world.policies:
        extra = pol.subsidy(world, month)
        if extra is not None:
            subsidy += extra
    with np.errstate(divide="ignore", invalid="ignore"):
        net_share = np.where(cost > 0, np.clip(1.0 - subsidy / cost, 0.0, 1.0), 0.0)
    prob = rules.search_probability(
        s.confidence,
        world.geo.region_strength[s.region],
        net_share,
        search_rate=p.search_rate,
        strength_effect=p.strength_search_effect,
        min_confidence=p.min_confidence_to_search,
        cost_offset=p.search_cost_offset,
    )
    # sectors cooperate more or less (CIS): (cooperation share / mean) ** sector_search_effect
    ratio = np.log(world.geo.sector_coop_ratio)[s.sector]
    # OI persists: SMEs that cooperated recently search more (rules.persistence)
    habit = rules.persistence(month - s.last_coop, p.persistence_window, p.coop_persistence)
    # small home markets cooperate more: (country SMEs / reference) ** -pool_search_elasticity
    pool = rules.pool_search_multiplier(world.log_pool[world.actors.country[:n]], p.pool_search_elasticity)
    prob = np.clip(prob * np.exp(p.sector_search_effect * ratio) * pool * habit, 0.0, 1.0)
    for pol in world.policies:
        intent = pol.search_intent(world, month)
        if intent is not None:  # e.g. grant holders look for a partner to use it on
            prob = np.where(prob > 0, np.maximum(prob, intent), 0.0)  # prob 0: not confident enough
    free = s.innovative & ~s.abandoned & (s.n_lead < p.max_concurrent_projects) & (s.cash >= cost * net_share)
    u = world.streams.random("search", month)
    return np.flatnonzero(free & (u < prob))


def chance(
    world: World,
    home: np.ndarray,
    u_dom: np.ndarray,
    u_pick: np.ndarray,
    ptype: np.ndarray,
    domestic_prob: float | np.ndarray,
    run: np.ndarray | int = 0,
    region: np.ndarray | None = None,
    u_local: np.ndarray | None = None,
    local_bias: float | np.ndarray = 0.0,
    border_bias: float | np.ndarray = 0.0,
    seeker: np.ndarray | None = None,
) -> np.ndarray:
    """Actors met by chance: of type ``ptype``, domestic with ``domestic_prob``, else foreign.

    ``run`` is the run of each seeker (batches: candidates come from the seeker's own run).

    A domestic encounter is drawn from the seeker's own ``region`` with probability
    ``local_bias`` (if the region has actors of that type), else anywhere in the country. A
    foreign encounter of a seeker in a border region is drawn from a region touching it across
    the border with probability ``border_bias`` (one of them at random, if it has actors of that
    type), else uniformly among actors of that type abroad, so larger countries are met more
    often. ``u_local`` decides both (only one applies). Returns -1 where no such actor exists.

    ``seeker`` (the seekers' actor ids, broadcastable to ``ptype``): a domestic encounter is one
    of the *other* actors of the pool. Drawing oneself would waste the encounter, and far more
    often in a small simulated pool than in the real one (a region with 4 simulated SME peers
    against thousands of real ones), which made answers depend on the simulated population.
    """
    ix = world.index
    off, cnt = ix.tc_off[ptype, home], ix.tc_cnt[ptype, home]
    t_off, t_cnt = ix.type_off[ptype], ix.type_cnt[ptype]
    domestic = u_dom < domestic_prob
    pos_dom = off + np.minimum((u_pick * cnt).astype(np.int64), np.maximum(cnt - 1, 0))
    n_for = t_cnt - cnt
    r = np.minimum((u_pick * n_for).astype(np.int64), np.maximum(n_for - 1, 0))
    r = r + np.where(r >= off - t_off, cnt, 0)
    pos = np.where(domestic, pos_dom, t_off + r)
    ok = np.where(domestic, cnt > 0, n_for > 0)
    if region is not None and u_local is not None:
        geo = world.geo
        # own region: a (type, region) block inside the (type, country) one
        r_off, r_cnt = ix.tr_off[ptype, region], ix.tr_cnt[ptype, region]
        local = domestic & (u_local < local_bias) & (r_cnt > 0)
        pos = np.where(local, r_off + np.minimum((u_pick * r_cnt).astype(np.int64), np.maximum(r_cnt - 1, 0)), pos)
        # a neighbouring region abroad: pick one with u_pick's integer part, the actor with its fraction
        deg = geo.nb_ptr[region + 1] - geo.nb_ptr[region]
        near = ~domestic & (u_local < border_bias) & (deg > 0)
        if near.any():
            v = u_pick[near] * deg[near]
            k = np.minimum(v.astype(np.int64), deg[near] - 1)
            nb = geo.nb_idx[geo.nb_ptr[region[near]] + k]
            t = ptype[near]
            n_off, n_cnt = ix.tr_off[t, nb], ix.tr_cnt[t, nb]
            frac = v - k
            has = n_cnt > 0
            got = n_off + np.minimum((frac * n_cnt).astype(np.int64), np.maximum(n_cnt - 1, 0))
            sub = pos[near]
            sub[has] = got[has]
            pos[near] = sub
    stride = ix.run_stride if world.runs > 1 else 0
    top = len(ix.by_tc) // world.runs - 1
    pos = np.clip(pos, 0, top)
    shift = np.asarray(run) * stride if stride else 0
    actor = ix.by_tc[pos + shift].astype(np.int64)
    if seeker is not None:
        # met oneself at home: one of the pool's other actors instead, uniformly (the draw's
        # fraction picks which), so the encounter is never wasted on a small pool
        b_off, b_cnt = np.broadcast_to(off, pos.shape), np.broadcast_to(cnt, pos.shape)
        if region is not None and u_local is not None:
            b_off, b_cnt = np.where(local, r_off, b_off), np.where(local, r_cnt, b_cnt)
        me = domestic & (actor == seeker) & (b_cnt > 1)
        if me.any():
            v = u_pick[me] * b_cnt[me]
            step = 1 + np.minimum(((v - np.floor(v)) * (b_cnt[me] - 1)).astype(np.int64), b_cnt[me] - 2)
            new = b_off[me] + (pos[me] - b_off[me] + step) % b_cnt[me]
            pos[me] = np.clip(new, 0, top)
            actor = ix.by_tc[pos + shift].astype(np.int64)
    return np.where(ok, actor, -1)


def types_by_fit(stage: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Partner types an intermediary introduces: probability proportional to fit^2 at ``stage``."""
    w = rules.STAGE_FIT[:, stage].T.astype(np.float64) ** 2  # (S, T)
    cum = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    return (u[..., None] > cum[:, None, :]).sum(axis=-1).clip(0, w.shape[1] - 1)


def draw_candidates(world: World, seekers: np.ndarray, month: int) -> CandidateSet:
    """Candidates from trust and chance encounters, then the levers' introductions."""
    s, a = world.sme, world.actors
    n_s, k = len(seekers), world.params.n_candidates
    home = a.country[seekers].astype(np.int64)
    run = world.sme_run[seekers]
    p: Any = world.param_view(run)
    u = world.streams.uniform("candidates", month, run, a.uid[seekers], 4 * k + 1)
    cum = world.index.encounter_cum[s.sector[seekers]]  # (S, types): the seeker's sector's partner mix
    ptype = (u[:, k : 2 * k, None] >= cum[:, None, :]).sum(axis=-1).clip(0, 3)
    dom = world.domestic_prob[run, home][:, None]
    home_k = np.repeat(home[:, None], k, axis=1)
    region_k = np.repeat(s.region[seekers].astype(np.int64)[:, None], k, axis=1)
    pk: Any = world.param_view(run[:, None])
    actor = chance(
        world,
        home_k,
        u[:, :k],
        u[:, 2 * k : 3 * k],
        ptype,
        dom,
        run[:, None],
        region=region_k,
        u_local=u[:, 3 * k + 1 :],
        local_bias=pk.local_bias,
        border_bias=pk.border_bias,
        seeker=seekers[:, None],
    )
    # (a) the most trusted past partner goes first, if there is one not burnt
    mem, trust = s.mem_partner[seekers], s.mem_trust[seekers]
    masked = np.where((mem >= 0) & (trust >= 0), trust, -np.inf)
    best = masked.argmax(axis=1)
    has = np.isfinite(masked[np.arange(n_s), best]) & (u[:, 3 * k] < p.trusted_first)
    actor[has, 0] = mem[has, best[has]]
    prio = world.streams.uniform("intermediaries", month, run, a.uid[seekers], 1)[:, 0]
    cands = CandidateSet(seekers=seekers, run=run, home=home, stage=s.stage[seekers], priority=prio)
    # an actor met twice stands for two of the real organisations or managers it represents
    # (its own chemistry each): a small simulated pool repeats actors that a real one would not
    cands.add(actor, persons=repeat_index(actor))
    for pol in world.policies:
        pol.add_candidates(world, cands, month)
    return cands


def evaluate(world: World, c: CandidateSet) -> dict[str, np.ndarray]:
    """Pair features and attractiveness for every (seeker, candidate), shape (S, K)."""
    s, a = world.sme, world.actors
    p: Any = world.param_view(c.run[:, None])  # pairs (S, K): each seeker's run
    i = c.seekers
    actor, red, source, person = c.arrays()
    valid = actor >= 0
    j = np.where(valid, actor, 0)
    valid &= (j != i[:, None]) & (a.load[j] < a.capacity[j])
    ci, cj = a.country[i].astype(np.int64)[:, None], a.country[j].astype(np.int64)
    chem = rules.chemistry(
        a.persona[i][:, None, :],
        a.persona[j],
        a.uid[i][:, None],
        person_ids(a.uid[j], person),
        world.chem_key[0] if world.runs == 1 else world.chem_key[c.run][:, None],
        p.chemistry_pair_sd,
    )
    vision = rules.shared_vision(a.vision[i][:, None, :], a.vision[j], s.vision_align[i][:, None])
    fit = rules.STAGE_FIT[a.ptype[j], s.stage[i][:, None]]
    same = j[:, :, None] == s.mem_partner[i][:, None, :]
    trust = (same * s.mem_trust[i][:, None, :]).sum(axis=-1)
    repeat = same.any(axis=-1)
    foreign = ci != cj
    ri, rj = s.region[i].astype(np.int64)[:, None], a.region[j].astype(np.int64)
    near = world.geo.adjacent[ri, rj]  # regions that touch across a border: less friction
    closer = np.where(near, p.neighbour_friction, 1.0)  # float64, like the friction it scales
    closer = closer * np.where(world.shared_language[ci, cj], p.language_friction, 1.0)  # a shared language
    friction = closer * rules.border_friction(
        world.distance[ci, cj], s.experience[i[:, None], cj], p.friction_scale, p.experience_effect, red
    )
    trap = 1.0 + p.resource_focus_trap * s.resource_focus[i][:, None]
    search_cost = closer * foreign * p.search_cost_foreign * trap * (1.0 - red)
    search_cost = search_cost + (~foreign & (ri != rj)) * p.search_cost_region  # a domestic partner further away
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
        reduction=red,
        source=source,
    )


def match(world: World, month: int) -> Matches:
    """Phase 3: who partners with whom this month."""
    a = world.actors
    seekers = find_seekers(world, month)
    c = draw_candidates(world, seekers, month)
    p: Any = world.param_view(c.run)
    f = evaluate(world, c)
    rows = np.arange(len(seekers))
    best = f["attract"].argmax(axis=1) if len(seekers) else np.zeros(0, dtype=np.int64)

    def pick(key: str) -> np.ndarray:
        return f[key][rows, best]

    propose = pick("attract") > p.accept_threshold
    accept = propose & (pick("attract_partner") > p.accept_threshold)
    partner = pick("actor")
    # capacity: proposals to one partner are served in a random order
    cand = np.flatnonzero(accept)
    prio = world.streams.uniform("queue", month, world.sme_run[seekers[cand]], a.uid[seekers[cand]], 1)[:, 0]
    order = cand[np.lexsort((prio, partner[cand]))]
    pj = partner[order]
    rank = np.arange(len(order)) - np.searchsorted(pj, pj, side="left")
    ok = np.sort(order[rank < (a.capacity[pj] - a.load[pj])])
    source = pick("source")[ok]
    brokered = pick("reduction")[ok] > 0
    new = dict(
        lead=seekers[ok],
        partner=partner[ok],
        chemistry=pick("chem")[ok],
        vision=pick("vision")[ok],
        fit=pick("fit")[ok],
        trust=pick("trust")[ok],
        friction=pick("friction")[ok],
        cross_border=pick("foreign")[ok],
        repeat_partner=pick("repeat")[ok],
        brokered=brokered,
        matchmade=(source >= 0) & ~brokered,
        introduced_by=source,
    )
    valid = f["valid"]
    pair_run = np.broadcast_to(c.run[:, None], valid.shape)[valid]
    return Matches(
        seekers=world.run_sums(c.run) if world.runs > 1 else np.array([len(seekers)]),
        chem_candidates_sum=world.segment_sums(pair_run, f["chem"][valid]),
        chem_candidates_n=world.run_sums(pair_run) if world.runs > 1 else np.array([int(valid.sum())]),
        new=new,
    )


__all__ = ["chance", "draw_candidates", "evaluate", "find_seekers", "match", "types_by_fit"]
