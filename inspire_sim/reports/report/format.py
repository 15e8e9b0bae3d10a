"""Number formatting for the report and the command line: EUR, counts, shares, effects, CIs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def _ok(v: Any) -> bool:
    return v is not None and isinstance(v, (int, float, np.integer, np.floating)) and math.isfinite(float(v))


def fmt_eur(v: float, sign: bool = False) -> str:
    """EUR 4.56 bn, EUR 1.23 M, EUR 152,600, EUR 950."""
    if not _ok(v):
        return "n/a"
    s = "-" if v < 0 else ("+" if sign and v > 0 else "")
    a = abs(float(v))
    if a >= 1e9:
        return f"{s}EUR {a / 1e9:,.2f} bn"
    if a >= 1e6:
        return f"{s}EUR {a / 1e6:,.2f} M"
    if a >= 1e4:
        return f"{s}EUR {round(a, -2):,.0f}"
    return f"{s}EUR {a:,.0f}"


def fmt_num(v: float, sign: bool = False) -> str:
    if not _ok(v):
        return "n/a"
    v = float(v)
    if abs(v) < 1e-12:  # floating-point dust of a zero difference
        v = 0.0
    sp = "+" if sign else ""
    a = abs(v)
    if a >= 1e4:
        return f"{v:{sp},.0f}"
    if a >= 100:
        return f"{v:{sp}.0f}"
    if a >= 10:
        return f"{v:{sp}.1f}"
    if a >= 0.01 or a == 0:
        return f"{v:{sp}.2f}"
    return f"{v:{sp}.4f}"  # never scientific notation


def is_money(unit: str) -> bool:
    """EUR, possibly per period or of the real population (``EUR``, ``EUR/month``, ``real EUR/year``)."""
    return unit.removeprefix("real ").split("/")[0] == "EUR"


def is_count(unit: str) -> bool:
    """Real-population counts (``real SMEs``, ``real projects/month``...) are shown as whole numbers."""
    return unit.startswith("real ")


def fmt_count(v: float, sign: bool = False) -> str:
    """A count as a whole number with thousands separators (``+12,345``)."""
    if not _ok(v):
        return "n/a"
    r = round(float(v)) + 0
    return f"{r:+,d}" if sign else f"{r:,d}"


def fmt_value(v: float, unit: str) -> str:
    """A level: shares in %, EUR, real counts as whole numbers, otherwise a number."""
    if unit == "share":
        return f"{100 * v:.1f}%" if _ok(v) else "n/a"
    if is_money(unit):
        return fmt_eur(v)
    if is_count(unit):
        return fmt_count(v)
    return fmt_num(v)


def fmt_effect(v: float, unit: str) -> str:
    """A difference: shares in percentage points, EUR, otherwise a signed number."""
    if _ok(v) and abs(float(v)) < 1e-12:  # floating-point dust of a zero difference
        v = 0.0
    if unit == "share":
        return f"{100 * v:+.1f} pp" if _ok(v) else "n/a"
    if is_money(unit):
        return fmt_eur(v, sign=True)
    if is_count(unit):
        return fmt_count(v, sign=True)
    return fmt_num(v, sign=True)


def fmt_ci(lo: float, hi: float, unit: str) -> str:
    if not (_ok(lo) and _ok(hi)):
        return "n/a"
    return f"{fmt_effect(lo, unit)} to {fmt_effect(hi, unit)}"


def fmt_rel(v: float) -> str:
    if not _ok(v):
        return "n/a"
    r = round(100 * v)
    return f"{r:+d}%" if r != 0 else "0%"


def fmt_ratio(row: pd.Series | dict) -> tuple[str, str]:
    """(EUR per unit, its CI) of a cost-effectiveness row, in words when there is none."""
    status = row["status"]
    if status == "no gain":
        return "no gain", ""
    if status == "saves money":
        return (
            "saves money",
            f"gains {fmt_count(row['additional'])} and costs {fmt_eur(-row['additional_cost_eur'])} less",
        )
    lo, hi = row["eur_per_unit_ci_low"], row["eur_per_unit_ci_high"]
    ci = f"{fmt_eur(lo)} to {fmt_eur(hi) if _ok(hi) else 'no upper bound'}"
    return fmt_eur(row["eur_per_unit"]), ci
