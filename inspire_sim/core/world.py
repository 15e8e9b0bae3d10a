"""The world: every piece of state the phases work on, and the typed events they return.

:class:`World` sits below :mod:`inspire_sim.core.model` and the policies: it holds the SME and
actor arrays, the running projects, the random streams, the parameters, the countries
with the real SME populations they stand for, and the policies. It has no behaviour:
the phases (:mod:`inspire_sim.core.lifecycle`, :mod:`inspire_sim.core.matching`) change it and
return small event records of what happened; the recorder (:mod:`inspire_sim.core.metrics`)
only reads the world and the events.

Clock: ``world.clock`` counts simulated months from 0, burn-in included; the month every
phase, hook, time stamp, project and output uses is the reporting month
``world.month = clock - burn_in`` (negative during the burn-in; random streams accept
negative months).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from .projects import ProjectBook
from .runparams import ParamView, RunParams
from .state import ActorArrays, SMEArrays
from .streams import BatchStreams

if TYPE_CHECKING:
    from .geography import Geography
    from .params import ModelParams
    from .policies import Policy
    from .scenario import Scenario


@dataclass
class CandidateIndex:
    """Actors sorted by (type, country) for drawing chance encounters."""

    by_tc: np.ndarray  # actor indices sorted by (type, country)
    tc_cnt: np.ndarray  # (types, countries) actor counts
    tc_off: np.ndarray  # (types, countries) offsets into by_tc
    type_cnt: np.ndarray  # actors per type
    type_off: np.ndarray  # offset of each type
    encounter_cum: np.ndarray  # (sectors, types) cumulative encounter shares of the partner types by sector
    tr_cnt: np.ndarray = field(default_factory=lambda: np.zeros((4, 0), dtype=np.int64))  # (types, regions)
    tr_off: np.ndarray = field(default_factory=lambda: np.zeros((4, 0), dtype=np.int64))  # offsets into by_tc
    run_stride: int = 0  # entries of by_tc per run: run r's index is by_tc[r * run_stride : (r + 1) * run_stride]


class RunCounters:
    """Event tallies of each run of a batch: ``counters[name]`` is an (R,) array (zeros if never counted)."""

    def __init__(self, runs: int) -> None:
        self.runs = runs
        self._v: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        v = self._v.get(name)
        return v if v is not None else np.zeros(self.runs, dtype=np.int64)

    def __contains__(self, name: str) -> bool:
        return name in self._v

    def names(self) -> list[str]:
        return list(self._v)

    def add(self, name: str, values: np.ndarray | float) -> None:
        """Add ``values`` (one per run, or one number for every run) to tally ``name``."""
        v = np.asarray(values)
        if v.shape != (self.runs,):
            v = np.full(self.runs, v)
        old = self._v.get(name)
        self._v[name] = v.copy() if old is None else old + v

    def count(self, name: str, run: np.ndarray) -> None:
        """Count one event per entry of ``run`` (the run of each event) in tally ``name``."""
        if self.runs == 1:
            self.add(name, np.array([len(run)], dtype=np.int64))
        else:
            self.add(name, np.bincount(np.asarray(run, dtype=np.int64), minlength=self.runs))

    def clear(self) -> None:
        self._v.clear()


@dataclass
class World:
    """The state of a batch of R runs of one scenario (no behaviour); R = 1 is a single run.

    Runs are stacked: SME rows ``[r * n_run, (r + 1) * n_run)`` and partner actors
    ``n + [r * p_run, (r + 1) * p_run)`` belong to run ``r`` (``sme_run``, ``actor_run``). Runs
    never meet: candidates, budgets, capacities and indicators are per run, and every run
    draws from its own random streams, so each run is the run it would be alone.
    """

    scenario: Scenario
    params: ModelParams
    streams: BatchStreams
    chem_key: np.ndarray  # (R,) pair-chemistry key per run
    country_names: list[str]
    strength: np.ndarray  # innovation-system strength per country
    innovation_share: np.ndarray  # share of innovation-active SMEs per country
    distance: np.ndarray  # (C, C) cultural distance
    region_names: list[str]
    region_country: np.ndarray
    geo: Geography  # regions (strength, group, neighbours) and sectors (cooperation, partner mix)
    represented: np.ndarray  # real SMEs each country stands for
    simulated: np.ndarray  # simulated SMEs per country
    weight: np.ndarray  # real SMEs per simulated SME, per country
    domestic_prob: np.ndarray  # (R, C) probability that a chance encounter is domestic, per run and country
    log_pool: np.ndarray  # (C,) log home-market size against the SME-weighted geometric mean (rules.relative_pool)
    shared_language: np.ndarray  # (C, C) countries that share an official language
    n: int  # SME slots (all runs)
    m: int  # actors (SMEs + partners, all runs)
    sme: SMEArrays
    actors: ActorArrays
    index: CandidateIndex
    projects: ProjectBook
    culture_persona: np.ndarray  # (R, C, d) culture of each country, per run (drawn at initialisation)
    sector_vision: np.ndarray  # (R, sectors, d)
    panel_rows: np.ndarray
    burn_in: int
    total_budget: float | None
    run_params: RunParams | None = None  # per-run parameter values (None: a single run)
    run_scenarios: list[Scenario] = field(default_factory=list)  # each run's scenario (a batch of design points)
    runs: int = 1  # R
    n_run: int = 0  # SMEs per run
    p_run: int = 0  # partners per run
    sme_run: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # (n,) run of each SME row
    actor_run: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # (m,) run of each actor
    next_uid: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # (R,) next unique_id
    policies: list[Policy] = field(default_factory=list)
    clock: int = 0
    counters: RunCounters = field(default_factory=lambda: RunCounters(1))  # event tallies per run
    plan_spent: np.ndarray = field(default_factory=lambda: np.zeros(1))  # (R,) real EUR spent in reporting months
    spend_month: np.ndarray = field(default_factory=lambda: np.zeros((0, 1, 0)))  # (policies, R, countries) EUR
    spend_events: list[tuple[int, np.ndarray, np.ndarray]] = field(default_factory=list)  # this month's bookings:
    # (policy index, SME rows sorted by run, real EUR each); the recorder tallies them by region and sector
    pt_by_stage: np.ndarray = field(default_factory=lambda: np.zeros((1, 0, 0), dtype=np.int64))  # (R, types, stages)
    scaling_by_country: np.ndarray = field(default_factory=lambda: np.zeros((1, 0), dtype=np.int64))  # (R, countries)

    @property
    def n_countries(self) -> int:
        return len(self.country_names)

    @property
    def month(self) -> int:
        """The reporting month of the clock (negative during burn-in)."""
        return self.clock - self.burn_in

    @property
    def mean_weight(self) -> float:
        """Real SMEs per simulated SME over all countries (the ``*_real`` indicators' factor)."""
        return float(self.represented.sum() / self.n_run)

    def param_view(self, run: np.ndarray | int) -> ModelParams | ParamView:
        """The model parameters at rows of runs ``run``: the parameters themselves when the runs share them all."""
        rp = self.run_params
        if rp is None or not rp.varying:
            return self.params
        return rp.view(run)

    def sme_rows(self, run: int) -> slice:
        """The SME rows (and SME actors) of run ``run``."""
        return slice(run * self.n_run, (run + 1) * self.n_run)

    def partner_rows(self, run: int) -> slice:
        """The partner actors of run ``run``."""
        return slice(self.n + run * self.p_run, self.n + (run + 1) * self.p_run)

    def run_of(self, actors: np.ndarray) -> np.ndarray:
        """The run of each actor index."""
        return self.actor_run[np.asarray(actors, dtype=np.int64)]

    def segment_sums(self, run: np.ndarray, values: np.ndarray) -> np.ndarray:
        """(R,) sums of ``values`` per run, each run's segment summed by ``np.sum`` as it would be alone.

        ``run`` (the run of each value) must be sorted, i.e. each run's values contiguous.
        """
        if self.runs == 1:
            return np.array([np.sum(values)])
        bounds = np.searchsorted(run, np.arange(self.runs + 1)).tolist()
        values, add = np.asarray(values), np.add.reduce  # what np.sum calls, without its per-call overhead
        return np.array([add(values[lo:hi], axis=None) for lo, hi in pairwise(bounds)])

    def run_sums(self, run: np.ndarray, values: np.ndarray | None = None) -> np.ndarray:
        """(R,) per-run counts of ``run`` entries, or sums of ``values`` (in order: a batch-invariant sum)."""
        return np.bincount(np.asarray(run, dtype=np.int64), weights=values, minlength=self.runs)


@dataclass
class CandidateSet:
    """Candidate partners of this month's seekers, built up by chance, trust and intermediaries.

    ``blocks`` are (S, k) actor indices (-1: none); each block has a friction share removed
    per seeker (``reduction``) and the index of the policy that introduced it (-1: none).
    """

    seekers: np.ndarray
    run: np.ndarray  # run of each seeker (sorted, like the seekers)
    home: np.ndarray  # country of each seeker
    stage: np.ndarray  # stage of each seeker
    priority: np.ndarray  # uniform per seeker: order in intermediaries' queues (CRN)
    blocks: list[np.ndarray] = field(default_factory=list)
    reductions: list[np.ndarray] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)
    persons: list[np.ndarray | None] = field(default_factory=list)
    served: dict[str, np.ndarray] = field(default_factory=dict)

    def add(
        self,
        actors: np.ndarray,
        *,
        reduction: np.ndarray | float = 0.0,
        source: int = -1,
        persons: np.ndarray | None = None,
    ) -> None:
        """Append a block of candidates (S, k); ``reduction`` per seeker or scalar.

        ``persons`` (S, k), optional: which of the real people an actor stands for the
        seeker meets (0: the actor's own; ``k > 0``: another real organisation or manager
        of the same kind). It keys the pair chemistry, so an intermediary screening a small
        simulated pool meets as many distinct people as in a large one (see :func:`person_ids`).
        """
        self.blocks.append(actors)
        self.persons.append(persons)
        red = np.broadcast_to(np.asarray(reduction, dtype=float), (len(self.seekers),))
        self.reductions.append(np.repeat(red[:, None], actors.shape[1], axis=1))
        self.sources.append(source)

    def unserved(self, service: str) -> np.ndarray:
        """Mask of seekers not yet served this month by an intermediary offering ``service``."""
        return ~self.served.get(service, np.zeros(len(self.seekers), dtype=bool))

    def mark_served(self, service: str, mask: np.ndarray) -> None:
        self.served[service] = ~self.unserved(service) | mask

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(actor, reduction, source, person) as (S, K) arrays over all blocks."""
        actor = np.hstack(self.blocks)
        red = np.hstack(self.reductions)
        src = np.hstack([np.full(b.shape, s, dtype=np.int64) for b, s in zip(self.blocks, self.sources, strict=True)])
        person = np.hstack(
            [
                np.zeros(b.shape, dtype=np.int64) if p is None else p
                for b, p in zip(self.blocks, self.persons, strict=True)
            ]
        )
        return actor, red, np.where(actor >= 0, src, -1), person


PERSON_SHIFT = np.uint64(40)


def repeat_index(actors: np.ndarray) -> np.ndarray:
    """Per row, how many times each entry's actor already appeared to its left (0 for the first)."""
    order = np.argsort(actors, axis=1, kind="stable")
    srt = np.take_along_axis(actors, order, axis=1)
    pos = np.broadcast_to(np.arange(actors.shape[1]), actors.shape)
    start = np.ones(actors.shape, dtype=bool)
    start[:, 1:] = srt[:, 1:] != srt[:, :-1]
    first = np.maximum.accumulate(np.where(start, pos, 0), axis=1)
    out = np.empty(actors.shape, dtype=np.int64)
    np.put_along_axis(out, order, pos - first, axis=1)
    return out


def person_ids(uid: np.ndarray, person: np.ndarray) -> np.ndarray:
    """Chemistry identity of the real person met: the actor's id, or a distinct id per ``person > 0``.

    A simulated actor stands for ``weight`` real ones; meeting "another" of them is keyed
    ``uid + person << 40`` (Mesa ids stay far below 2**40).
    """
    return np.asarray(uid, dtype=np.uint64) + (np.asarray(person, dtype=np.uint64) << PERSON_SHIFT)


# ---------------------------------------------------------------------------------- events
@dataclass
class Upkeep:
    """Phase 2: exits this month (their slots now hold entrants) and latent value surfaced."""

    exits: np.ndarray  # SME slots whose occupant left (replaced)
    latent_surfaced: int = 0


@dataclass
class Matches:
    """Phase 3: this month's search and the partnerships formed (columns of new projects)."""

    seekers: np.ndarray  # (R,) SMEs that searched, per run
    chem_candidates_sum: np.ndarray  # (R,) chemistry summed over valid candidate pairs
    chem_candidates_n: np.ndarray  # (R,) valid candidate pairs
    new: dict[str, np.ndarray]

    @property
    def n_new(self) -> int:
        return len(self.new["lead"])


@dataclass
class Resolutions:
    """Phase 4: projects resolved this month."""

    lead: np.ndarray  # lead SME slot of each resolved project
    success: np.ndarray  # bool per resolved project
    false_failure: np.ndarray  # bool per resolved project

    @property
    def successes(self) -> int:
        return int(self.success.sum())

    @property
    def failures(self) -> int:
        return int((~self.success).sum())


@dataclass
class Transitions:
    """Phase 5: SMEs that changed stage this month."""

    to_development: np.ndarray
    to_scaling: np.ndarray
    to_commercialisation: np.ndarray


@dataclass
class MonthEvents:
    """Everything the phases report for one month (read by the recorder)."""

    month: int  # reporting month
    upkeep: Upkeep
    matches: Matches
    resolutions: Resolutions
    transitions: Transitions
    extra: dict[str, Any] = field(default_factory=dict)


__all__ = [
    "CandidateIndex",
    "CandidateSet",
    "Matches",
    "MonthEvents",
    "Resolutions",
    "RunCounters",
    "Transitions",
    "Upkeep",
    "World",
]
