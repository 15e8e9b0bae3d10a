"""SME upkeep, project start and resolution, learning and stage transitions (phases 2-5).

Every phase takes the :class:`~inspire_sim.core.world.World` and the clock month, works on
the arrays of all SMEs at once, and returns a typed event record of what happened.
Lever effects come only through the policies' hooks (e.g. ``confidence_recovery``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtri

from . import rules
from .population import plan_costs
from .runparams import derived
from .state import NO_STEP, Stage
from .world import Matches, Resolutions, Transitions, Upkeep, World

MAX_PROJECT_KEYS = 16  # > max_concurrent_projects: keys (SME id, k-th project) of outcome draws (not behaviour)


def upkeep(world: World, month: int) -> Upkeep:
    """Phase 2: cash, confidence recovery, latent value, trust drift; SMEs out of cash exit.

    Returns the exiting slots; the model puts entrants in them (:meth:`InspireModel.replace_smes`).
    """
    s, n = world.sme, world.n
    p: Any = world.param_view(world.sme_run)
    s.cash += s.margin + s.results * p.results_revenue
    boost = np.ones(n)
    for pol in world.policies:
        b = pol.confidence_recovery(world, month)
        if b is not None:
            boost = np.maximum(boost, b)
    s.confidence[:] = rules.recover_confidence(
        s.confidence,
        s.resilience,
        p.confidence_recovery,
        boost,
        floor=p.recovery_resilience_floor,
        target=s.disposition,
    )
    # SMEs that abandoned OI take it up again now and then (faster with recovery support)
    u_back = world.streams.random("abandon_return", month)
    back = np.flatnonzero(s.abandoned & (u_back < np.clip(p.abandon_return_rate * boost, 0.0, 1.0)))
    s.abandoned[back] = False
    world.counters.count("returned", world.sme_run[back])
    # latent value of false failures surfaces
    u = world.streams.random("latent", month)
    surf = np.flatnonzero((s.latent > 0) & (u < p.latent_surface_rate))
    if len(surf):
        add_gain(world, surf, s.latent[surf].astype(np.float64))
        world.counters.count("latent_surfaced", world.sme_run[surf])
        s.latent[surf] = 0.0
    keep = derived(p, lambda d: np.float32(1.0 - d), "trust_drift")
    s.mem_trust *= keep if np.ndim(keep) == 0 else keep.astype(np.float32)[:, None]
    # failures with no retry within the window are counted as not retried
    stale = np.flatnonzero((s.last_fail != NO_STEP) & (month - s.last_fail > p.retry_window))
    world.counters.count("no_retries", world.sme_run[stale])
    s.last_fail[stale] = NO_STEP
    world.actors.capability[:n] = rules.sme_capability(s.learn_tech, p.sme_capability_base)
    # exit of SMEs out of cash (not while in a project), each replaced by an entrant
    busy = (s.n_lead > 0) | (world.actors.load[:n] > 0)
    return Upkeep(exits=np.flatnonzero((s.cash < 0) & ~busy), latent_surfaced=len(surf))


def add_gain(world: World, rows: np.ndarray, gain: np.ndarray) -> None:
    """Split a gain of SMEs ``rows`` into business results and resources by stage and focus."""
    s = world.sme
    p: Any = world.param_view(world.sme_run[rows])
    share = rules.results_share(
        s.stage[rows],
        s.resource_focus[rows],
        p.resource_focus_results_share,
        development=p.results_share_development,
        scaling=p.results_share_scaling,
    )
    np.add.at(s.results, rows, gain * share)
    np.add.at(s.resources, rows, gain * (1.0 - share))


def _remember(world: World, lead: np.ndarray, partner: np.ndarray, delta: np.ndarray) -> None:
    """Update the lead's relationship value with ``partner`` (insert into memory if new)."""
    s = world.sme
    mem = s.mem_partner[lead]
    hit = mem == partner[:, None]
    known = hit.any(axis=1)
    slot = np.where(known, hit.argmax(axis=1), -1)
    # new partner: take an empty slot, else forget the least trusted one
    fresh = np.flatnonzero(~known)
    if len(fresh):
        score = np.where(mem[fresh] < 0, -np.inf, s.mem_trust[lead[fresh]])
        slot[fresh] = score.argmin(axis=1)
        world.counters.count("evictions", world.sme_run[lead[fresh[mem[fresh, slot[fresh]] >= 0]]])
        s.mem_partner[lead[fresh], slot[fresh]] = partner[fresh]
        s.mem_trust[lead[fresh], slot[fresh]] = 0.0
    s.mem_trust[lead, slot] = np.clip(s.mem_trust[lead, slot] + delta, -1.0, 1.0)


def _forget(world: World, lead: np.ndarray, partner: np.ndarray) -> None:
    """End the relationships of SMEs ``lead`` with ``partner`` (free their memory slots)."""
    s = world.sme
    hit = s.mem_partner[lead] == partner[:, None]
    row, slot = np.nonzero(hit)
    s.mem_partner[lead[row], slot] = -1
    s.mem_trust[lead[row], slot] = 0.0


def resolve_projects(world: World, month: int) -> Resolutions:
    """Phase 4: projects due this month succeed or fail; trust, confidence and learning change."""
    s, a, book = world.sme, world.actors, world.projects
    idx = book.due(month)
    if len(idx) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Resolutions(lead=empty, success=np.zeros(0, dtype=bool), false_failure=np.zeros(0, dtype=bool))
    r = book.running
    lead, partner = r["lead"][idx].astype(np.int64), r["partner"][idx].astype(np.int64)
    # draws keyed by (SME id, k-th project of that SME resolving now): common random numbers
    # across scenarios, and only as many as there are projects to resolve
    order = np.lexsort((r["project_id"][idx], lead))
    k = np.empty(len(idx), dtype=np.int64)
    k[order] = np.arange(len(idx)) - np.searchsorted(lead[order], lead[order], side="left")
    run = world.sme_run[lead]
    p: Any = world.param_view(run)
    u = world.streams.uniform("outcome", month, run, a.uid[lead] * MAX_PROJECT_KEYS + k, 5)
    u_success, u_false, u_uni, u_gain, u_pareto = u.T
    u_abandon = world.streams.uniform("abandon", month, run, a.uid[lead] * MAX_PROJECT_KEYS + k, 1)[:, 0]
    success = u_success < r["p_success"][idx]
    false_failure = ~success & (u_false < p.false_failure_prob)
    log_median = derived(p, lambda mean, sd: np.log(mean) - 0.5 * sd**2, "gain_mean", "gain_sigma")
    gain = np.exp(log_median + p.gain_sigma * ndtri(u_gain))  # lognormal, mean gain_mean
    gain *= _size_factor(p, r["cost"][idx])  # larger projects yield more
    # success: resources or business results by stage and focus; rare breakthroughs
    win = np.flatnonzero(success)
    add_gain(world, lead[win], gain[win])
    # the breakthrough path: disruptive SMEs in commercialisation, and disruptive resource-focused
    # SMEs already in scaling-up (INSPIRE: a disruptive innovation can make one a unicorn)
    st, rf = s.stage[lead[win]], s.resource_focus[lead[win]]
    path = (st == Stage.COMMERCIALISATION) | ((st == Stage.SCALING_UP) & rf)
    big = win[s.disruptive[lead[win]] & path & (u_uni < p.breakthrough_prob)[win]]
    if len(big):
        pu: Any = world.param_view(run[big])
        pareto = (1.0 - u_pareto[big]) ** derived(pu, lambda alpha: -1.0 / alpha, "breakthrough_pareto_alpha")
        np.add.at(s.results, lead[big], pu.breakthrough_scale * pareto)
        s.breakthrough[lead[big]] = True
        world.counters.count("breakthroughs", run[big])
    np.add.at(s.successes, lead[win], 1)
    pw: Any = world.param_view(run[win])
    s.confidence[lead[win]] = rules.confidence_after_success(s.confidence[lead[win]], pw.success_confidence_boost)
    # failure: confidence (less for resilient SMEs), trust; false failures learn a lot
    lose = np.flatnonzero(~success)
    pl: Any = world.param_view(run[lose])
    s.confidence[lead[lose]] = rules.confidence_after_failure(
        s.confidence[lead[lose]], s.resilience[lead[lose]], pl.failure_confidence_hit
    )
    np.add.at(s.failures, lead[lose], 1)
    s.last_fail[lead[lose]] = month
    s.fail_streak[lead[win]] = 0
    s.fail_streak[lead[lose]] = np.minimum(s.fail_streak[lead[lose]], 100) + 1
    # abandonment of OI after failure: less for resilient SMEs, more after failures in a row
    fl = lead[lose]
    streak = s.fail_streak[fl].astype(np.float64)
    fragile = 1.0 - s.resilience[fl]
    p_ab = (
        rules.weak(pl.abandon_prob, fragile)
        * fragile
        * (1.0 + pl.abandon_streak_effect * np.maximum(streak - 1.0, 0.0))
    )
    gave_up = fl[u_abandon[lose] < np.clip(p_ab, 0.0, 1.0)]
    world.counters.count("abandonments", world.sme_run[gave_up[~s.abandoned[gave_up]]])
    s.abandoned[gave_up] = True
    ff = np.flatnonzero(false_failure)
    np.add.at(s.false_failures, lead[ff], 1)
    world.counters.count("false_failures", run[ff])
    # learning: every project teaches; a false failure teaches a lot, part of it latent
    learn = np.where(false_failure, p.false_failure_jump, p.learning_per_project).astype(np.float32)
    np.add.at(s.learn_tech, lead, learn)
    np.add.at(s.learn_soft, lead, learn)
    jump = derived(p, np.float32, "false_failure_jump")
    np.add.at(s.latent, lead[ff], jump if np.ndim(jump) == 0 else jump[ff])
    _remember(world, lead, partner, np.where(success, p.trust_gain, -p.trust_loss).astype(np.float32))
    # a failed partnership often ends the relationship: the lead forgets the partner (alliance termination)
    u_break = world.streams.uniform("tie_break", month, run, a.uid[lead] * MAX_PROJECT_KEYS + k, 1)[:, 0]
    broken = lose[u_break[lose] < pl.failure_tie_break]
    if len(broken):
        _forget(world, lead[broken], partner[broken])
        world.counters.count("tie_breaks", run[broken])
    foreign = r["cross_border"][idx]
    np.add.at(s.experience, (lead[foreign], a.country[partner[foreign]].astype(np.int64)), 1)
    np.add.at(s.n_lead, lead, -1)
    np.add.at(a.load, partner, -1)
    book.close(idx, success, false_failure)
    return Resolutions(lead=lead, success=success, false_failure=false_failure)


def start_projects(world: World, month: int, matches: Matches) -> Matches:
    """Phase 3 (end): form the matched partnerships: costs (net of the levers' co-funding), loads, log."""
    s, a = world.sme, world.actors
    new = matches.new
    lead, partner = new["lead"], new["partner"]
    n = len(lead)
    if n == 0:
        return matches
    run = world.sme_run[lead]
    p: Any = world.param_view(run)
    pm = rules.partnership_model_quality(s.learn_soft[lead], s.toolbox[lead])
    comp = rules.complementarity(a.capability[partner], s.learn_tech[lead])
    prob = rules.success_probability(
        new["vision"],
        pm,
        new["fit"],
        new["trust"],
        comp,
        new["friction"],
        world.geo.region_strength[s.region[lead]],  # the lead's regional innovation system
        1.0 / (1.0 + s.attempts[lead]),
        base_success_logit=p.base_success_logit,
        b_vision=p.b_vision,
        b_partnership_model=p.b_partnership_model,
        b_stage_fit=p.b_stage_fit,
        b_trust=p.b_trust,
        b_complementarity=p.b_complementarity,
        b_friction=p.b_friction,
        b_strength=p.b_strength,
        b_novice=p.novice_penalty,
    )
    # geometric durations of at least two months with the given mean
    u = world.streams.uniform("duration", month, run, a.uid[lead], 1)[:, 0]
    dur = 1 + _geometric_months(p, u)
    co_funded = np.zeros(n)
    for pol in world.policies:
        paid = pol.on_projects_started(world, new, month)
        if paid is not None:
            co_funded += paid
    cost = s.next_cost[lead].copy()
    s.cash[lead] -= np.maximum(cost - co_funded, 0.0)
    np.add.at(s.n_lead, lead, 1)
    np.add.at(a.load, partner, 1)
    np.add.at(s.attempts, lead, 1)
    plan_costs(world, lead)  # the SME's next project
    # retries: a new project within the window after a failure
    retry = (s.last_fail[lead] != NO_STEP) & (month - s.last_fail[lead] <= p.retry_window)
    world.counters.count("retries", run[retry])
    s.last_fail[lead[retry]] = NO_STEP
    world.projects.start(
        run=run,
        start=np.full(n, month),
        end=month + dur,
        lead=lead,
        partner=partner,
        lead_id=a.uid[lead],
        partner_id=a.uid[partner],
        partner_type=a.ptype[partner],
        lead_stage=s.stage[lead],
        lead_country=a.country[lead],
        partner_country=a.country[partner],
        lead_region=s.region[lead],
        partner_region=a.region[partner],
        lead_sector=s.sector[lead],
        cross_border=new["cross_border"],
        repeat_partner=new["repeat_partner"],
        lead_resource_focus=s.resource_focus[lead],
        brokered=new["brokered"],
        matchmade=new["matchmade"],
        introduced_by=new["introduced_by"],
        funded=co_funded > 0,
        cost=cost,
        grant=co_funded,
        chemistry=new["chemistry"],
        vision=new["vision"],
        pm_quality=pm,
        fit=new["fit"],
        trust=new["trust"],
        friction=new["friction"],
        p_success=prob,
    )
    world.counters.add("chem_formed_sum", world.segment_sums(run, new["chemistry"]))
    world.counters.count("chem_formed_n", run)
    np.add.at(world.pt_by_stage, (run, a.ptype[partner].astype(np.int64), s.stage[lead].astype(np.int64)), 1)
    return matches


def transition_stages(world: World, month: int) -> Transitions:
    """Phase 5: move SMEs on when their stocks pass thresholds; scaling-up turns partners over."""
    s, a = world.sme, world.actors
    p: Any = world.param_view(world.sme_run)
    to_comm = np.flatnonzero((s.stage == Stage.SCALING_UP) & (s.results >= p.commercialisation_threshold))
    to_scale = np.flatnonzero((s.stage == Stage.DEVELOPMENT) & (s.resources >= p.scaling_threshold))
    to_dev = np.flatnonzero((s.stage == Stage.EXPLORATION) & (s.resources >= p.development_threshold))
    s.stage[to_comm] = Stage.COMMERCIALISATION
    s.stage[to_dev] = Stage.DEVELOPMENT
    out = Transitions(to_development=to_dev, to_scaling=to_scale, to_commercialisation=to_comm)
    rows = to_scale
    if len(rows) == 0:
        return out
    s.stage[rows] = Stage.SCALING_UP
    s.entered_scaling[rows] = month
    world.counters.count("scaling_up_reached", world.sme_run[rows])
    np.add.at(world.scaling_by_country, (world.sme_run[rows], a.country[rows].astype(np.int64)), 1)
    # the transition: a resource-focused SME may switch its focus to business results;
    # SMEs heading for the market (switchers and results-focused ones) revise their business
    # model and leave trusted partners whose skills no longer fit; the others carry on
    u_switch = world.streams.uniform("focus_switch", month, world.sme_run[rows], a.uid[rows], 1)[:, 0]
    switch = s.resource_focus[rows] & (u_switch < world.param_view(world.sme_run[rows]).focus_switch_prob)
    s.resource_focus[rows[switch]] = False
    world.counters.count("focus_switches", world.sme_run[rows[switch]])
    rows = rows[~s.resource_focus[rows]]
    if len(rows) == 0:
        return out
    run = world.sme_run[rows]
    pr: Any = world.param_view(run[:, None])
    s.cash[rows] -= world.param_view(run).business_model_revision_cost
    mem = s.mem_partner[rows]
    fit = np.where(mem >= 0, rules.STAGE_FIT[a.ptype[np.maximum(mem, 0)], Stage.SCALING_UP], 1.0)
    u = world.streams.uniform("partner_drop", month, run, a.uid[rows], s.mem_partner.shape[1])
    drop = (mem >= 0) & (fit < rules.weak(pr.scaleup_fit_threshold, fit)) & (u < pr.scaleup_partner_drop)
    world.counters.add("memory_at_scaleup", _per_run(world, run, (mem >= 0).sum(axis=1)))
    world.counters.add("dropped_at_scaleup", _per_run(world, run, drop.sum(axis=1)))
    s.mem_partner[rows] = np.where(drop, -1, mem)
    s.mem_trust[rows] = np.where(drop, 0.0, s.mem_trust[rows])
    return out


def track_activity(world: World, month: int) -> None:
    """End of month: stamp who is in an OI project (and abroad) for the 12-month CIS windows."""
    s, a, n, r = world.sme, world.actors, world.n, world.projects.running
    active = (s.n_lead > 0) | (a.load[:n] > 0)
    s.last_coop[active] = month
    xb = r["cross_border"]
    s.last_foreign[r["lead"][xb]] = month
    sme_partner = r["partner"][xb]
    s.last_foreign[sme_partner[sme_partner < n]] = month
    if world.runs == 1:
        world.counters.add("memory_months", np.array([np.count_nonzero(s.mem_partner >= 0)]))
    else:
        known = (s.mem_partner >= 0).reshape(world.runs, -1)
        world.counters.add("memory_months", np.count_nonzero(known, axis=1))


def mark_unicorns(world: World, month: int) -> np.ndarray:
    """Phase 5 (end): SMEs whose valuation first passes ``unicorn_valuation`` become unicorns (counted once).

    Valuation = business results x ``turnover_per_result`` (annual innovation turnover, EUR) x
    ``valuation_multiple``. Returns the new unicorns' rows.
    """
    s = world.sme
    p: Any = world.param_view(world.sme_run)
    per_unit = derived(p, lambda t, m: t * m, "turnover_per_result", "valuation_multiple")
    new = np.flatnonzero(~s.unicorn & (s.results * per_unit >= p.unicorn_valuation))
    if len(new):
        s.unicorn[new] = True
        world.counters.count("unicorns", world.sme_run[new])
    return new


def _size_factor(p: Any, cost: np.ndarray) -> np.ndarray:
    """(cost / project_cost) ** gain_cost_elasticity per project (1 for a project of mean cost)."""
    mean, e = p.project_cost, p.gain_cost_elasticity
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(mean > 0, cost.astype(np.float64) / mean, 1.0)
    # exp(e * log): the same bits whether e is one number or one per row (numpy's ``**`` takes a
    # sqrt fast path for a scalar 0.5, which a batch's per-row exponents would not)
    return np.exp(e * np.log(np.where(ratio > 0, ratio, 1.0)))


def _q(duration_mean: float) -> float:
    """Monthly end probability of a project lasting ``duration_mean`` months on average (at least 2)."""
    return 1.0 / max(duration_mean - 1.0, 1.0)


def _geometric_months(p: Any, u: np.ndarray) -> np.ndarray:
    """Geometric months (at least 1) with mean ``duration_mean - 1`` from uniforms ``u``, per row's run."""
    q = derived(p, _q, "duration_mean")
    if np.ndim(q) == 0:
        if q < 1:
            return np.maximum(1, np.ceil(np.log1p(-u) / np.log1p(-q))).astype(np.int64)
        return np.ones(len(u), dtype=np.int64)
    log_q = derived(p, lambda mean: np.log1p(-_q(mean)) if _q(mean) < 1 else -1.0, "duration_mean")
    months = np.maximum(1, np.ceil(np.log1p(-u) / log_q)).astype(np.int64)
    return np.where(q < 1, months, 1)


def _per_run(world: World, run: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """(R,) integer totals of ``counts`` (one per item) by the run of each item."""
    if world.runs == 1:
        return np.array([int(counts.sum())])
    return np.bincount(run, weights=counts, minlength=world.runs).astype(np.int64)
