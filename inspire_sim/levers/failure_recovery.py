"""Failure recovery: support to SMEs after a failed project (faster recovery of confidence).

Each month the programme takes in, within its scaled capacity and budget and in a random
common-random-number order, SMEs of its countries that failed within the last
``intake_window`` months and are not already supported; for ``support_months`` their
confidence recovers ``recovery_boost`` times faster.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..core.params import ASSUMPTION, INSPIRE, PolicyParams, Role, param
from ..core.policies import Policy, lever
from ..core.state import NO_STEP, IntermediaryKind
from ..core.world import World

L = Role.LEVER


class FailureRecovery(PolicyParams):
    """Support after a failed project: faster recovery of confidence."""

    kind: Literal["failure_recovery"] = "failure_recovery"
    capacity: int = param(
        2_500,
        lo=0,
        hi=1_000_000,
        unit="real SMEs/month (targeted countries together)",
        role=L,
        source="estimate: Early Warning Denmark's reach EU-wide, 6,000 companies in 12 years = 42 a month for "
        "28,900 SMEs of 10-249, x 1.77 M EU SMEs of 10-249 = about 2,550 a month, counting every client as "
        "an SME of 10-249 (an upper end: most are smaller); the COSME pilot Early Warning Europe reached "
        "about 90 a month in 4 countries (references.toml dk_early_warning_clients, "
        "eu_early_warning_europe_clients)",
        sa=(0, 10_000),
        doc="Recently failed SMEs supported per month in the targeted countries together, shared by their SMEs.",
    )
    recovery_boost: float = param(
        3.0,
        lo=1.0,
        hi=20.0,
        unit="x",
        role=L,
        source=INSPIRE + " (resilient SMEs try again)",
        sa=(1.5, 5.0),
        doc="Multiplier on confidence recovery while supported.",
    )
    support_months: int = param(
        6, lo=1, hi=60, unit="months", role=L, source=ASSUMPTION, sa=(3, 12), doc="How long one intake is supported."
    )
    cost_per_service: float = param(
        2_000.0,
        lo=0.0,
        hi=1e6,
        unit="EUR/real SME",
        role=L,
        source="estimate: 2-4 adviser days of mentoring at EUR 450-1,000 a day (coach day rates, references.toml "
        "eu_smei_coach_day_rate)",
        sa=(500.0, 4_000.0),
        doc="Cost of supporting one SME (one intake).",
    )

    intake_window: int = param(
        3,
        lo=1,
        hi=24,
        unit="months",
        role=L,
        source=ASSUMPTION,
        sa=(1, 6),
        doc="Months after a failure in which an SME can be taken in.",
    )


@lever(FailureRecovery)
class FailureRecoveryPolicy(Policy):
    """Support to SMEs that failed recently: faster confidence recovery."""

    kind = "failure_recovery"
    intermediary_kind = IntermediaryKind.NATIONAL_AGENCY
    batchable = True
    spec: FailureRecovery

    def __init__(self, spec: FailureRecovery, world: World, index: int) -> None:
        super().__init__(spec, world, index)
        self.recovery_until = np.full(world.n, NO_STEP, dtype=np.int32)  # clock month support runs to

    def apply(self, world: World, month: int) -> None:
        s = world.sme
        recent = (s.last_fail != NO_STEP) & (month - s.last_fail <= self.value("intake_window", world.sme_run))
        eligible = np.flatnonzero(self.sme_mask & recent & (self.recovery_until < month))
        priority = self.random(world, "", month)[eligible]
        chosen = self.serve(world, eligible, priority, month)
        self.recovery_until[chosen] = month + self.value("support_months", world.sme_run[chosen])

    def confidence_recovery(self, world: World, month: int) -> np.ndarray | None:
        if not self.active(month):
            return None
        return np.where(self.recovery_until >= month, self.value("recovery_boost", world.sme_run), 1.0)

    def on_entry(self, world: World, rows: np.ndarray) -> None:
        super().on_entry(world, rows)
        self.recovery_until[rows] = NO_STEP
