"""Initialisation: build the :class:`~inspire_sim.core.world.World` of a scenario and draw new SMEs.

Simulated SMEs are allocated to countries in proportion to the real SME populations the
countries stand for (largest remainder), so each simulated SME of country c carries the
weight ``represented[c] / simulated[c]`` (about the same in every country).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
from scipy.special import ndtri

from . import rules
from .geography import Geography, geography
from .projects import ProjectBook
from .runparams import RunParams, derived
from .scenario import Scenario
from .state import NO_STEP, ActorArrays, PartnerType, SMEArrays, Stage
from .streams import BatchStreams
from .world import CandidateIndex, RunCounters, World

COST_KEYS = 1 << 16
"""Project-cost draws are keyed by SME id x COST_KEYS + projects started (mod COST_KEYS)."""

SME_DTYPES: dict[str, type] = {
    "region": np.int32,
    "sector": np.int16,
    "stage": np.int8,
    "resource_focus": bool,
    "innovative": bool,
    "disruptive": bool,
    "unicorn": bool,
    "breakthrough": bool,
    "next_cost": np.float64,
    "abandoned": bool,
    "fail_streak": np.int8,
    "cash": np.float64,
    "margin": np.float64,
    "resources": np.float64,
    "results": np.float64,
    "mem_partner": np.int32,
    "experience": np.uint16,  # counts of projects per partner country (uint16: 2 bytes, not 4)
    "n_lead": np.int8,
    **dict.fromkeys(
        (
            "attempts",
            "successes",
            "failures",
            "false_failures",
            "last_coop",
            "last_foreign",
            "last_fail",
            "entered_scaling",
            "born",
        ),
        np.int32,
    ),
}
"""dtype of each SME array (float32 for those not listed)."""


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integer counts proportional to ``weights`` (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    exact = total * w / w.sum()
    counts = np.floor(exact).astype(np.int64)
    rest = total - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:rest]] += 1
    return counts


def allocate_smes(total: int, weights: np.ndarray) -> np.ndarray:
    """Simulated SMEs per country: proportional (:func:`allocate`), at least one in each country.

    A country too small for its proportional share gets one SME, taken from the countries with
    the most; its weight (real SMEs per simulated SME) is then smaller than the others'.
    """
    counts = allocate(total, weights)
    short = np.flatnonzero(counts == 0)
    if len(short) and total >= len(counts):
        counts[short] = 1
        for _ in range(len(short)):
            counts[int(np.argmax(counts))] -= 1
    return counts


def _regions_of(geo: Geography, country: int, k: int) -> np.ndarray:
    """Regions of a country's ``k`` simulated SMEs, by the regions' shares of its SMEs (largest remainder)."""
    regs = np.flatnonzero(geo.region_country == country)
    return np.repeat(regs, allocate(k, geo.region_share[regs]))


def _partner_regions(geo: Geography, ptype: PartnerType, k: int, represented: np.ndarray, p: Any) -> np.ndarray:
    """Regions of ``k`` partners of one type: to countries by their SMEs, then to each country's regions by
    their SMEs (research organisations and large firms more in strong regions: ``regional_partner_concentration``);
    at least one in each country when ``k`` allows (:func:`allocate_smes`)."""
    # at least one of each type in every country (when there are enough): a real country always
    # has research organisations and large firms, and a small simulated one would otherwise
    # lose its domestic encounters of that type and look abroad more than the real one does
    per_country = allocate_smes(k, represented) if k else np.zeros(len(represented), dtype=np.int64)
    out = []
    for c, kc in enumerate(per_country.tolist()):
        regs = np.flatnonzero(geo.region_country == c)
        w = geo.region_share[regs]
        if ptype in (PartnerType.PSR, PartnerType.LARGE_FIRM):
            st = geo.region_strength[regs]
            w = w * np.exp(p.regional_partner_concentration * (st - np.average(st, weights=w)))
        out.append(np.repeat(regs, allocate(kc, w)) if kc else np.zeros(0, dtype=np.int64))
    return np.concatenate(out).astype(np.int64)


def capability_beta(p) -> dict[PartnerType, tuple[float, float]]:
    """What a partner type brings: Beta(a, b) by type, from the model parameters."""
    return {
        PartnerType.SME_PEER: (p.capability_peer_a, p.capability_peer_b),
        PartnerType.PSR: (p.capability_psr_a, p.capability_psr_b),
        PartnerType.LARGE_FIRM: (p.capability_large_firm_a, p.capability_large_firm_b),
        PartnerType.CROWD: (p.capability_crowd_a, p.capability_crowd_b),
    }


def build_world(
    scenario: Scenario | Sequence[Scenario], seed: int | Sequence[int], record_partnerships: bool = True
) -> World:
    """The initial world of ``scenario`` for one seed, or a batch of runs for a list of seeds.

    A batch is the single runs' initial worlds stacked (see :class:`~inspire_sim.core.world.World`);
    ``scenario`` may then be a list, one scenario per seed, differing only in behavioural
    model parameters (:mod:`inspire_sim.core.runparams`). Policies are attached by the simulation.
    """
    if isinstance(seed, (int, np.integer)):
        if not isinstance(scenario, Scenario):
            raise TypeError("one seed takes one scenario")
        return _build_one(scenario, int(seed), record_partnerships)
    seeds = [int(s) for s in seed]
    scens = [scenario] * len(seeds) if isinstance(scenario, Scenario) else list(scenario)
    layouts: dict[int, _Layout] = {}  # by scenario object: the runs of one scenario share its seed-free layout
    for sc in scens:
        if id(sc) not in layouts:
            layouts[id(sc)] = _layout(sc)
    worlds = [_build_one(sc, s, record_partnerships, layouts[id(sc)]) for sc, s in zip(scens, seeds, strict=True)]
    if len(worlds) == 1:
        return worlds[0]
    return stack_worlds(worlds, seeds, record_partnerships, scens)


@dataclass(frozen=True)
class _Layout:
    """What the initial world of a scenario is whatever the seed: countries, regions and partner types of
    its actors (computed once for the runs of one scenario in a batch; never modified)."""

    represented: np.ndarray
    simulated: np.ndarray
    geo: Geography
    sme_region: np.ndarray
    p_type: np.ndarray
    p_region: np.ndarray


def _layout(scenario: Scenario) -> _Layout:
    p, cs = scenario.params, scenario.countries
    n, nc = p.n_smes, len(cs)
    represented = np.array([c.smes for c in cs], dtype=float)
    simulated = allocate_smes(n, represented)
    if (simulated == 0).any():
        empty = [c.name for c, k in zip(cs, simulated, strict=True) if k == 0]
        from ..errors import InputError

        raise InputError(
            f"n_smes = {n} leaves no simulated SME in {', '.join(empty)}",
            field="model.n_smes",
            fix=f"simulate at least one SME per country (n_smes >= {nc})",
        )
    geo = geography(cs, p)
    # SMEs: each country's to its regions by their shares of its SMEs (largest remainder)
    sme_region = np.concatenate([_regions_of(geo, k, int(simulated[k])) for k in range(nc)])
    shares = {
        PartnerType.SME_PEER: p.share_peer,
        PartnerType.PSR: p.share_psr,
        PartnerType.LARGE_FIRM: p.share_large_firm,
        PartnerType.CROWD: p.share_crowd,
    }
    n_partners = (
        allocate(round(p.partners_per_sme * n), np.array(list(shares.values())))
        if p.partners_per_sme * n >= 1
        else np.zeros(4, dtype=np.int64)
    )
    p_type = np.repeat(np.array(list(shares), dtype=np.int8), n_partners)
    p_region = np.concatenate(
        [_partner_regions(geo, t, int(k), represented, p) for t, k in zip(shares, n_partners, strict=True)]
    )
    for a in (represented, simulated, sme_region, p_type, p_region):
        a.flags.writeable = False
    return _Layout(represented, simulated, geo, sme_region, p_type, p_region)


def _build_one(scenario: Scenario, seed: int, record_partnerships: bool, layout: _Layout | None = None) -> World:
    p, cs = scenario.params, scenario.countries
    lay = _layout(scenario) if layout is None else layout
    represented, simulated, geo = lay.represented.copy(), lay.simulated.copy(), lay.geo
    sme_region, p_type, p_region = lay.sme_region, lay.p_type, lay.p_region
    streams = BatchStreams([seed], p.n_smes)
    rng = streams.get("init")
    n, d, nc = p.n_smes, p.persona_dims, len(cs)
    n_g = len(geo.region_names)
    sme_country = geo.region_country[sme_region]
    p_country = geo.region_country[p_region]
    m = n + len(p_type)
    culture_persona = rules.unit_rows(rng.normal(size=(nc, d)))
    sector_vision = rules.unit_rows(rng.normal(size=(len(p.sectors), d)))
    country = np.concatenate([sme_country, p_country]).astype(np.int16)
    region = np.concatenate([sme_region, p_region]).astype(np.int16)
    ptype = np.concatenate([np.zeros(n, dtype=np.int8), p_type])
    cap_p = np.where(np.isin(p_type, [PartnerType.PSR, PartnerType.LARGE_FIRM]), p.partner_capacity, 1)
    capability = np.zeros(m, dtype=np.float32)
    for t, (a, b) in capability_beta(p).items():
        rows = np.flatnonzero(ptype[n:] == t) + n
        capability[rows] = rng.beta(a, b, size=len(rows))
    actors = ActorArrays(
        country=country,
        ptype=ptype,
        persona=np.zeros((m, d), dtype=np.float32),
        vision=np.zeros((m, d), dtype=np.float32),
        capability=capability,
        capacity=np.concatenate([np.full(n, p.peer_capacity), cap_p]).astype(np.int16),
        load=np.zeros(m, dtype=np.int16),
        uid=np.zeros(m, dtype=np.int64),
        region=region,
    )
    prow = np.arange(n, m)
    z = rng.normal(size=(len(prow), d))
    actors.persona[prow] = rules.unit_rows(p.persona_culture_weight * culture_persona[country[prow]] + z).astype(
        np.float32
    )
    actors.vision[prow] = rules.unit_rows(rng.normal(size=(len(prow), d))).astype(np.float32)
    # actors sorted by (type, region): regions are numbered country by country, so each (type,
    # country) block is contiguous too, and holds its (type, region) blocks
    by_tc = np.lexsort((np.arange(m), region, ptype)).astype(np.int32)  # int32: 4 bytes per actor less (m < 2**31)
    n_t = len(PartnerType)
    cnt = np.bincount(ptype.astype(np.int64) * nc + country, minlength=n_t * nc).reshape(n_t, nc)
    tc_off = (np.cumsum(cnt.ravel()) - cnt.ravel()).reshape(cnt.shape)
    tr_cnt = np.bincount(ptype.astype(np.int64) * n_g + region, minlength=n_t * n_g).reshape(n_t, n_g)
    tr_off = (np.cumsum(tr_cnt.ravel()) - tr_cnt.ravel()).reshape(tr_cnt.shape)
    index = CandidateIndex(
        by_tc=by_tc,
        tc_cnt=cnt,
        tc_off=tc_off,
        type_cnt=cnt.sum(axis=1),
        type_off=tc_off[:, 0],
        encounter_cum=geo.sector_type_cum,
        tr_cnt=tr_cnt,
        tr_off=tr_off,
    )
    shapes = {"experience": (n, nc), "mem_partner": (n, p.memory_slots), "mem_trust": (n, p.memory_slots)}
    sme = SMEArrays(
        **{f.name: np.zeros(shapes.get(f.name, n), dtype=SME_DTYPES.get(f.name, np.float32)) for f in fields(SMEArrays)}
    )
    sme.region[:] = sme_region
    sme.sector[:] = rng.choice(len(geo.sector_names), size=n, p=geo.sector_share)
    culture = np.array([c.culture for c in cs])
    world = World(
        scenario=scenario,
        params=p,
        streams=streams,
        chem_key=streams.key("chemistry"),
        country_names=[c.name for c in cs],
        strength=np.array([c.strength for c in cs]),
        innovation_share=np.array([c.innovation_active_share for c in cs]),
        distance=np.linalg.norm(culture[:, None, :] - culture[None, :, :], axis=-1),
        region_names=geo.region_names,
        region_country=geo.region_country,
        geo=geo,
        represented=represented,
        simulated=simulated,
        weight=represented / simulated,
        domestic_prob=np.clip(p.home_bias * (represented / represented.max()) ** p.home_bias_size_elasticity, 0.0, 1.0)[
            None
        ],
        log_pool=rules.relative_pool(represented),
        shared_language=rules.shared_language([c.languages for c in cs]),
        n=n,
        m=m,
        sme=sme,
        actors=actors,
        index=index,
        projects=ProjectBook(keep_log=record_partnerships),
        culture_persona=culture_persona[None],
        sector_vision=sector_vision[None],
        panel_rows=np.zeros(0, dtype=np.int64),
        burn_in=p.burn_in,
        total_budget=scenario.total_budget,
        runs=1,
        n_run=n,
        p_run=m - n,
        sme_run=np.zeros(n, dtype=np.int64),
        actor_run=np.zeros(m, dtype=np.int64),
        next_uid=np.array([m + 1], dtype=np.int64),  # Mesa numbers agents from 1: SMEs, then partners
        counters=RunCounters(1),
        plan_spent=np.zeros(1),
        pt_by_stage=np.zeros((1, len(PartnerType), len(Stage)), dtype=np.int64),
        scaling_by_country=np.zeros((1, nc), dtype=np.int64),
    )
    actors.uid[:] = np.arange(1, m + 1)
    init_smes(world, np.arange(n), rng, month=-p.burn_in - 1, initial=True)
    world.panel_rows = np.sort(rng.choice(n, size=min(p.panel_size, n), replace=False))
    return world


def stack_worlds(
    worlds: list[World], seeds: list[int], record_partnerships: bool = True, scenarios: list[Scenario] | None = None
) -> World:
    """One batch world from the initial worlds of single runs of one scenario (see :class:`World`)."""
    first = worlds[0]
    r_n, n1, p1 = len(worlds), first.n_run, first.p_run
    n, m1 = r_n * n1, n1 + p1

    def to_global(local: np.ndarray, r: int) -> np.ndarray:
        local = np.asarray(local, dtype=np.int64)
        return np.where(local < n1, local + r * n1, local - n1 + n + r * p1)

    def actors_cat(name: str) -> np.ndarray:
        parts = [getattr(w.actors, name)[:n1] for w in worlds] + [getattr(w.actors, name)[n1:] for w in worlds]
        return np.concatenate(parts)

    actors = ActorArrays(**{f.name: actors_cat(f.name) for f in fields(ActorArrays)})
    # initial worlds remember no partners yet (mem_partner all -1), so no actor index needs remapping
    sme = SMEArrays(**{f.name: np.concatenate([getattr(w.sme, f.name) for w in worlds]) for f in fields(SMEArrays)})
    ix = first.index
    index = replace(
        ix,
        by_tc=np.concatenate([to_global(w.index.by_tc, r) for r, w in enumerate(worlds)]),
        run_stride=m1,
    )
    streams = BatchStreams(seeds, n1)
    run_params = RunParams([w.params for w in worlds])
    return replace(
        first,
        params=run_params.view(None) if run_params.varying else first.params,  # type: ignore[arg-type]
        run_params=run_params,
        run_scenarios=list(scenarios) if scenarios is not None else [w.scenario for w in worlds],
        domestic_prob=np.concatenate([w.domestic_prob for w in worlds]),
        streams=streams,
        chem_key=streams.key("chemistry"),
        n=n,
        m=n + r_n * p1,
        sme=sme,
        actors=actors,
        index=index,
        projects=ProjectBook(keep_log=record_partnerships, runs=r_n),
        culture_persona=np.concatenate([w.culture_persona for w in worlds]),
        sector_vision=np.concatenate([w.sector_vision for w in worlds]),
        panel_rows=np.concatenate([w.panel_rows + r * n1 for r, w in enumerate(worlds)]),
        runs=r_n,
        sme_run=np.repeat(np.arange(r_n), n1),
        actor_run=np.concatenate([np.repeat(np.arange(r_n), n1), np.repeat(np.arange(r_n), p1)]),
        next_uid=np.concatenate([w.next_uid for w in worlds]),
        policies=[],
        counters=RunCounters(r_n),
        plan_spent=np.zeros(r_n),
        pt_by_stage=np.zeros((r_n, *first.pt_by_stage.shape[1:]), dtype=np.int64),
        scaling_by_country=np.zeros((r_n, first.n_countries), dtype=np.int64),
    )


def draw_smes(rng: np.random.Generator, p: Any, k: int, initial: bool) -> dict[str, np.ndarray]:
    """The random draws for ``k`` new SMEs of one run, from that run's generator, in a fixed order."""
    d = p.persona_dims
    draws: dict[str, np.ndarray] = {"persona": rng.normal(size=(k, d)), "vision": rng.normal(size=(k, d))}
    if initial:
        shares = np.asarray(p.initial_stage_shares) / sum(p.initial_stage_shares)
        draws["stage"] = rng.choice(len(Stage), size=k, p=shares)
    else:
        draws["stage"] = np.full(k, Stage.EXPLORATION)
    draws["u_resources"] = rng.random(k)
    draws["u_focus"] = rng.random(k)
    if initial:
        draws["u_results"] = rng.random(k)
    draws["u_innovative"] = rng.random(k)
    draws["u_disruptive"] = rng.random(k)
    draws["resilience"] = rng.beta(p.resilience_alpha, p.resilience_beta, size=k)
    draws["confidence"] = rng.uniform(p.initial_confidence_min, 1.0, size=k)
    sigma = p.initial_cash_sigma
    draws["cash"] = rng.lognormal(np.log(max(p.initial_cash_mean, 1e-9)) - sigma**2 / 2, sigma, size=k)
    draws["margin"] = rng.normal(p.margin_mean, p.margin_sd, size=k)
    draws["learn_tech"] = rng.uniform(0.0, p.initial_learning_max, size=k)
    draws["learn_soft"] = rng.uniform(0.0, p.initial_learning_max, size=k)
    return draws


def init_smes(
    world: World, rows: np.ndarray, rng: np.random.Generator, month: int, initial: bool, run: int = 0
) -> None:
    """Draw the state of new SMEs in ``rows``: the initial population (any stage) or entrants (exploration).

    ``rng`` is the generator of run ``run`` (the rows' run in a batch).
    """
    set_smes(world, rows, draw_smes(rng, world.params, len(rows), initial), month, initial, run)


def init_entrants(world: World, rows: np.ndarray, month: int) -> None:
    """Entrants in the SME slots ``rows`` (sorted) of any runs: each run draws from its own ``entry`` stream."""
    if world.runs == 1:
        init_smes(world, rows, world.streams.get("entry", month), month, initial=False)
        return
    run = world.sme_run[rows]
    rp = world.run_params
    counts = np.bincount(run, minlength=world.runs).tolist()
    per_run = [
        draw_smes(gen, rp.of(r) if rp else world.params, k, initial=False)
        for r, (gen, k) in enumerate(zip(world.streams.generators("entry", month), counts, strict=True))
        if k
    ]
    draws = {key: np.concatenate([d[key] for d in per_run]) for key in per_run[0]}
    set_smes(world, rows, draws, month, False, run)


_CHUNK_ROWS = 1 << 18
"""Rows scaled to unit length at a time when a population is drawn (each row's norm is its own)."""


def _unit_sum(weight: Any, x: np.ndarray, draws: dict[str, np.ndarray], key: str) -> np.ndarray:
    """``unit_rows(weight * x + draws[key])`` as float32, ``draws[key]`` removed (``x`` is a temporary: scaled,
    added to and normalised in place when that keeps the dtype and shape of the out-of-place result)."""
    if np.result_type(weight, x) == x.dtype and np.broadcast_shapes(np.shape(weight), x.shape) == x.shape:
        x *= weight
    else:
        x = weight * x
    d = draws.pop(key)
    if np.result_type(x, d) == x.dtype:
        x += d
    else:
        x = x + d
    del d
    for lo in range(0, len(x), _CHUNK_ROWS):  # in place, by chunks: the same rows, no (rows x dims) temporaries
        part = x[lo : lo + _CHUNK_ROWS]  # (the norm squares its argument)
        rules.unit_rows(part, out=part)
    return x.astype(np.float32)


def set_smes(
    world: World, rows: np.ndarray, draws: dict[str, np.ndarray], month: int, initial: bool, run: np.ndarray | int
) -> None:
    """Set the state of new SMEs in ``rows`` (of runs ``run``) from their draws (:func:`draw_smes`), consuming them."""
    s, a = world.sme, world.actors
    p: Any = world.param_view(run)
    s.reset_rows(rows)
    # each draw is consumed (popped) as it is used, and persona and vision are summed in place where the
    # dtype allows: the same values, with a lower set-up peak (4 M SMEs: 1,988 -> 1,931 MB)
    a.persona[rows] = _unit_sum(p.persona_culture_weight, world.culture_persona[run, a.country[rows]], draws, "persona")
    a.vision[rows] = _unit_sum(p.vision_sector_weight, world.sector_vision[run, s.sector[rows]], draws, "vision")
    stage = draws.pop("stage")
    s.stage[rows] = stage
    s.resource_focus[rows] = draws.pop("u_focus") < p.resource_focus_share
    if initial:  # one run's initial population (one set of parameters): anywhere in its stage's band
        u = draws.pop("u_resources")
        rb, qb = p.initial_resource_bands, p.initial_results_bands
        dev, scale, comm = p.development_threshold, p.scaling_threshold, p.commercialisation_threshold
        lo = np.array([0.0, dev, scale, scale])
        hi = np.array([rb[0] * dev, rb[1] * scale, scale + rb[2], scale + rb[3]])
        s.resources[rows] = lo[stage] + u * (hi[stage] - lo[stage])
        del u
        res_lo = np.array([0.0, 0.0, 0.0, comm])
        res_hi = np.array([0.0, qb[0], qb[1] * comm, qb[2] * comm])
        focus = np.where(s.resource_focus[rows], p.resource_focus_results_share, 1.0)
        s.results[rows] = focus * (res_lo[stage] + draws.pop("u_results") * (res_hi[stage] - res_lo[stage]))
    else:  # entrants start with nothing
        s.resources[rows] = 0.0
        s.results[rows] = 0.0
    innovation = world.innovation_share[a.country[rows]] * world.geo.sector_innovation_factor[s.sector[rows]]
    s.innovative[rows] = draws.pop("u_innovative") < innovation
    s.disruptive[rows] = draws.pop("u_disruptive") < p.disruptive_share
    s.resilience[rows] = draws.pop("resilience")
    s.confidence[rows] = s.disposition[rows] = draws.pop("confidence")  # the SME's own level of confidence
    s.cash[rows] = draws.pop("cash")
    s.margin[rows] = draws.pop("margin")
    s.learn_tech[rows] = draws.pop("learn_tech")
    s.learn_soft[rows] = draws.pop("learn_soft")
    s.mem_partner[rows] = -1
    for name in ("last_coop", "last_foreign", "last_fail", "entered_scaling"):
        getattr(s, name)[rows] = NO_STEP
    s.born[rows] = month
    a.capability[rows] = rules.sme_capability(s.learn_tech[rows], p.sme_capability_base)
    plan_costs(world, rows)


def plan_costs(world: World, rows: np.ndarray) -> None:
    """Draw the cost of the next project of SMEs ``rows`` (lognormal, mean ``project_cost``).

    Keyed by (SME id, projects started so far): a plan and its baseline give an SME the same
    cost for its k-th project (common random numbers), whatever happens to other SMEs.
    """
    if len(rows) == 0:
        return
    s, a = world.sme, world.actors
    run = world.sme_run[rows]
    p: Any = world.param_view(run)
    u = world.streams.uniform("project_cost", 0, run, a.uid[rows] * COST_KEYS + (s.attempts[rows] % COST_KEYS), 1)
    sigma = p.project_cost_sigma
    log_median = derived(
        p, lambda mean, sd: np.log(max(mean, 1e-9)) - 0.5 * sd**2, "project_cost", "project_cost_sigma"
    )
    s.next_cost[rows] = np.where(p.project_cost > 0, np.exp(log_median + sigma * ndtri(u[:, 0])), 0.0)
