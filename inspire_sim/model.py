"""InspireModel: the Mesa model; ``step()`` is the ODD schedule (DESIGN.md §1)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import fields

import mesa
import numpy as np
import pandas as pd

from . import lifecycle, matching, metrics, rules
from .agents import NO_STEP, SME, ActorArrays, Partner, PartnerType, SMEArrays, Stage
from .policies import LEVER_ORDER, Policy, build_policies
from .projects import ProjectBook
from .scenario import Scenario, load_scenario
from .streams import RandomStreams

# Structural constants (assumptions, documented in docs/ODD.md "Initialization").
PERSONA_CULTURE_WEIGHT = 0.5  # managers of one country share part of their persona
VISION_SECTOR_WEIGHT = 0.8  # SMEs of one sector share part of their strategic vision
CAPABILITY_BETA = {  # what a partner type brings, Beta(a, b)
    PartnerType.SME_PEER: (2.0, 3.0),
    PartnerType.PSR: (6.0, 2.0),
    PartnerType.LARGE_FIRM: (5.0, 2.0),
    PartnerType.CROWD: (2.0, 5.0),
}


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integer counts proportional to ``weights`` (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    exact = total * w / w.sum()
    counts = np.floor(exact).astype(np.int64)
    rest = total - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:rest]] += 1
    return counts


class InspireModel(mesa.Model):
    """Agent-based model of SME open-innovation ecosystems.

    Args:
        scenario: a validated :class:`~inspire_sim.scenario.Scenario` (default: baseline).
        seed: the run's seed; every random draw comes from named streams derived from it.
        record_partnerships: keep the log of every project (``RunResult.partnerships``).
    """

    VOUCHER_MONTHS = 12

    def __init__(self, scenario: Scenario | None = None, *, seed: int = 0, record_partnerships: bool = True) -> None:
        super().__init__(rng=int(seed))
        self.inspire_scenario = (
            scenario if scenario is not None else load_scenario("baseline")
        )  # not `scenario`: Mesa owns that name
        self.p = self.inspire_scenario.params
        self.seed = int(seed)
        self.streams = RandomStreams(self.seed)
        self.chem_key = self.streams.key("chemistry")
        self._setup_countries()
        self._setup_actors()
        self.policies: list[Policy] = build_policies(self)
        self.policy_lever = np.array([LEVER_ORDER.index(p.kind) for p in self.policies], dtype=np.int64)
        self.projects = ProjectBook(keep_log=record_partnerships)
        self.counters: Counter[str] = Counter()
        self.spend_month = np.zeros((len(self.policies), self.n_countries))  # EUR by measure x country
        self.plan_spent = 0.0  # EUR spent by all measures so far (the scenario's total_budget caps it)
        self.pt_by_stage = np.zeros((len(PartnerType), len(Stage)), dtype=np.int64)
        self.scaling_by_country = np.zeros(self.n_countries, dtype=np.int64)
        self.country_resolved = np.zeros((2, self.n_countries), dtype=np.int64)
        self.failed_now = np.zeros(self.n, dtype=bool)
        self.started_month: dict[str, np.ndarray] = {}
        self.resolved_month = (0, 0)
        self.exits_month = 0
        self.last_seekers = 0
        self.recorder = metrics.Recorder(self)
        self.datacollector = mesa.DataCollector(
            model_reporters={name: (lambda m, k=name: m.recorder.latest.get(k)) for name in metrics.INDICATORS}
        )

    # ------------------------------------------------------------------ setup
    def _setup_countries(self) -> None:
        cs = self.inspire_scenario.countries
        self.country_names = [c.name for c in cs]
        self.n_countries = len(cs)
        self.strength = np.array([c.strength for c in cs])
        culture = np.array([c.culture for c in cs])
        self.distance = np.linalg.norm(culture[:, None, :] - culture[None, :, :], axis=-1)
        self.region_names = [r for c in cs for r in c.region_names]
        self.region_country = np.array([k for k, c in enumerate(cs) for _ in c.region_names])

    def _setup_actors(self) -> None:
        p = self.p
        rng = self.streams.get("init")
        n, d, nc = p.n_smes, p.persona_dims, self.n_countries
        sizes = np.array([c.size for c in self.inspire_scenario.countries])
        sme_country = np.repeat(np.arange(nc), allocate(n, sizes))
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
        p_country = np.concatenate([np.repeat(np.arange(nc), allocate(int(k), sizes)) for k in n_partners])
        m = n + len(p_type)
        self.n, self.m = n, m
        self.culture_persona = rules.unit_rows(rng.normal(size=(nc, d)))
        self.sector_vision = rules.unit_rows(rng.normal(size=(len(p.sectors), d)))
        country = np.concatenate([sme_country, p_country]).astype(np.int16)
        ptype = np.concatenate([np.zeros(n, dtype=np.int8), p_type])
        cap_p = np.where(np.isin(p_type, [PartnerType.PSR, PartnerType.LARGE_FIRM]), p.partner_capacity, 1)
        capability = np.zeros(m, dtype=np.float32)
        for t, (a, b) in CAPABILITY_BETA.items():
            rows = np.flatnonzero(ptype[n:] == t) + n
            capability[rows] = rng.beta(a, b, size=len(rows))
        self.actors = ActorArrays(
            country=country,
            ptype=ptype,
            persona=np.zeros((m, d), dtype=np.float32),
            vision=np.zeros((m, d), dtype=np.float32),
            capability=capability,
            capacity=np.concatenate([np.full(n, p.peer_capacity), cap_p]).astype(np.int16),
            load=np.zeros(m, dtype=np.int16),
            uid=np.zeros(m, dtype=np.int64),
        )
        prow = np.arange(n, m)
        self.actors.persona[prow] = self._persona(rng, country[prow])
        self.actors.vision[prow] = rules.unit_rows(rng.normal(size=(len(prow), d))).astype(np.float32)
        self.partner_agents = [Partner(self, int(j)) for j in prow]
        self.actors.uid[prow] = [a.unique_id for a in self.partner_agents]
        # candidate lookup: actors sorted by (type, country)
        self.by_tc = np.lexsort((np.arange(m), country, ptype))
        cnt = np.bincount(ptype.astype(np.int64) * nc + country, minlength=len(PartnerType) * nc).reshape(
            len(PartnerType), nc
        )
        self.tc_cnt = cnt
        self.tc_off = (np.cumsum(cnt.ravel()) - cnt.ravel()).reshape(cnt.shape)
        self.type_cnt = cnt.sum(axis=1)
        self.type_off = self.tc_off[:, 0]
        self.encounter_cum = np.cumsum([p.share_peer, p.share_psr, p.share_large_firm, p.share_crowd])
        # SMEs
        self.sme = SMEArrays(**{f.name: self._empty(f.name) for f in fields(SMEArrays)})
        region_first = np.searchsorted(self.region_country, np.arange(nc))
        region_count = np.bincount(self.region_country, minlength=nc)
        sc = sme_country
        self.sme.region[:] = region_first[sc] + (rng.random(n) * region_count[sc]).astype(np.int64)
        self.sme.sector[:] = rng.integers(0, len(p.sectors), size=n)
        self.sme_agents: list[SME] = [None] * n  # type: ignore[list-item]
        self._init_smes(np.arange(n), rng, month=-1)
        self.panel_rows = np.sort(rng.choice(n, size=min(p.panel_size, n), replace=False))

    def _empty(self, name: str) -> np.ndarray:
        n, p = self.p.n_smes, self.p
        shapes = {
            "experience": (n, self.n_countries),
            "mem_partner": (n, p.memory_slots),
            "mem_trust": (n, p.memory_slots),
        }
        dtypes = {
            "region": np.int32,
            "sector": np.int16,
            "stage": np.int8,
            "resource_focus": bool,
            "innovative": bool,
            "disruptive": bool,
            "unicorn": bool,
            "cash": np.float64,
            "margin": np.float64,
            "resources": np.float64,
            "results": np.float64,
            "voucher": np.float64,
            "mem_partner": np.int32,
            "n_lead": np.int8,
        }
        dtype = dtypes.get(
            name,
            np.int32
            if name
            in {
                "attempts",
                "successes",
                "failures",
                "false_failures",
                "last_coop",
                "last_foreign",
                "last_fail",
                "recovery_until",
                "entered_scaling",
                "born",
                "voucher_until",
            }
            else np.float32,
        )
        return np.zeros(shapes.get(name, n), dtype=dtype)

    def _persona(self, rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
        z = rng.normal(size=(len(country), self.p.persona_dims))
        return rules.unit_rows(PERSONA_CULTURE_WEIGHT * self.culture_persona[country] + z).astype(np.float32)

    def _init_smes(self, rows: np.ndarray, rng: np.random.Generator, month: int) -> None:
        """Draw the state of new SMEs in ``rows`` (at set-up, or entrants replacing exits)."""
        s, p, a, k = self.sme, self.p, self.actors, len(rows)
        s.reset_rows(rows)
        a.persona[rows] = self._persona(rng, a.country[rows])
        a.vision[rows] = rules.unit_rows(
            VISION_SECTOR_WEIGHT * self.sector_vision[s.sector[rows]] + rng.normal(size=(k, p.persona_dims))
        ).astype(np.float32)
        if month < 0:
            stage = rng.choice(len(Stage), size=k, p=np.asarray(p.initial_stage_shares) / sum(p.initial_stage_shares))
        else:
            stage = np.full(k, Stage.EXPLORATION)
        s.stage[rows] = stage
        u = rng.random(k)
        lo = np.array([0.0, p.development_threshold, p.scaling_threshold, p.scaling_threshold])
        hi = np.array(
            [
                0.8 * p.development_threshold,
                0.9 * p.scaling_threshold,
                p.scaling_threshold + 1.0,
                p.scaling_threshold + 2.0,
            ]
        )
        s.resources[rows] = lo[stage] + u * (hi[stage] - lo[stage]) if month < 0 else 0.0
        res_lo = np.array([0.0, 0.0, 0.0, p.commercialisation_threshold])
        res_hi = np.array([0.0, 0.2, 0.8 * p.commercialisation_threshold, 2.0 * p.commercialisation_threshold])
        s.resource_focus[rows] = rng.random(k) < p.resource_focus_share
        focus = np.where(s.resource_focus[rows], p.resource_focus_results_share, 1.0)
        s.results[rows] = (
            focus * (res_lo[stage] + rng.random(k) * (res_hi[stage] - res_lo[stage])) if month < 0 else 0.0
        )
        s.innovative[rows] = rng.random(k) < p.innovation_active_share
        s.disruptive[rows] = rng.random(k) < p.disruptive_share
        s.resilience[rows] = rng.beta(p.resilience_alpha, p.resilience_beta, size=k)
        s.confidence[rows] = rng.uniform(0.6, 1.0, size=k)
        sigma = 0.8
        s.cash[rows] = rng.lognormal(np.log(max(p.initial_cash_mean, 1e-9)) - sigma**2 / 2, sigma, size=k)
        s.margin[rows] = rng.normal(p.margin_mean, p.margin_sd, size=k)
        s.learn_tech[rows] = rng.uniform(0.0, 0.3, size=k)
        s.learn_soft[rows] = rng.uniform(0.0, 0.3, size=k)
        s.mem_partner[rows] = -1
        for name in ("last_coop", "last_foreign", "last_fail", "recovery_until", "entered_scaling", "voucher_until"):
            getattr(s, name)[rows] = NO_STEP
        s.born[rows] = month
        for i in rows:
            agent = SME(self, int(i))
            self.sme_agents[i] = agent
            a.uid[i] = agent.unique_id
        a.capability[rows] = np.clip(0.2 + s.learn_tech[rows], 0.0, 1.0)

    def replace_smes(self, rows: np.ndarray, month: int) -> None:
        """Exit of the SMEs in ``rows``; entrants take their slots (same country, region, sector)."""
        for i in rows:
            self.sme_agents[i].remove()
        gone = np.isin(self.sme.mem_partner, rows)
        self.sme.mem_partner[gone] = -1
        self.sme.mem_trust[gone] = 0.0
        self._init_smes(rows, self.streams.get("entry", month), month)

    # ------------------------------------------------------------------ schedule
    @property
    def month(self) -> int:
        """The current month, 0-based (Mesa's ``time`` counts steps from 1)."""
        return int(self.time) - 1

    def step(self) -> None:
        """One month, in the order of the ODD schedule."""
        month = self.month
        self.apply_policies(month)
        lifecycle.upkeep(self, month)
        lifecycle.start_projects(self, month, matching.match(self, month))
        lifecycle.resolve_projects(self, month)
        lifecycle.transition_stages(self, month)
        self.observe(month)

    def apply_policies(self, month: int) -> None:
        """Phase 1: budgets, intermediary capacities and phased measures for this month."""
        self.spend_month[:] = 0.0
        for pol in self.policies:
            pol.open_month(self, month)

    def plan_budget_left(self) -> float:
        """EUR the plan may still spend in total (inf without a scenario ``total_budget``)."""
        cap = self.inspire_scenario.total_budget
        return float("inf") if cap is None else max(cap - self.plan_spent, 0.0)

    def spend_by_lever(self) -> np.ndarray:
        """This month's spend as (lever, country), levers in LEVER_ORDER."""
        out = np.zeros((len(LEVER_ORDER), self.n_countries))
        np.add.at(out, self.policy_lever, self.spend_month)
        return out

    def active_policies(self, kind: str, month: int) -> list[Policy]:
        """Policies of lever ``kind`` running in ``month``."""
        return [p for p in self.policies if p.kind == kind and p.active(month)]

    def observe(self, month: int) -> None:
        """Phase 6: indicators of this month."""
        self.recorder.record(month)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ views
    def smes_table(self) -> pd.DataFrame:
        """Final state of every SME, one row each."""
        s, a, n = self.sme, self.actors, self.n
        return pd.DataFrame(
            {
                "sme_id": a.uid[:n],
                "country": pd.Categorical.from_codes(a.country[:n], self.country_names),
                "region": pd.Categorical.from_codes(s.region, self.region_names),
                "sector": pd.Categorical.from_codes(s.sector.astype(np.int64), self.p.sectors),
                "stage": pd.Categorical.from_codes(s.stage.astype(np.int64), [x.label for x in Stage]),
                "resource_focus": s.resource_focus,
                "innovative": s.innovative,
                "disruptive": s.disruptive,
                "resilience": s.resilience,
                "confidence": s.confidence,
                "cash": s.cash,
                "resources": s.resources,
                "business_results": s.results,
                "learn_tech": s.learn_tech,
                "learn_soft": s.learn_soft,
                "toolbox": s.toolbox,
                "attempts": s.attempts,
                "successes": s.successes,
                "failures": s.failures,
                "false_failures": s.false_failures,
                "unicorn": s.unicorn,
                "born": s.born,
                "entered_scaling": np.where(s.entered_scaling == NO_STEP, -1, s.entered_scaling),
            }
        )

    def run_months(self, steps: int, progress=None) -> float:
        """Run ``steps`` months; return the wall time in seconds."""
        t0 = time.perf_counter()
        for _ in range(steps):
            self.step()
            if progress is not None:
                progress(1)
        return time.perf_counter() - t0
