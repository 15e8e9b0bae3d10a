"""Offline maps of Europe: a tile-grid cartogram of the EU countries and a dot map of NUTS-2 regions.

No shapes and no tiles are downloaded. :func:`cartogram`: each EU-27 country has a fixed cell in a
grid that keeps its neighbours roughly where a reader expects them. :func:`region_map`: each NUTS-2
region is a square at its label point from the shipped region table. Countries or regions the
model does not simulate are drawn in light grey.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

# (column, row) of each EU-27 country; ISO 3166 alpha-2 codes as Eurostat uses them (EL = Greece)
TILES: dict[str, tuple[str, int, int]] = {
    "Sweden": ("SE", 4, 0), "Finland": ("FI", 5, 0),
    "Ireland": ("IE", 0, 1), "Denmark": ("DK", 3, 1), "Estonia": ("EE", 5, 1),
    "Netherlands": ("NL", 2, 2), "Germany": ("DE", 3, 2), "Poland": ("PL", 4, 2), "Latvia": ("LV", 5, 2),
    "Belgium": ("BE", 1, 3), "Luxembourg": ("LU", 2, 3), "Czechia": ("CZ", 3, 3), "Slovakia": ("SK", 4, 3),
    "Lithuania": ("LT", 5, 3),
    "France": ("FR", 1, 4), "Austria": ("AT", 3, 4), "Hungary": ("HU", 4, 4), "Romania": ("RO", 5, 4),
    "Portugal": ("PT", 0, 5), "Spain": ("ES", 1, 5), "Italy": ("IT", 2, 5), "Slovenia": ("SI", 3, 5),
    "Croatia": ("HR", 4, 5), "Bulgaria": ("BG", 5, 5),
    "Malta": ("MT", 2, 6), "Greece": ("EL", 4, 6), "Cyprus": ("CY", 5, 6),
}  # fmt: skip
ALIASES = {"Czech Republic": "Czechia", "Hellas": "Greece"}


def _fmt(v: float, unit: str) -> str:
    if unit == "pp":
        return f"{v:+.1f} pp"
    if abs(v) >= 1000:
        return f"{v:+,.0f}"
    return f"{v:+.3g}"


def cartogram(
    values: Mapping[str, float],
    *,
    title: str,
    unit: str = "",
    low: Mapping[str, float] | None = None,
    high: Mapping[str, float] | None = None,
    ax_title_size: int = 11,
    span: float | None = None,
) -> Figure:
    """Tile map of ``values`` by country name (effects: diverging colours centred on zero).

    ``low``/``high`` (optional) are interval bounds: a tile whose interval includes zero is hatched
    ("not clearly different from zero"). Unknown country names are listed under the map. ``span``: the
    colour scale runs from ``-span`` to ``+span`` (default: the largest absolute value), so maps drawn
    with one span can be compared.
    """
    fig = Figure(figsize=(6.4, 6.2))
    ax = fig.subplots()
    known = {ALIASES.get(k, k): float(v) for k, v in values.items()}
    unknown = sorted(k for k in known if k not in TILES)
    vals = np.array([v for k, v in known.items() if k in TILES and np.isfinite(v)])
    if span is None:
        span = float(np.max(np.abs(vals))) if len(vals) else 1.0
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-span or -1.0, vmax=span or 1.0)
    cmap = colormaps["RdBu"]
    for name, (code, col, row) in TILES.items():
        v = known.get(name, float("nan"))
        simulated = bool(np.isfinite(v))
        face = cmap(norm(v)) if simulated else (0.93, 0.93, 0.93, 1.0)
        unclear = simulated and low is not None and high is not None and low.get(name, -1) <= 0 <= high.get(name, 1)
        hatch = "///" if unclear else None
        ax.add_patch(Rectangle((col, -row), 0.94, 0.94, facecolor=face, edgecolor="white", hatch=hatch, lw=1.5))
        dark = simulated and abs(norm(v) - 0.5) > 0.3
        ax.text(col + 0.47, -row + 0.6, code, ha="center", va="center", fontsize=12, weight="bold",
                color="white" if dark else "#333333")  # fmt: skip
        if simulated:
            ax.text(col + 0.47, -row + 0.28, _fmt(v, unit), ha="center", va="center", fontsize=8.5,
                    color="white" if dark else "#333333")  # fmt: skip
    ax.set_xlim(-0.2, 6.2)
    ax.set_ylim(-6.2, 1.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=ax_title_size)
    note = "Grey: not simulated."
    if low is not None:
        note += " Hatched: the 95% interval includes zero."
    if unknown:
        note += f" Not on the map: {', '.join(unknown)}."
    fig.text(0.5, 0.015, note, ha="center", fontsize=8.5, color="#555555")
    sm = ScalarMappable(norm=norm, cmap=cmap)
    cb = fig.colorbar(sm, ax=ax, orientation="horizontal", fraction=0.04, pad=0.02)
    cb.set_label(f"effect ({unit})" if unit else "effect", fontsize=9)
    cb.ax.tick_params(labelsize=8)
    return fig


MAINLAND = (-11.0, 35.0, 35.0, 71.5)
"""lon/lat box of the map; regions outside it (the outermost regions: Canarias, Madeira, Azores,
the French overseas regions) are drawn in a row in the map's lower-left corner."""


def region_map(
    values: Mapping[str, float],
    *,
    title: str,
    unit: str = "",
    low: Mapping[str, float] | None = None,
    high: Mapping[str, float] | None = None,
    span: float | None = None,
) -> Figure:
    """Dot map of ``values`` by NUTS-2 code: one square per region at its label point (works offline).

    Positions are the GISCO label points shipped in ``inspire_sim/data/regions.csv`` (no shapes, no
    tiles, nothing downloaded). Diverging colours centred on zero; a region whose interval
    ``low``..``high`` excludes zero has a black edge; regions without a value are grey.
    """
    from ..core.regions import region_table

    table = region_table()
    fig = Figure(figsize=(6.4, 7.4), layout="constrained")
    ax = fig.subplots()
    vals = np.array([float(v) for k, v in values.items() if k in table and np.isfinite(v)])
    if span is None:
        span = float(np.max(np.abs(vals))) if len(vals) else 1.0
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-span or -1.0, vmax=span or 1.0)
    cmap = colormaps["RdBu"]
    x0, y0, x1, y1 = MAINLAND
    k = np.cos(np.radians(52.0))  # equirectangular, true to scale at 52 N
    far = 0
    for code, rec in sorted(table.items()):
        lon, lat = rec.number("lon"), rec.number("lat")
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            x, y = (x0 + 1.0 + 1.6 * far) * k, y0 + 0.6
            far += 1
        else:
            x, y = lon * k, lat
        v = float(values.get(code, np.nan))
        if not np.isfinite(v):
            ax.scatter([x], [y], s=60, marker="s", color=(0.9, 0.9, 0.9), edgecolors="none")
            continue
        clear = low is not None and high is not None and not (low.get(code, -1.0) <= 0.0 <= high.get(code, 1.0))
        ax.scatter(
            [x], [y], s=60, marker="s", color=cmap(norm(v)),
            edgecolors="black" if clear else "none", linewidths=0.9,
        )  # fmt: skip
    if far:
        ax.text((x0 + 0.2) * k, y0 + 1.7, "outermost regions", fontsize=6, color="#555555")
    ax.set_xlim((x0 - 1) * k, (x1 + 1) * k)
    ax.set_ylim(y0 - 1.5, y1 + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    note = "One square per NUTS-2 region at its label point. Grey: not simulated."
    if low is not None:
        note += "\nBlack edge: the 95% interval excludes zero."
    sm = ScalarMappable(norm=norm, cmap=cmap)
    cb = fig.colorbar(sm, ax=ax, orientation="horizontal", fraction=0.04, pad=0.02)
    cb.set_label((f"effect ({unit})" if unit else "effect") + "\n" + note, fontsize=8.5)
    cb.ax.tick_params(labelsize=8)
    return fig
