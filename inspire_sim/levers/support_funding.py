"""Support funding: innovation vouchers co-funding the next OI project of targeted SMEs.

Innovation-active SMEs that may lead a project, hold no voucher and are confident enough
to search apply with a probability rising with their confidence (intent) and their need
(a project's cost relative to their cash), paying ``application_cost``; applicants are
awarded vouchers in a random (common-random-number) order, as many as the month's budget
pays. A voucher
pays ``min(grant_size, co_funding_rate x project_cost)`` of the next project the SME
starts within ``validity_months``; unused vouchers expire and pay nothing (no cash
transfer). The budget is charged on award (the commitment).
"""

from __future__ import annotations

from typing import Any, Literal, cast

import numpy as np
from pydantic import Field

from ..core.params import ASSUMPTION, STAGE_NAMES, PolicyParams, Role, param
from ..core.policies import Policy, lever
from ..core.rules import weak
from ..core.state import IntermediaryKind
from ..core.world import World

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
    application_rate: float = param(
        0.1,
        lo=0.0,
        hi=1.0,
        unit="1/month",
        role=L,
        source="voucher schemes are oversubscribed (Dutch and UK voucher lotteries); rate " + ASSUMPTION,
        sa=(0.03, 0.3),
        doc="Monthly application probability of a fully confident eligible SME with no need (see need_weight).",
    )
    need_weight: float = param(
        1.0,
        lo=0.0,
        hi=10.0,
        unit="-",
        role=L,
        source=ASSUMPTION,
        sa=(0.0, 3.0),
        doc="How much need raises applications: x (1 + need_weight x cost / (cost + cash)).",
    )
    application_cost: float = param(
        1_000.0,
        lo=0.0,
        hi=1e6,
        unit="EUR/application",
        role=L,
        source=ASSUMPTION,
        sa=(0.0, 5_000.0),
        doc="Cash an SME spends on applying (preparing the application), awarded or not.",
    )


@lever(SupportFunding)
class SupportFundingPolicy(Policy):
    """Vouchers co-funding OI projects (see the module docstring)."""

    kind = "support_funding"
    intermediary_kind = IntermediaryKind.NATIONAL_AGENCY
    batchable = True
    spec: SupportFunding

    def __init__(self, spec: SupportFunding, world: World, index: int) -> None:
        super().__init__(spec, world, index)
        self.voucher = np.zeros(world.n)  # EUR held toward the next project
        self.voucher_until = np.zeros(world.n, dtype=np.int64)  # last clock month it can be used
        self.stage_ok = np.isin(np.arange(len(STAGE_NAMES)), [STAGE_NAMES.index(x) for x in spec.target_stages])

    def grant(self, world: World) -> float:
        """EUR per voucher (a single run): the grant size, at most the co-funding rate of the project cost."""
        return float(self.grants(world)[0])

    def grants(self, world: World) -> np.ndarray:
        """(R,) EUR per voucher in each run (the runs of a batch may differ in project cost)."""
        rp = world.run_params  # None for a single run; a batch has every run's parameters
        costs = [p.project_cost for p in rp.by_run] if rp is not None else [world.params.project_cost]
        specs = [cast(SupportFunding, self.spec_of(r)) for r in range(self.runs)]
        return np.array([min(sp.grant_size, sp.co_funding_rate * c) for sp, c in zip(specs, costs, strict=True)])

    def open_month(self, world: World, month: int) -> None:
        expired = (self.voucher > 0) & (self.voucher_until < month)
        world.counters.add(f"vouchers_expired:{self.index}", self.count_by_run(np.flatnonzero(expired)))
        self.voucher[expired] = 0.0
        super().open_month(world, month)

    def applicants(self, world: World, month: int) -> np.ndarray:
        """SMEs that apply this month: eligible ones, with probability rising with intent and need.

        ``p = application_rate x confidence x (1 + need_weight x need)``, with need
        ``project_cost / (project_cost + cash)`` (1 with no cash, 1/2 when cash equals the
        cost); only SMEs confident enough to search apply. Each applicant pays ``application_cost``.
        """
        s = world.sme
        p: Any = world.param_view(world.sme_run)  # per SME row's run (design points may differ)
        eligible = (
            self.sme_mask
            & s.innovative
            & (self.voucher <= 0)
            & (s.n_lead < p.max_concurrent_projects)
            & self.stage_ok[s.stage]
            & (s.confidence >= weak(p.min_confidence_to_search, s.confidence))
            & ~s.abandoned
        )
        cost = p.project_cost
        if np.ndim(cost) == 0:
            need = cost / (cost + np.maximum(s.cash, 0.0)) if cost > 0 else 0.0
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                need = np.where(cost > 0, cost / (cost + np.maximum(s.cash, 0.0)), 0.0)
        rate, need_weight = self.value("application_rate", world.sme_run), self.value("need_weight", world.sme_run)
        prob = weak(rate, s.confidence) * s.confidence * (1.0 + need_weight * need)
        u = self.random(world, "apply", month)
        rows = np.flatnonzero(eligible & (u < prob))
        s.cash[rows] -= self.value("application_cost", world.sme_run[rows])
        return rows

    def apply(self, world: World, month: int) -> None:
        grants = self.grants(world)
        applicants = self.draw_lottery(world, self.applicants(world, month), month)
        applicants = applicants[grants[world.sme_run[applicants]] > 0]  # a run with no grant awards nothing
        if len(applicants) == 0:
            return
        priority = self.random(world, "", month)[applicants]
        ordered = self.order(world, applicants, priority)  # by (run, priority)
        eur = grants[world.sme_run[ordered]] * world.weight[world.actors.country[ordered].astype(np.int64)]
        chosen = np.sort(self.within_budget(world, ordered, eur, month))
        grant = grants[world.sme_run[chosen]]
        self.voucher[chosen] = grant
        self.voucher_until[chosen] = month + self.value("validity_months", world.sme_run[chosen])
        self.charge(world, chosen, grant * world.weight[world.actors.country[chosen].astype(np.int64)])
        self.award(world, chosen, month)
        counts = self.count_by_run_country(world, chosen)
        self.served_month += counts
        for im in self.intermediaries:
            im.serve(int(counts[0, im.country]))

    def subsidy(self, world: World, month: int) -> np.ndarray | None:
        return self.voucher

    def on_projects_started(self, world: World, new: dict[str, np.ndarray], month: int) -> np.ndarray | None:
        lead = new["lead"]
        paid = self.voucher[lead].copy()
        self.mark_used(lead[paid > 0])
        self.voucher[lead] = 0.0
        return paid

    def on_entry(self, world: World, rows: np.ndarray) -> None:
        super().on_entry(world, rows)
        self.voucher[rows] = 0.0
