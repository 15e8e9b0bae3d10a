"""Six live charts of the indicators (time axis = the scenario's horizon)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ..core.agents import Stage
from . import adapter
from .figure import DOM_COLOR, LEVER_COLORS, STAGE_COLORS, XB_COLOR, LiveFigure
from .labels import LEVER_KINDS

TITLES = {
    "stages": "Firms by stage (share)",
    "partnerships": "New partnerships each month",
    "outcomes": "Projects ending each month",
    "confidence": "Confidence and cooperation",
    "spend": "Policy spending (million euros a month)",
    "shares": "Abroad and success (last 12 months)",
}
"""Chart titles (the words a student reads)."""


def nice_top(value: float, floor: float) -> float:
    """The smallest 1-2-2.5-5 number at or above ``value`` (and ``floor``): axis tops that rarely change."""
    value = max(float(value), floor)
    mag = 10 ** math.floor(math.log10(value))
    return next(k * mag for k in (1, 2, 2.5, 5, 10) if k * mag >= value)


def stack_polygons(x: np.ndarray, layers: np.ndarray) -> list[np.ndarray]:
    """Polygons of a stacked area chart (one per row of ``layers``), for a PolyCollection."""
    if len(x) == 0:
        return [np.zeros((0, 2)) for _ in layers]
    if len(x) == 1:  # a single month: a thin bar
        x = np.array([x[0] - 0.5, x[0] + 0.5])
        layers = np.repeat(layers, 2, axis=1)
    top = np.cumsum(np.nan_to_num(layers), axis=0)
    bottom = np.vstack([np.zeros_like(top[:1]), top[:-1]])
    return [
        np.column_stack([np.concatenate([x, x[::-1]]), np.concatenate([lo, hi[::-1]])])
        for lo, hi in zip(bottom, top, strict=True)
    ]


class ChartsView(LiveFigure):
    """Six small live charts from the model's indicators."""

    def __init__(self, model: Any) -> None:
        super().__init__((12.0, 6.6))
        self.model = model
        fig = self.fig
        axs = fig.subplots(2, 3)
        fig.subplots_adjust(left=0.045, right=0.99, bottom=0.07, top=0.83, wspace=0.22, hspace=0.85)
        self.ax = dict(zip(TITLES, axs.flat, strict=True))
        end = max(12, adapter.horizon(model))
        for k, ax in self.ax.items():
            ax.set_title(TITLES[k], fontsize=13, pad=30)
            ax.tick_params(labelsize=11)
            ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(4))
            ax.grid(alpha=0.25, lw=0.5)
            ax.set_xlim(1, end)
        for k in ("stages", "confidence", "shares"):
            self.ax[k].set_ylim(0, 1)

        def line(k: str, label: str, color: str) -> Line2D:
            return self.ax[k].plot([], [], label=label, color=color, lw=1.8, animated=True)[0]

        self.lines = {
            "domestic": line("partnerships", "at home", DOM_COLOR),
            "cross_border": line("partnerships", "abroad", XB_COLOR),
            "successes": line("outcomes", "success", "#2ca02c"),
            "failures": line("outcomes", "failure", "#d62728"),
            "mean_confidence": line("confidence", "confidence", "#1f77b4"),
            "cooperating_share": line("confidence", "cooperating", "#ff7f0e"),
            "cross_border_share": line("shares", "partner abroad", XB_COLOR),
            "project_success_rate": line("shares", "success rate", "#2ca02c"),
        }
        above = {
            "loc": "lower left",
            "bbox_to_anchor": (0.0, 1.0),
            "frameon": False,
            "fontsize": 11,
            "handlelength": 1.0,
            "borderaxespad": 0.1,
            "columnspacing": 0.8,
            "handletextpad": 0.3,
        }
        for k in ("partnerships", "outcomes", "confidence", "shares"):
            self.ax[k].legend(ncol=2, **above)
        # the colour keys of the two stacked charts (stages, levers) are HTML under the image
        self.levers = list(LEVER_KINDS)
        self.stacks = {
            k: PolyCollection([], facecolors=colors, linewidths=0, animated=True)
            for k, colors in (("stages", STAGE_COLORS), ("spend", LEVER_COLORS))
        }
        for k, coll in self.stacks.items():
            self.ax[k].add_collection(coll)

    def animated(self) -> list[Any]:
        return [*self.stacks.values(), *self.lines.values()]

    def update(self) -> Any:
        m = self.model
        new, new_xb = adapter.series(m, "new_partnerships"), adapter.series(m, "new_cross_border")
        t = len(new)
        x = np.arange(1, t + 1)
        data = {
            "domestic": new - new_xb,
            "cross_border": new_xb,
            **{
                k: adapter.series(m, k)
                for k in (
                    "successes",
                    "failures",
                    "mean_confidence",
                    "cooperating_share",
                    "cross_border_share",
                    "project_success_rate",
                )
            },
        }
        for k, ln in self.lines.items():
            ln.set_data(x, data[k])
        stages = np.vstack([adapter.series(m, f"share_{s.label}") for s in Stage]) if t else np.zeros((len(Stage), 0))
        spend = (
            np.vstack([adapter.series(m, f"spend_{k}") / 1e6 for k in self.levers])
            if t
            else np.zeros((len(self.levers), 0))
        )
        self.stacks["stages"].set_verts(stack_polygons(x, stages))
        self.stacks["spend"].set_verts(stack_polygons(x, spend))
        tops = (
            nice_top(spend.sum(axis=0).max() if t else 0.0, 10.0),
            nice_top(max(data["domestic"].max(), data["cross_border"].max()) if t else 0.0, 4.0),
            nice_top(max(data["successes"].max(), data["failures"].max()) if t else 0.0, 4.0),
        )
        for k, top in zip(("spend", "partnerships", "outcomes"), tops, strict=True):
            self.ax[k].set_ylim(0, top * 1.05)
        return tops
