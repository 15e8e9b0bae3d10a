"""Where a plan's effects land: by region group (Regional Innovation Scoreboard), by sector, by
NUTS-2 region, and in the cells (regions x sectors) a targeted plan aims at.

Every figure is a paired difference, plan minus baseline, replication by replication (common
random numbers), in real-population units: a simulated project counts its lead SME's country
weight (real SMEs per simulated SME). Outcomes are read from the partnership table (the lead
SME's region and sector): *OI projects started* (start in month 1 or later) and *successful OI
projects* (resolved as a success in month 1 or later). Projects of SMEs that exited before the
run ended are not in that table (about 2% of projects), so segment totals can fall slightly
short of the run-wide counts. Spending is the run's spend table, booked where the supported SME
lives. Effects are also given per 1,000 real SMEs of the segment so that large and small
segments can be read side by side.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ...results import RunResult
from .stats import CONFIDENCE, paired_ci

SEGMENT_OUTCOMES = {
    "oi_projects_started": "OI projects started",
    "successful_projects": "successful OI projects",
}
"""The outcomes counted by segment (name -> plural label)."""

DIMENSIONS = ("region_group", "sector")
"""The segment dimensions of :func:`segment_table`."""


def _weights(r: RunResult) -> dict[str, float]:
    w = (r.manifest or {}).get("population", {}).get("weight") or {}
    return {str(k): float(v) for k, v in w.items()}


def _region_groups(r: RunResult) -> dict[str, str]:
    """NUTS-2 code -> scoreboard group, from the run's by-region table (else the shipped region table)."""
    reg = getattr(r, "regions", None)
    if reg is not None and len(reg) and "group" in reg:
        first = reg.drop_duplicates("region")
        return dict(zip(first["region"].astype(str), first["group"].astype(str), strict=True))
    from ...core.regions import region_table

    return {code: rec.group for code, rec in region_table().items()}


def _projects(r: RunResult) -> pd.DataFrame:
    """The run's projects with their lead SME's region, group, sector, real weight and outcome flags."""
    p = r.partnerships
    w = _weights(r)
    groups = _region_groups(r)
    region = p["lead_region"].astype(str)
    return pd.DataFrame(
        {
            "region": region.to_numpy(),
            "region_group": region.map(groups).fillna("unknown").to_numpy(),
            "sector": p["lead_sector"].astype(str).to_numpy(),
            "weight": p["lead_country"].astype(str).map(lambda c: w.get(c, 1.0)).to_numpy(dtype="float64"),
            "oi_projects_started": (p["start"] >= 1).to_numpy(),
            "successful_projects": (p["resolved"] & p["success"] & (p["end"] >= 1)).to_numpy(),
        }
    )


def _smes(r: RunResult) -> pd.DataFrame:
    s = r.smes
    groups = _region_groups(r)
    region = s["region"].astype(str)
    return pd.DataFrame(
        {
            "region": region.to_numpy(),
            "region_group": region.map(groups).fillna("unknown").to_numpy(),
            "sector": s["sector"].astype(str).to_numpy(),
            "weight": s["weight"].to_numpy(dtype="float64"),
        }
    )


def _spend(r: RunResult) -> pd.DataFrame:
    sp = r.spend
    groups = _region_groups(r)
    if not len(sp) or "region" not in sp:
        return pd.DataFrame({"region": [], "region_group": [], "sector": [], "eur": []})
    region = sp["region"].astype(str)
    return pd.DataFrame(
        {
            "region": region.to_numpy(),
            "region_group": region.map(groups).fillna("unknown").to_numpy(),
            "sector": sp["sector"].astype(str).to_numpy(),
            "eur": sp["eur"].to_numpy(dtype="float64"),
        }
    )


def _by(frame: pd.DataFrame, key: str | list[str], value: str, weight: str | None = "weight") -> pd.Series:
    """Sum of ``value`` (a flag or amount) times ``weight`` per ``key``."""
    if not len(frame):
        return pd.Series(dtype="float64")
    v = frame[value].astype("float64")
    if weight is not None:
        v = v * frame[weight]
    return v.groupby([frame[k] for k in ([key] if isinstance(key, str) else key)]).sum()


def _run_segments(r: RunResult, dim: str) -> pd.DataFrame:
    """segment x (outcomes, eur, real_smes) of one run."""
    pr, sm, sp = _projects(r), _smes(r), _spend(r)
    cols = {o: _by(pr, dim, o) for o in SEGMENT_OUTCOMES}
    cols["eur"] = _by(sp, dim, "eur", weight=None)
    cols["real_smes"] = _by(sm.assign(one=1.0), dim, "one")
    return pd.DataFrame(cols).fillna(0.0)


def _paired(runs: list[pd.DataFrame], base: list[pd.DataFrame], column: str, segment: str) -> np.ndarray:
    """Replication-by-replication difference plan minus baseline of ``column`` in ``segment``."""
    pairs = zip(runs, base, strict=True)
    return np.array([a[column].get(segment, 0.0) - b[column].get(segment, 0.0) for a, b in pairs])


def has_segments(results: dict[str, list[RunResult]]) -> bool:
    """Whether every run carries the region and sector columns the segment tables need
    (runs saved before regions existed, or hand-made test runs, do not)."""
    for runs in results.values():
        for r in runs:
            p, s = r.partnerships, r.smes
            if not {"lead_region", "lead_sector", "start", "end", "resolved", "success"} <= set(p.columns):
                return False
            if not {"region", "sector", "weight"} <= set(s.columns):
                return False
    return True


def _row(d: np.ndarray, confidence: float) -> tuple[float, float, float]:
    (m,), (lo,), (hi,) = paired_ci(d[:, None], confidence)
    return float(m), float(lo), float(hi)


def segment_table(
    results: dict[str, list[RunResult]], baseline: str, labels: Iterable[str], confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Paired effects of each plan by region group and by sector.

    One row per (scenario, dimension, segment, outcome): ``real_smes`` (real SMEs in the segment),
    ``additional`` with its paired CI, the same per 1,000 real SMEs, ``additional_cost_eur`` (mean
    paired spending difference booked in the segment) and ``eur_per_unit`` (mean additional cost /
    mean additional outcome, NaN when the gain is not positive; ``status`` says so).
    """
    rows: list[dict[str, Any]] = []
    if not has_segments(results):
        return pd.DataFrame(rows)
    per = {
        dim: {k: [_run_segments(r, dim) for r in v] for k, v in results.items() if k == baseline or k in labels}
        for dim in DIMENSIONS
    }
    for dim in DIMENSIONS:
        base = per[dim][baseline]
        for label in labels:
            runs = per[dim][label]
            segments = sorted(set().union(*(set(t.index) for t in base + runs)))
            for seg in segments:
                smes = float(np.mean([t["real_smes"].get(seg, 0.0) for t in base]))
                d_cost = _paired(runs, base, "eur", seg)
                for outcome, plural in SEGMENT_OUTCOMES.items():
                    d = _paired(runs, base, outcome, seg)
                    g, glo, ghi = _row(d, confidence)
                    c = float(np.mean(d_cost))
                    scale = 1000.0 / smes if smes > 0 else np.nan
                    status = "no gain" if g <= 0 else ("cost per unit" if glo > 0 else "uncertain gain")
                    rows.append(
                        {
                            "scenario": label,
                            "dimension": dim,
                            "segment": seg,
                            "outcome": outcome,
                            "outcome_label": plural,
                            "real_smes": smes,
                            "additional": g,
                            "additional_ci_low": glo,
                            "additional_ci_high": ghi,
                            "per_1000_smes": g * scale,
                            "per_1000_ci_low": glo * scale,
                            "per_1000_ci_high": ghi * scale,
                            "additional_cost_eur": c,
                            "eur_per_unit": c / g if g > 0 and c > 0 else np.nan,
                            "clear": bool(glo > 0 or ghi < 0),
                            "status": status,
                        }
                    )
    return pd.DataFrame(rows)


def region_effects(
    results: dict[str, list[RunResult]],
    baseline: str,
    labels: Iterable[str],
    outcome: str = "successful_projects",
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Paired effect of each plan on ``outcome`` per NUTS-2 region, per 1,000 real SMEs of the region.

    Columns: scenario, region, real_smes, additional (+ CI), per_1000_smes (+ CI). Feeds the map.
    """
    rows: list[dict[str, Any]] = []
    if not has_segments(results):
        return pd.DataFrame(rows)
    per = {k: [_run_segments(r, "region") for r in v] for k, v in results.items() if k == baseline or k in labels}
    base = per[baseline]
    for label in labels:
        runs = per[label]
        for reg in sorted(set().union(*(set(t.index) for t in base + runs))):
            smes = float(np.mean([t["real_smes"].get(reg, 0.0) for t in base]))
            d = _paired(runs, base, outcome, reg)
            g, lo, hi = _row(d, confidence)
            scale = 1000.0 / smes if smes > 0 else np.nan
            rows.append(
                {
                    "scenario": label,
                    "region": reg,
                    "outcome": outcome,
                    "real_smes": smes,
                    "additional": g,
                    "additional_ci_low": lo,
                    "additional_ci_high": hi,
                    "per_1000_smes": g * scale,
                    "per_1000_ci_low": lo * scale,
                    "per_1000_ci_high": hi * scale,
                }
            )
    return pd.DataFrame(rows)


Cell = tuple[frozenset[str] | None, frozenset[str] | None]
"""(region groups, sectors) of one targeted measure; None in a slot: every group, or every sector."""


def plan_cells(scenario: Any) -> list[Cell]:
    """The cells a plan's targeted measures aim at: one (region groups, sectors) per distinct target.

    A measure is targeted when it names region groups, NUTS-2 regions (mapped to their scoreboard
    groups) or sectors. An SME is inside the plan's cells when it falls in any of them. An
    untargeted plan has none.
    """
    from ...core.regions import region_table

    cells: list[Cell] = []
    for p in getattr(scenario, "policies", ()):
        g = set(getattr(p, "region_groups", None) or ())
        if getattr(p, "regions", None):
            table = region_table()
            g |= {table[c].group for c in p.regions if c in table}
        s = set(getattr(p, "sectors", None) or ())
        if not g and not s:
            continue
        cell = (frozenset(g) if g else None, frozenset(s) if s else None)
        if cell not in cells:
            cells.append(cell)
    return cells


def describe_cells(cells: list[Cell]) -> str:
    """``"moderate, emerging x mfg_high_tech; all regions x ict"``: the cells in words."""
    from ...core.regions import GROUPS

    def part(values: frozenset[str] | None, every: str, order: tuple[str, ...] = ()) -> str:
        if values is None:
            return every
        return ", ".join(sorted(values, key=lambda v: (order.index(v) if v in order else len(order), v)))

    return "; ".join(f"{part(g, 'all regions', GROUPS)} x {part(s, 'all sectors')}" for g, s in cells)


def _inside(frame: pd.DataFrame, cells: list[Cell]) -> np.ndarray:
    m = np.zeros(len(frame), dtype=bool)
    for groups, sectors in cells:
        c = np.ones(len(frame), dtype=bool)
        if groups is not None:
            c &= frame["region_group"].isin(groups).to_numpy()
        if sectors is not None:
            c &= frame["sector"].isin(sectors).to_numpy()
        m |= c
    return m


def targeting_table(
    results: dict[str, list[RunResult]],
    scenarios: dict[str, Any],
    baseline: str,
    labels: list[str],
    outcome: str = "successful_projects",
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Does a targeted plan concentrate its effect where it aims? And would another plan?

    For every targeted plan P (:func:`plan_cells`) and every compared plan S, the paired effect of S
    on ``outcome`` per 1,000 real SMEs inside P's cells, outside them, and the difference
    (inside minus outside, paired CI): the *targeting effect*. A national plan of the same budget
    spreads its gain evenly, so its difference on P's cells stays near zero.
    """
    rows: list[dict[str, Any]] = []
    if not has_segments(results):
        return pd.DataFrame(rows)
    cached: dict[str, list[tuple[pd.DataFrame, pd.DataFrame]]] = {
        k: [(_projects(r), _smes(r)) for r in v] for k, v in results.items() if k == baseline or k in labels
    }
    for target in labels:
        cells = plan_cells(scenarios.get(target))
        if not cells:
            continue

        def split(pr: pd.DataFrame, sm: pd.DataFrame, cells: list[Cell] = cells) -> tuple[float, ...]:
            mp, ms = _inside(pr, cells), _inside(sm, cells)
            v = pr[outcome].to_numpy(dtype="float64") * pr["weight"].to_numpy()
            w = sm["weight"].to_numpy()
            return float(v[mp].sum()), float(v[~mp].sum()), float(w[ms].sum()), float(w[~ms].sum())

        base = [split(*x) for x in cached[baseline]]
        n_in = float(np.mean([b[2] for b in base]))
        n_out = float(np.mean([b[3] for b in base]))
        for label in labels:
            runs = [split(*x) for x in cached[label]]
            d_in = np.array([a[0] - b[0] for a, b in zip(runs, base, strict=True)]) * 1000.0 / max(n_in, 1e-12)
            d_out = np.array([a[1] - b[1] for a, b in zip(runs, base, strict=True)]) * 1000.0 / max(n_out, 1e-12)
            i, ilo, ihi = _row(d_in, confidence)
            o, olo, ohi = _row(d_out, confidence)
            t, tlo, thi = _row(d_in - d_out, confidence)
            rows.append(
                {
                    "cells_of": target,
                    "cells": describe_cells(cells),
                    "scenario": label,
                    "outcome": outcome,
                    "real_smes_inside": n_in,
                    "real_smes_outside": n_out,
                    "inside_per_1000": i,
                    "inside_ci_low": ilo,
                    "inside_ci_high": ihi,
                    "outside_per_1000": o,
                    "outside_ci_low": olo,
                    "outside_ci_high": ohi,
                    "targeting_effect": t,
                    "targeting_ci_low": tlo,
                    "targeting_ci_high": thi,
                    "clear": bool(tlo > 0 or thi < 0),
                }
            )
    return pd.DataFrame(rows)
