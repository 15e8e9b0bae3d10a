"""Agents: SME, Partner, Intermediary (Mesa agents) and the arrays holding their hot state.

Per-step work over many agents runs on numpy arrays (:class:`SMEArrays`,
:class:`ActorArrays`); the Mesa agent objects are thin views on those arrays, so they
stay usable the way Mesa users expect (``model.agents_by_type[SME]``, ``AgentSet.select``,
``agg``, reading ``sme.stage`` or ``sme.confidence``).

Index spaces: SME ``i`` (0..N-1) is also actor ``i``; non-SME partners are actors
``N..N+P-1``. Every actor (SME or partner) can be a candidate partner.

The view agents of a large model are created lazily (:class:`ViewAgents`): their
``unique_id`` s are reserved when the model is built and when entrants replace exits,
and the Python objects are made only when something looks at the model's agents
(``model.agents``, ``model.agents_by_type[SME]``, ``model.sme_agents[i]``, a
``DataCollector`` with agent reporters ...). Then every one of them is created at once,
with the ``unique_id`` it would have had, in the registries in the order eager creation
gives; from then on the model's agents are ordinary eager Mesa agents.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any, overload

import mesa
import numpy as np
from mesa.agentset import _HardKeyAgentSet
from mesa.experimental.mesa_signals import ModelSignals

from .state import (  # noqa: F401  (re-exported: the agents' kinds and state arrays)
    MARKET_STAGES,
    NO_STEP,
    RESOURCE_STAGES,
    ActorArrays,
    IntermediaryKind,
    PartnerType,
    SMEArrays,
    Stage,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .model import InspireModel


def create_views[A: mesa.Agent](model: mesa.Model, cls: type[A], attr: str, indices: Iterable[int]) -> list[A]:
    """Create one ``cls`` view agent per index (``agent.<attr> = index``), registered as ``cls(model, index)`` would.

    The agents get consecutive ``unique_id`` s from ``model.agent_id_counter`` in the order
    given and join ``model.agents`` and ``model.agents_by_type[cls]`` in that order, exactly
    as creating them one by one does, but in bulk (and with the cyclic garbage collector
    paused): Mesa's per-agent ``Agent.__init__`` (signal emission, logging) and repeated
    collections cost about 3 us per agent, i.e. 0.35 s for 113,000 SMEs and partners.
    When something observes the model's agent signals or a Mesa dataset tracks ``cls``,
    the agents are created one by one the ordinary way, so those observers see every agent.
    """
    if cls._datasets or model._has_subscribers("agents", ModelSignals.AGENT_ADDED):
        return [cls(model, int(i)) for i in indices]
    # the Model's own registries, filled in the order Model.register_agent fills them
    everyone = model._all_agents._agents
    by_type = model._agents_by_type.get(cls)
    if by_type is None:
        by_type = model._agents_by_type[cls] = _HardKeyAgentSet([], random=model.random)
    of_type = by_type._agents
    uid = int(model.agent_id_counter)
    agents: list[A] = []
    paused = gc.isenabled()  # the cyclic collector would scan the growing heap many times over
    gc.disable()
    try:
        for i in indices:
            agent = object.__new__(cls)
            # plain attribute stores in Agent.__init__'s order keep CPython's compact shared-key layout
            agent.model = model
            agent.unique_id = uid
            agent.pos = None
            setattr(agent, attr, int(i))
            everyone[agent] = None
            of_type[agent] = None
            agents.append(agent)
            uid += 1
    finally:
        model.agent_id_counter = uid
        if paused:
            gc.enable()
    return agents


def remove_views(model: mesa.Model, agents: list[mesa.Agent]) -> None:
    """Remove view agents from the model, as ``agent.remove()`` one by one would, in bulk.

    Falls back to ``agent.remove()`` when the model's agent signals are observed or a
    Mesa dataset tracks an agent's class.
    """
    if model._has_subscribers("agents", ModelSignals.AGENT_REMOVED) or any(type(a)._datasets for a in agents):
        for agent in agents:
            agent.remove()
        return
    everyone = model._all_agents._agents
    for agent in agents:
        everyone.pop(agent, None)
        by_type = model._agents_by_type.get(type(agent))
        if by_type is not None:
            by_type._agents.pop(agent, None)


_UID = attrgetter("unique_id")
_REGISTRY = "_inspire_view_registry"  # attribute of the model holding its _ViewRegistry


def _observed(model: mesa.Model, cls: type[mesa.Agent]) -> bool:
    """Whether something watches agents being added or removed (then agents are made one by one)."""
    return bool(
        cls._datasets
        or model._has_subscribers("agents", ModelSignals.AGENT_ADDED)
        or model._has_subscribers("agents", ModelSignals.AGENT_REMOVED)
    )


class _LazyAgentSet(_HardKeyAgentSet):
    """Mesa's registry ``AgentSet`` that also holds view agents not created yet.

    Every use of the set's agents goes through ``_agents``, which creates the pending view
    agents of the whole model first; counting, adding, removing and membership of agents that
    exist do not need them.
    """

    def __init__(
        self,
        agents: Iterable[mesa.Agent],
        random: Any = None,
        registry: _ViewRegistry | None = None,
        cls: type | None = None,
    ) -> None:
        # Mesa makes derived sets as type(self)(agents, random): those have no registry (plain sets)
        self._registry: _ViewRegistry | None = None
        super().__init__(agents, random=random)
        self._registry = registry
        self._cls = cls  # None: every class (the model's ``agents``)

    @property
    def _agents(self) -> dict:
        registry = self.__dict__.get("_registry")
        if registry is not None and registry.pending:
            registry.materialise()
        return self._real

    @_agents.setter
    def _agents(self, value: dict) -> None:
        self._real = value

    def __len__(self) -> int:
        registry = self._registry
        pending = registry.pending_count(self._cls) if registry is not None and registry.pending else 0
        return len(self._real) + pending

    def __contains__(self, agent: object) -> bool:
        return agent in self._real  # a pending view agent does not exist yet, so it is no argument

    def add(self, agent: mesa.Agent) -> None:
        """Add an agent (after the pending ones: it is newer)."""
        self._real[agent] = None

    def discard(self, agent: mesa.Agent) -> None:
        """Remove an agent if present."""
        self._real.pop(agent, None)

    def remove(self, agent: mesa.Agent) -> None:
        """Remove an agent; KeyError if absent."""
        del self._real[agent]

    def __getstate__(self) -> dict:
        return {"agents": list(self._agents), "random": self.random, "cls": self._cls}

    def __setstate__(self, state: dict) -> None:
        self._registry = None
        self._cls = state.get("cls")
        self.random = state["random"]
        self._real = dict.fromkeys(state["agents"])


class _ViewRegistry:
    """The lazily created view agents of one model (every :class:`ViewAgents` block of it)."""

    def __init__(self, model: mesa.Model) -> None:
        self.model = model
        self.blocks: list[ViewAgents] = []
        self.pending = False  # some block's agents are not created yet

    @classmethod
    def of(cls, model: mesa.Model) -> _ViewRegistry | None:
        """The model's registry, installed on first use; None if Mesa's registries were replaced by someone else."""
        registry = model.__dict__.get(_REGISTRY)
        if registry is not None:
            return registry
        everyone = model._all_agents
        if type(everyone) is not _HardKeyAgentSet:
            return None
        registry = cls(model)
        model._all_agents = _LazyAgentSet(everyone._agents, model.random, registry, None)
        setattr(model, _REGISTRY, registry)
        return registry

    def ensure_type(self, cls: type[mesa.Agent]) -> None:
        """Register ``cls`` in ``model.agents_by_type`` (as the first agent of it would)."""
        by_type = self.model._agents_by_type
        current = by_type.get(cls)
        if current is None:
            by_type[cls] = _LazyAgentSet([], self.model.random, self, cls)
        elif type(current) is _HardKeyAgentSet:
            by_type[cls] = _LazyAgentSet(current._agents, self.model.random, self, cls)

    def pending_count(self, cls: type | None) -> int:
        """View agents (of ``cls``; None: all) not created yet."""
        return sum(b._live for b in self.blocks if b._agents is None and (cls is None or b.cls is cls))

    def materialise(self) -> None:
        """Create every pending view agent with its reserved ``unique_id``, into the registries in id order."""
        if not self.pending:
            return
        self.pending = False
        model = self.model
        paused = gc.isenabled()
        gc.disable()
        try:
            created: dict[type, list[mesa.Agent]] = {}
            for block in self.blocks:
                if block._agents is None:
                    created.setdefault(block.cls, []).extend(block._create())
            everyone = model._all_agents
            merged = [*everyone._real]
            for agents in created.values():
                merged.extend(agents)
            everyone._real = dict.fromkeys(sorted(merged, key=_UID))
            for cls, agents in created.items():
                of_type = model._agents_by_type[cls]
                of_type._real = dict.fromkeys(sorted([*of_type._real, *agents], key=_UID))
        finally:
            if paused:
                gc.enable()

    def __getstate__(self) -> dict:
        self.materialise()
        return self.__dict__


class ViewAgents[A: mesa.Agent](Sequence[A]):
    """The view agents of one class, one per slot: ``views[i]`` is the agent viewing index ``offset + i``.

    ``ViewAgents(model, SME, "idx", n)`` gives slot ``i`` the agent ``SME`` with ``idx = i``
    and the ``unique_id`` that creating the ``n`` agents one by one, now, would give
    (consecutive from ``model.agent_id_counter``); :attr:`unique_ids` holds them per slot.
    The agent objects are created only when something looks at the model's agents (see the
    module docstring); until then a view agent costs 8 bytes (its reserved id). When the
    model's agent signals are observed or a Mesa dataset tracks ``cls``, the agents are
    created at once, the ordinary way.
    """

    def __init__(self, model: mesa.Model, cls: type[A], attr: str, n: int, offset: int = 0) -> None:
        self.model, self.cls, self.attr, self.offset = model, cls, attr, int(offset)
        self._agents: list[A] | None = None
        self._live = int(n)
        self._registry = _ViewRegistry.of(model)
        if self._registry is None or _observed(model, cls):
            if self._registry is not None:
                self._registry.materialise()
                self._registry.ensure_type(cls)
            self._agents = create_views(model, cls, attr, range(self.offset, self.offset + n))
            self.unique_ids = np.array([a.unique_id for a in self._agents], dtype=np.int64)
            return
        start = int(model.agent_id_counter)
        self.unique_ids = np.arange(start, start + n, dtype=np.int64)
        model.agent_id_counter = start + int(n)
        self._registry.ensure_type(cls)
        self._registry.blocks.append(self)
        self._registry.pending = self._registry.pending or n > 0

    @property
    def created(self) -> bool:
        """Whether the agent objects exist (False while they are pending)."""
        return self._agents is not None

    def _create(self) -> list[A]:
        """Create this block's agents (called by the registry): the created ones, in ``unique_id`` order."""
        live = np.flatnonzero(self.unique_ids >= 0)
        order = live[np.argsort(self.unique_ids[live], kind="stable")]
        agents: list[A | None] = [None] * len(self.unique_ids)
        created: list[A] = []
        cls, attr, model, offset = self.cls, self.attr, self.model, self.offset
        for slot, uid in zip(order.tolist(), self.unique_ids[order].tolist(), strict=True):
            agent = object.__new__(cls)
            # the attribute order of Agent.__init__ (see create_views)
            agent.model = model
            agent.unique_id = uid
            agent.pos = None
            setattr(agent, attr, slot + offset)
            agents[slot] = agent
            created.append(agent)
        self._agents = agents  # type: ignore[assignment]  # removed slots stay None until replaced
        return created

    def _created_agents(self) -> list[A]:
        if self._agents is None:
            assert self._registry is not None
            self._registry.pending = True  # also for a block with no live agent
            self._registry.materialise()
        assert self._agents is not None
        return self._agents

    def remove(self, slots: np.ndarray) -> None:
        """Remove the view agents of ``slots`` from the model (``agent.remove()`` for each)."""
        slots = np.asarray(slots, dtype=np.int64)
        if self._agents is None and not _observed(self.model, self.cls):
            self._live -= int(np.count_nonzero(self.unique_ids[slots] >= 0))
            self.unique_ids[slots] = -1
            return
        agents = self._created_agents()
        remove_views(self.model, [agents[i] for i in slots.tolist()])

    def add(self, slots: np.ndarray) -> np.ndarray:
        """New view agents for ``slots`` (consecutive ``unique_id`` s in the order given); returns their ids."""
        slots = np.asarray(slots, dtype=np.int64)
        if self._agents is None and not _observed(self.model, self.cls):
            start = int(self.model.agent_id_counter)
            uids = np.arange(start, start + len(slots), dtype=np.int64)
            self.model.agent_id_counter = start + len(slots)
            self._live += int(np.count_nonzero(self.unique_ids[slots] < 0))
            self.unique_ids[slots] = uids
            if len(slots):
                assert self._registry is not None
                self._registry.pending = True
            return uids
        agents = self._created_agents()
        new = create_views(self.model, self.cls, self.attr, (slots + self.offset).tolist())
        for i, agent in zip(slots.tolist(), new, strict=True):
            agents[i] = agent
        uids = np.array([a.unique_id for a in new], dtype=np.int64)
        self.unique_ids[slots] = uids
        return uids

    def __len__(self) -> int:
        return len(self.unique_ids)

    @overload
    def __getitem__(self, i: int) -> A: ...
    @overload
    def __getitem__(self, i: slice) -> list[A]: ...
    def __getitem__(self, i: int | slice) -> A | list[A]:
        return self._created_agents()[i]

    def __iter__(self) -> Iterator[A]:
        return iter(self._created_agents())

    def __getstate__(self) -> dict:
        self._created_agents()
        return self.__dict__


class SME(mesa.Agent):
    """A small or medium-sized enterprise on an OI journey; a view on :class:`SMEArrays`."""

    def __init__(self, model: InspireModel, idx: int) -> None:
        super().__init__(model)
        self.idx = idx

    # short views (the arrays are the truth); confidence, cash, resources and business_results
    # may be set (e.g. with AgentSet.set), the others are read-only
    @property
    def country(self) -> str:
        return self.model.country_names[self.model.actors.country[self.idx]]

    @property
    def region(self) -> str:
        return self.model.region_names[self.model.sme.region[self.idx]]

    @property
    def sector(self) -> str:
        return self.model.p.sectors[self.model.sme.sector[self.idx]]

    @property
    def stage(self) -> Stage:
        return Stage(int(self.model.sme.stage[self.idx]))

    @property
    def confidence(self) -> float:
        return float(self.model.sme.confidence[self.idx])

    @confidence.setter
    def confidence(self, value: float) -> None:
        self.model.sme.confidence[self.idx] = value

    @property
    def cash(self) -> float:
        return float(self.model.sme.cash[self.idx])

    @cash.setter
    def cash(self, value: float) -> None:
        self.model.sme.cash[self.idx] = value

    @property
    def resources(self) -> float:
        return float(self.model.sme.resources[self.idx])

    @resources.setter
    def resources(self, value: float) -> None:
        self.model.sme.resources[self.idx] = value

    @property
    def business_results(self) -> float:
        return float(self.model.sme.results[self.idx])

    @business_results.setter
    def business_results(self, value: float) -> None:
        self.model.sme.results[self.idx] = value

    @property
    def learning(self) -> dict[str, float]:
        s = self.model.sme
        return {"technical": float(s.learn_tech[self.idx]), "soft": float(s.learn_soft[self.idx])}

    @property
    def resource_focused(self) -> bool:
        return bool(self.model.sme.resource_focus[self.idx])

    @property
    def in_project(self) -> bool:
        return bool(self.model.sme.n_lead[self.idx] > 0 or self.model.actors.load[self.idx] > 0)

    @property
    def trusted_partners(self) -> list[tuple[int, float]]:
        """(partner unique_id, trust) of remembered past partners."""
        s, a = self.model.sme, self.model.actors
        return [
            (int(a.uid[j]), float(t))
            for j, t in zip(s.mem_partner[self.idx], s.mem_trust[self.idx], strict=True)
            if j >= 0
        ]

    def journey(self) -> dict[str, object]:
        """A summary of this SME's journey so far (stage, counters, stocks, partners)."""
        s = self.model.sme
        i = self.idx
        return {
            "unique_id": self.unique_id,
            "country": self.country,
            "region": self.region,
            "sector": self.sector,
            "stage": self.stage.label,
            "focus": "resources" if s.resource_focus[i] else "business results",
            "confidence": self.confidence,
            "attempts": int(s.attempts[i]),
            "successes": int(s.successes[i]),
            "failures": int(s.failures[i]),
            "false_failures": int(s.false_failures[i]),
            "learning": self.learning,
            "resources": self.resources,
            "business_results": self.business_results,
            "partners": self.trusted_partners,
        }


class Partner(mesa.Agent):
    """A non-SME partner (or a non-modelled SME peer): a view on :class:`ActorArrays`."""

    def __init__(self, model: InspireModel, actor: int) -> None:
        super().__init__(model)
        self.actor = actor

    @property
    def ptype(self) -> PartnerType:
        return PartnerType(int(self.model.actors.ptype[self.actor]))

    @property
    def country(self) -> str:
        return self.model.country_names[self.model.actors.country[self.actor]]

    @property
    def capacity(self) -> int:
        return int(self.model.actors.capacity[self.actor])

    @property
    def load(self) -> int:
        return int(self.model.actors.load[self.actor])


class Intermediary(mesa.Agent):
    """A national agency, cluster or cross-border broker delivering one policy's service.

    ``country`` is an index (the country it serves); ``capacity_left`` is set by its
    policy at the start of each month and consumed as SMEs are served.
    """

    def __init__(self, model: InspireModel, kind: IntermediaryKind, country: int, policy: object) -> None:
        super().__init__(model)
        self.kind = kind
        self.country = country
        self.policy = policy
        self.capacity_left = 0
        self.served_total = 0

    def open_for(self, capacity: int) -> None:
        """Receive this month's capacity."""
        self.capacity_left = int(capacity)

    def serve(self, n: int) -> None:
        """Record that ``n`` SMEs were served."""
        self.capacity_left -= n
        self.served_total += n
