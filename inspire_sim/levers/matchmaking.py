"""Domestic matchmaking: national agencies and clusters introduce screened domestic candidates.

Queueing and priority as for brokering (random common-random-number order among the
searching SMEs of the country, within the scaled capacity and the budget). For each
served SME the intermediary screens ``screening_pool`` domestic actors of types drawn by
stage fit and introduces the ``extra_candidates`` with the best chemistry + shared vision
+ stage fit. An actor drawn twice in one screening stands for two distinct real
organisations or managers of its kind (each simulated actor stands for ``weight`` real
ones), so their chemistry differs: a small simulated pool is screened like a large one.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ..core import matching, rules
from ..core.params import ASSUMPTION, INSPIRE, PolicyParams, Role, param
from ..core.policies import Policy, lever
from ..core.state import IntermediaryKind
from ..core.world import CandidateSet, World, person_ids, repeat_index

L = Role.LEVER


class Matchmaking(PolicyParams):
    """Domestic matchmaking: introductions screened for chemistry and vision."""

    kind: Literal["matchmaking"] = "matchmaking"
    capacity: int = param(
        3_000,
        lo=0,
        hi=10_000_000,
        unit="real SMEs/month (targeted countries together)",
        role=L,
        source="European Cluster Collaboration Platform: ~690 cluster organisations with ~100 SME members each "
        "(references.toml eu_eccp_cluster_organisations); the number served a month is an estimate",
        sa=(0, 20_000),
        doc="SMEs served per month in the targeted countries together, shared by their SMEs (agencies, clusters).",
    )
    extra_candidates: int = param(
        3,
        lo=1,
        hi=20,
        unit="candidates",
        role=L,
        source=ASSUMPTION,
        sa=(1, 6),
        doc="Screened domestic candidates introduced to a served SME.",
    )
    screening_pool: int = param(
        8,
        lo=1,
        hi=100,
        unit="candidates",
        role=L,
        source=INSPIRE + " (personal chemistry matters)",
        sa=(2, 16),
        doc="Candidates the intermediary screens for each introduction (best chemistry + vision kept).",
    )
    cost_per_service: float = param(
        1_000.0,
        lo=0.0,
        hi=1e6,
        unit="EUR/real SME",
        role=L,
        source="estimate: 1-2 adviser days at EUR 450-1,000 a day (references.toml eu_smei_coach_day_rate)",
        sa=(300.0, 3_000.0),
        doc="Cost of serving one SME.",
    )


@lever(Matchmaking)
class MatchmakingPolicy(Policy):
    """National agencies and clusters introduce screened domestic candidates."""

    kind = "matchmaking"
    intermediary_kind = IntermediaryKind.CLUSTER
    batchable = True
    spec: Matchmaking
    use_window = 0  # an introduction is used by a project started the month it is made
    introduces_partners = True

    def add_candidates(self, world: World, cands: CandidateSet, month: int) -> None:
        served = self.serve_seekers(world, cands, month)
        if served is None:
            return
        a, seekers = world.actors, cands.seekers
        pool, e = self.spec.screening_pool, self.spec.extra_candidates
        sub = seekers[served]
        run = cands.run[served]
        p: Any = world.param_view(run[:, None])  # model parameters of each seeker's run (design points)
        uu = world.streams.uniform(f"matchmaker:{self.index}", month, run, a.uid[sub], 2 * pool)
        stage = cands.stage[served]
        types = matching.types_by_fit(stage, uu[:, :pool])
        home = np.repeat(cands.home[served, None], pool, axis=1)
        screened = matching.chance(
            world, home, np.zeros((len(sub), pool)), uu[:, pool:], types, 1.0, run[:, None], seeker=sub[:, None]
        )
        # the intermediary keeps the best `e` by chemistry + shared vision (+ stage fit); an actor
        # drawn twice stands for two real organisations or managers of its kind (distinct chemistry)
        j = np.where(screened >= 0, screened, 0)
        person = repeat_index(screened)
        score = (
            rules.chemistry(
                a.persona[sub][:, None, :],
                a.persona[j],
                a.uid[sub][:, None],
                person_ids(a.uid[j], person),
                world.chem_key[0] if world.runs == 1 else world.chem_key[run][:, None],
                p.chemistry_pair_sd,
            )
            + rules.shared_vision(a.vision[sub][:, None, :], a.vision[j])
            + rules.STAGE_FIT[a.ptype[j], stage[:, None]]
        )
        score = np.where((screened >= 0) & (j != sub[:, None]), score, -np.inf)
        top = np.argsort(-score, axis=1, kind="stable")[:, :e]
        picked = np.take_along_axis(screened, top, axis=1)
        picked = np.where(np.isfinite(np.take_along_axis(score, top, axis=1)), picked, -1)
        extra = np.full((len(seekers), e), -1, dtype=np.int64)
        extra[served] = picked
        persons = np.zeros((len(seekers), e), dtype=np.int64)
        persons[served] = np.take_along_axis(person, top, axis=1)
        cands.add(extra, source=self.index, persons=persons)
