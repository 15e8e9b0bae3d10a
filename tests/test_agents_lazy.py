"""Lazy view agents (agents.ViewAgents) behave like eagerly created ones, the Mesa way.

Model A creates its views lazily (ViewAgents), model B the same agents eagerly, one by one as
Mesa's ``Agent.__init__`` / ``agent.remove()`` do; both must give the same unique_ids, the same
registries in the same order, the same AgentSet results.
"""

from __future__ import annotations

import pickle

import mesa
import numpy as np
import pytest
from mesa.experimental.mesa_signals import ModelSignals

from inspire_sim.core.agents import ViewAgents


class Cell(mesa.Agent):
    def __init__(self, model: mesa.Model, idx: int) -> None:
        super().__init__(model)
        self.idx = idx

    @property
    def value(self) -> float:
        return float(self.model.values[self.idx])

    @value.setter
    def value(self, v: float) -> None:
        self.model.values[self.idx] = v


class Pool(mesa.Agent):
    def __init__(self, model: mesa.Model, actor: int) -> None:
        super().__init__(model)
        self.actor = actor


class Other(mesa.Agent):
    pass


class Toy(mesa.Model):
    def __init__(self) -> None:
        super().__init__(rng=3)
        self.values = np.arange(40, dtype=float)


def _lazy() -> tuple[Toy, ViewAgents, ViewAgents]:
    m = Toy()
    cells = ViewAgents(m, Cell, "idx", 40)
    Other(m)
    pools = ViewAgents(m, Pool, "actor", 6, offset=40)
    Other(m)
    cells.remove(np.array([3, 17]))
    assert np.array_equal(cells.add(np.array([17, 3])), [49, 50])
    return m, cells, pools


def _eager() -> tuple[Toy, list, list]:
    m = Toy()
    cells = [Cell(m, i) for i in range(40)]
    Other(m)
    pools = [Pool(m, 40 + j) for j in range(6)]
    Other(m)
    for i in (3, 17):
        cells[i].remove()
    for i in (17, 3):
        cells[i] = Cell(m, i)
    return m, cells, pools


def _ids(agentset) -> list[tuple[str, int, int | None]]:
    return [(type(a).__name__, a.unique_id, getattr(a, "idx", getattr(a, "actor", None))) for a in agentset]


def test_lazy_views_reserve_the_ids_and_registries_eager_creation_gives():
    a, cells, pools = _lazy()
    b, cells_b, pools_b = _eager()
    assert not cells.created and not pools.created  # nothing looked at the agents yet
    assert a.agent_id_counter == b.agent_id_counter == 51
    assert cells.unique_ids.tolist() == [c.unique_id for c in cells_b]
    assert pools.unique_ids.tolist() == [p.unique_id for p in pools_b]
    assert len(a.agents) == len(b.agents) == 48 and len(a.agents_by_type[Cell]) == 40
    assert list(a.agents_by_type) == list(b.agents_by_type) == [Cell, Other, Pool]
    # looking creates them: same ids, same order, in every registry
    assert _ids(a.agents) == _ids(b.agents)
    assert cells.created and pools.created
    for cls in (Cell, Pool, Other):
        assert _ids(a.agents_by_type[cls]) == _ids(b.agents_by_type[cls])
    assert [c.unique_id for c in cells] == cells.unique_ids.tolist()
    assert cells[5] in a.agents_by_type[Cell] and cells[5].idx == 5 and pools[2].actor == 42


def test_agentset_select_agg_set_on_pending_views():
    a, cells, _ = _lazy()
    b, _, _ = _eager()
    sa, sb = a.agents_by_type[Cell], b.agents_by_type[Cell]
    assert not cells.created
    assert sa.agg("value", np.sum) == sb.agg("value", np.sum) == float(np.arange(40).sum())
    assert [x.unique_id for x in sa.select(lambda c: c.idx % 7 == 0)] == [
        x.unique_id for x in sb.select(lambda c: c.idx % 7 == 0)
    ]
    sa.set("value", 2.5)
    assert np.all(a.values == 2.5)
    assert len(sa.select(at_most=5)) == 5
    assert sorted(sa.get("idx")) == list(range(40))


def test_after_creation_removal_and_entry_stay_eager_and_identical():
    a, cells, _ = _lazy()
    b, cells_b, _ = _eager()
    _ = cells[0]  # creates every pending view of the model
    cells.remove(np.array([0, 39]))
    uids = cells.add(np.array([39, 0]))
    for i in (0, 39):
        cells_b[i].remove()
    for i in (39, 0):
        cells_b[i] = Cell(b, i)
    assert uids.tolist() == [cells_b[39].unique_id, cells_b[0].unique_id]
    assert _ids(a.agents) == _ids(b.agents)
    assert [c.unique_id for c in cells] == [c.unique_id for c in cells_b] == cells.unique_ids.tolist()


def test_pending_views_survive_pickling():
    a, cells, _ = _lazy()
    b, _, _ = _eager()
    assert not cells.created
    c = pickle.loads(pickle.dumps(a))
    assert _ids(c.agents) == _ids(b.agents)
    assert _ids(c.agents_by_type[Cell]) == _ids(b.agents_by_type[Cell])


def test_observed_models_get_their_views_one_by_one():
    m = Toy()
    seen: list[int] = []

    def added(signal) -> None:  # held here: Mesa keeps only a weak reference to handlers
        seen.append(signal.additional_kwargs["args"][0].unique_id)

    m.observe("agents", ModelSignals.AGENT_ADDED, added)
    cells = ViewAgents(m, Cell, "idx", 5)
    assert cells.created and seen == [1, 2, 3, 4, 5]
    cells.remove(np.array([2]))
    cells.add(np.array([2]))
    assert seen[-1] == 6 and cells[2].unique_id == 6


@pytest.mark.parametrize("n", [0, 3])
def test_empty_and_small_blocks(n):
    m = Toy()
    views = ViewAgents(m, Pool, "actor", n, offset=10)
    assert len(m.agents_by_type[Pool]) == n and len(views) == n
    assert [p.actor for p in views] == list(range(10, 10 + n))
