"""The regions and sectors of a scenario as arrays: what the world and the phases read.

:func:`geography` turns a scenario's countries (their regions) and sectors into a
:class:`Geography`: per region its country, strength, scoreboard group, share of the country's
SMEs and its neighbours across the border; per sector its share of SMEs, cooperation ratio,
innovation-active factor and partner-type mix. Regions and sectors of the shipped tables
(:mod:`inspire_sim.core.regions`) take their figures; others (a country written out in full,
a sector name of the user's) get neutral ones: the country's strength, equal shares, factors
of 1, the average partner mix.

May import: the core's params, regions and state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .countries import STRENGTH_SII
from .regions import GROUPS, region_table, sector_table
from .state import PartnerType

GROUP_THRESHOLDS = (125.0, 100.0, 70.0)
"""Scoreboard index (% of the EU average) above which a region is a leader, strong, moderate (else emerging)."""


def group_of_index(index: float) -> int:
    """The :data:`~inspire_sim.core.regions.GROUPS` position of a scoreboard index."""
    return next((k for k, t in enumerate(GROUP_THRESHOLDS) if index > t), len(GROUP_THRESHOLDS))


@dataclass
class Geography:
    """Regions (G) and sectors (S) of one scenario."""

    region_names: list[str]
    region_country: np.ndarray  # (G,) int
    region_strength: np.ndarray  # (G,) in [0, 1]
    region_group: np.ndarray  # (G,) int8: index into GROUPS
    region_share: np.ndarray  # (G,) share of the country's SMEs (sums to 1 per country)
    adjacent: np.ndarray  # (G, G) bool: regions that touch across a border
    nb_ptr: np.ndarray  # (G + 1,) CSR offsets of each region's neighbours abroad (simulated regions only)
    nb_idx: np.ndarray  # neighbour region indices
    sector_names: list[str]
    sector_share: np.ndarray  # (S,) share of SMEs
    sector_coop_ratio: np.ndarray  # (S,) CIS cooperation share / the SME-weighted mean
    sector_innovation_factor: np.ndarray  # (S,) innovation-active share / the SME-weighted mean
    sector_type_cum: np.ndarray  # (S, 4) cumulative encounter shares of the partner types

    @property
    def groups(self) -> list[str]:
        """Group name of each region."""
        return [GROUPS[g] for g in self.region_group]


def geography(countries: list[Any], params: Any) -> Geography:
    """The regions of ``countries`` (in order) and the sectors of ``params`` as arrays."""
    table = region_table()
    names: list[str] = []
    country: list[int] = []
    strength: list[float] = []
    group: list[int] = []
    share: list[float] = []
    for k, c in enumerate(countries):
        regs = c.region_names
        raw = [table[r].number("sme_share") if r in table else 1.0 for r in regs]
        total = sum(raw) or 1.0
        for r, sh in zip(regs, raw, strict=True):
            names.append(r)
            country.append(k)
            share.append(sh / total)
            if r in table:
                strength.append(table[r].strength)
                group.append(GROUPS.index(table[r].group))
            else:  # a region of the user's: its country's strength
                strength.append(float(c.strength))
                group.append(group_of_index(STRENGTH_SII[0] + STRENGTH_SII[1] * float(c.strength)))
    g = len(names)
    pos = {r: i for i, r in enumerate(names)}
    adjacent = np.zeros((g, g), dtype=bool)
    nbs: list[list[int]] = []
    for i, r in enumerate(names):
        mine = [pos[x] for x in (table[r].neighbours if r in table else ()) if x in pos]
        nbs.append(mine)
        adjacent[i, mine] = True
    adjacent |= adjacent.T
    nb_ptr = np.concatenate([[0], np.cumsum([len(x) for x in nbs])]).astype(np.int64)
    nb_idx = np.array([x for row in nbs for x in row], dtype=np.int64)
    return Geography(
        region_names=names,
        region_country=np.array(country, dtype=np.int64),
        region_strength=np.array(strength),
        region_group=np.array(group, dtype=np.int8),
        region_share=np.array(share),
        adjacent=adjacent,
        nb_ptr=nb_ptr,
        nb_idx=nb_idx,
        **_sectors(list(params.sectors), params),
    )


def _sectors(names: list[str], p: Any) -> dict[str, Any]:
    """Sector arrays: the table's figures for its sectors, neutral ones for others (weights renormalised)."""
    table = sector_table()
    known = [table[s] for s in names if s in table]
    mean_share = np.mean([r.number("sme_share") for r in known]) if known else 1.0
    share = np.array([table[s].number("sme_share") if s in table else mean_share for s in names])
    share = share / share.sum()
    coop = np.array([table[s].number("cooperation_share") if s in table else np.nan for s in names])
    innov = np.array([table[s].number("innovation_active_share") if s in table else np.nan for s in names])
    # SME-weighted means over the known sectors; unknown sectors sit at the mean (ratio 1)
    w = np.where(np.isnan(coop), 0.0, share)
    coop_mean = float(np.nansum(coop * w) / w.sum()) if w.sum() > 0 else 1.0
    innov_mean = float(np.nansum(innov * w) / w.sum()) if w.sum() > 0 else 1.0
    coop_ratio = np.where(np.isnan(coop), 1.0, coop / coop_mean)
    innov_factor = np.where(np.isnan(innov), 1.0, innov / innov_mean)
    # partner mix: the model's global encounter shares, tilted by each sector's CIS mix
    base = {
        PartnerType.SME_PEER: p.share_peer,
        PartnerType.PSR: p.share_psr,
        PartnerType.LARGE_FIRM: p.share_large_firm,
        PartnerType.CROWD: p.share_crowd,
    }
    mixes = np.array([table[s].partner_mix() if s in table else np.full(3, np.nan) for s in names])
    have = ~np.isnan(mixes).any(axis=1)
    eu = (mixes[have] * share[have, None]).sum(axis=0) / share[have].sum() if have.any() else np.ones(3)
    tilt = np.where(have[:, None], mixes / np.where(eu > 0, eu, 1.0), 1.0)  # (S, 3): peer, research, large firm
    shares = np.zeros((len(names), 4))
    shares[:, PartnerType.SME_PEER] = base[PartnerType.SME_PEER] * tilt[:, 0]
    shares[:, PartnerType.PSR] = base[PartnerType.PSR] * tilt[:, 1]
    shares[:, PartnerType.LARGE_FIRM] = base[PartnerType.LARGE_FIRM] * tilt[:, 2]
    shares[:, PartnerType.CROWD] = base[PartnerType.CROWD]
    total = shares.sum(axis=1, keepdims=True)
    cum = np.cumsum(shares / np.where(total > 0, total, 1.0), axis=1)
    cum[:, -1] = 1.0
    return dict(
        sector_names=names,
        sector_share=share,
        sector_coop_ratio=coop_ratio,
        sector_innovation_factor=innov_factor,
        sector_type_cum=cum,
    )


__all__ = ["GROUP_THRESHOLDS", "Geography", "geography", "group_of_index"]
