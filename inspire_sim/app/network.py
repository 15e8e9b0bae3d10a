"""The partnership network: countries on a circle, their SMEs in a disc, partners on arcs
outside it, running projects as links (cross-border in red), trusted past partners as
faint ties. The legend is HTML next to the image (see :mod:`inspire_sim.app.panels`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba

from ..core.agents import PartnerType, Stage
from . import adapter
from .figure import (
    COUNTRY_COLORS,
    DOM_COLOR,
    PTYPE_COLOR,
    PTYPE_MARKER,
    STAGE_MARKER,
    STAGE_SIZE,
    TIE_COLOR,
    XB_COLOR,
    LiveFigure,
)

NETWORK_MAX_SMES = 600  # above this, the network shows a fixed sample (plus SMEs in projects)
COLOUR_BY = ("country", "region group", "sector")
"""What the firms' colour shows: their country, their region's scoreboard group, or their sector."""
GROUP_COLORS = {"leader": "#1a9850", "strong": "#91cf60", "moderate": "#fc8d59", "emerging": "#d73027"}
"""Regional Innovation Scoreboard groups, strongest green to weakest red (the scoreboard's own order)."""
SECTOR_COLORS = ["#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def colour_classes(model: Any, by: str = "country") -> tuple[np.ndarray, list[str], list[str]]:
    """Class of every SME slot for the colouring ``by`` (:data:`COLOUR_BY`), the class names and their colours."""
    if by == "country":
        names = adapter.country_names(model)
        return (
            adapter.actor_country(model)[: adapter.n_smes(model)],
            names,
            [COUNTRY_COLORS[c % len(COUNTRY_COLORS)] for c in range(len(names))],
        )
    if by == "region group":
        codes, names = adapter.region_group_of_smes(model)
        return codes, names, [GROUP_COLORS[g] for g in names]
    if by == "sector":
        codes, names = adapter.sector_of_smes(model)
        return codes, names, [SECTOR_COLORS[k % len(SECTOR_COLORS)] for k in range(len(names))]
    raise ValueError(f"colour_by must be one of {', '.join(COLOUR_BY)}, not {by!r}")


NETWORK_MAX_TIES = 800  # trusted-partner ties drawn at most


def network_layout(model: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions of every actor: countries on a circle, their SMEs in a disc (sunflower
    order by slot, so a slot keeps its place), their partners on arcs outside it.

    Returns (positions (M, 2), country centres (C, 2), disc radii (C,)).
    """
    n, m = adapter.n_smes(model), adapter.n_actors(model)
    country = adapter.actor_country(model)
    nc = len(adapter.country_names(model))
    ang = np.pi / 2 - 2 * np.pi * np.arange(nc) / max(nc, 1)
    centre = np.column_stack([np.cos(ang), np.sin(ang)]) * (1.0 if nc > 1 else 0.0)
    counts = np.bincount(country[:n], minlength=nc)
    radius = 0.08 + 0.27 * np.sqrt(counts / max(int(counts.max()), 1))
    pos = np.zeros((m, 2))
    golden = np.pi * (3 - np.sqrt(5))
    per_arc = 10
    for c in range(nc):
        rows = np.flatnonzero(country[:n] == c)
        if len(rows):
            i = np.arange(len(rows))
            rr = radius[c] * np.sqrt((i + 0.5) / len(rows))
            pos[rows] = centre[c] + np.column_stack([rr * np.cos(i * golden), rr * np.sin(i * golden)])
        prow = n + np.flatnonzero(country[n:] == c)
        for k, j in enumerate(prow):
            arc, idx = divmod(k, per_arc)
            width = min(per_arc, len(prow) - arc * per_arc)
            rad = (1.0 if nc > 1 else 0.0) + radius[c] + 0.12 + 0.09 * arc
            theta = ang[c] + (idx - (width - 1) / 2) * 0.055
            pos[j] = [rad * np.cos(theta), rad * np.sin(theta)]
    return pos, centre, radius


class NetworkView(LiveFigure):
    """The partnership network of one model (a square image)."""

    def __init__(self, model: Any, colour_by: str = "country") -> None:
        super().__init__((6.4, 6.4))
        self.model = model
        self.colour_by = colour_by
        classes, _, colours = colour_classes(model, colour_by)
        n = adapter.n_smes(model)
        names = adapter.country_names(model)
        ptype = adapter.partner_type(model)
        self.country = adapter.actor_country(model)
        self.pos, centre, radius = network_layout(model)
        # a fixed display sample (its own generator: the model's random streams are untouched)
        self.sample = (
            np.arange(n)
            if n <= NETWORK_MAX_SMES
            else np.sort(np.random.default_rng(0).choice(n, NETWORK_MAX_SMES, replace=False))
        )
        ax = self.ax = self.fig.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_axis_off()
        lim = 1.0 + float(radius.max()) + 0.72
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        many = len(names) > 10  # the EU-27: smaller labels, so that neighbours on the circle do not overlap
        for c, name in enumerate(names):
            x, y = centre[c] * (1.0 + radius[c] + (0.3 if many else 0.42)) if len(names) > 1 else (0.0, radius[c] + 0.3)
            ax.text(
                float(x),
                float(y),
                name,
                ha="center",
                va="center",
                fontsize=7 if many else 14,
                weight="bold",
                color=COUNTRY_COLORS[c % len(COUNTRY_COLORS)] if colour_by == "country" else "#444444",
            )
        self.partner_rows = {t: n + np.flatnonzero(ptype[n:] == t) for t in PartnerType}
        for t, rows in self.partner_rows.items():  # idle partners: faded, static
            ax.scatter(
                self.pos[rows, 0],
                self.pos[rows, 1],
                s=26,
                marker=PTYPE_MARKER[t],
                c=PTYPE_COLOR[t],
                alpha=0.3,
                linewidths=0,
                zorder=4,
            )
        self.ties = LineCollection([], colors=TIE_COLOR, linewidths=0.5, alpha=0.4, zorder=1, animated=True)
        self.dom = LineCollection([], colors=DOM_COLOR, linewidths=1.0, alpha=0.85, zorder=2, animated=True)
        self.xb = LineCollection([], colors=XB_COLOR, linewidths=1.7, alpha=0.9, zorder=3, animated=True)
        for coll in (self.ties, self.dom, self.xb):
            ax.add_collection(coll)
        empty = np.zeros((0, 2))
        self.busy = {
            t: ax.scatter(
                empty[:, 0],
                empty[:, 1],
                s=26,
                marker=PTYPE_MARKER[t],
                c=PTYPE_COLOR[t],
                linewidths=0,
                zorder=4,
                animated=True,
            )
            for t in PartnerType
        }
        self.smes = {
            st: ax.scatter(
                empty[:, 0],
                empty[:, 1],
                s=STAGE_SIZE[st],
                marker=STAGE_MARKER[st],
                zorder=5,
                linewidths=0,
                animated=True,
            )
            for st in Stage
        }
        self.ring = ax.scatter(
            [0], [0], s=320, facecolors="none", edgecolors="black", linewidths=2.0, zorder=6, animated=True
        )
        self.caption = ""  # shown above the image (text drawn in the figure costs ~10 ms a frame)
        self._sme_rgba = np.array([to_rgba(c) for c in colours])[classes]  # a slot keeps its class on entry

    def animated(self) -> list[Any]:
        return [self.ties, self.dom, self.xb, *self.busy.values(), *self.smes.values(), self.ring]

    def update(self) -> Any:
        m, pos = self.model, self.pos
        n = adapter.n_smes(m)
        r = adapter.running_projects(m)
        stage = adapter.sme_stage(m)
        shown = np.union1d(np.union1d(self.sample, r.lead), r.partner[r.partner < n])
        xb = r.cross_border
        self.xb.set_segments(list(np.stack([pos[r.lead[xb]], pos[r.partner[xb]]], axis=1)))
        self.dom.set_segments(list(np.stack([pos[r.lead[~xb]], pos[r.partner[~xb]]], axis=1)))
        mem = adapter.memory(m, self.sample)
        src, col = np.nonzero(mem >= 0)
        src, col = src[:NETWORK_MAX_TIES], col[:NETWORK_MAX_TIES]
        self.ties.set_segments(list(np.stack([pos[self.sample[src]], pos[mem[src, col]]], axis=1)))
        busy = adapter.partner_busy(m)
        for t, rows in self.partner_rows.items():
            self.busy[t].set_offsets(pos[rows[busy[rows]]])
        for st, sc in self.smes.items():
            rows = shown[stage[shown] == st]
            sc.set_offsets(pos[rows])
            sc.set_facecolor(self._sme_rgba[rows])
        self.ring.set_offsets(pos[[m.followed]])
        self.caption = (
            f"Month {m.month_number}: {len(r.lead)} projects running, {int(xb.sum())} of them cross-border"
            f" ({len(shown)} of {n} SMEs shown)"
        )
        return None
