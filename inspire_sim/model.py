"""InspireModel: the Mesa model; ``step()`` is the ODD schedule (DESIGN.md §1).

The state lives in a :class:`~inspire_sim.world.World` (``model.world``); the phases
(:mod:`inspire_sim.lifecycle`, :mod:`inspire_sim.matching`) take the world and return
typed events; the levers act only through their hooks (:mod:`inspire_sim.policies`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from . import lifecycle, matching, metrics
from .agents import SME, Intermediary, Partner, Stage, create_views, remove_views
from .policies import Policy, build_policies
from .population import build_world, init_smes
from .scenario import Scenario, load_scenario
from .world import MonthEvents, World


class IndicatorCollector(mesa.DataCollector):
    """Mesa's ``DataCollector`` with one model reporter per indicator (the recorder's latest row).

    It behaves as ``DataCollector(model_reporters={name: lambda m: m.recorder.latest.get(name)})``
    and stores the same values; while those reporters are unchanged it reads the row in one
    pass instead of calling (and deep-copying the atomic value of) ~100 reporters a month.
    Reporters added or replaced by a user make it fall back to Mesa's own ``collect``.
    """

    def __init__(self, columns: list[str], agent_reporters: dict[str, Any]) -> None:
        reporters = {name: (lambda m, k=name: m.recorder.latest.get(k)) for name in columns}
        super().__init__(model_reporters=dict(reporters), agent_reporters=agent_reporters)
        self._indicator_reporters = reporters

    def collect(self, model: mesa.Model) -> None:
        """Collect this month's indicators (and agent reporters, if any)."""
        own = self._indicator_reporters
        reporters: dict[str, Any] = self.model_reporters  # type: ignore[has-type]
        if not (self._validated and len(reporters) == len(own) and all(reporters.get(k) is f for k, f in own.items())):
            super().collect(model)
            return
        row = model.recorder.latest
        self._collection_steps.append(model.time)
        for name, values in ((k, self.model_vars[k]) for k in own):
            values.append(row.get(name))  # numbers and None: what deepcopy of the reporter's value gives
        self.model_reporters = {}  # the rest of Mesa's collect: agent and agent-type reporters only
        try:
            super().collect(model)
        finally:
            self.model_reporters = reporters


def _scenario(scenario: Scenario | str | Path | None, overrides: dict[str, Any]) -> Scenario:
    if scenario is None:
        scenario = "baseline"
    if isinstance(scenario, (str, Path)):
        return load_scenario(scenario, **overrides)
    return scenario.with_overrides(overrides) if overrides else scenario


class InspireModel(mesa.Model):
    """Agent-based model of SME open-innovation ecosystems.

    Mesa conventions: ``InspireModel(scenario=None, *, seed=None, rng=None, **overrides)``.

    Args:
        scenario: a :class:`~inspire_sim.scenario.Scenario`, a scenario file or shipped name
            (default: the baseline).
        seed: the run's seed; every random draw comes from named streams derived from it.
        rng: Mesa's name for the seed (an int); used when ``seed`` is None. With neither,
            a fresh seed is drawn and kept in :attr:`seed`.
        record_partnerships: keep the log of every project (``RunResult.partnerships``).
        agent_reporters: optional Mesa ``DataCollector`` agent reporters.
        **overrides: parameters by dotted name as :func:`~inspire_sim.scenario.load_scenario`
            takes them, e.g. ``n_smes=500`` or ``**{"support_funding.grant_size": 1e4}``.

    Construction runs the burn-in (``burn_in`` months; measures with ``start = 0`` run too); each :meth:`step` is
    then one reporting month. :attr:`running` turns False after the scenario's last month,
    so ``mesa.batch_run(InspireModel, parameters={"n_smes": [300, 500]}, rng=[1, 2])`` works.
    Agents: ``agents_by_type[SME]`` (views on the arrays; ``confidence``, ``cash``,
    ``resources`` and ``business_results`` may be set, e.g. with ``AgentSet.set``; the
    other properties are read-only), ``agents_by_type[Partner]``, ``agents_by_type[Intermediary]``.
    """

    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        *,
        seed: int | None = None,
        rng: int | None = None,
        record_partnerships: bool = True,
        agent_reporters: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> None:
        if seed is None:
            seed = int(rng) if rng is not None else int(np.random.SeedSequence().entropy % (2**63))  # type: ignore[operator]
        super().__init__(rng=int(seed))
        self.inspire_scenario = _scenario(scenario, overrides)  # not `scenario`: Mesa owns that name
        self.seed = int(seed)
        self.world: World = build_world(self.inspire_scenario, self.seed, record_partnerships)
        w = self.world
        self.sme_agents: list[SME] = create_views(self, SME, "idx", range(w.n))
        w.actors.uid[: w.n] = [a.unique_id for a in self.sme_agents]
        self.partner_agents = create_views(self, Partner, "actor", range(w.n, w.m))
        w.actors.uid[w.n :] = [a.unique_id for a in self.partner_agents]
        w.policies = build_policies(w)
        for pol in w.policies:
            if pol.intermediary_kind is not None:
                pol.intermediaries = [
                    Intermediary(self, pol.intermediary_kind, int(c), pol) for c in np.flatnonzero(pol.country_mask)
                ]
        w.spend_month = np.zeros((len(w.policies), w.n_countries))
        self.recorder = metrics.Recorder(w)
        self.datacollector = IndicatorCollector(self.recorder.columns, agent_reporters or {})
        self.events: MonthEvents | None = None
        self._burn_in()

    # ------------------------------------------------------------------ world views (kept for users of 0.1)
    @property
    def p(self):
        """The model parameters (:class:`~inspire_sim.params.ModelParams`)."""
        return self.world.params

    sme = property(lambda self: self.world.sme, doc="SME arrays (:class:`~inspire_sim.agents.SMEArrays`).")
    actors = property(lambda self: self.world.actors, doc="Actor arrays (SMEs first, then partners).")
    projects = property(lambda self: self.world.projects, doc="The running projects and the log.")
    streams = property(lambda self: self.world.streams, doc="The named random streams.")
    policies = property(lambda self: self.world.policies, doc="The scenario's policies, in file order.")
    counters = property(lambda self: self.world.counters, doc="Cumulative event counters (reporting months).")
    n = property(lambda self: self.world.n, doc="SME slots.")
    m = property(lambda self: self.world.m, doc="Actors (SMEs + partners).")
    n_countries = property(lambda self: self.world.n_countries)
    country_names = property(lambda self: self.world.country_names)
    region_names = property(lambda self: self.world.region_names)
    strength = property(lambda self: self.world.strength)
    distance = property(lambda self: self.world.distance)
    panel_rows = property(lambda self: self.world.panel_rows)

    @property
    def month(self) -> int:
        """The current reporting month, 0-based (Mesa's ``time`` counts reporting steps from 1)."""
        return int(self.time) - 1

    # ------------------------------------------------------------------ schedule
    def step(self) -> None:
        """One reporting month, in the order of the ODD schedule."""
        events = self._advance()
        self.observe(events)
        if self.world.month >= self.inspire_scenario.params.steps:
            self.running = False

    def _advance(self) -> MonthEvents:
        """The phases of one month on the world (burn-in or reporting); returns what happened."""
        w = self.world
        month = w.month  # reporting month (negative during the burn-in)
        self.apply_policies(month)  # 1 policies
        upkeep = lifecycle.upkeep(w, month)  # 2 upkeep, exit
        self.replace_smes(upkeep.exits, month)  # 2 entry
        matches = matching.match(w, month)  # 3 search and matching
        lifecycle.start_projects(w, month, matches)
        resolutions = lifecycle.resolve_projects(w, month)  # 4 projects resolve
        transitions = lifecycle.transition_stages(w, month)  # 5 stage transitions
        lifecycle.track_activity(w, month)
        self.events = MonthEvents(month, upkeep, matches, resolutions, transitions)
        w.clock += 1
        return self.events

    def _burn_in(self) -> None:
        """Run the burn-in months (measures with ``start = 0`` run too), then reset the tallies and budgets."""
        w = self.world
        for _ in range(w.burn_in):
            self.recorder.warm_up(self._advance())
        w.counters.clear()
        w.pt_by_stage[:] = 0
        w.scaling_by_country[:] = 0
        w.plan_spent = 0.0
        for pol in w.policies:
            pol.spent_total = 0.0
            pol.budget_carry = 0.0
            pol.budget_bound = False
        w.projects.forget_log()

    def apply_policies(self, month: int) -> None:
        """Phase 1: budgets, intermediary capacities and phased measures for this month."""
        self.world.spend_month[:] = 0.0
        if month < 0:  # burn-in spending counts against no run-wide cap
            self.world.plan_spent = 0.0
            for pol in self.world.policies:
                pol.spent_total = 0.0
        for pol in self.world.policies:
            pol.open_month(self.world, month)

    def replace_smes(self, rows: np.ndarray, month: int) -> None:
        """Exit of the SMEs in ``rows``; entrants take their slots (same country, region, sector)."""
        if len(rows) == 0:
            return
        w = self.world
        remove_views(self, [self.sme_agents[i] for i in rows])
        gone = np.isin(w.sme.mem_partner, rows)
        w.sme.mem_partner[gone] = -1
        w.sme.mem_trust[gone] = 0.0
        init_smes(w, rows, w.streams.get("entry", month), month, initial=False)
        for i, agent in zip(rows, create_views(self, SME, "idx", rows), strict=True):
            self.sme_agents[i] = agent
            w.actors.uid[i] = agent.unique_id
        for pol in w.policies:
            pol.on_entry(w, rows)

    def active_policies(self, kind: str, month: int) -> list[Policy]:
        """Policies of lever ``kind`` running in reporting month ``month``."""
        return [p for p in self.world.policies if p.kind == kind and p.active(month)]

    def observe(self, events: MonthEvents) -> None:
        """Phase 6: indicators of this month."""
        self.recorder.record(events)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ views
    def smes_table(self) -> pd.DataFrame:
        """Final state of every SME, one row each.

        Months are reporting months (0-based): ``born`` is negative for SMEs that entered
        before reporting started (``-burn_in - 1``: the initial population);
        ``entered_scaling`` is ``agents.NO_STEP`` (-10000) for SMEs that never entered scaling-up.
        """
        w = self.world
        s, a, n = w.sme, w.actors, w.n
        return pd.DataFrame(
            {
                "sme_id": a.uid[:n],
                "country": pd.Categorical.from_codes(a.country[:n], w.country_names),
                "region": pd.Categorical.from_codes(s.region, w.region_names),
                "sector": pd.Categorical.from_codes(s.sector.astype(np.int64), w.params.sectors),
                "stage": pd.Categorical.from_codes(s.stage.astype(np.int64), [x.label for x in Stage]),
                "weight": w.weight[a.country[:n].astype(np.int64)],
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
                "entered_scaling": s.entered_scaling,
            }
        )

    def run_months(self, steps: int, progress=None) -> float:
        """Run ``steps`` reporting months; return the wall time in seconds."""
        t0 = time.perf_counter()
        for _ in range(steps):
            self.step()
            if progress is not None:
                progress(1)
        return time.perf_counter() - t0
