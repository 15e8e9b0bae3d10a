"""Regional and sectoral innovation systems as data: the EU-27's NUTS-2 regions and the sectors.

``inspire_sim/data/regions.csv`` holds the 242 NUTS-2 regions (NUTS 2021) of the EU-27: country,
the region's share of its country's SMEs, the Regional Innovation Scoreboard 2023 index and
group, whether it has a land border with another EU/EFTA country and which regions touch it
across the border, a centroid (for maps) and whether it holds the capital. ``sectors.csv``
holds the sectors (NACE groups that matter for OI): their share of SMEs, innovation-active and
cooperation shares and the mix of cooperation partners (CIS). Every figure has its source or
``estimate: <reasoning>`` (:mod:`inspire_sim.core.tables`).

What the model takes from them (docs/ODD.md):

- a region's **strength** = (RIS index - 25) / 125, clipped to [0, 1] (the EIS mapping,
  :func:`inspire_sim.core.countries.strength_of`), which shapes the search and project success
  of its SMEs and the share of the country's research organisations and large firms located
  there;
- its **group** (leader, strong, moderate, emerging) for targeting and reports;
- its **neighbours abroad**, where the SMEs of border regions meet foreign actors more often and
  with less friction;
- a sector's **cooperation propensity** (its CIS cooperation share / the SME-weighted mean), its
  **innovation-active factor** (its innovation-active share / the mean) and its **partner mix**
  (CIS partner types mapped to the model's: universities + public research -> research
  organisations; suppliers + clients -> large firms; competitors + consultants -> SME peers; the
  crowd is not in the CIS and keeps its share).

May import: :mod:`inspire_sim.errors` and the core's tables and countries.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from ..errors import InputError, unknown_key_fix
from .countries import EU27, strength_of
from .tables import Record, Schema, read_table, shipped

GROUPS = ("leader", "strong", "moderate", "emerging")
"""Regional Innovation Scoreboard performance groups, strongest first (``+``/``-`` subgroups folded in)."""

REGION_SCHEMA = Schema(
    key="nuts2",
    required=("nuts2", "name", "country", "sme_share", "ris_index", "ris_group"),
    shares=("sme_share",),
    indices=("ris_index",),
    numbers=("lat", "lon", "border", "capital"),
)
SECTOR_SCHEMA = Schema(
    key="sector",
    required=("sector", "name", "sme_share", "innovation_active_share", "cooperation_share"),
    shares=(
        "sme_share",
        "innovation_active_share",
        "cooperation_share",
        "coop_universities",
        "coop_government_research",
        "coop_suppliers",
        "coop_clients",
        "coop_competitors",
        "coop_consultants",
        "innovation_turnover_share",
    ),
)
EFTA = ("CH", "NO", "LI", "IS")
"""Neighbours across the border may be EFTA regions (not simulated: the model's SMEs meet no actors there)."""
SHARE_TOLERANCE = 0.02
"""Shares of one country's regions (and of all sectors) must add up to 1 within this."""


def group_of(text: str) -> str:
    """The group of a scoreboard label: ``"Moderate+ Innovator"`` -> ``"moderate"``."""
    low = text.strip().lower()
    for g in GROUPS:
        if low.startswith(g) or low.startswith(f"innovation {g}"):
            return g
    raise ValueError(text)


@dataclass(frozen=True)
class RegionRecord(Record):
    """One NUTS-2 region (a :class:`~inspire_sim.core.tables.Record` keyed by its code)."""

    @property
    def code(self) -> str:
        return self.key

    @property
    def name(self) -> str:
        return self.text["name"]

    @property
    def country(self) -> str:
        return self.text["country"]

    @property
    def group(self) -> str:
        return group_of(self.text["ris_group"])

    @property
    def strength(self) -> float:
        return strength_of(self.number("ris_index"))

    @property
    def neighbours(self) -> tuple[str, ...]:
        """Regions across the border that touch this one (EU-27 and EFTA codes)."""
        raw = self.text.get("neighbours_abroad", "")
        return tuple(x.strip() for x in raw.split(";") if x.strip())


@dataclass(frozen=True)
class SectorRecord(Record):
    """One sector (a :class:`~inspire_sim.core.tables.Record` keyed by its id)."""

    @property
    def name(self) -> str:
        return self.text["name"]

    def partner_mix(self) -> np.ndarray:
        """CIS cooperation partners as the model's types: (peer, research, large firm), unnormalised."""
        n = self.number
        return np.array(
            [
                n("coop_competitors") + n("coop_consultants"),
                n("coop_universities") + n("coop_government_research"),
                n("coop_suppliers") + n("coop_clients"),
            ]
        )


def load_regions(path: str | Path) -> dict[str, RegionRecord]:
    """Read and check a region table; records by NUTS-2 code (in file order).

    Beyond the table checks: every country is an EU-27 code and has regions, each country's
    shares add up to 1, groups are scoreboard groups and neighbours are regions of the table.
    """
    name = Path(path).name
    rows = read_table(path, REGION_SCHEMA)
    out = {k: RegionRecord(r.key, r.values, r.text, r.sources) for k, r in rows.items()}
    for k, (code, r) in enumerate(out.items(), start=2):
        if r.country not in EU27:
            raise InputError(
                f"row {k} ({code}), column country: {r.country!r} is not an EU-27 code",
                source=name,
                fix=unknown_key_fix(r.country, EU27),
            )
        try:
            r.group  # noqa: B018 (checks the label)
        except ValueError:
            raise InputError(
                f"row {k} ({code}), column ris_group: {r.text['ris_group']!r} is not a scoreboard group",
                source=name,
                fix="write Innovation Leader, Strong Innovator, Moderate Innovator or Emerging Innovator",
            ) from None
        for nb in r.neighbours:
            if nb not in rows and nb[:2] not in EFTA:
                raise InputError(
                    f"row {k} ({code}), column neighbours_abroad: unknown region {nb!r}",
                    source=name,
                    fix=unknown_key_fix(nb, rows),
                )
    for c in EU27:
        total = sum(r.number("sme_share") for r in out.values() if r.country == c)
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise InputError(
                f"the regions of {c} have sme_share adding up to {total:.3f}",
                source=name,
                fix=f"give {c}'s regions shares that add up to 1",
            )
    return out


def load_sectors(path: str | Path) -> dict[str, SectorRecord]:
    """Read and check a sector table; records by sector id (their shares add up to 1)."""
    rows = read_table(path, SECTOR_SCHEMA)
    out = {k: SectorRecord(r.key, r.values, r.text, r.sources) for k, r in rows.items()}
    total = sum(r.number("sme_share") for r in out.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise InputError(
            f"sme_share adds up to {total:.3f}", source=Path(path).name, fix="give sector shares that add up to 1"
        )
    return out


@cache
def region_table() -> dict[str, RegionRecord]:
    """The shipped NUTS-2 table (checked once per process)."""
    return load_regions(shipped("regions.csv"))


@cache
def sector_table() -> dict[str, SectorRecord]:
    """The shipped sector table (checked once per process)."""
    return load_sectors(shipped("sectors.csv"))


def regions_of(country_code: str) -> list[str]:
    """NUTS-2 codes of a country, in table order."""
    return [k for k, r in region_table().items() if r.country == country_code]


def default_sectors() -> list[str]:
    """The sector ids of the shipped table (the default of ``model.sectors``)."""
    return list(sector_table())


__all__ = [
    "GROUPS",
    "RegionRecord",
    "SectorRecord",
    "default_sectors",
    "group_of",
    "load_regions",
    "load_sectors",
    "region_table",
    "regions_of",
    "sector_table",
]
