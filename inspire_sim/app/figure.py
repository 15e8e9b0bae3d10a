"""Live matplotlib figures for the app, rendered by blitting and sent as JPEG, and their colours.

SolaraViz's grid and Altair charts load JavaScript from a CDN (vue-grid-layout, vega), so
the app draws its figures on the server with matplotlib: static parts once, the changing
artists every frame (~10-30 ms a frame for 500 SMEs).
"""

from __future__ import annotations

import io
from typing import Any

import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..core.agents import PartnerType, Stage

COUNTRY_COLORS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#d62728",
]
STAGE_MARKER = {Stage.EXPLORATION: "o", Stage.DEVELOPMENT: "s", Stage.SCALING_UP: "^", Stage.COMMERCIALISATION: "*"}
STAGE_SIZE = {Stage.EXPLORATION: 14, Stage.DEVELOPMENT: 22, Stage.SCALING_UP: 40, Stage.COMMERCIALISATION: 90}
STAGE_COLORS = ["#c6dbef", "#6baed6", "#fd8d3c", "#a63603"]
PTYPE_MARKER = {PartnerType.SME_PEER: "d", PartnerType.PSR: "P", PartnerType.LARGE_FIRM: "H", PartnerType.CROWD: "v"}
PTYPE_COLOR = {
    PartnerType.SME_PEER: "#6b6b6b",
    PartnerType.PSR: "#2b2b8c",
    PartnerType.LARGE_FIRM: "#111111",
    PartnerType.CROWD: "#8c6d1f",
}
LEVER_COLORS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756"]
XB_COLOR, DOM_COLOR, TIE_COLOR = "#d62728", "#34495e", "#9aa5b1"
DPI = 80
JPEG_QUALITY = 90  # JPEG: ~10x faster to encode than PNG, which matters at 5+ frames/s


class LiveFigure:
    """A matplotlib figure rendered by blitting.

    Subclasses build the figure, mark the artists that change with ``animated=True``, and
    implement :meth:`update` (set the artists' data; return a key of everything static,
    e.g. axis limits). The static background is rendered again only when that key
    changes; a frame restores it and draws the animated artists.
    """

    def __init__(self, figsize: tuple[float, float]) -> None:
        self.fig = Figure(figsize=figsize, dpi=DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        self._bg: Any = None
        self._key: Any = object()

    def update(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def animated(self) -> list[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def frame(self) -> bytes:
        """The figure for the model's current state, as JPEG bytes."""
        key = self.update()
        if self._bg is None or key != self._key:
            self.canvas.draw()  # animated artists are left out of the background
            self._bg, self._key = self.canvas.copy_from_bbox(self.fig.bbox), key
        else:
            self.canvas.restore_region(self._bg)
        for art in self.animated():
            self.fig.draw_artist(art)
        buf = self.canvas.buffer_rgba()
        img = PIL.Image.frombuffer("RGBA", (buf.shape[1], buf.shape[0]), buf, "raw", "RGBA", 0, 1).convert("RGB")
        out = io.BytesIO()
        img.save(out, format="jpeg", quality=JPEG_QUALITY)
        return out.getvalue()
