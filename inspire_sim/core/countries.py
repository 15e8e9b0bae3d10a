"""The shipped country table: the EU-27's figures as data, each with its source.

``inspire_sim/data/countries.csv`` holds one row per EU-27 member state (Eurostat codes; EL is
Greece) and, for every figure, a ``<column>_source`` column saying where it comes from
(publisher, dataset, edition) or ``estimate: <reasoning>``. The model reads:

==========================  ==============================================================
column                      becomes
==========================  ==============================================================
``smes_10_249``             :attr:`Country.smes`: real SMEs (10-249 persons employed)
``innovation_active_share`` :attr:`Country.innovation_active_share` (CIS)
``eis_sii``                 :attr:`Country.strength` = clip((SII - 25) / 125, 0, 1)
``culture_pdi/uai``         :attr:`Country.culture` = [PDI / 100, UAI / 100] (Hofstede)
``language``                :attr:`Country.languages` (official languages, ``;``-separated)
==========================  ==============================================================

The other columns (cooperation shares, EIS indicators, business demography) are evidence:
calibration targets and plausibility checks read them with :func:`country_table`.

A scenario names countries by table: ``countries = "EU27"`` (every row), ``countries =
["DE", "FR"]`` (a subset, by code or name), or ``[[countries]]`` tables whose ``code`` fills
every field the table has and the table does not set (:func:`expand_countries`).

Bad data is refused at load with one line naming the file, row, column and fix.

May import: :mod:`inspire_sim.errors` and the core's params.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import InputError, unknown_key_fix
from .tables import Record, Schema, read_table, shipped

EU27 = tuple(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
"""Eurostat codes of the 27 member states (EL = Greece)."""

TABLE_NAMES = ("EU27",)
"""Names a scenario may give as ``countries = "<name>"``."""

STRENGTH_SII = (25.0, 125.0)
"""strength = (SII - 25) / 125, clipped to [0, 1]: the EIS summary innovation index (% of the EU
average, EU = 100) mapped linearly so that the weakest member (~35) is near 0.1 and the leaders
(~130-136) near 0.85-0.9 (an assumption: the index orders countries, the scale is ours)."""

SCHEMA = Schema(
    key="code",
    required=("code", "name", "smes_10_249", "innovation_active_share", "eis_sii", "culture_pdi", "culture_uai"),
    counts=("smes_10_249", "smes_0_249"),
    shares=(
        "innovation_active_share",
        "cooperation_share",
        "foreign_eu_cooperation_share",
        "sme_collaborating_share",
        "death_rate_10plus",
    ),
    indices=("eis_sii", "culture_pdi", "culture_uai", "english_proficiency"),
)
"""The country table's columns: the model's inputs are required."""


def strength_of(index: float) -> float:
    """An innovation scoreboard index (% of the EU average) as a strength in [0, 1] (:data:`STRENGTH_SII`)."""
    lo, width = STRENGTH_SII
    return round(min(max((float(index) - lo) / width, 0.0), 1.0), 4)


@dataclass(frozen=True)
class CountryRecord(Record):
    """One row of the country table (a :class:`~inspire_sim.core.tables.Record` keyed by code)."""

    @property
    def code(self) -> str:
        return self.key

    @property
    def name(self) -> str:
        return self.text["name"]

    def country_fields(self) -> dict[str, Any]:
        """The :class:`~inspire_sim.core.params.Country` fields this row gives."""
        return {
            "name": self.name,
            "code": self.code,
            "smes": self.number("smes_10_249"),
            "strength": strength_of(self.number("eis_sii")),
            "culture": [self.number("culture_pdi") / 100.0, self.number("culture_uai") / 100.0],
            "innovation_active_share": self.number("innovation_active_share"),
            "languages": [x.strip() for x in self.text.get("language", "").split(";") if x.strip()],
            "regions": _regions_of(self.code),
        }


def _regions_of(code: str) -> list[str]:
    from .regions import regions_of  # the region table reads the country codes of this module

    return regions_of(code)


def table_path() -> Path:
    """The shipped ``countries.csv`` (inside the package: a wheel and a checkout alike)."""
    return shipped("countries.csv")


def load_table(path: str | Path) -> dict[str, CountryRecord]:
    """Read and check a country table (CSV with ``<column>_source`` columns); records by code.

    Refuses, in one line naming the file, row, column and fix: a missing required column or
    cell, a figure without a source, a negative count, a share outside [0, 1], a duplicate
    code, and a table that lacks one of the EU-27.
    """
    rows = read_table(path, SCHEMA)
    out = {k: CountryRecord(r.key, r.values, r.text, r.sources) for k, r in rows.items()}
    missing = [c for c in EU27 if c not in out]
    if missing:
        raise InputError(
            f"country {missing[0]} is missing ({len(out)} rows)",
            source=Path(path).name,
            fix=f"add a row for {', '.join(missing)}: the table covers the EU-27",
        )
    return out


@cache
def country_table() -> dict[str, CountryRecord]:
    """The shipped EU-27 table (checked once per process)."""
    return load_table(table_path())


def lookup(key: str, where: str, source: str) -> CountryRecord:
    """The row of a country named by code (``"DE"``) or name (``"Germany"``)."""
    table = country_table()
    if key in table:
        return table[key]
    by_name = {r.name: r for r in table.values()}
    if key in by_name:
        return by_name[key]
    raise InputError(
        f"unknown country {key!r}", source=source, field=where, fix=unknown_key_fix(key, [*table, *by_name])
    )


def expand_countries(raw: Any, source: str) -> list[dict[str, Any]]:
    """A scenario's ``countries`` as a list of country tables, the shipped table's figures filled in.

    ``"EU27"``: every row; a list of codes or names: those rows; a list of tables: each as written,
    a ``code`` filling the fields it does not set.
    """
    if isinstance(raw, str):
        if raw not in TABLE_NAMES:
            raise InputError(
                f"unknown country table {raw!r}",
                source=source,
                field="countries",
                fix=f'use countries = "{TABLE_NAMES[0]}", a list of codes, or [[countries]] tables',
            )
        return [country_table()[c].country_fields() for c in EU27]
    if not isinstance(raw, list):
        raise InputError(
            "must be a table name, a list of codes or [[countries]] tables",
            source=source,
            field="countries",
            fix='write countries = "EU27" or countries = ["DE", "FR"]',
        )
    out: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            out.append(lookup(item, f"countries[{i}]", source).country_fields())
        elif isinstance(item, dict) and item.get("code"):
            rec = lookup(str(item["code"]), f"countries[{i}].code", source)
            out.append({**rec.country_fields(), **item, "code": rec.code})
        else:
            out.append(item)
    return out


__all__ = ["EU27", "CountryRecord", "country_table", "expand_countries", "load_table", "lookup", "table_path"]
