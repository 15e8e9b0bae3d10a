"""The ODD schedule over a world of R runs: one run (the Mesa model's) or a batch.

:class:`Simulation` owns a :class:`~inspire_sim.core.world.World` of R runs of one scenario, its
policies and its recorder, and advances every run one month at a time through the named
phases of the ODD schedule (DESIGN.md §1). :class:`~inspire_sim.core.model.InspireModel` is a
Simulation of one run plus the Mesa agents; :func:`inspire_sim.run.run_batch` runs R
replications as one vectorised population with no Mesa objects. Each run of a batch is
the run it would be alone, bit for bit: the phases keep every run's rows, draws and
accounts apart (see :class:`~inspire_sim.core.world.World`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from ..errors import InputError
from . import lifecycle, matching, metrics
from .policies import build_policies, unbatchable_levers
from .population import build_world, init_entrants
from .runparams import batch_key
from .scenario import Scenario
from .state import Stage
from .world import MonthEvents, World


class Host(Protocol):
    """What runs phase 1 and the entry of phase 2: the simulation itself, or a Mesa model overriding them."""

    def apply_policies(self, month: int) -> None: ...

    def replace_smes(self, rows: np.ndarray, month: int) -> None: ...


class Simulation:
    """R runs of one scenario, one seed each, advanced together month by month.

    Args:
        scenario: the scenario of every run, or one scenario per seed: design points that
            differ only in behavioural model parameters (:mod:`inspire_sim.core.runparams`).
        seeds: one seed per run (a single seed: an ordinary run).
        record_partnerships: keep the log of every project.

    Construction builds the world, the policies and the recorder; call :meth:`burn_in`
    before the first reporting month (the Mesa model does so after creating its agents).
    """

    def __init__(
        self, scenario: Scenario | Sequence[Scenario], seeds: Sequence[int], record_partnerships: bool = True
    ) -> None:
        self.seeds = [int(s) for s in seeds]
        if not self.seeds:
            raise InputError("no seeds given", field="seeds", fix="give at least one seed")
        self.scenarios = [scenario] * len(self.seeds) if isinstance(scenario, Scenario) else list(scenario)
        if len(self.scenarios) != len(self.seeds):
            raise InputError(
                f"{len(self.scenarios)} scenarios for {len(self.seeds)} seeds", field="scenarios", fix="one per seed"
            )
        self.scenario = self.scenarios[0]
        if len({batch_key(s) for s in self.scenarios}) > 1:
            raise InputError(
                "these scenarios cannot share a batch (they differ in more than behavioural model parameters)",
                field="scenarios",
                fix="batch only design points of one scenario (inspire_sim.run.run_batch groups them for you)",
            )
        one = len(self.seeds) == 1
        if not one and (bad := unbatchable_levers(self.scenario.policies)):
            raise InputError(
                f"lever(s) {', '.join(bad)} cannot run in a batch",
                field="batch",
                fix="run these scenarios with batch = 1 (or mark the lever batchable)",
            )
        self.world: World = build_world(
            self.scenario if one else self.scenarios, self.seeds[0] if one else self.seeds, record_partnerships
        )
        w = self.world
        w.policies = build_policies(w)
        # Mesa numbers the intermediaries after the SMEs and partners: entrants' ids come after theirs
        w.next_uid += sum(int(p.country_mask.sum()) for p in w.policies if p.intermediary_kind is not None)
        w.spend_month = np.zeros((len(w.policies), w.runs, w.n_countries))
        self.recorder = metrics.Recorder(w)
        self.events: MonthEvents | None = None
        self.host: Host = self
        self.before_entry: Callable[[np.ndarray], None] | None = None  # e.g. remove the leavers' Mesa agents
        self.after_entry: Callable[[np.ndarray], None] | None = None  # e.g. add the entrants' Mesa agents
        self.released = False  # :meth:`release_unreported` has run: no more months

    # ------------------------------------------------------------------ schedule
    def advance(self) -> MonthEvents:
        """The phases of one month on every run (burn-in or reporting); returns what happened."""
        if self.released:
            raise RuntimeError("this simulation's state was released for its final tables: build a new one to step")
        w = self.world
        month = w.month  # reporting month (negative during the burn-in)
        self.host.apply_policies(month)  # 1 policies
        upkeep = lifecycle.upkeep(w, month)  # 2 upkeep, exit
        self.host.replace_smes(upkeep.exits, month)  # 2 entry
        matches = matching.match(w, month)  # 3 search and matching
        lifecycle.start_projects(w, month, matches)
        resolutions = lifecycle.resolve_projects(w, month)  # 4 projects resolve
        transitions = lifecycle.transition_stages(w, month)  # 5 stage transitions
        lifecycle.mark_unicorns(w, month)  # 5 valuations past EUR 1 bn
        lifecycle.track_activity(w, month)
        self.events = MonthEvents(month, upkeep, matches, resolutions, transitions)
        w.clock += 1
        return self.events

    def step(self) -> MonthEvents:
        """One reporting month: the phases, then the indicators (phase 6)."""
        events = self.advance()
        self.recorder.record(events)
        return events

    def burn_in(self) -> None:
        """Run the burn-in months (measures with ``start = 0`` run too), then reset the tallies and budgets."""
        w = self.world
        for _ in range(w.burn_in):
            self.recorder.warm_up(self.advance())
        w.counters.clear()
        w.pt_by_stage[:] = 0
        w.scaling_by_country[:] = 0
        w.plan_spent[:] = 0.0
        for pol in w.policies:
            pol.reset_accounts(w)
        w.projects.forget_log()

    def apply_policies(self, month: int) -> None:
        """Phase 1: budgets, intermediary capacities and phased measures for this month."""
        w = self.world
        w.spend_month[:] = 0.0
        w.spend_events.clear()
        if month < 0:  # burn-in spending counts against no run-wide cap
            w.plan_spent[:] = 0.0
            for pol in w.policies:
                pol.reset_accounts(w, month_only=True)
        for pol in w.policies:
            pol.open_month(w, month)

    def replace_smes(self, rows: np.ndarray, month: int) -> None:
        """Exit of the SMEs in ``rows``; entrants take their slots (same country, region, sector)."""
        if len(rows) == 0:
            return
        w = self.world
        if self.before_entry is not None:
            self.before_entry(rows)
        gone = np.isin(w.sme.mem_partner, rows)
        w.sme.mem_partner[gone] = -1
        w.sme.mem_trust[gone] = 0.0
        init_entrants(w, rows, month)
        if w.runs == 1:
            w.actors.uid[rows] = w.next_uid[0] + np.arange(len(rows))
            w.next_uid[0] += len(rows)
        else:
            run = w.sme_run[rows]
            counts = np.bincount(run, minlength=w.runs)
            first = np.cumsum(counts) - counts
            w.actors.uid[rows] = w.next_uid[run] + np.arange(len(rows)) - first[run]
            w.next_uid += counts
        if self.after_entry is not None:
            self.after_entry(rows)
        for pol in w.policies:
            pol.on_entry(w, rows)

    UNREPORTED: tuple[tuple[str, str], ...] = (
        ("sme", "experience"),
        ("sme", "mem_partner"),
        ("sme", "mem_trust"),
        ("actors", "persona"),
        ("actors", "vision"),
    )
    """State arrays that no result table reads: (part of the world, attribute)."""

    def release_unreported(self) -> None:
        """Free the state no result table reads (:attr:`UNREPORTED`, about 120 bytes per SME) before the
        final tables are built, so that a large run's peak is lower; the simulation cannot step after this."""
        w = self.world
        for part, name in self.UNREPORTED:
            owner = getattr(w, part)
            arr = getattr(owner, name)
            setattr(owner, name, np.empty((0, *arr.shape[1:]), dtype=arr.dtype))
        self.released = True

    # ------------------------------------------------------------------ views
    def smes_table(self, run: int = 0, *, final: bool = False) -> pd.DataFrame:
        """Final state of every SME of run ``run``, one row each.

        ``final``: the simulation ends here, so the table's columns are the state's arrays themselves
        (views, no copy: the peak memory of large runs); never step the simulation after that.

        Months are reporting months (0-based): ``born`` is negative for SMEs that entered
        before reporting started (``-burn_in - 1``: the initial population);
        ``entered_scaling`` is ``agents.NO_STEP`` (-10000) for SMEs that never entered scaling-up.
        ``innovation_turnover`` (EUR/year) is ``business_results x turnover_per_result`` and
        ``valuation`` (EUR) that times ``valuation_multiple``.
        """
        w = self.world
        rows = w.sme_rows(run)
        s, a = w.sme, w.actors
        country = a.country[rows]
        p = w.run_params.of(run) if w.run_params is not None else w.params
        turnover = s.results[rows] * p.turnover_per_result
        df = pd.DataFrame(
            {
                "sme_id": a.uid[rows],
                "country": pd.Categorical.from_codes(country, w.country_names),
                "region": pd.Categorical.from_codes(s.region[rows], w.region_names),
                "sector": pd.Categorical.from_codes(s.sector[rows].astype(np.int64), w.params.sectors),
                "stage": pd.Categorical.from_codes(s.stage[rows].astype(np.int64), [x.label for x in Stage]),
                "weight": w.weight[country.astype(np.int64)],
                **{
                    col: getattr(s, attr)[rows]
                    for col, attr in (
                        ("resource_focus", "resource_focus"),
                        ("innovative", "innovative"),
                        ("disruptive", "disruptive"),
                        ("resilience", "resilience"),
                        ("confidence", "confidence"),
                        ("cash", "cash"),
                        ("resources", "resources"),
                        ("business_results", "results"),
                        ("learn_tech", "learn_tech"),
                        ("learn_soft", "learn_soft"),
                        ("toolbox", "toolbox"),
                        ("attempts", "attempts"),
                        ("successes", "successes"),
                        ("failures", "failures"),
                        ("false_failures", "false_failures"),
                        ("unicorn", "unicorn"),
                        ("breakthrough", "breakthrough"),
                        ("next_project_cost", "next_cost"),
                        ("born", "born"),
                        ("entered_scaling", "entered_scaling"),
                    )
                },
            },
            copy=not final,
        )
        df.insert(df.columns.get_loc("business_results") + 1, "innovation_turnover", turnover)
        df.insert(df.columns.get_loc("innovation_turnover") + 1, "valuation", turnover * p.valuation_multiple)
        return df


__all__ = ["Host", "Simulation"]
