"""Support funding: innovation vouchers co-funding the next OI project of targeted SMEs.

Innovation-active SMEs that may lead a project and hold no voucher are awarded vouchers
in a random (common-random-number) order, as many as the month's budget pays. A voucher
pays ``min(grant_size, co_funding_rate x project_cost)`` of the next project the SME
starts within ``validity_months``; unused vouchers expire and pay nothing (no cash
transfer). The budget is charged on award (the commitment).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from ..agents import IntermediaryKind
from ..params import ASSUMPTION, STAGE_NAMES, PolicyParams, Role, param
from ..policies import Policy, lever
from ..world import World

L = Role.LEVER


class SupportFunding(PolicyParams):
    """Grants/vouchers co-funding OI projects of targeted SMEs."""

    kind: Literal["support_funding"] = "support_funding"
    budget_per_step: float | None = param(
        200_000_000.0,
        lo=0.0,
        hi=1e13,
        unit="real EUR/month",
        role=L,
        source=ASSUMPTION,
        sa=(0.0, 1_000_000_000.0),
        doc="Monthly budget for grants (shared over the targeted countries by SME count).",
    )
    grant_size: float = param(
        15_000.0,
        lo=0.0,
        hi=1e7,
        unit="EUR",
        role=L,
        source="innovation voucher schemes; " + ASSUMPTION,
        sa=(5_000.0, 40_000.0),
        doc="Maximum grant per project.",
    )
    co_funding_rate: float = param(
        0.5,
        lo=0.0,
        hi=1.0,
        unit="share",
        role=L,
        source=ASSUMPTION,
        sa=(0.2, 0.8),
        doc="Share of the project cost the grant covers (up to grant_size).",
    )
    target_stages: list[str] = Field(
        list(STAGE_NAMES),
        description="Stages eligible for grants.",
        json_schema_extra={"unit": "-", "role": "lever", "source": ASSUMPTION},
    )

    validity_months: int = param(
        12,
        lo=1,
        hi=120,
        unit="months",
        role=L,
        source="innovation voucher schemes (validity of about a year); " + ASSUMPTION,
        sa=(6, 24),
        doc="Months a voucher can co-fund a project before it expires unused.",
    )


@lever(SupportFunding)
class SupportFundingPolicy(Policy):
    """Vouchers co-funding OI projects (see the module docstring)."""

    kind = "support_funding"
    intermediary_kind = IntermediaryKind.NATIONAL_AGENCY
    spec: SupportFunding

    def __init__(self, spec: SupportFunding, world: World, index: int) -> None:
        super().__init__(spec, world, index)
        self.voucher = np.zeros(world.n)  # EUR held toward the next project
        self.voucher_until = np.zeros(world.n, dtype=np.int64)  # last clock month it can be used
        self.stage_ok = np.isin(np.arange(len(STAGE_NAMES)), [STAGE_NAMES.index(x) for x in spec.target_stages])

    def grant(self, world: World) -> float:
        return min(self.spec.grant_size, self.spec.co_funding_rate * world.params.project_cost)

    def open_month(self, world: World, month: int) -> None:
        expired = (self.voucher > 0) & (self.voucher_until < month)
        world.counters[f"vouchers_expired:{self.index}"] += int(expired.sum())
        self.voucher[expired] = 0.0
        super().open_month(world, month)

    def apply(self, world: World, month: int) -> None:
        s = world.sme
        eligible = np.flatnonzero(
            self.sme_mask
            & s.innovative
            & (self.voucher <= 0)
            & (s.n_lead < world.params.max_concurrent_projects)
            & self.stage_ok[s.stage]
        )
        grant = self.grant(world)
        if grant <= 0 or len(eligible) == 0:
            return
        priority = world.streams.get(f"policy:{self.kind}:{self.index}", month).random(world.n)[eligible]
        ordered = eligible[np.argsort(priority, kind="stable")]
        eur = grant * world.weight[world.actors.country[ordered].astype(np.int64)]
        chosen = np.sort(self.within_budget(world, ordered, eur, month))
        self.voucher[chosen] = grant
        self.voucher_until[chosen] = month + self.spec.validity_months
        self.charge(world, chosen, grant * world.weight[world.actors.country[chosen].astype(np.int64)])
        world.counters[f"vouchers_awarded:{self.index}"] += len(chosen)
        counts = np.bincount(world.actors.country[chosen].astype(np.int64), minlength=world.n_countries)
        self.served_month += counts
        for im in self.intermediaries:
            im.serve(int(counts[im.country]))

    def subsidy(self, world: World, month: int) -> np.ndarray | None:
        return self.voucher

    def on_projects_started(self, world: World, lead: np.ndarray, month: int) -> np.ndarray | None:
        used = self.voucher[lead].copy()
        world.counters[f"vouchers_used:{self.index}"] += int((used > 0).sum())
        self.voucher[lead] = 0.0
        return used

    def on_entry(self, world: World, rows: np.ndarray) -> None:
        self.voucher[rows] = 0.0
