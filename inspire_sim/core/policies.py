"""Policy levers as plug-ins: the :class:`Policy` base with its hooks, and the lever registry.

A lever is one pydantic params class (a :class:`~inspire_sim.core.params.PolicyParams`
subclass: the lever's parameters in a scenario's ``[[policies]]`` entry) plus one
:class:`Policy` subclass (its behaviour), registered together with :func:`register_lever`.
The shipped levers live in :mod:`inspire_sim.levers`, one module each. A user lever is
named in a scenario by its import path, ``kind = "mypkg.levers:MyLever"`` (the module is
imported where the scenario is validated or the model built, so worker processes resolve
it themselves).

The registry lives here, with the base class, so that the core validates a scenario's policies
and builds them without importing any lever; it is filled where the levers load:
:mod:`inspire_sim.levers.registry` imports the shipped lever modules (their decorators register
them) and records them with :func:`declare_shipped`. Lever authors import this API from
:mod:`inspire_sim.levers` (``Policy``, ``lever``, ``PolicyParams``, ``param``, ``Role``).

Hooks receive ``month``, the reporting month (negative during the burn-in), in which a
scenario's ``start``/``end`` are written and every time stamp is kept.

The phases call the hooks below on every policy without knowing which lever it is (in
the spirit of Starsim's interventions). Every hook has a neutral default, so a lever
overrides only what it does:

==========================  ===========================================================
hook                        called in
==========================  ===========================================================
``open_month``              phase 1 (policies): reset the month's account, ``settle``, act
``settle``                  phase 1, every month: settle past awards (release expired grants)
``subsidy``                 phase 3 (search): EUR each SME holds toward its next project
``search_intent``           phase 3 (search): least monthly search probability per SME (a grant holder's)
``add_candidates``          phase 3 (candidates): introductions by intermediaries
``on_projects_started``     phase 3 (start): EUR co-funded per new project; marks take-up
``confidence_recovery``     phase 2 (upkeep): multiplier on confidence recovery
``on_entry``                phase 2 (entry): reset per-SME state of new entrants
==========================  ===========================================================

Take-up: every service a policy awards to an SME is recorded (:meth:`Policy.award`); it
counts as *used* when the SME starts a project within ``use_window`` months (levers that
introduce partners count only projects with a partner they introduced). A trial
(:mod:`inspire_sim.analyses.trial`) can put a :class:`Lottery` on a policy: applicants that would
be served are drawn into treatment (served) or control (not served).

Budgets are real EUR for the represented population and capacities real SMEs served per
month; a policy converts them to simulated units with the country weights of the world
(real SMEs per simulated SME), rounding stochastically from its own named stream.

Batches of runs. A :class:`~inspire_sim.core.world.World` may hold R runs of one scenario stacked
in one set of arrays (SME rows of run ``r``: ``world.sme_rows(r)``; ``world.sme_run`` the run
of each row), and every run must come out bit-identical to the same run alone. A policy's
per-SME arrays are (n,) over all runs; its per-run accounts are (R,) arrays
(``spent_total``, ``spent_month``, ``budget_carry``, ``budget_bound``, ``awarded_month``,
``used_month``) and its per-country ones (R, C) (``served_month``, ``capacity_month``).
The engine batches a scenario only if every lever class in it sets ``batchable = True``;
otherwise it runs those runs one by one (R = 1), so a lever written for single runs keeps
working unchanged. A batchable lever must:

- draw its randomness per run: :meth:`Policy.random` (one uniform per SME row, each run from
  its own stream) instead of ``self.rng(...).random(world.n)`` (:meth:`Policy.rng` is run 0's
  generator only), ``world.streams.random_runs`` for draws not per SME, and
  ``world.streams.uniform(name, month, world.sme_run[rows], uids, k)`` for hash uniforms;
- keep runs apart wherever it orders, ranks, caps or sums: order by (run, priority)
  (:meth:`Policy.order`), pass such orders to :meth:`Policy.within_budget` and
  :meth:`Policy.serve`/:func:`pick_per_country` (caps per run and country), book money only
  through :meth:`Policy.charge` (rows sorted by run; each run's order as alone), count with
  ``world.counters.count(name, world.sme_run[rows])``;
- read behavioural model parameters at the rows it works on, ``world.param_view(run_of_rows)``
  (the runs of a batch may be design points that differ in them; ``world.params`` refuses to
  give one number for a parameter that differs), and its own numeric parameters with
  :meth:`Policy.value` (``self.value("grant_size", world.sme_run[rows])``; ``self.spec``
  refuses those that differ between the runs); next to float32 state, wrap such per-row
  values in :func:`~inspire_sim.core.rules.weak`, which casts them as numpy casts a Python number;
- treat anything that was one number per run as an (R,) array (per country: (R, C)), and never
  compute a run's quantity from another run's rows (no global cumulative sums, maxima or
  means over the batch).

Every shipped lever is batchable; ``tests/test_batch_policies.py`` shows how to check that a
lever's runs in a batch are its runs alone.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ..errors import InputError, unknown_key_fix
from .params import PolicyParams
from .regions import GROUPS
from .state import NO_STEP, IntermediaryKind

if TYPE_CHECKING:
    from .agents import Intermediary
    from .world import CandidateSet, World

LEVER_PARAMS: dict[str, type[PolicyParams]] = {}
"""Params class of every registered lever, by kind (read by the scenario and the parameter table)."""
LEVER_POLICIES: dict[str, type[Policy]] = {}
"""Policy class of every registered lever, by kind."""
_ALIASES: dict[str, str] = {}  # import path "module:Name" -> registered kind
_SHIPPED: tuple[str, ...] | None = None  # kinds of the shipped levers, once inspire_sim.levers has loaded them


def register_lever(params_cls: type[PolicyParams], policy_cls: type[Policy]) -> type[Policy]:
    """Register a lever: its params class and its policy class, under ``policy_cls.kind``.

    ``params_cls`` must be a :class:`~inspire_sim.core.params.PolicyParams` subclass whose
    ``kind`` field accepts the names the lever is written with in scenarios.
    """
    kind = policy_cls.kind
    if not kind:
        raise ValueError(f"{policy_cls.__name__}.kind must name the lever")
    if not issubclass(params_cls, PolicyParams):
        raise TypeError(f"{params_cls.__name__} must subclass inspire_sim.levers.PolicyParams")
    LEVER_PARAMS[kind] = params_cls
    LEVER_POLICIES[kind] = policy_cls
    policy_cls.params_cls = params_cls
    for cls in (params_cls, policy_cls):
        _ALIASES[f"{cls.__module__}:{cls.__name__}"] = kind
    return policy_cls


def declare_shipped(kinds: tuple[str, ...]) -> tuple[str, ...]:
    """Record ``kinds`` as the shipped levers (called once, by :mod:`inspire_sim.levers` after loading them)."""
    global _SHIPPED
    _SHIPPED = tuple(kinds)
    return _SHIPPED


def shipped_kinds() -> tuple[str, ...]:
    """Kinds of the shipped levers, in registration order (their ``spend_*`` columns always exist).

    Importing any part of ``inspire_sim`` loads them first (the package imports
    :mod:`inspire_sim.levers`); reading this before that is a programming error, and says so.
    """
    if _SHIPPED is None:
        raise RuntimeError("the shipped levers are not loaded yet: import inspire_sim.levers first")
    return _SHIPPED


def unregister_lever(kind: str) -> None:
    """Remove a registered lever (and its import-path aliases); shipped levers stay registered."""
    if kind in shipped_kinds():
        raise ValueError(f"{kind} is a shipped lever")
    LEVER_PARAMS.pop(kind, None)
    LEVER_POLICIES.pop(kind, None)
    for alias in [a for a, k in _ALIASES.items() if k == kind]:
        del _ALIASES[alias]


def lever(params_cls: type[PolicyParams]):
    """Class decorator: ``@lever(MyParams)`` on a :class:`Policy` subclass registers both."""

    def deco(policy_cls: type[Policy]) -> type[Policy]:
        return register_lever(params_cls, policy_cls)

    return deco


def resolve_kind(kind: str) -> str:
    """The registered kind of ``kind``: a registered name, or ``"module:Name"`` (imported on demand).

    Raises :class:`InputError` naming the known levers when nothing matches.
    """
    if kind in LEVER_POLICIES:
        return kind
    if kind in _ALIASES:
        return _ALIASES[kind]
    if ":" in kind:
        module, _, name = kind.partition(":")
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            raise InputError(
                f"cannot import lever module {module!r} ({exc})",
                field="kind",
                fix="put the module on PYTHONPATH (or install it) and name the lever as 'module:Class'",
            ) from None
        obj = getattr(mod, name, None)
        key = f"{getattr(obj, '__module__', module)}:{getattr(obj, '__name__', name)}"
        if key in _ALIASES:
            _ALIASES[kind] = _ALIASES[key]
            return _ALIASES[kind]
        raise InputError(
            f"{kind!r} is not a registered lever",
            field="kind",
            fix="decorate the policy class with @inspire_sim.levers.lever(ParamsClass) in that module",
        )
    raise InputError(f"unknown policy kind {kind!r}", field="kind", fix=unknown_key_fix(kind, LEVER_POLICIES))


def lever_kinds() -> list[str]:
    """Kinds of the registered levers, shipped ones first, in registration order."""
    return list(LEVER_POLICIES)


@dataclass
class Lottery:
    """A randomised trial on one policy: eligible applicants are drawn into treatment or control.

    ``share``: probability of treatment (fixed per SME from its id: the stream
    ``lottery:<index>``). ``withhold``: serve nobody (the twin without the service), but
    keep recording who would have been treated. ``group`` per SME slot: 0 never an
    applicant, 1 treatment, 2 control, -1 an entrant in a slot whose SME left; ``first``
    the reporting month of first assignment.
    """

    share: float
    withhold: bool
    group: np.ndarray
    first: np.ndarray
    awarded_at: np.ndarray  # reporting month of the first award in the trial (NO_STEP: never)
    used_any: np.ndarray  # bool: an award led to a project

    @classmethod
    def for_smes(cls, n: int, share: float, withhold: bool) -> Lottery:
        """A fresh lottery over ``n`` SME slots."""
        return cls(
            share=share,
            withhold=withhold,
            group=np.zeros(n, dtype=np.int8),
            first=np.full(n, NO_STEP, dtype=np.int32),
            awarded_at=np.full(n, NO_STEP, dtype=np.int32),
            used_any=np.zeros(n, dtype=bool),
        )


def stochastic_round(x: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Round ``x`` down or up at random so that the expectation is ``x`` (``u`` uniform(0, 1))."""
    lo = np.floor(x)
    return (lo + (u < (x - lo))).astype(np.int64)


def _pick_positions(
    country: np.ndarray, caps: np.ndarray, priority: np.ndarray, run: np.ndarray | None = None
) -> np.ndarray:
    """Positions chosen: at most ``caps[c]`` per country, lowest ``priority`` first (unsorted).

    With ``run`` (the run of each position in a batch), ``caps`` is (R, C) and the cap holds
    per (run, country): each run's choice is the one it makes alone. The positions come in
    (run, country, priority) order.
    """
    if run is None:
        order = np.lexsort((priority, country))
        key = country[order]
        cap = caps[key]
    else:
        group = np.asarray(run, dtype=np.int64) * caps.shape[-1] + country
        order = np.lexsort((priority, group))
        key = group[order]
        cap = caps.reshape(-1)[key]
    rank = np.arange(len(order)) - np.searchsorted(key, key, side="left")
    return order[rank < cap]


def pick_per_country(
    candidates: np.ndarray,
    country: np.ndarray,
    caps: np.ndarray,
    priority: np.ndarray,
    limit: int | np.ndarray | None = None,
    run: np.ndarray | None = None,
) -> np.ndarray:
    """Choose among ``candidates`` at most ``caps[c]`` per country, lowest priority first.

    ``country`` and ``priority`` are indexed like ``candidates``. If ``limit`` is given,
    at most that many in total (again by priority). Returns the chosen candidates (in the
    order given). In a batch, ``run`` gives the run of each candidate, ``caps`` is (R, C)
    and ``limit`` one number or one per run: every run chooses among its own candidates
    as it would alone.
    """
    if len(candidates) == 0:
        return candidates
    chosen = _pick_positions(country, caps, priority, run)
    if limit is not None and run is None:
        if len(chosen) > limit:
            chosen = chosen[np.argsort(priority[chosen], kind="stable")[: max(int(limit), 0)]]
    elif limit is not None:
        r = np.asarray(run, dtype=np.int64)[chosen]
        by = np.lexsort((priority[chosen], r))
        chosen, r = chosen[by], r[by]
        rank = np.arange(len(r)) - np.searchsorted(r, r, side="left")
        chosen = chosen[rank < np.broadcast_to(np.asarray(limit), (caps.shape[0],))[r]]
    return candidates[np.sort(chosen)]


class Policy:
    """Base class: targeting, time window, budget, spend accounting and the hooks.

    Subclasses set ``kind`` (the lever's name), optionally ``intermediary_kind`` (the
    Mesa :class:`~inspire_sim.core.agents.Intermediary` agents that deliver the service, one
    per targeted country, in a single Mesa run only) and override the hooks they need.
    A lever that keeps the runs of a batch apart sets ``batchable = True`` (see the module
    docstring for what that takes).
    """

    kind: str = ""
    intermediary_kind: IntermediaryKind | None = None
    params_cls: type[PolicyParams] = PolicyParams
    batchable: bool = False
    """Whether the lever is written for a batch of runs (module docstring); the engine runs a
    scenario with any non-batchable lever one run at a time."""
    serves_smes: bool = True
    """Whether the lever serves individual SMEs (has take-up; a trial can randomise it)."""
    use_window: int = 12
    """Months after an award within which a project start counts as using the service."""
    introduces_partners: bool = False
    """Whether a service is used only by a project with a partner this policy introduced."""

    def __init__(self, spec: PolicyParams, world: World, index: int) -> None:
        self.index = index
        self.runs = runs = int(world.runs)
        by_run = world.run_scenarios
        self.specs: list[PolicyParams] = [sc.policies[index] for sc in by_run] if runs > 1 and by_run else [spec]
        """Each run's parameters of this measure (one entry when the runs share them)."""
        self.varying: dict[str, np.ndarray] = _varying_values(self.specs)
        """Numeric lever parameters that differ between the runs of a batch (design points), per run."""
        self.spec = cast(PolicyParams, _SpecGuard(spec, self.varying)) if self.varying else spec
        if runs > 1 and len(world.sme_run) != world.n:
            raise ValueError("a batch World needs world.sme_run (the run of each SME row) before its policies")
        self._sme_run = world.sme_run  # run of each SME slot (entrants keep their slot's run)
        n_c = len(world.country_names)
        if spec.countries == "all":
            self.country_mask = np.ones(n_c, dtype=bool)
        else:
            self.country_mask = np.isin(world.country_names, spec.countries)
        mask = self.country_mask[world.actors.country[: world.n]]
        if spec.regions:
            mask &= np.isin(world.sme.region, [world.region_names.index(r) for r in spec.regions])
        if spec.region_groups:
            groups = [GROUPS.index(g) for g in spec.region_groups]
            mask &= np.isin(np.asarray(world.geo.region_group)[world.sme.region], groups)
        if spec.sectors:
            mask &= np.isin(world.sme.sector, [world.params.sectors.index(s) for s in spec.sectors])
        self.sme_mask = mask  # SME slots keep country, region and sector on entry
        # per-run accounts: (R,), per run and country (R, C); per SME slot (n,)
        self.spent_total = np.zeros(runs)  # paid, real EUR
        self.spent_month = np.zeros(runs)  # paid or committed this month (against the monthly budget)
        self.outstanding = np.zeros(runs)  # committed, not yet paid
        self.budget_carry = np.zeros(runs)  # unspent remainder of a binding monthly budget (less than one service)
        self.budget_bound = np.zeros(runs, dtype=bool)  # whether this month's budget stopped service
        self.served_month = np.zeros((runs, n_c), dtype=np.int64)
        self.served_at = np.full(world.n, NO_STEP, dtype=np.int32)  # month of the last award per SME slot
        self.used = np.zeros(world.n, dtype=bool)  # the last award led to a project
        self.awarded_month = np.zeros(runs, dtype=np.int64)  # services awarded this month
        self.used_month = np.zeros(runs, dtype=np.int64)  # awards first used this month
        self.lottery: Lottery | None = None
        self.capacity_month = np.zeros((runs, n_c), dtype=np.int64)
        self.capacity_credit = np.zeros((runs, n_c))  # token bucket of services (scaled_capacity)
        self.intermediaries: list[Intermediary] = []  # Mesa agents: single runs only (empty in a batch)

    # ------------------------------------------------------------------ basics
    def value(self, name: str, run: np.ndarray | None = None, default: Any = None) -> Any:
        """Lever parameter ``name``: the number the runs share, or each run's value.

        When the runs of a batch differ in it: the (R,) values, or with ``run`` (the run of
        some rows) the value of each row's run. ``default`` if the lever has no such parameter.
        """
        values = self.varying.get(name)
        if values is None:
            return getattr(self.specs[0], name, default)
        return values if run is None else values[run]

    def spec_of(self, run: int) -> PolicyParams:
        """Run ``run``'s parameters of this measure."""
        return self.specs[run] if len(self.specs) > 1 else self.specs[0]

    @property
    def name(self) -> str:
        return self.spec.label or self.kind

    def active(self, month: int) -> bool:
        """Whether the measure runs in reporting month ``month`` (0-based; burn-in months are negative).

        A measure with ``start = 0`` is in place when reporting starts, so it also runs during
        the burn-in (outputs and plan effects then leave out its ramp-up); measures starting
        later are switched on in their reporting month. Spending in the burn-in is not
        reported and does not count against budgets.
        """
        if month < 0:
            return self.spec.start == 0
        end = self.spec.end if self.spec.end is not None else math.inf
        return self.spec.start <= month < end

    def rng(self, world: World, what: str, month: int) -> np.random.Generator:
        """This policy's named stream for ``what`` in ``month`` (policy index in the name: CRN per measure).

        For levers written for single runs. A batchable lever draws with :meth:`random` (one
        number per SME row, every run from its own stream); in a batch this raises, as one
        generator would hand every run run 0's numbers.
        """
        if world.runs > 1:
            raise RuntimeError(
                f"{type(self).__name__}.rng() in a batch of {world.runs} runs: draw with self.random(world, what, "
                "month) or world.streams.get(name, month, run=r) per run"
            )
        return world.streams.get(f"policy:{self.kind}:{self.index}:{what}", month)

    def stream_name(self, what: str = "") -> str:
        """This policy's stream ``what``: ``policy:<kind>:<index>:<what>`` (``""``: ``policy:<kind>:<index>``)."""
        base = f"policy:{self.kind}:{self.index}"
        return f"{base}:{what}" if what else base

    def random(self, world: World, what: str, month: int) -> np.ndarray:
        """One uniform(0, 1) per SME row from this policy's stream ``what`` (:meth:`stream_name`) in ``month``.

        Each run of a batch draws its rows from its own stream, as it would alone; for a
        single run this is ``world.streams.get(stream_name(what), month).random(world.n)``.
        """
        return world.streams.random(self.stream_name(what), month)

    def order(self, world: World, rows: np.ndarray, priority: np.ndarray) -> np.ndarray:
        """SME ``rows`` sorted by (run, ``priority``): each run's rows in the (stable) order it gives alone."""
        if self.runs == 1:
            return rows[np.argsort(priority, kind="stable")]
        return rows[np.lexsort((priority, self._sme_run[rows]))]

    def count_by_run(self, rows: np.ndarray) -> np.ndarray:
        """(R,) number of SME ``rows`` in each run."""
        if self.runs == 1:
            return np.array([len(rows)], dtype=np.int64)
        return np.bincount(self._sme_run[rows], minlength=self.runs).astype(np.int64)

    def count_by_run_country(self, world: World, rows: np.ndarray) -> np.ndarray:
        """(R, C) number of SME ``rows`` per run and country."""
        country = world.actors.country[rows].astype(np.int64)
        n_c = world.n_countries
        if self.runs == 1:
            return np.bincount(country, minlength=n_c)[None, :]
        return np.bincount(self._sme_run[rows] * n_c + country, minlength=self.runs * n_c).reshape(self.runs, n_c)

    def budget_left(self, world: World) -> np.ndarray:
        """(R,) real EUR that each run may still spend or commit this month (this measure's caps and the plan's).

        Total caps count what is spent and what is committed but not yet paid (:meth:`commit`).
        """
        left = np.full(self.runs, math.inf)
        cap = world.total_budget
        if cap is not None:
            committed = sum((p.outstanding for p in world.policies), np.zeros(self.runs))
            left = np.minimum(left, np.maximum(cap - world.plan_spent - committed, 0.0))
        budget, total = self.value("budget_per_step"), self.value("total_budget")
        if budget is not None:
            left = np.minimum(left, budget + self.budget_carry - self.spent_month)
        if total is not None:
            left = np.minimum(left, total - self.spent_total - self.outstanding)
        return np.maximum(left, 0.0)

    def _budget_keep(self, world: World, ordered: np.ndarray, eur_each: np.ndarray) -> np.ndarray | slice:
        """Which of ``ordered`` the budget pays (index into ``ordered``); marks the runs it stopped."""
        left = self.budget_left(world)
        if self.runs == 1:
            if math.isinf(left[0]):
                return slice(None)
            first = int(np.searchsorted(np.cumsum(eur_each), left[0], side="right"))
            if first < len(ordered):
                self.budget_bound = np.ones(1, dtype=bool)
            return slice(0, first)
        run = self._sme_run[ordered]
        if np.any(run[1:] < run[:-1]):
            raise ValueError("within_budget: order the SMEs by run first (Policy.order)")
        counts = np.bincount(run, minlength=self.runs)
        pos = np.arange(len(ordered)) - (np.cumsum(counts) - counts)[run]
        # each run's cumulative cost over its own segment: a row-wise cumsum (sequential, as alone)
        padded = np.zeros((self.runs, int(counts.max())))
        padded[run, pos] = eur_each
        fits = np.cumsum(padded, axis=1)[run, pos] <= left[run]
        k = np.bincount(run[fits], minlength=self.runs)  # costs >= 0: the fitting ones are a prefix
        self.budget_bound = self.budget_bound | (k < counts)
        return pos < k[run]

    def within_budget(self, world: World, ordered: np.ndarray, eur_each: np.ndarray, month: int) -> np.ndarray:
        """The first SMEs of ``ordered`` whose real cost fits in the budget left this month.

        One simulated service costs ``weight`` times a real one, so a monthly budget rarely
        pays a whole number of them: the unspent remainder of a binding monthly budget carries
        over to the next month (:meth:`open_month`). Spending therefore equals the budget on
        average whatever the number of simulated SMEs, cumulative spending never exceeds
        ``months x budget_per_step``, and run-wide caps are never exceeded.

        In a batch ``ordered`` is sorted by (run, priority) (:meth:`order`) and ``eur_each``
        (>= 0) is indexed like it; each run keeps the first of its own SMEs that its budget pays.
        """
        if len(ordered) == 0:
            return ordered
        return ordered[self._budget_keep(world, ordered, eur_each)]

    def _totals(
        self, world: World, smes: np.ndarray, eur_each: float | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """(run, country, eur, SME rows) of the booked rows, sorted by run, and the (R,) totals; None if nothing.

        In a batch each run's total is summed as that run alone sums it (its rows in their order).
        """
        eur = np.broadcast_to(np.asarray(eur_each, dtype=float), smes.shape)
        country = world.actors.country[smes]
        if self.runs == 1:
            total = float(eur.sum())
            if total <= 0:
                return None
            return np.zeros(len(smes), dtype=np.int64), country, eur, smes, np.array([total])
        run = self._sme_run[smes]
        if np.any(run[1:] < run[:-1]):
            by = np.argsort(run, kind="stable")
            run, country, eur, smes = run[by], country[by], eur[by], smes[by]
        totals = world.segment_sums(run, eur)
        book = totals > 0
        if not book.any():
            return None
        rows = book[run]
        return run[rows], country[rows], eur[rows], smes[rows], np.where(book, totals, 0.0)

    def _book_spend(
        self, world: World, booked: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    ) -> None:
        """Record booked EUR as spending: the month's spend by country and its bookings (for regions and
        sectors), the measure's and the plan's totals."""
        run, country, eur, smes, totals = booked
        if self.runs == 1:
            np.add.at(world.spend_month[self.index, 0], country, eur)
        else:
            np.add.at(world.spend_month[self.index], (run, country), eur)
        world.spend_events.append((self.index, np.asarray(smes), np.array(eur, dtype=float)))
        self.spent_total = self.spent_total + totals
        world.plan_spent = world.plan_spent + totals

    def charge(self, world: World, smes: np.ndarray, eur_each: float | np.ndarray) -> None:
        """Book real EUR spent on ``smes`` (by their run and country) this month: a service paid when delivered.

        In a batch, ``smes`` should be sorted by run (each run's SMEs in the order its single
        run would book them); each run's total is summed as that run alone sums it.
        """
        booked = self._totals(world, smes, eur_each)
        if booked is None:
            return
        self.spent_month = self.spent_month + booked[4]
        self._book_spend(world, booked)

    def commit(self, world: World, smes: np.ndarray, eur_each: float | np.ndarray) -> None:
        """Commit real EUR to ``smes`` this month (a grant awarded, paid when used: :meth:`pay`).

        A commitment counts against this month's budget and, until paid or released, against
        the measure's and the plan's total budgets; it is not spending yet.
        """
        booked = self._totals(world, smes, eur_each)
        if booked is None:
            return
        self.spent_month = self.spent_month + booked[4]
        self.outstanding = self.outstanding + booked[4]

    def pay(self, world: World, smes: np.ndarray, eur_each: float | np.ndarray) -> None:
        """Pay out committed real EUR to ``smes`` now (a grant used): spending, no longer a commitment."""
        booked = self._totals(world, smes, eur_each)
        if booked is None:
            return
        self.outstanding = self.outstanding - booked[4]
        self._book_spend(world, booked)

    def release(self, world: World, smes: np.ndarray, eur_each: float | np.ndarray) -> None:
        """Release commitments of ``smes`` unused (grants expired): the money returns to this month's budget."""
        booked = self._totals(world, smes, eur_each)
        if booked is None:
            return
        self.outstanding = self.outstanding - booked[4]
        if self.value("budget_per_step") is not None:
            self.budget_carry = self.budget_carry + booked[4]

    def expected_capacity(self, world: World) -> np.ndarray:
        """(C,) or (R, C) simulated SMEs that may be served per country in a month, on average.

        ``capacity`` is real SMEs per month in all targeted countries together, shared by their
        real SMEs: each country's share / its weight (a fraction for a small simulated country).
        """
        real = self.value("capacity", default=0)
        # the targeted countries share the capacity by their real SMEs: country c gets
        # capacity x represented_c / represented_targeted real SMEs = that / weight_c simulated ones
        targeted = max(float(world.represented[self.country_mask].sum()), 1.0)
        per_real = np.where(self.country_mask, world.simulated / targeted, 0.0)
        # one capacity, or (R, C) when the runs of a batch differ in it
        return float(real) * per_real if np.ndim(real) == 0 else real.astype(float)[:, None] * per_real

    def scaled_capacity(self, world: World, month: int) -> np.ndarray:
        """(R, C) simulated SMEs that may be served per run and country this month.

        A token bucket per run and country: each month adds the expected capacity
        (:meth:`expected_capacity`), the bucket holds at most one month's capacity plus one
        service, and each service served takes one token. A small simulated country whose share
        is 0.2 of a service a month thus serves one SME when one asks, about every five months,
        as its real counterpart serves a few each month; rounding each month at random instead
        loses capacity whenever demand is low (the mean of min(demand, capacity) falls below
        min(demand, mean capacity)), so answers depended on the simulated population.
        """
        want = np.broadcast_to(self.expected_capacity(world), self.capacity_credit.shape)
        self.capacity_credit = np.minimum(self.capacity_credit + want, want + 1.0)
        return np.floor(self.capacity_credit + 1e-9).astype(np.int64)

    def reset_accounts(self, world: World, month_only: bool = False) -> None:
        """Zero the run-wide spending of every run: in each burn-in month (``month_only``), and after
        the burn-in (then the carried-over budget too), so that reporting months start with clean accounts."""
        self.spent_total = np.zeros(self.runs)
        if not month_only:
            self.budget_carry = np.zeros(self.runs)
            self.budget_bound = np.zeros(self.runs, dtype=bool)

    # ------------------------------------------------------------------ hooks
    def open_month(self, world: World, month: int) -> None:
        """Phase 1: reset the monthly account, give intermediaries capacity, act (if active)."""
        runs = self.runs
        budget = self.value("budget_per_step")
        if budget is None:
            self.budget_carry = np.zeros(runs)
        else:  # the unspent remainder of a binding budget carries over (per run)
            self.budget_carry = np.where(
                self.budget_bound, np.maximum(budget + self.budget_carry - self.spent_month, 0.0), 0.0
            )
        self.budget_bound = np.zeros(runs, dtype=bool)
        self.spent_month = np.zeros(runs)
        # last month's services took their tokens; a measure that is off holds none
        self.capacity_credit = np.maximum(self.capacity_credit - self.served_month, 0.0)
        self.served_month[:] = 0
        self.awarded_month = np.zeros(runs, dtype=np.int64)
        self.used_month = np.zeros(runs, dtype=np.int64)
        on = self.active(month)
        if on:
            self.capacity_month = self.scaled_capacity(world, month)
        else:
            self.capacity_month = np.zeros_like(self.capacity_month)
            self.capacity_credit = np.zeros_like(self.capacity_credit)
        for im in self.intermediaries:
            im.open_for(int(self.capacity_month[0, im.country]))
        self.settle(world, month)
        if on:
            self.apply(world, month)

    def settle(self, world: World, month: int) -> None:
        """Phase 1, every month whether active or not: settle past awards (e.g. release expired grants)."""

    def apply(self, world: World, month: int) -> None:
        """Lever-specific action in phase 1 (service levers act when SMEs search)."""

    def subsidy(self, world: World, month: int) -> np.ndarray | None:
        """EUR per SME slot that this lever pays toward the SME's next project (None: nothing)."""
        return None

    def search_intent(self, world: World, month: int) -> np.ndarray | None:
        """Phase 3: least probability per SME slot that it searches this month (None: no effect).

        E.g. an SME holding a grant looks for a partner to use it on. The SME must still be free,
        confident enough to search and able to pay its share.
        """
        return None

    def add_candidates(self, world: World, cands: CandidateSet, month: int) -> None:
        """Phase 3: add introductions to the seekers' candidates (``cands.add``)."""

    def on_projects_started(self, world: World, new: dict[str, np.ndarray], month: int) -> np.ndarray | None:
        """Phase 3: projects start (columns ``new``: ``lead``, ``introduced_by``...).

        Returns the EUR this lever pays toward each (or None). The base class marks take-up.
        """
        lead = new["lead"]
        if self.introduces_partners:
            lead = lead[new["introduced_by"] == self.index]
        recent = (self.served_at[lead] != NO_STEP) & (month - self.served_at[lead] <= self.use_window)
        self.mark_used(lead[recent])
        return None

    def confidence_recovery(self, world: World, month: int) -> np.ndarray | None:
        """Phase 2: multiplier on each SME's confidence recovery this month (None: no effect)."""
        return None

    def on_entry(self, world: World, rows: np.ndarray) -> None:
        """Phase 2: SME slots ``rows`` now hold new entrants (reset per-SME state; call super)."""
        self.served_at[rows] = NO_STEP
        self.used[rows] = False
        if self.lottery is not None:  # a new SME in the slot: out of the trial
            self.lottery.group[rows] = -1
            self.lottery.first[rows] = NO_STEP
            self.lottery.awarded_at[rows] = NO_STEP
            self.lottery.used_any[rows] = False

    # ------------------------------------------------------------------ take-up and trials
    def award(self, world: World, chosen: np.ndarray, month: int) -> None:
        """Record that ``chosen`` SMEs were awarded the service this month."""
        self.served_at[chosen] = month
        self.used[chosen] = False
        self.awarded_month += self.count_by_run(chosen)
        if self.lottery is not None:
            first = chosen[self.lottery.awarded_at[chosen] == NO_STEP]
            self.lottery.awarded_at[first] = month

    def mark_used(self, rows: np.ndarray) -> None:
        """Mark the awards of ``rows`` as used (each award counts once)."""
        rows = np.unique(rows[~self.used[rows]])
        self.used[rows] = True
        self.used_month += self.count_by_run(rows)
        if self.lottery is not None:
            self.lottery.used_any[rows] = True

    def draw_lottery(self, world: World, applicants: np.ndarray, month: int) -> np.ndarray:
        """Applicants that may be served: all without a trial; the treatment group (or nobody) with one."""
        lot = self.lottery
        if lot is None or len(applicants) == 0:
            return applicants
        run = 0 if self.runs == 1 else self._sme_run[applicants]
        u = world.streams.uniform(f"lottery:{self.index}", 0, run, world.actors.uid[applicants], 1)[:, 0]
        treated = u < lot.share
        new = lot.group[applicants] == 0
        lot.group[applicants[new]] = np.where(treated[new], 1, 2)
        lot.first[applicants[new]] = month
        keep = treated & (lot.group[applicants] == 1)  # entrants in a trial slot (group -1) are not served
        return np.zeros(0, dtype=applicants.dtype) if lot.withhold else applicants[keep]

    # ------------------------------------------------------------------ service delivery
    def serve_seekers(self, world: World, cands: CandidateSet, month: int) -> np.ndarray | None:
        """Serve this month's not-yet-served seekers (an introducing lever's first step).

        Returns the mask (over ``cands.seekers``) of the seekers served, already marked as served
        for this lever's kind, or None when the lever is off or served nobody.
        """
        if not self.active(month):
            return None
        seekers = cands.seekers
        pos = np.flatnonzero(cands.unserved(self.kind))
        served = np.isin(seekers, self.serve(world, seekers[pos], cands.priority[pos], month))
        if not served.any():
            return None
        cands.mark_served(self.kind, served)
        return served

    def serve(self, world: World, smes: np.ndarray, priority: np.ndarray, month: int) -> np.ndarray:
        """Serve some of ``smes`` within this month's capacity and budget, lowest ``priority`` first; charge.

        Capacity and budget hold per run (and country): each run of a batch serves its own SMEs
        as it would alone. Returns the SMEs served, sorted.
        """
        cost = self.value("cost_per_service", default=0.0)
        keep = self.sme_mask[smes]
        if self.lottery is not None:  # a trial: only its treatment group may be served
            keep[keep] = np.isin(smes[keep], self.draw_lottery(world, smes[keep], month))
        eligible, prio = smes[keep], priority[keep]
        country = world.actors.country[eligible].astype(np.int64)
        caps = np.maximum(self.capacity_month - self.served_month, 0)
        if len(eligible) == 0:
            pos = np.zeros(0, dtype=np.int64)
        elif self.runs == 1:
            pos = _pick_positions(country, caps[0], prio)
            pos = pos[np.argsort(prio[pos], kind="stable")]
        else:
            run = self._sme_run[eligible]
            pos = _pick_positions(country, caps, prio, run)
            pos = pos[np.lexsort((prio[pos], run[pos]))]  # by (run, priority): each run's order alone
        ordered = eligible[pos]
        # one cost, or each row's run's cost (the runs of a batch may differ in it)
        cost = float(cost) if np.ndim(cost) == 0 else cost.astype(float)[self._sme_run[ordered]]
        eur = cost * world.weight[world.actors.country[ordered].astype(np.int64)]
        if np.any(cost > 0) and len(ordered):
            fits = self._budget_keep(world, ordered, eur)
            ordered, eur = ordered[fits], eur[fits]
        counts = self.count_by_run_country(world, ordered)
        self.served_month += counts
        for im in self.intermediaries:
            im.serve(int(counts[0, im.country]))
        self.charge(world, ordered, eur)
        self.award(world, ordered, month)
        return np.sort(ordered)


class _SpecGuard:
    """A measure's parameters when the runs of a batch differ in some: reading one of those as one
    number is refused (it would give every run run 0's value); :meth:`Policy.value` reads them per run."""

    def __init__(self, spec: PolicyParams, varying: dict[str, np.ndarray]) -> None:
        self._spec = spec
        self._varying = varying

    def __getattr__(self, name: str) -> Any:
        if name in self._varying:
            raise AttributeError(
                f"{self._spec.kind}.{name} differs between the runs of this batch: "
                f"read it with Policy.value({name!r}, run)"
            )
        return getattr(self._spec, name)


def _varying_values(specs: list[PolicyParams]) -> dict[str, np.ndarray]:
    """Numeric parameters that differ between the runs' specs of one measure, as (R,) arrays."""
    from .runparams import LEVER_STRUCTURAL

    out: dict[str, np.ndarray] = {}
    for name in type(specs[0]).model_fields:
        values = [getattr(s, name) for s in specs]
        if all(v == values[0] for v in values[1:]):
            continue
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        if name in LEVER_STRUCTURAL or not numeric:
            raise InputError(
                f"{specs[0].kind}.{name} differs between the runs of one batch",
                field=f"{specs[0].kind}.{name}",
                fix="batch only runs that share the measures' targeting, timing and budget kinds",
            )
        out[name] = np.array(values)
    return out


def unbatchable_levers(specs: list[PolicyParams]) -> list[str]:
    """Kinds of the levers of ``specs`` (a scenario's policies) that cannot run in a batch (``batchable`` False)."""
    return sorted({k for k in (resolve_kind(s.kind) for s in specs) if not LEVER_POLICIES[k].batchable})


def build_policies(world: World) -> list[Policy]:
    """Policy objects for the scenario's ``[[policies]]`` entries, in file order."""
    return [LEVER_POLICIES[resolve_kind(spec.kind)](spec, world, i) for i, spec in enumerate(world.scenario.policies)]


__all__ = [
    "LEVER_PARAMS",
    "LEVER_POLICIES",
    "Policy",
    "build_policies",
    "declare_shipped",
    "lever",
    "lever_kinds",
    "pick_per_country",
    "register_lever",
    "resolve_kind",
    "shipped_kinds",
    "stochastic_round",
    "unbatchable_levers",
    "unregister_lever",
]
