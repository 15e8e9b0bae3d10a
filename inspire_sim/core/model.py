"""InspireModel: the Mesa model; ``step()`` is the ODD schedule (DESIGN.md §1).

The state lives in a :class:`~inspire_sim.core.world.World` (``model.world``); the phases
(:mod:`inspire_sim.core.lifecycle`, :mod:`inspire_sim.core.matching`) take the world and return
typed events; the levers act only through their hooks (:mod:`inspire_sim.core.policies`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from .agents import SME, Intermediary, Partner, ViewAgents
from .policies import Policy
from .scenario import Scenario, load_scenario
from .simulation import Simulation
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
        scenario: a :class:`~inspire_sim.core.scenario.Scenario`, a scenario file or shipped name
            (default: the baseline).
        seed: the run's seed; every random draw comes from named streams derived from it.
        rng: Mesa's name for the seed (an int); used when ``seed`` is None. With neither,
            a fresh seed is drawn and kept in :attr:`seed`.
        record_partnerships: keep the log of every project (``RunResult.partnerships``).
        agent_reporters: optional Mesa ``DataCollector`` agent reporters.
        **overrides: parameters by dotted name as :func:`~inspire_sim.core.scenario.load_scenario`
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
        self.sim = Simulation(self.inspire_scenario, [self.seed], record_partnerships)
        self.sim.host = self  # phase 1 and the entry run through this model's (overridable) methods
        self.world: World = self.sim.world
        w = self.world
        # view agents, created lazily: their unique_ids now (the world's), the objects when someone looks
        self.sme_agents: ViewAgents[SME] = ViewAgents(self, SME, "idx", w.n)
        self.partner_agents: ViewAgents[Partner] = ViewAgents(self, Partner, "actor", w.m - w.n, offset=w.n)
        for pol in w.policies:
            if pol.intermediary_kind is not None:
                pol.intermediaries = [
                    Intermediary(self, pol.intermediary_kind, int(c), pol) for c in np.flatnonzero(pol.country_mask)
                ]
        if int(self.agent_id_counter) != int(w.next_uid[0]):  # the world numbers agents as Mesa does
            raise RuntimeError(f"agent ids out of step: Mesa {self.agent_id_counter}, world {w.next_uid[0]}")
        self.sim.before_entry = self.sme_agents.remove
        self.sim.after_entry = self._add_entrants
        self.recorder = self.sim.recorder
        self.datacollector = IndicatorCollector(self.recorder.columns, agent_reporters or {})
        self.sim.burn_in()

    # ------------------------------------------------------------------ world views (kept for users of 0.1)
    @property
    def p(self):
        """The model parameters (:class:`~inspire_sim.core.params.ModelParams`)."""
        return self.world.params

    sme = property(lambda self: self.world.sme, doc="SME arrays (:class:`~inspire_sim.core.agents.SMEArrays`).")
    actors = property(lambda self: self.world.actors, doc="Actor arrays (SMEs first, then partners).")
    projects = property(lambda self: self.world.projects, doc="The running projects and the log.")
    streams = property(lambda self: self.world.streams, doc="The named random streams.")
    policies = property(lambda self: self.world.policies, doc="The scenario's policies, in file order.")
    counters = property(lambda self: self.world.counters, doc="Cumulative event counters (reporting months).")
    events = property(lambda self: self.sim.events, doc="What happened in the last month (phases' events).")
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
        """One reporting month, in the order of the ODD schedule (:meth:`Simulation.advance`: phases 1-5)."""
        events = self.sim.advance()  # 1 policies, 2 upkeep/exit/entry, 3 matching, 4 resolution, 5 transitions
        self.observe(events)  # 6 observation
        if self.world.month >= self.inspire_scenario.params.steps:
            self.running = False

    def apply_policies(self, month: int) -> None:
        """Phase 1: budgets, intermediary capacities and phased measures for this month."""
        self.sim.apply_policies(month)

    def replace_smes(self, rows: np.ndarray, month: int) -> None:
        """Exit of the SMEs in ``rows``; entrants take their slots (and get new Mesa agents)."""
        self.sim.replace_smes(rows, month)

    def _add_entrants(self, rows: np.ndarray) -> None:
        ids = self.sme_agents.add(rows)
        if not np.array_equal(ids, self.world.actors.uid[rows]):  # the world numbers agents as Mesa does
            raise RuntimeError(f"agent ids out of step: Mesa {ids[:3]}..., world {self.world.actors.uid[rows][:3]}...")

    def active_policies(self, kind: str, month: int) -> list[Policy]:
        """Policies of lever ``kind`` running in reporting month ``month``."""
        return [p for p in self.world.policies if p.kind == kind and p.active(month)]

    def observe(self, events: MonthEvents) -> None:
        """Phase 6: indicators of this month."""
        self.recorder.record(events)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ views
    def smes_table(self) -> pd.DataFrame:
        """Final state of every SME, one row each (see :meth:`Simulation.smes_table`)."""
        return self.sim.smes_table()

    def run_months(self, steps: int, progress=None) -> float:
        """Run ``steps`` reporting months; return the wall time in seconds."""
        t0 = time.perf_counter()
        for _ in range(steps):
            self.step()
            if progress is not None:
                progress(1)
        return time.perf_counter() - t0
