"""SME upkeep, project resolution, learning and stage transitions (phases 2, 4 and 5).

All functions work on the model's arrays for all SMEs at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtri

from . import rules
from .agents import NO_STEP, Stage

if TYPE_CHECKING:
    from .model import InspireModel

RETRY_WINDOW = 12  # months within which a new project counts as a retry after a failure
MAX_PROJECT_KEYS = 16  # > max_concurrent_projects: keys (SME id, k-th project) of outcome draws


def upkeep(model: InspireModel, month: int) -> None:
    """Phase 2: cash, vouchers, confidence recovery, latent value, trust drift, exit/entry."""
    s, p = model.sme, model.p
    s.cash += s.margin + s.results * p.results_revenue
    expired = (s.voucher > 0) & (s.voucher_until < month)
    s.voucher[expired] = 0.0
    boost = np.ones(model.n)
    for pol in model.active_policies("failure_recovery", month):
        boost = np.maximum(boost, pol.boost(model, month))
    s.confidence[:] = rules.recover_confidence(s.confidence, s.resilience, p.confidence_recovery, boost)
    # latent value of false failures surfaces
    u = model.streams.get("latent", month).random(model.n)
    surf = np.flatnonzero((s.latent > 0) & (u < p.latent_surface_rate))
    if len(surf):
        add_gain(model, surf, s.latent[surf].astype(np.float64))
        model.counters["latent_surfaced"] += len(surf)
        s.latent[surf] = 0.0
    s.mem_trust *= np.float32(1.0 - p.trust_drift)
    # failures with no retry within the window are counted as not retried
    stale = (s.last_fail != NO_STEP) & (month - s.last_fail > RETRY_WINDOW)
    model.counters["no_retries"] += int(stale.sum())
    s.last_fail[stale] = NO_STEP
    # exit of SMEs out of cash (not while in a project), each replaced by an entrant
    busy = (s.n_lead > 0) | (model.actors.load[: model.n] > 0)
    gone = np.flatnonzero((s.cash < 0) & ~busy)
    model.exits_month = len(gone)
    if len(gone):
        model.replace_smes(gone, month)
    model.actors.capability[: model.n] = np.clip(0.2 + s.learn_tech, 0.0, 1.0)


def add_gain(model: InspireModel, rows: np.ndarray, gain: np.ndarray) -> None:
    """Split a gain of SMEs ``rows`` into business results and resources by stage and focus."""
    s = model.sme
    share = rules.results_share(s.stage[rows], s.resource_focus[rows], model.p.resource_focus_results_share)
    np.add.at(s.results, rows, gain * share)
    np.add.at(s.resources, rows, gain * (1.0 - share))


def _remember(model: InspireModel, lead: np.ndarray, partner: np.ndarray, delta: np.ndarray) -> None:
    """Update the lead's relationship value with ``partner`` (insert into memory if new)."""
    s = model.sme
    mem = s.mem_partner[lead]
    hit = mem == partner[:, None]
    known = hit.any(axis=1)
    slot = np.where(known, hit.argmax(axis=1), -1)
    # new partner: take an empty slot, else forget the least trusted one
    fresh = np.flatnonzero(~known)
    if len(fresh):
        score = np.where(mem[fresh] < 0, -np.inf, s.mem_trust[lead[fresh]])
        slot[fresh] = score.argmin(axis=1)
        model.counters["evictions"] += int((mem[fresh, slot[fresh]] >= 0).sum())
        s.mem_partner[lead[fresh], slot[fresh]] = partner[fresh]
        s.mem_trust[lead[fresh], slot[fresh]] = 0.0
    s.mem_trust[lead, slot] = np.clip(s.mem_trust[lead, slot] + delta, -1.0, 1.0)


def resolve_projects(model: InspireModel, month: int) -> None:
    """Phase 4: projects due this month succeed or fail; trust, confidence and learning change."""
    s, p, a, book = model.sme, model.p, model.actors, model.projects
    idx = book.due(month)
    model.resolved_month = (0, 0)
    model.country_resolved[:] = 0
    model.failed_now[:] = False
    if len(idx) == 0:
        return
    r = book.running
    lead, partner = r["lead"][idx].astype(np.int64), r["partner"][idx].astype(np.int64)
    # draws keyed by (SME id, k-th project of that SME resolving now): common random numbers
    # across scenarios, and only as many as there are projects to resolve
    order = np.lexsort((r["project_id"][idx], lead))
    k = np.empty(len(idx), dtype=np.int64)
    k[order] = np.arange(len(idx)) - np.searchsorted(lead[order], lead[order], side="left")
    u = model.streams.uniform("outcome", month, a.uid[lead] * MAX_PROJECT_KEYS + k, 5)
    u_success, u_false, u_uni, u_gain, u_pareto = u.T
    success = u_success < r["p_success"][idx]
    false_failure = ~success & (u_false < p.false_failure_prob)
    gain = np.exp(
        np.log(p.gain_mean) - 0.5 * p.gain_sigma**2 + p.gain_sigma * ndtri(u_gain)
    )  # lognormal, mean gain_mean
    # success: resources or business results by stage and focus; rare unicorns
    win = np.flatnonzero(success)
    add_gain(model, lead[win], gain[win])
    uni = win[
        (s.disruptive[lead[win]]) & (s.stage[lead[win]] == Stage.COMMERCIALISATION) & (u_uni[win] < p.unicorn_prob)
    ]
    if len(uni):
        pareto = (1.0 - u_pareto[uni]) ** (-1.0 / p.unicorn_pareto_alpha)
        np.add.at(s.results, lead[uni], p.unicorn_scale * pareto)
        s.unicorn[lead[uni]] = True
        model.counters["unicorns"] += len(uni)
    np.add.at(s.successes, lead[win], 1)
    s.confidence[lead[win]] = rules.confidence_after_success(s.confidence[lead[win]])
    # failure: confidence (less for resilient SMEs), trust; false failures learn a lot
    lose = np.flatnonzero(~success)
    s.confidence[lead[lose]] = rules.confidence_after_failure(
        s.confidence[lead[lose]], s.resilience[lead[lose]], p.failure_confidence_hit
    )
    np.add.at(s.failures, lead[lose], 1)
    s.last_fail[lead[lose]] = month
    model.failed_now[lead[lose]] = True
    lead_country = a.country[lead].astype(np.int64)
    model.country_resolved[0] = np.bincount(lead_country[win], minlength=model.n_countries)
    model.country_resolved[1] = np.bincount(lead_country[lose], minlength=model.n_countries)
    ff = np.flatnonzero(false_failure)
    np.add.at(s.false_failures, lead[ff], 1)
    model.counters["false_failures"] += len(ff)
    # learning: every project teaches; a false failure teaches a lot, part of it latent
    learn = np.where(false_failure, p.false_failure_jump, p.learning_per_project).astype(np.float32)
    np.add.at(s.learn_tech, lead, learn)
    np.add.at(s.learn_soft, lead, learn)
    np.add.at(s.latent, lead[ff], np.float32(p.false_failure_jump))
    _remember(model, lead, partner, np.where(success, p.trust_gain, -p.trust_loss).astype(np.float32))
    foreign = r["cross_border"][idx]
    np.add.at(s.experience, (lead[foreign], a.country[partner[foreign]].astype(np.int64)), 1.0)
    np.add.at(s.n_lead, lead, -1)
    np.add.at(a.load, partner, -1)
    book.close(idx, success, false_failure)
    model.resolved_month = (int(success.sum()), int((~success).sum()))


def start_projects(model: InspireModel, month: int, new: dict[str, np.ndarray]) -> None:
    """Form the matched partnerships: costs, loads, durations, success probability, log."""
    s, p, a = model.sme, model.p, model.actors
    lead, partner = new["lead"], new["partner"]
    n = len(lead)
    model.started_month = new
    if n == 0:
        return
    pm = rules.partnership_model_quality(s.learn_soft[lead], s.toolbox[lead])
    comp = rules.complementarity(a.capability[partner], s.learn_tech[lead])
    prob = rules.success_probability(
        new["vision"],
        pm,
        new["fit"],
        new["trust"],
        comp,
        new["friction"],
        model.strength[a.country[lead]],
        base_success_logit=p.base_success_logit,
        b_vision=p.b_vision,
        b_partnership_model=p.b_partnership_model,
        b_stage_fit=p.b_stage_fit,
        b_trust=p.b_trust,
        b_complementarity=p.b_complementarity,
        b_friction=p.b_friction,
        b_strength=p.b_strength,
    )
    # geometric durations of at least two months with the given mean
    q = 1.0 / max(p.duration_mean - 1.0, 1.0)
    u = model.streams.uniform("duration", month, a.uid[lead], 1)[:, 0]
    dur = 1 + (
        np.maximum(1, np.ceil(np.log1p(-u) / np.log1p(-q))).astype(np.int64) if q < 1 else np.ones(n, dtype=np.int64)
    )
    funded = s.voucher[lead] > 0
    s.cash[lead] -= p.project_cost
    s.voucher[lead] = 0.0
    np.add.at(s.n_lead, lead, 1)
    np.add.at(a.load, partner, 1)
    np.add.at(s.attempts, lead, 1)
    # retries: a new project within the window after a failure
    retry = (s.last_fail[lead] != NO_STEP) & (month - s.last_fail[lead] <= RETRY_WINDOW)
    model.counters["retries"] += int(retry.sum())
    s.last_fail[lead[retry]] = NO_STEP
    model.projects.start(
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
        cross_border=new["cross_border"],
        repeat_partner=new["repeat_partner"],
        lead_resource_focus=s.resource_focus[lead],
        brokered=new["brokered"],
        matchmade=new["matchmade"],
        funded=funded,
        chemistry=new["chemistry"],
        vision=new["vision"],
        pm_quality=pm,
        fit=new["fit"],
        trust=new["trust"],
        friction=new["friction"],
        p_success=prob,
    )
    model.counters["chem_formed_sum"] += float(np.sum(new["chemistry"]))
    model.counters["chem_formed_n"] += n
    np.add.at(model.pt_by_stage, (a.ptype[partner].astype(np.int64), s.stage[lead].astype(np.int64)), 1)


def transition_stages(model: InspireModel, month: int) -> None:
    """Phase 5: move SMEs on when their stocks pass thresholds; scaling-up turns partners over."""
    s, p, a = model.sme, model.p, model.actors
    to_comm = (s.stage == Stage.SCALING_UP) & (s.results >= p.commercialisation_threshold)
    to_scale = (s.stage == Stage.DEVELOPMENT) & (s.resources >= p.scaling_threshold)
    to_dev = (s.stage == Stage.EXPLORATION) & (s.resources >= p.development_threshold)
    s.stage[to_comm] = Stage.COMMERCIALISATION
    s.stage[to_dev] = Stage.DEVELOPMENT
    rows = np.flatnonzero(to_scale)
    if len(rows) == 0:
        return
    s.stage[rows] = Stage.SCALING_UP
    s.entered_scaling[rows] = month
    s.cash[rows] -= p.business_model_revision_cost
    model.counters["scaling_up_reached"] += len(rows)
    np.add.at(model.scaling_by_country, a.country[rows].astype(np.int64), 1)
    # leave trusted partners whose skills no longer fit the market stage
    mem = s.mem_partner[rows]
    fit = np.where(mem >= 0, rules.STAGE_FIT[a.ptype[np.maximum(mem, 0)], Stage.SCALING_UP], 1.0)
    u = model.streams.uniform("partner_drop", month, a.uid[rows], s.mem_partner.shape[1])
    drop = (mem >= 0) & (fit < 0.75) & (u < p.scaleup_partner_drop)
    model.counters["memory_at_scaleup"] += int((mem >= 0).sum())
    model.counters["dropped_at_scaleup"] += int(drop.sum())
    s.mem_partner[rows] = np.where(drop, -1, mem)
    s.mem_trust[rows] = np.where(drop, 0.0, s.mem_trust[rows])
