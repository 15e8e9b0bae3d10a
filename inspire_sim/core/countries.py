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

import csv
import importlib.resources
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import InputError, unknown_key_fix

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

_COUNTS = ("smes_10_249", "smes_0_249")
_SHARES = (
    "innovation_active_share",
    "cooperation_share",
    "foreign_eu_cooperation_share",
    "sme_collaborating_share",
    "death_rate_10plus",
)
_INDICES = ("eis_sii", "culture_pdi", "culture_uai")
REQUIRED = ("code", "name", "smes_10_249", "innovation_active_share", "eis_sii", "culture_pdi", "culture_uai")
"""Columns every row must fill (the model's inputs)."""


@dataclass(frozen=True)
class CountryRecord:
    """One row of the country table: the figures (floats, or None where blank) and their sources."""

    code: str
    name: str
    values: dict[str, float | None]
    text: dict[str, str]
    sources: dict[str, str]

    def __getitem__(self, column: str) -> float | None:
        return self.values[column]

    def is_estimate(self, column: str) -> bool:
        """Whether the figure in ``column`` is an estimate (its source says so)."""
        return self.sources.get(column, "").strip().lower().startswith("estimate")

    def country_fields(self) -> dict[str, Any]:
        """The :class:`~inspire_sim.core.params.Country` fields this row gives."""
        sii = self.values["eis_sii"]
        lo, width = STRENGTH_SII
        strength = min(max((float(sii or 0.0) - lo) / width, 0.0), 1.0)
        return {
            "name": self.name,
            "code": self.code,
            "smes": float(self.values["smes_10_249"] or 0.0),
            "strength": round(strength, 4),
            "culture": [
                float(self.values["culture_pdi"] or 0.0) / 100.0,
                float(self.values["culture_uai"] or 0.0) / 100.0,
            ],
            "innovation_active_share": float(self.values["innovation_active_share"] or 0.0),
        }


def table_path() -> Path:
    """The shipped ``countries.csv`` (inside the package: a wheel and a checkout alike)."""
    return Path(str(importlib.resources.files("inspire_sim").joinpath("data", "countries.csv")))


def _number(raw: str, where: str, column: str, path: str) -> float | None:
    text = raw.strip().replace("_", "")
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(
            f"{where}, column {column}: {raw!r} is not a number", source=path, fix="write a plain number"
        ) from None
    if not math.isfinite(value):
        raise InputError(f"{where}, column {column}: {raw!r} is not finite", source=path, fix="write a finite number")
    return value


def _check(value: float | None, where: str, column: str, path: str) -> None:
    if value is None:
        return
    if column in _COUNTS and value <= 0:
        raise InputError(
            f"{where}, column {column}: {value:g} is not a positive count",
            source=path,
            fix="give the number of enterprises (> 0), or leave the cell empty if the column is optional",
        )
    if column in _SHARES and not 0.0 <= value <= 1.0:
        raise InputError(
            f"{where}, column {column}: {value:g} is outside [0, 1]",
            source=path,
            fix="give a share between 0 and 1 (e.g. 0.53, not 53)",
        )
    if column in _INDICES and value < 0:
        raise InputError(f"{where}, column {column}: {value:g} is negative", source=path, fix="give a score >= 0")


def load_table(path: str | Path) -> dict[str, CountryRecord]:
    """Read and check a country table (CSV with ``<column>_source`` columns); records by code.

    Refuses, in one line naming the file, row, column and fix: a missing required column or
    cell, a figure without a source, a negative count, a share outside [0, 1], a duplicate
    code, and a table that lacks one of the EU-27.
    """
    path = Path(path)
    name = path.name
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header: list[str] = list(reader.fieldnames or [])
            rows: list[dict[str, str]] = list(reader)
    except FileNotFoundError:
        raise InputError("file not found", source=str(path), fix="give the path of a country table CSV") from None
    for col in REQUIRED:
        if col not in header:
            raise InputError(f"column {col} is missing", source=name, fix=f"add a column {col} (see countries.csv)")
    figures = [c for c in header if c not in ("code", "name") and not c.endswith("_source")]
    numeric = [c for c in figures if c in (*_COUNTS, *_SHARES, *_INDICES)]
    out: dict[str, CountryRecord] = {}
    for k, row in enumerate(rows, start=2):  # row 1 is the header
        code = (row.get("code") or "").strip()
        where = f"row {k} ({code or '?'})"
        for col in REQUIRED:
            if not (row.get(col) or "").strip():
                raise InputError(f"{where}, column {col}: empty", source=name, fix=f"fill {col} (it is required)")
        values: dict[str, float | None] = {}
        for col in numeric:
            values[col] = _number(row.get(col) or "", where, col, name)
            _check(values[col], where, col, name)
        sources: dict[str, str] = {}
        for col in figures:
            src = (row.get(f"{col}_source") or "").strip()
            if (row.get(col) or "").strip() and not src:
                raise InputError(
                    f"{where}, column {col}_source: a figure without a source",
                    source=name,
                    fix=f"cite where {col} comes from, or write 'estimate: <reasoning>'",
                )
            sources[col] = src
        if code in out:
            raise InputError(
                f"{where}, column code: duplicate code {code}", source=name, fix="give each country one row"
            )
        text = {c: (row.get(c) or "").strip() for c in figures if c not in numeric}
        out[code] = CountryRecord(code, row["name"].strip(), values, text, sources)
    missing = [c for c in EU27 if c not in out]
    if missing:
        raise InputError(
            f"country {missing[0]} is missing ({len(out)} rows)",
            source=name,
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
