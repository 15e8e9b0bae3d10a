"""The model's kinds (stages, partner types, intermediaries) and the arrays holding agent state.

Mesa-free: the phases, the world and the batched engine use these; the Mesa agents that
view the arrays live in :mod:`inspire_sim.core.agents` (which re-exports everything here).

Index spaces: SME ``i`` (0..N-1) is also actor ``i``; non-SME partners are actors
``N..N+P-1``. Every actor (SME or partner) can be a candidate partner.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum

import numpy as np


class Stage(IntEnum):
    """Stages of an SME's OI journey (DESIGN.md §1)."""

    EXPLORATION = 0
    DEVELOPMENT = 1
    SCALING_UP = 2
    COMMERCIALISATION = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class PartnerType(IntEnum):
    """Types of OI partner."""

    SME_PEER = 0
    PSR = 1  # public research: universities, RTOs
    LARGE_FIRM = 2
    CROWD = 3  # crowd and individuals

    @property
    def label(self) -> str:
        return self.name.lower()


class IntermediaryKind(IntEnum):
    """Kinds of intermediary."""

    NATIONAL_AGENCY = 0
    CLUSTER = 1
    CROSS_BORDER_BROKER = 2


RESOURCE_STAGES = (Stage.EXPLORATION, Stage.DEVELOPMENT)
MARKET_STAGES = (Stage.SCALING_UP, Stage.COMMERCIALISATION)
NO_STEP = np.int32(-10_000)


@dataclass
class ActorArrays:
    """State shared by every potential partner (SMEs first, then Partner agents)."""

    country: np.ndarray  # int16
    ptype: np.ndarray  # int8 PartnerType
    persona: np.ndarray  # float32 (M, d), unit vectors: manager persona
    vision: np.ndarray  # float32 (M, d), unit vectors: strategic vision
    capability: np.ndarray  # float32 in [0, 1]: what the actor brings (technical/market)
    capacity: np.ndarray  # int16: concurrent projects as a partner
    load: np.ndarray  # int16: current projects as a partner
    uid: np.ndarray  # int64: Mesa unique_id (stable pair identity for chemistry)
    region: np.ndarray  # int16: global region index (an SME's equals SMEArrays.region)


@dataclass
class SMEArrays:
    """Hot state of the SMEs, one row per SME slot (an exit frees the slot for an entrant)."""

    region: np.ndarray  # int32 global region index
    sector: np.ndarray  # int16
    stage: np.ndarray  # int8 Stage
    resource_focus: np.ndarray  # bool: resource-building (True) vs business results focus
    innovative: np.ndarray  # bool: innovation-active (may seek partners)
    disruptive: np.ndarray  # bool
    resilience: np.ndarray  # float32 trait in [0, 1]
    confidence: np.ndarray  # float32 in [0, 1]
    disposition: np.ndarray  # float32 in [0, 1]: the SME's own level of confidence, to which it settles back
    cash: np.ndarray  # float64 EUR
    margin: np.ndarray  # float64 EUR/month operating margin
    resources: np.ndarray  # float64 resource stock
    results: np.ndarray  # float64 business results
    learn_tech: np.ndarray  # float32 technical learning stock
    learn_soft: np.ndarray  # float32 soft / OI-management skills
    toolbox: np.ndarray  # float32 partnership-model quality from coaching
    vision_align: np.ndarray  # float32 vision-setting skill from coaching
    latent: np.ndarray  # float32 latent value of false failures, may surface later
    experience: np.ndarray  # uint16 (N, C): projects done with partners of each country
    mem_partner: np.ndarray  # int32 (N, m): remembered partners (actor index, -1 empty)
    mem_trust: np.ndarray  # float32 (N, m): relationship value, neutral 0
    n_lead: np.ndarray  # int8: projects led now
    attempts: np.ndarray  # int32
    successes: np.ndarray  # int32
    failures: np.ndarray  # int32
    false_failures: np.ndarray  # int32
    last_coop: np.ndarray  # int32 month of last OI activity
    last_foreign: np.ndarray  # int32 month of last cross-border activity
    last_fail: np.ndarray  # int32 month of last failure awaiting a retry (NO_STEP = none)
    entered_scaling: np.ndarray  # int32 month of entering scaling-up (NO_STEP = never)
    born: np.ndarray  # int32 month of entry
    unicorn: np.ndarray  # bool: valuation has passed unicorn_valuation
    breakthrough: np.ndarray  # bool: had a heavy-tailed breakthrough success
    next_cost: np.ndarray  # float64 EUR: planned cost of the SME's next project
    abandoned: np.ndarray  # bool: gave up OI after failure (does not search until it returns)
    fail_streak: np.ndarray  # int8: failures in a row (reset by a success)

    def reset_rows(self, rows: np.ndarray, keep: tuple[str, ...] = ("region", "sector")) -> None:
        """Zero the given rows of every array but ``keep`` (an entrant keeps its slot's place)."""
        for f in fields(self):
            if f.name not in keep:
                getattr(self, f.name)[rows] = 0


__all__ = [
    "MARKET_STAGES",
    "NO_STEP",
    "RESOURCE_STAGES",
    "ActorArrays",
    "IntermediaryKind",
    "PartnerType",
    "SMEArrays",
    "Stage",
]
