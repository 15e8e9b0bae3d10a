"""Policy levers: one class per lever, applied at a fixed phase, each accounting its spend.

A scenario's ``[[policies]]`` entries become :class:`Policy` objects. Each targets
countries (and optionally regions and sectors) in a time window ``[start, end)`` and
never spends more than its ``budget_per_step`` in a month nor its ``total_budget`` over
the run. Levers that deliver a service do so through :class:`~inspire_sim.agents.Intermediary`
agents (one per targeted country) whose monthly capacity the policy sets in phase 1.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .agents import NO_STEP, Intermediary, IntermediaryKind, Stage
from .params import (
    STAGE_NAMES,
    CrossBorderBrokering,
    FailureRecovery,
    Matchmaking,
    OIToolbox,
    PolicyParams,
    SupportFunding,
)

if TYPE_CHECKING:
    from .model import InspireModel

LEVER_ORDER = ("support_funding", "cross_border_brokering", "matchmaking", "oi_toolbox", "failure_recovery")


def pick_per_country(
    candidates: np.ndarray, country: np.ndarray, caps: np.ndarray, priority: np.ndarray, limit: int | None = None
) -> np.ndarray:
    """Choose among ``candidates`` at most ``caps[c]`` per country, lowest priority first.

    ``country`` and ``priority`` are indexed like ``candidates``. If ``limit`` is given,
    at most that many in total (again by priority). Returns the chosen candidates.
    """
    if len(candidates) == 0:
        return candidates
    order = np.lexsort((priority, country))
    c_sorted = country[order]
    first = np.searchsorted(c_sorted, c_sorted, side="left")
    rank = np.arange(len(order)) - first
    chosen = order[rank < caps[c_sorted]]
    if limit is not None and len(chosen) > limit:
        chosen = chosen[np.argsort(priority[chosen], kind="stable")[: max(limit, 0)]]
    return candidates[np.sort(chosen)]


class Policy:
    """Base class: targeting, time window, budget and spend accounting."""

    kind: str = ""
    intermediary_kind: IntermediaryKind | None = None

    def __init__(self, spec: PolicyParams, model: InspireModel, index: int) -> None:
        self.spec = spec
        self.index = index
        self.lever = LEVER_ORDER.index(self.kind)
        n_c = len(model.country_names)
        if spec.countries == "all":
            self.country_mask = np.ones(n_c, dtype=bool)
        else:
            self.country_mask = np.isin(model.country_names, spec.countries)
        mask = self.country_mask[model.actors.country[: model.n]]
        if spec.regions:
            mask &= np.isin(model.sme.region, [model.region_names.index(r) for r in spec.regions])
        if spec.sectors:
            mask &= np.isin(model.sme.sector, [model.p.sectors.index(s) for s in spec.sectors])
        self.sme_mask = mask  # SME slots keep country, region and sector on entry
        self.spent_total = 0.0
        self.spent_month = 0.0
        self.intermediaries: list[Intermediary] = []
        if self.intermediary_kind is not None:
            self.intermediaries = [
                Intermediary(model, self.intermediary_kind, int(c), self) for c in np.flatnonzero(self.country_mask)
            ]

    @property
    def name(self) -> str:
        return self.spec.label or self.kind

    def active(self, month: int) -> bool:
        """Whether the measure runs in ``month`` (0-based)."""
        end = self.spec.end if self.spec.end is not None else math.inf
        return self.spec.start <= month < end

    def budget_left(self, model: InspireModel) -> float:
        """EUR that may still be spent this month (this measure's caps and the plan's total cap)."""
        left = model.plan_budget_left()
        if self.spec.budget_per_step is not None:
            left = min(left, self.spec.budget_per_step - self.spent_month)
        if self.spec.total_budget is not None:
            left = min(left, self.spec.total_budget - self.spent_total)
        return max(left, 0.0)

    def affordable(self, model: InspireModel, unit_cost: float) -> int | None:
        """How many units of ``unit_cost`` the remaining budget pays for (None: unlimited)."""
        left = self.budget_left(model)
        if math.isinf(left):
            return None
        return int(left // unit_cost) if unit_cost > 0 else None

    def charge(self, model: InspireModel, smes: np.ndarray, eur_each: float | np.ndarray) -> None:
        """Book spending on ``smes`` (by their country) for this month."""
        eur = np.broadcast_to(np.asarray(eur_each, dtype=float), smes.shape)
        total = float(eur.sum())
        if total <= 0:
            return
        self.spent_month += total
        self.spent_total += total
        model.plan_spent += total
        np.add.at(model.spend_month[self.index], model.actors.country[smes], eur)

    def open_month(self, model: InspireModel, month: int) -> None:
        """Phase 1: reset the monthly account, give intermediaries capacity, act."""
        self.spent_month = 0.0
        on = self.active(month)
        cap = getattr(self.spec, "capacity", 0) if on else 0
        for im in self.intermediaries:
            im.open_for(cap)
        if on:
            self.apply(model, month)

    def apply(self, model: InspireModel, month: int) -> None:
        """Lever-specific action in phase 1 (service levers act when SMEs search)."""

    def capacity_array(self, model: InspireModel) -> np.ndarray:
        caps = np.zeros(len(model.country_names), dtype=np.int64)
        for im in self.intermediaries:
            caps[im.country] = max(im.capacity_left, 0)
        return caps

    def serve(self, model: InspireModel, smes: np.ndarray, priority: np.ndarray) -> np.ndarray:
        """Serve some of ``smes`` within this month's capacity and budget; charge; return them."""
        cost = getattr(self.spec, "cost_per_service", 0.0)
        keep = self.sme_mask[smes]
        eligible, prio = smes[keep], priority[keep]
        chosen = pick_per_country(
            eligible, model.actors.country[eligible], self.capacity_array(model), prio, self.affordable(model, cost)
        )
        counts = np.bincount(model.actors.country[chosen], minlength=len(model.country_names))
        for im in self.intermediaries:
            im.serve(int(counts[im.country]))
        self.charge(model, chosen, cost)
        return chosen


class SupportFundingPolicy(Policy):
    """Grants co-funding the next OI project of targeted, innovation-active SMEs."""

    kind = "support_funding"
    intermediary_kind = IntermediaryKind.NATIONAL_AGENCY
    spec: SupportFunding

    def grant(self, model: InspireModel) -> float:
        return min(self.spec.grant_size, self.spec.co_funding_rate * model.p.project_cost)

    def apply(self, model: InspireModel, month: int) -> None:
        s = model.sme
        stage_ok = np.zeros(len(STAGE_NAMES), dtype=bool)
        stage_ok[[STAGE_NAMES.index(x) for x in self.spec.target_stages]] = True
        eligible = np.flatnonzero(
            self.sme_mask
            & s.innovative
            & (s.voucher <= 0)
            & (s.n_lead < model.p.max_concurrent_projects)
            & stage_ok[s.stage]
        )
        grant = self.grant(model)
        if grant <= 0 or len(eligible) == 0:
            return
        n = self.affordable(model, grant)
        priority = model.streams.get(f"policy:{self.kind}:{self.index}", month).random(model.n)[eligible]
        # vouchers go to the eligible SMEs with the lowest priority draws, as many as the budget pays
        chosen = eligible if n is None or n >= len(eligible) else eligible[np.sort(np.argpartition(priority, n)[:n])]
        s.voucher[chosen] = grant
        s.voucher_until[chosen] = month + model.VOUCHER_MONTHS
        s.cash[chosen] += grant
        self.charge(model, chosen, grant)
        for im in self.intermediaries:
            im.serve(int(np.sum(model.actors.country[chosen] == im.country)))


class CrossBorderBrokeringPolicy(Policy):
    """Brokers introduce foreign candidates to searching SMEs and lower friction."""

    kind = "cross_border_brokering"
    intermediary_kind = IntermediaryKind.CROSS_BORDER_BROKER
    spec: CrossBorderBrokering


class MatchmakingPolicy(Policy):
    """National agencies and clusters introduce screened domestic candidates."""

    kind = "matchmaking"
    intermediary_kind = IntermediaryKind.CLUSTER
    spec: Matchmaking


class OIToolboxPolicy(Policy):
    """Coaching with the OI toolbox: partnership-model quality and vision setting."""

    kind = "oi_toolbox"
    intermediary_kind = IntermediaryKind.NATIONAL_AGENCY
    spec: OIToolbox

    def apply(self, model: InspireModel, month: int) -> None:
        s = model.sme
        eligible = np.flatnonzero(self.sme_mask & s.innovative & (s.toolbox <= 0))
        priority = model.streams.get(f"policy:{self.kind}:{self.index}", month).random(model.n)[eligible]
        chosen = self.serve(model, eligible, priority)
        s.toolbox[chosen] = np.minimum(1.0, s.toolbox[chosen] + self.spec.partnership_model_gain)
        s.vision_align[chosen] = np.minimum(1.0, s.vision_align[chosen] + self.spec.vision_gain)


class FailureRecoveryPolicy(Policy):
    """Support to SMEs that failed in the last three months: faster confidence recovery."""

    kind = "failure_recovery"
    intermediary_kind = IntermediaryKind.NATIONAL_AGENCY
    spec: FailureRecovery
    WINDOW = 3  # months after a failure in which an SME can be taken in

    def apply(self, model: InspireModel, month: int) -> None:
        s = model.sme
        recent = (s.last_fail != NO_STEP) & (month - s.last_fail <= self.WINDOW)
        eligible = np.flatnonzero(self.sme_mask & recent & (s.recovery_until < month))
        priority = model.streams.get(f"policy:{self.kind}:{self.index}", month).random(model.n)[eligible]
        chosen = self.serve(model, eligible, priority)
        s.recovery_until[chosen] = month + self.spec.support_months

    def boost(self, model: InspireModel, month: int) -> np.ndarray:
        """Recovery multiplier per SME this month (1 where not supported)."""
        supported = self.sme_mask & (model.sme.recovery_until >= month)
        return np.where(supported, self.spec.recovery_boost, 1.0)


POLICY_CLASSES: dict[str, type[Policy]] = {
    cls.kind: cls
    for cls in (
        SupportFundingPolicy,
        CrossBorderBrokeringPolicy,
        MatchmakingPolicy,
        OIToolboxPolicy,
        FailureRecoveryPolicy,
    )
}


def build_policies(model: InspireModel) -> list[Policy]:
    """Policy objects for the scenario's ``[[policies]]`` entries, in file order."""
    return [POLICY_CLASSES[spec.kind](spec, model, i) for i, spec in enumerate(model.inspire_scenario.policies)]


__all__ = ["LEVER_ORDER", "POLICY_CLASSES", "Policy", "Stage", "build_policies", "pick_per_country"]
