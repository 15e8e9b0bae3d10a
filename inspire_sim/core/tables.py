"""Sourced data tables: CSV files whose every figure has a ``<column>_source`` column.

The shipped country, region and sector tables (``inspire_sim/data/*.csv``) share one format
and one reader, :func:`read_table`: each row has a key column, figure columns and, for each
figure, the column ``<figure>_source`` citing where it comes from (publisher, dataset, edition)
or ``estimate: <reasoning>``. Bad data is refused at load with one line naming the file, the
row, the column and the fix: a missing required column or cell, a number that is not one, a
figure without a source, a count that is not positive, a share outside [0, 1], a negative
index, a duplicate key.

May import: :mod:`inspire_sim.errors`.
"""

from __future__ import annotations

import csv
import importlib.resources
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError


@dataclass(frozen=True)
class Schema:
    """What a table holds: its key, required columns and the kind of each numeric column."""

    key: str
    required: tuple[str, ...]
    counts: tuple[str, ...] = ()  # > 0
    shares: tuple[str, ...] = ()  # in [0, 1]
    indices: tuple[str, ...] = ()  # >= 0 (scores, coordinates are not checked)
    numbers: tuple[str, ...] = ()  # any finite number (e.g. latitude)

    @property
    def numeric(self) -> tuple[str, ...]:
        return (*self.counts, *self.shares, *self.indices, *self.numbers)


@dataclass(frozen=True)
class Record:
    """One row: its key, its figures (floats, None where blank), its text cells and their sources."""

    key: str
    values: dict[str, float | None]
    text: dict[str, str]
    sources: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, column: str) -> float | None:
        return self.values[column]

    def number(self, column: str, default: float = 0.0) -> float:
        """The figure in ``column`` as a float (``default`` where blank)."""
        v = self.values.get(column)
        return default if v is None else float(v)

    def is_estimate(self, column: str) -> bool:
        """Whether the figure in ``column`` is an estimate (its source says so)."""
        return self.sources.get(column, "").strip().lower().startswith("estimate")


def shipped(name: str) -> Path:
    """A shipped table, ``inspire_sim/data/<name>`` (inside the package: a wheel and a checkout alike)."""
    return Path(str(importlib.resources.files("inspire_sim").joinpath("data", name)))


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


def _check(value: float | None, where: str, column: str, path: str, schema: Schema) -> None:
    if value is None:
        return
    if column in schema.counts and value <= 0:
        raise InputError(
            f"{where}, column {column}: {value:g} is not a positive count",
            source=path,
            fix="give the number of enterprises (> 0), or leave the cell empty if the column is optional",
        )
    if column in schema.shares and not 0.0 <= value <= 1.0:
        raise InputError(
            f"{where}, column {column}: {value:g} is outside [0, 1]",
            source=path,
            fix="give a share between 0 and 1 (e.g. 0.53, not 53)",
        )
    if column in schema.indices and value < 0:
        raise InputError(f"{where}, column {column}: {value:g} is negative", source=path, fix="give a score >= 0")


def read_table(path: str | Path, schema: Schema) -> dict[str, Record]:
    """Read and check a sourced table; records by key, in file order (see the module docstring)."""
    path = Path(path)
    name = path.name
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header: list[str] = list(reader.fieldnames or [])
            rows: list[dict[str, str]] = list(reader)
    except FileNotFoundError:
        raise InputError("file not found", source=str(path), fix="give the path of a data table (CSV)") from None
    for col in schema.required:
        if col not in header:
            raise InputError(
                f"column {col} is missing", source=name, fix=f"add a column {col} (see the shipped {name})"
            )
    figures = [c for c in header if c != schema.key and not c.endswith("_source")]
    numeric = [c for c in figures if c in schema.numeric]
    out: dict[str, Record] = {}
    for k, row in enumerate(rows, start=2):  # row 1 is the header
        key = (row.get(schema.key) or "").strip()
        where = f"row {k} ({key or '?'})"
        for col in schema.required:
            if not (row.get(col) or "").strip():
                raise InputError(f"{where}, column {col}: empty", source=name, fix=f"fill {col} (it is required)")
        values: dict[str, float | None] = {}
        for col in numeric:
            values[col] = _number(row.get(col) or "", where, col, name)
            _check(values[col], where, col, name, schema)
        sources: dict[str, str] = {}
        for col in figures:
            if f"{col}_source" not in header:
                continue  # a label column (name, country, nace...), not a figure
            src = (row.get(f"{col}_source") or "").strip()
            if (row.get(col) or "").strip() and not src:
                raise InputError(
                    f"{where}, column {col}_source: a figure without a source",
                    source=name,
                    fix=f"cite where {col} comes from, or write 'estimate: <reasoning>'",
                )
            sources[col] = src
        if key in out:
            raise InputError(
                f"{where}, column {schema.key}: duplicate {key}", source=name, fix=f"give each {schema.key} one row"
            )
        text = {c: (row.get(c) or "").strip() for c in figures if c not in numeric}
        out[key] = Record(key, values, text, sources)
    return out


__all__ = ["Record", "Schema", "read_table", "shipped"]
