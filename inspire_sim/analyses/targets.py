"""Calibration and validation targets: real-world facts as data, and how model output maps onto them.

A targets file (TOML, e.g. the shipped ``targets/eu_cis.toml``) lists facts, each with a value,
an uncertainty (``sd``), a source and a year, and a mapping from a :class:`~inspire_sim.results.RunResult`
to the same quantity. :func:`summarise` computes every target's model counterpart from one or
more runs; calibration (:mod:`inspire_sim.analyses.calibrate`) and validation read targets only through
this module. ``held_out`` targets are kept out of calibration and reported out of sample.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..core.scenario import shipped_dir
from ..errors import InputError, unknown_key_fix

TARGETS_DIR = shipped_dir("targets")
TABLES = ("timeseries", "countries", "partnerships", "smes")
Scalar = str | bool | int | float


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Mapping(_Strict):
    """How a target is read from a run (see the header of ``targets/eu_cis.toml``)."""

    table: Literal["timeseries", "countries", "partnerships", "smes"]
    statistic: Literal["mean", "last", "share", "per_lead"]
    column: str | None = None
    where: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict)  # a list: any of its values
    among: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict)
    window: Literal["all", "second_half", "last_year"] = "second_half"
    min_per_lead: int = Field(
        1,
        ge=1,
        description="per_lead: count only leads with at least this many rows (like for like with case data "
        "that selected SMEs with several projects)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Mapping:
        if self.statistic in ("mean", "last") and not self.column:
            raise ValueError(f"statistic '{self.statistic}' needs a column (fix: add column = \"...\")")
        if self.statistic == "per_lead" and self.table != "partnerships":
            raise ValueError("statistic 'per_lead' reads the partnerships table (fix: table = \"partnerships\")")
        return self


class Target(_Strict):
    """One real-world fact with its uncertainty, source and mapping."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    value: float
    sd: float = Field(gt=0, description="uncertainty (1 sd) in the target's unit; standardises distances")
    source: str = Field(min_length=1)
    year: int | str
    note: str = ""
    held_out: bool = False
    map: Mapping


class TargetSet(_Strict):
    """A targets file: a name, a description and its targets."""

    name: str
    description: str = ""
    targets: list[Target] = Field(min_length=1)
    file_hash: str = ""

    @model_validator(mode="after")
    def _unique(self) -> TargetSet:
        names = [t.name for t in self.targets]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"target names must be unique, repeated: {', '.join(dup)} (fix: rename one)")
        return self

    def fitted(self) -> list[Target]:
        """Targets used for calibration (not held out)."""
        return [t for t in self.targets if not t.held_out]

    def held_out(self) -> list[Target]:
        """Targets kept out of calibration (out-of-sample checks)."""
        return [t for t in self.targets if t.held_out]

    def by_name(self) -> dict[str, Target]:
        return {t.name: t for t in self.targets}


def shipped_targets() -> list[str]:
    """Names of the targets files that ship with inspire_sim."""
    return sorted(p.stem for p in TARGETS_DIR.glob("*.toml"))


def _resolve(path: str | Path) -> Path:
    p = Path(path)
    if p.is_file():
        return p
    if p.suffix == "" and (TARGETS_DIR / f"{p.name}.toml").is_file():
        return TARGETS_DIR / f"{p.name}.toml"
    names = shipped_targets()
    raise InputError(
        "no such targets file",
        source=str(path),
        fix=f"give a TOML file path or a shipped name: {', '.join(names)}" if names else "give a TOML file path",
    )


def load_targets(path: str | Path = "eu_cis") -> TargetSet:
    """Read and validate a targets file (path, or the name of a shipped one)."""
    p = _resolve(path)
    raw_bytes = p.read_bytes()
    try:
        raw = tomllib.loads(raw_bytes.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid TOML: {exc}", source=str(p), fix="check the file's syntax") from None
    raw["file_hash"] = hashlib.sha256(raw_bytes).hexdigest()[:16]
    try:
        return TargetSet.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        if "targets" in raw and err["loc"][:1] == ("targets",) and len(err["loc"]) > 1:
            idx = err["loc"][1]
            if isinstance(idx, int) and idx < len(raw["targets"]):
                loc = f"targets[{raw['targets'][idx].get('name', idx)}]." + ".".join(str(x) for x in err["loc"][2:])
        if err["type"] == "extra_forbidden":
            fields = Target.model_fields if len(err["loc"]) == 3 else Mapping.model_fields
            fix = unknown_key_fix(str(err["loc"][-1]), fields)
            raise InputError("unknown key", source=str(p), field=loc, fix=fix) from None
        msg = err["msg"].removeprefix("Value error, ")
        fix = "see the header of targets/eu_cis.toml for the format"
        if "(fix:" in msg:
            msg, _, rest = msg.partition(" (fix: ")
            fix = rest.rstrip(")")
        raise InputError(msg, source=str(p), field=loc, fix=fix) from None


def check_against(targets: TargetSet, result: Any) -> None:
    """Raise InputError if a target names a column, country or value absent from ``result``."""
    for t in targets.targets:
        m = t.map
        table = getattr(result, m.table)
        cols = set(table.columns)
        for col in [m.column, *m.where, *m.among]:
            if col is not None and col not in cols:
                raise InputError(
                    f"column '{col}' is not in the model's {m.table} table",
                    source=f"target {t.name}",
                    field="map",
                    fix=unknown_key_fix(col, cols),
                )
        for col, given in {**m.where, **m.among}.items():
            for val in given if isinstance(given, list) else [given]:
                if isinstance(val, str) and val not in set(table[col].astype(str)):
                    shown = sorted(set(table[col].astype(str)))
                    raise InputError(
                        f"no rows with {col} = '{val}'",
                        source=f"target {t.name}",
                        field=f"map.where.{col}",
                        fix=unknown_key_fix(val, shown),
                    )


def _window(df: pd.DataFrame, col: str, window: str, months: int) -> pd.DataFrame:
    if window == "all" or col not in df.columns:
        return df
    first = months // 2 + 1 if window == "second_half" else max(months - 11, 1)
    return df[df[col] >= first]


def _equals(series: pd.Series, val: Scalar) -> np.ndarray:
    return (series.astype(str) == val).to_numpy() if isinstance(val, str) else (series == val).to_numpy()


def _match(df: pd.DataFrame, cond: dict[str, Scalar | list[Scalar]]) -> np.ndarray:
    """Rows where every column equals its value (a list: any of its values)."""
    ok = np.ones(len(df), dtype=bool)
    for col, val in cond.items():
        series = df[col]
        if isinstance(val, list):
            ok &= np.logical_or.reduce([_equals(series, v) for v in val]) if val else np.zeros(len(df), dtype=bool)
        else:
            ok &= _equals(series, val)
    return ok


def target_value(target: Target, result: Any) -> float:
    """The model's counterpart of ``target`` in one run (NaN where the run has no such rows)."""
    m = target.map
    df: pd.DataFrame = getattr(result, m.table)
    months = int(result.timeseries["step"].max()) if len(result.timeseries) else 0
    time_col = {"timeseries": "step", "countries": "step", "partnerships": "start"}.get(m.table, "")
    if m.statistic == "last":
        df = df[df["step"] == months] if "step" in df.columns else df
        sel = df[_match(df, m.where)]
        return float(sel[m.column].mean()) if len(sel) else float("nan")
    df = _window(df, time_col, m.window, months)
    if m.statistic == "mean":
        sel = df[_match(df, m.where)]
        return float(sel[m.column].mean()) if len(sel) else float("nan")
    if m.statistic == "share":
        base = df[_match(df, m.among)]
        return float(_match(base, m.where).mean()) if len(base) else float("nan")
    # per_lead: rows per distinct lead among rows matching `where` (leads with >= min_per_lead rows)
    sel = df[_match(df, m.where)]
    per = sel["lead_id"].value_counts()
    per = per[per >= m.min_per_lead]
    return float(per.sum() / len(per)) if len(per) else float("nan")


def summarise(targets: TargetSet | Sequence[Target], results: Any | Iterable[Any]) -> dict[str, float]:
    """Each target's model value: the mean over ``results`` (one RunResult or several)."""
    items = targets.targets if isinstance(targets, TargetSet) else list(targets)
    runs = [results] if hasattr(results, "timeseries") else list(results)
    return {t.name: float(np.nanmean([target_value(t, r) for r in runs])) for t in items}


def targets_table(targets: TargetSet) -> pd.DataFrame:
    """The targets as a table: name, value, sd, low, high (± 2 sd), held_out, source, year."""
    return pd.DataFrame(
        [
            {
                "target": t.name,
                "value": t.value,
                "sd": t.sd,
                "low": t.value - 2 * t.sd,
                "high": t.value + 2 * t.sd,
                "held_out": t.held_out,
                "source": t.source,
                "year": str(t.year),
            }
            for t in targets.targets
        ]
    )
