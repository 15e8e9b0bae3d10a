"""Cross-border brokering: brokers introduce foreign candidates and lower the friction of brokered pairs.

Queueing and priority: each month a broker serves at most its (scaled) capacity of the
searching SMEs of its country that no other broker served this month, in a random
common-random-number order (the ``intermediaries`` stream); the budget stops service
earlier if it runs out. A served SME gets ``extra_candidates`` foreign candidates, of
types drawn by their fit to its stage (fit squared); brokered pairs lose
``friction_reduction`` of their border friction and foreign search cost.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..core import matching
from ..core.params import ASSUMPTION, INSPIRE, PolicyParams, Role, param
from ..core.policies import Policy, lever
from ..core.state import IntermediaryKind
from ..core.world import CandidateSet, World

L = Role.LEVER


class CrossBorderBrokering(PolicyParams):
    """Brokers introduce foreign candidates and lower the friction of brokered pairs."""

    kind: Literal["cross_border_brokering"] = "cross_border_brokering"
    capacity: int = param(
        10_000,
        lo=0,
        hi=10_000_000,
        unit="real SMEs/month (targeted countries together)",
        role=L,
        source="Enterprise Europe Network: ~120,000 SMEs a year helped to find partners "
        "(references.toml eu_een_clients_per_year)",
        sa=(0, 40_000),
        doc="SMEs served per month in the targeted countries together, shared by their SMEs (EEN-style brokers).",
    )
    friction_reduction: float = param(
        0.6,
        lo=0.0,
        hi=1.0,
        unit="share",
        role=L,
        source=INSPIRE + " (deployment plan: cross-border support)",
        sa=(0.2, 0.9),
        doc="Share of border friction (and foreign search cost) removed for brokered pairs.",
    )
    extra_candidates: int = param(
        3,
        lo=1,
        hi=20,
        unit="candidates",
        role=L,
        source=ASSUMPTION,
        sa=(1, 6),
        doc="Foreign candidates a broker introduces to a served SME.",
    )
    cost_per_service: float = param(
        700.0,
        lo=0.0,
        hi=1e6,
        unit="EUR/real SME",
        role=L,
        source="EEN: EU budget EUR 47-52 M a year plus the hosts' co-funding for ~120,000 partner searches a year "
        "(references.toml eu_een_budget_2022_2025); an estimate",
        sa=(300.0, 3_000.0),
        doc="Cost of serving one SME.",
    )


@lever(CrossBorderBrokering)
class CrossBorderBrokeringPolicy(Policy):
    """Brokers introduce foreign candidates to searching SMEs and lower friction."""

    kind = "cross_border_brokering"
    intermediary_kind = IntermediaryKind.CROSS_BORDER_BROKER
    batchable = True
    spec: CrossBorderBrokering
    use_window = 0  # an introduction is used by a project started the month it is made
    introduces_partners = True

    def add_candidates(self, world: World, cands: CandidateSet, month: int) -> None:
        served = self.serve_seekers(world, cands, month)
        if served is None:
            return
        seekers = cands.seekers
        e = self.spec.extra_candidates
        run = cands.run[served]
        uu = world.streams.uniform(f"broker:{self.index}", month, run, world.actors.uid[seekers[served]], 2 * e)
        types = matching.types_by_fit(cands.stage[served], uu[:, :e])
        extra = np.full((len(seekers), e), -1, dtype=np.int64)
        home = np.repeat(cands.home[served, None], e, axis=1)
        extra[served] = matching.chance(world, home, np.ones((len(run), e)), uu[:, e:], types, 0.0, run[:, None])
        reduction = np.where(served, self.value("friction_reduction", cands.run), 0.0)
        cands.add(extra, reduction=reduction, source=self.index)
