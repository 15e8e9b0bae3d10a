"""Support funding: grants (innovation vouchers, cooperation grants) co-funding an SME's next OI project.

Innovation-active SMEs that may lead a project, hold no grant, are confident enough to
search and whose planned project costs at least ``min_project_cost`` apply with a
probability rising with their confidence (intent) and their need (the planned project's
cost relative to their cash), paying ``application_cost``; applicants are awarded grants in
a random (common-random-number) order, as many as the month's budget commits.

A grant is ``min(grant_size, co_funding_rate x planned project cost)``: the co-funding rate
binds for small projects, ``grant_size`` for projects costing more than ``grant_size /
co_funding_rate``. It pays toward the next project the SME starts within
``validity_months``. The award commits the grant against the budget (the monthly budget and
the total caps); the budget is charged (spending) when the grant is used, and a grant that
expires unused returns its commitment to the budget of the month it expires.

Real programmes differ by these parameters only: a national innovation voucher is a small
grant (EUR 2.5k-10k) at a high co-funding rate; a cooperation grant (Germany's ZIM, the
Netherlands' MIT) is a large one (EUR 100k-350k) at 35-60% for projects above a minimum size.
"""

from __future__ import annotations

from typing import Any, Literal

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
        7_000_000.0,
        lo=0.0,
        hi=1e13,
        unit="real EUR/month",
        role=L,
        source="national voucher schemes: EUR 2 M-22.5 M a year per country (AT, SI, NL; references.toml); "
        "EU-wide level an estimate",
        sa=(0.0, 50_000_000.0),
        doc="Grants committed per month in the targeted countries together (awards compete in one queue); unused "
        "commitments return at expiry.",
    )
    grant_size: float = param(
        5_000.0,
        lo=0.0,
        hi=1e7,
        unit="EUR",
        role=L,
        source="innovation vouchers of EUR 2.5k-10k (NL, IE, AT, EE, LT, PL; references.toml)",
        sa=(2_500.0, 15_000.0),
        doc="Maximum grant per project: the grant is min(grant_size, co_funding_rate x planned project cost).",
    )
    co_funding_rate: float = param(
        0.8,
        lo=0.0,
        hi=1.0,
        unit="share",
        role=L,
        source="voucher schemes: the SME pays 0-50%, most often 20-33% (AT, UK, PT, NL; references.toml)",
        sa=(0.5, 1.0),
        doc="Share of the project cost the grant covers (up to grant_size).",
    )
    min_project_cost: float = param(
        0.0,
        lo=0.0,
        hi=1e8,
        unit="EUR",
        role=L,
        source="cooperation grant programmes fund R&D projects above a minimum size (ZIM, MIT); " + ASSUMPTION,
        sa=(0.0, 200_000.0),
        doc="Only SMEs whose planned project costs at least this may apply.",
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
    holder_search_rate: float = param(
        0.15,
        lo=0.0,
        hi=1.0,
        unit="1/month",
        role=L,
        source="set so that 70-90% of awarded vouchers are used (NL 2004: 0.9, 2005: 0.85; AT: 0.69; "
        "references.toml); " + ASSUMPTION,
        sa=(0.05, 0.4),
        doc="Least monthly probability that an SME holding a grant searches for a partner to use it on.",
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
        self.voucher_until = np.zeros(world.n, dtype=np.int32)  # last clock month it can be used
        self.stage_ok = np.isin(np.arange(len(STAGE_NAMES)), [STAGE_NAMES.index(x) for x in spec.target_stages])

    def grants(self, world: World, rows: np.ndarray) -> np.ndarray:
        """EUR of a grant to each of SMEs ``rows``: min(grant_size, co_funding_rate x its planned project cost)."""
        run = world.sme_run[rows]
        size, rate = self.value("grant_size", run), self.value("co_funding_rate", run)
        return np.minimum(size, rate * world.sme.next_cost[rows])

    def settle(self, world: World, month: int) -> None:
        """Grants past their validity expire unused: their commitments return to this month's budget."""
        expired = np.flatnonzero((self.voucher > 0) & (self.voucher_until < month))
        world.counters.add(f"vouchers_expired:{self.index}", self.count_by_run(expired))
        self.release(world, expired, self.voucher[expired] * self._weight(world, expired))
        self.voucher[expired] = 0.0

    @staticmethod
    def _weight(world: World, rows: np.ndarray) -> np.ndarray:
        return world.weight[world.actors.country[rows].astype(np.int64)]

    def applicants(self, world: World, month: int) -> np.ndarray:
        """SMEs that apply this month: eligible ones, with probability rising with intent and need.

        ``p = application_rate x confidence x (1 + need_weight x need)``, with need
        ``cost / (cost + cash)`` of the planned project (1 with no cash, 1/2 when cash equals the
        cost); only SMEs confident enough to search, planning a project of at least
        ``min_project_cost``, apply. Each applicant pays ``application_cost``.
        """
        s = world.sme
        p: Any = world.param_view(world.sme_run)  # per SME row's run (design points may differ)
        eligible = (
            self.sme_mask
            & s.innovative
            & (s.next_cost >= self.value("min_project_cost", world.sme_run))
            & (self.voucher <= 0)
            & (s.n_lead < p.max_concurrent_projects)
            & self.stage_ok[s.stage]
            & (s.confidence >= weak(p.min_confidence_to_search, s.confidence))
            & ~s.abandoned
        )
        cost = s.next_cost
        with np.errstate(divide="ignore", invalid="ignore"):
            need = np.where(cost > 0, cost / (cost + np.maximum(s.cash, 0.0)), 0.0)
        rate, need_weight = self.value("application_rate", world.sme_run), self.value("need_weight", world.sme_run)
        prob = weak(rate, s.confidence) * s.confidence * (1.0 + need_weight * need)
        u = self.random(world, "apply", month)
        rows = np.flatnonzero(eligible & (u < prob))
        s.cash[rows] -= self.value("application_cost", world.sme_run[rows])
        return rows

    def apply(self, world: World, month: int) -> None:
        applicants = self.draw_lottery(world, self.applicants(world, month), month)
        grant = self.grants(world, applicants)
        applicants = applicants[grant > 0]  # nothing to co-fund: no award
        if len(applicants) == 0:
            return
        priority = self.random(world, "", month)[applicants]
        ordered = self.order(world, applicants, priority)  # by (run, priority)
        eur = self.grants(world, ordered) * self._weight(world, ordered)
        chosen = np.sort(self.within_budget(world, ordered, eur, month))
        grant = self.grants(world, chosen)
        self.voucher[chosen] = grant
        self.voucher_until[chosen] = month + self.value("validity_months", world.sme_run[chosen])
        self.commit(world, chosen, grant * self._weight(world, chosen))
        self.award(world, chosen, month)
        counts = self.count_by_run_country(world, chosen)
        self.served_month += counts
        for im in self.intermediaries:
            im.serve(int(counts[0, im.country]))

    def search_intent(self, world: World, month: int) -> np.ndarray | None:
        if not (self.voucher > 0).any():
            return None
        return np.where(self.voucher > 0, self.value("holder_search_rate", world.sme_run), 0.0)

    def subsidy(self, world: World, month: int) -> np.ndarray | None:
        return self.voucher

    def on_projects_started(self, world: World, new: dict[str, np.ndarray], month: int) -> np.ndarray | None:
        lead = new["lead"]
        paid = self.voucher[lead].copy()
        used = lead[paid > 0]
        self.mark_used(used)
        order = np.argsort(world.sme_run[used], kind="stable") if self.runs > 1 else slice(None)
        self.pay(world, used[order], paid[paid > 0][order] * self._weight(world, used[order]))  # charged when used
        self.voucher[lead] = 0.0
        return paid

    def on_entry(self, world: World, rows: np.ndarray) -> None:
        super().on_entry(world, rows)
        held = rows[self.voucher[rows] > 0]  # an SME that exits with a grant leaves it unused
        self.release(world, held, self.voucher[held] * self._weight(world, held))
        self.voucher[rows] = 0.0
