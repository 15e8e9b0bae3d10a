"""The classroom app: the INSPIRE model running live in the browser (Mesa SolaraViz).

Start it with ``inspire-sim app`` (or ``solara run inspire_sim.app``). A teacher picks a
scenario (``scenarios/*.toml``), the number of SMEs and a seed; Mesa's SolaraViz gives
play, pause, step and reset, and sliders for the policy levers and the key uncertain
parameters. Every slider is generated from the parameter's single definition in
:mod:`inspire_sim.params` (bounds = its plausible ``sa_range``); its starting position is
the value the chosen scenario uses (a lever the scenario lacks starts at 0, "off").
Moving a slider changes that parameter (on every policy of that kind, for a lever) when
Reset is pressed.

Views:

* the partnership network: SMEs coloured by country, marker and size by stage,
  partners by type, running projects as links (cross-border in red) and trusted past
  partners as faint ties;
* live charts from the model's Mesa ``DataCollector``: stage shares, domestic vs
  cross-border partnerships, successes and failures, mean confidence, policy spend;
* the journey of one SME the class follows (stage, partners, failures, learning).

Design notes:

* :class:`ClassroomModel` is :class:`~inspire_sim.model.InspireModel` built from flat
  keyword arguments, as SolaraViz's Reset passes them (the inspire_sim scenario lives in
  ``model.inspire_scenario``; ``model.scenario`` is Mesa's own).
* SolaraViz's component grid and Altair charts load more JavaScript from a CDN
  (vue-grid-layout, vega), and Solara's Markdown loads mermaid; so the views are laid
  out with plain Solara components, text is plain HTML, and figures are drawn on the
  server with matplotlib, by blitting (static parts drawn once; ~10-30 ms a frame for
  500 SMEs) and sent as JPEG. Solara's own front-end still comes from its asset cache:
  see ``inspire-sim app --prepare-offline``.
* Speed: SolaraViz's play loop sleeps ``play_interval`` ms, steps, then renders in its
  own thread. The interval must stay above a frame's render time, or renders pile up
  in the server's main thread and the screen freezes until the run pauses; 40 ms gives
  ~7-10 steps/s on screen with 500 SMEs on two busy cores (every month drawn).
"""

from __future__ import annotations

import html
import io
import math
from typing import Any

import numpy as np
import PIL.Image
import solara
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import update_counter

from .agents import PartnerType, Stage
from .errors import InputError, unknown_key_fix
from .metrics import INDICATORS
from .model import InspireModel
from .params import LEVERS, spec_by_name
from .scenario import Scenario, list_scenarios, load_scenario

# ----------------------------------------------------------------------------------------
# What the class can change (names only: every default and bound comes from params.py)
# ----------------------------------------------------------------------------------------

LEVER_SLIDERS = (
    "support_funding.budget_per_step",
    "support_funding.co_funding_rate",
    "matchmaking.capacity",
    "cross_border_brokering.capacity",
    "cross_border_brokering.friction_reduction",
    "oi_toolbox.capacity",
    "failure_recovery.capacity",
)
"""Policy-lever sliders (dotted parameter names)."""

UNCERTAINTY_SLIDERS = (
    "home_bias",
    "search_rate",
    "friction_scale",
    "b_partnership_model",
    "failure_confidence_hit",
)
"""Sliders for the key uncertain parameters (model parameters)."""

SLIDERS = LEVER_SLIDERS + UNCERTAINTY_SLIDERS

INTENSITY = {kind: ("budget_per_step" if kind == "support_funding" else "capacity") for kind in LEVERS}
"""The parameter whose zero means "this lever is off" (the slider a scenario without the lever shows at 0)."""

SCENARIO_NAMES = [p.stem for p in list_scenarios()]
DEFAULT_SCENARIO = "baseline" if "baseline" in SCENARIO_NAMES else (SCENARIO_NAMES[0] if SCENARIO_NAMES else "baseline")
N_SMES_CHOICES = [100, 250, 500, 1000, 2000]
DEFAULT_N_SMES = 500  # a classroom-sized economy (the model's own default is larger)
PLAY_INTERVAL_MS = 40  # SolaraViz sleeps this long between frames while playing
USE_THREADS = False  # SolaraViz's threaded mode steps ahead of the screen (months skipped)
RENDER_INTERVAL = 1  # steps per frame (SolaraViz's "Render Interval" slider)
NETWORK_MAX_SMES = 600  # above this, the network shows a fixed sample (plus SMEs in projects)
NETWORK_MAX_TIES = 800  # trusted-partner ties drawn at most
TITLE = "INSPIRE: open innovation in SMEs"


def _spec(name: str):
    specs = spec_by_name()
    if name not in specs:
        raise InputError("unknown parameter", field=name, fix=unknown_key_fix(name, specs))
    return specs[name]


def slider_label(name: str, unit: bool = False) -> str:
    """``"cross_border_brokering.capacity"`` -> ``"cross border brokering: capacity"`` (+ ``" [unit]"``)."""
    spec = _spec(name)
    what = spec.field.replace("_", " ")
    head = "" if spec.group == "model" else spec.group.replace("_", " ") + ": "
    return f"{head}{what}" + (f" [{spec.unit}]" if unit else "")


def scenario_value(scen: Scenario, name: str) -> float | int:
    """The value ``scen`` uses for slider ``name`` (its first policy of that kind, for a lever).

    A lever the scenario does not use shows 0 on its on/off parameter
    (:data:`INTENSITY`) and its parameter default elsewhere.
    """
    spec = _spec(name)
    if spec.group == "model":
        value = getattr(scen.params, spec.field)
    else:
        pols = [p for p in scen.policies if p.kind == spec.group]
        if pols:
            value = getattr(pols[0], spec.field)
        elif spec.field == INTENSITY[spec.group]:
            value = 0
        else:
            value = spec.default
        if value is None:  # e.g. no monthly budget cap
            value = spec.default
    return int(value) if spec.integer else float(value)


def _nice_step(lo: float, hi: float, integer: bool) -> float | int:
    raw = (hi - lo) / 100 if hi > lo else 1.0
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    return max(1, int(round(step))) if integer else float(step)


def make_slider(name: str, value: float | int) -> Slider:
    """A Mesa ``Slider`` for parameter ``name`` starting at ``value``.

    Bounds are the parameter's plausible range (``sa_range``), else its validation
    bounds, widened to include ``value``.
    """
    spec = _spec(name)
    lo, hi = spec.sa_range if spec.sa_range is not None else (spec.lo, spec.hi)
    if lo is None or hi is None:
        raise ValueError(f"parameter {name} has no sa_range or bounds for a slider")
    lo, hi = min(lo, value), max(hi, value)
    step = _nice_step(float(lo), float(hi), spec.integer)
    if spec.integer:
        return Slider(slider_label(name), value=int(value), min=int(lo), max=int(hi), step=int(step), dtype=int)
    return Slider(slider_label(name), value=float(value), min=float(lo), max=float(hi), step=step, dtype=float)


def model_params(scenario_name: str = DEFAULT_SCENARIO, n_smes: int = DEFAULT_N_SMES, seed: int = 0) -> dict[str, Any]:
    """SolaraViz ``model_params``: fixed scenario/size/seed plus one slider per :data:`SLIDERS`."""
    scen = load_scenario(scenario_name)
    params: dict[str, Any] = {"scenario_name": scenario_name, "n_smes": int(n_smes), "seed": int(seed)}
    for name in SLIDERS:
        params[name] = make_slider(name, scenario_value(scen, name))
    return params


def _same(a: float, b: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)


def classroom_scenario(
    scenario_name: str = DEFAULT_SCENARIO, n_smes: int = DEFAULT_N_SMES, values: dict[str, Any] | None = None
) -> Scenario:
    """The scenario a classroom run uses: ``scenario_name`` with ``n_smes`` and slider values.

    A slider value equal to the scenario's own (:func:`scenario_value`) changes nothing;
    a lever the scenario lacks is added (all countries, parameter defaults) only if its
    on/off parameter is moved above zero.
    """
    scen = load_scenario(scenario_name, n_smes=int(n_smes))
    changed: dict[str, Any] = {}
    for name, value in (values or {}).items():
        if name not in SLIDERS:
            raise InputError("not a classroom slider", field=name, fix=unknown_key_fix(name, SLIDERS))
        spec = _spec(name)
        value = int(round(value)) if spec.integer else float(value)
        if not _same(value, scenario_value(scen, name)):
            changed[name] = value
    present = {p.kind for p in scen.policies}
    for kind in LEVERS:
        if kind not in present and not changed.get(f"{kind}.{INTENSITY[kind]}"):
            changed = {k: v for k, v in changed.items() if not k.startswith(kind + ".")}
    return scen.with_overrides(changed) if changed else scen


# ----------------------------------------------------------------------------------------
# The model as the app runs it
# ----------------------------------------------------------------------------------------


PTYPE_TEXT = {
    PartnerType.SME_PEER: "an SME peer",
    PartnerType.PSR: "a research organisation",
    PartnerType.LARGE_FIRM: "a large firm",
    PartnerType.CROWD: "the crowd",
}
STAGE_TEXT = {s: s.label.replace("_", "-") for s in Stage}


class JourneyBook:
    """Every SME slot's trajectory (stage, confidence, learning) and events, month by month.

    A few arrays a month, so any SME can be followed with its whole history. When an SME
    exits, the entrant taking its slot starts a fresh journey.
    """

    def __init__(self, model: InspireModel) -> None:
        self.stage: list[np.ndarray] = []
        self.confidence: list[np.ndarray] = []
        self.learning: list[np.ndarray] = []
        self.since = np.zeros(model.n, dtype=np.int64)  # first month index of the slot's occupant
        self.events: dict[int, list[tuple[int, str]]] = {}
        self.n_events = np.zeros(model.n, dtype=np.int64)
        self._snap = self._snapshot(model)

    @staticmethod
    def _snapshot(model: InspireModel) -> dict[str, np.ndarray]:
        s, n = model.sme, model.n
        return {
            "uid": model.actors.uid[:n].copy(),
            "stage": s.stage.copy(),
            "successes": s.successes.copy(),
            "failures": s.failures.copy(),
            "false_failures": s.false_failures.copy(),
            "stock": (s.resources + s.results).copy(),
        }

    def _add(self, slot: int, month: int, text: str) -> None:
        self.events.setdefault(int(slot), []).append((month, text))
        self.n_events[slot] += 1

    def record(self, model: ClassroomModel) -> None:
        """Append this month's state and turn its changes into events."""
        s, a, r = model.sme, model.actors, model.projects.running
        month, now, before = model.month_number, self._snapshot(model), self._snap
        k = len(self.stage)
        self.stage.append(s.stage.copy())
        self.confidence.append(s.confidence.astype(np.float32))
        self.learning.append((s.learn_tech + s.learn_soft).astype(np.float32))
        for i in np.flatnonzero(now["uid"] != before["uid"]):
            self.events[int(i)] = []
            self.n_events[i] = 0
            self.since[i] = k
            self._add(i, month, f"entered the economy (replacing SME #{before['uid'][i]}, which ran out of cash)")
        same = now["uid"] == before["uid"]
        for i in np.flatnonzero(same & (now["successes"] > before["successes"])):
            self._add(
                i,
                month,
                f"a project succeeded (+{max(now['stock'][i] - before['stock'][i], 0):.2f} "
                "resources/results, more trust in the partner)",
            )
        for i in np.flatnonzero(same & (now["failures"] > before["failures"])):
            false = now["false_failures"][i] > before["false_failures"][i]
            self._add(
                i,
                month,
                "a project failed"
                + (": a false failure, a big jump in learning" if false else "")
                + f"; confidence down to {s.confidence[i]:.2f}",
            )
        for i in np.flatnonzero(same & (now["stage"] != before["stage"])):
            self._add(i, month, f"moved to the {STAGE_TEXT[Stage(int(now['stage'][i]))]} stage")
        for p in np.flatnonzero(r["start"] == model.month):
            lead, partner = int(r["lead"][p]), int(r["partner"][p])
            bits = [
                x
                for x, on in (
                    ("cross-border", r["cross_border"][p]),
                    ("brokered", r["brokered"][p]),
                    ("matchmade", r["matchmade"][p]),
                    ("with a grant", r["funded"][p]),
                )
                if on
            ]
            with_whom = (
                f"SME #{a.uid[partner]}" if partner < model.n else PTYPE_TEXT[PartnerType(int(a.ptype[partner]))]
            )
            self._add(
                lead,
                month,
                f"started an OI project with {with_whom} in {model.country_names[a.country[partner]]}"
                + (f" ({', '.join(bits)})" if bits else ""),
            )
            if partner < model.n:
                self._add(partner, month, f"joined SME #{a.uid[lead]}'s project as a partner")
        self._snap = now

    def trajectory(self, slot: int, what: str) -> list[float]:
        """``what`` ("stage", "confidence", "learning") of the slot's current SME, month by month."""
        rows = getattr(self, what)[int(self.since[slot]) :]
        return [float(x[slot]) for x in rows]


class ClassroomModel(InspireModel):
    """:class:`InspireModel` built from flat keyword arguments (what SolaraViz passes).

    Args:
        scenario_name: a shipped scenario (``scenarios/<name>.toml``) or a path.
        n_smes: number of SMEs.
        seed: the run's seed.
        **values: slider values by dotted parameter name (see :func:`classroom_scenario`).

    The run stops (``running = False``) at the scenario's horizon. :attr:`journeys`
    records every SME's journey; :attr:`followed` is the SME slot the app follows (until
    the class picks one, it moves to the SME with the most eventful journey).
    """

    def __init__(
        self,
        scenario_name: str = DEFAULT_SCENARIO,
        n_smes: int = DEFAULT_N_SMES,
        seed: int = 0,
        scenario: Any = None,
        **values: Any,
    ) -> None:
        # ``scenario`` is the Mesa scenario object SolaraViz's Reset passes back; it holds
        # only Mesa's rng, which ``seed`` decides here, so it is not used
        del scenario
        scen = classroom_scenario(scenario_name, n_smes, values)
        super().__init__(scen, seed=int(seed), record_partnerships=False)
        self.scenario_name = scenario_name
        self.slider_values = dict(values)
        self.journeys = JourneyBook(self)
        innovative = np.flatnonzero(self.sme.innovative)
        self.followed = int(innovative[0]) if len(innovative) else 0
        self.auto_follow = True

    @property
    def month_number(self) -> int:
        """Months simulated so far (the month just finished, 1-based)."""
        return int(self.time)

    def step(self) -> None:
        super().step()
        self.journeys.record(self)
        if self.auto_follow and self.journeys.n_events[self.followed] < 2 and self.journeys.n_events.max() > 0:
            self.followed = int(np.argmax(self.journeys.n_events))
        if self.month_number >= self.p.steps:
            self.running = False

    def follow(self, slot: int) -> None:
        """Follow SME slot ``slot`` from now on (stops the automatic choice)."""
        if not 0 <= int(slot) < self.n:
            raise InputError(f"no SME slot {slot}", field="followed", fix=f"choose 0..{self.n - 1}")
        self.followed = int(slot)
        self.auto_follow = False

    def follow_candidates(self, k: int = 12) -> list[int]:
        """SME slots worth following: the followed one, then the most eventful journeys."""
        ranked = np.argsort(-self.journeys.n_events, kind="stable")
        if self.journeys.n_events.max() == 0:
            ranked = np.concatenate([np.flatnonzero(self.sme.innovative), ranked])
        out = [self.followed]
        for i in ranked:
            if int(i) not in out:
                out.append(int(i))
            if len(out) >= k:
                break
        return out

    def current_projects(self, slot: int) -> list[dict[str, Any]]:
        """Running projects of SME ``slot``, as lead or as partner."""
        r, a = self.projects.running, self.actors
        out = []
        for p in np.flatnonzero((r["lead"] == slot) | (r["partner"] == slot)):
            lead = int(r["lead"][p]) == slot
            other = int(r["partner"][p]) if lead else int(r["lead"][p])
            with_whom = PTYPE_TEXT[PartnerType(int(a.ptype[other]))] if other >= self.n else f"SME #{a.uid[other]}"
            out.append(
                {
                    "role": "lead" if lead else "partner",
                    "with": with_whom,
                    "country": self.country_names[a.country[other]],
                    "cross_border": bool(r["cross_border"][p]),
                    "ends": int(r["end"][p]) + 1,
                }
            )
        return out


# ----------------------------------------------------------------------------------------
# Figures: matplotlib with blitting (static parts drawn once, data artists every frame)
# ----------------------------------------------------------------------------------------

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
JPEG_QUALITY = 90  # frames are JPEG: ~10x faster to encode than PNG, which matters at 5+ frames/s


class LiveFigure:
    """A matplotlib figure rendered by blitting.

    Subclasses build the figure, mark the artists that change with ``animated=True``,
    and implement :meth:`update` (set the artists' data; return a key of everything
    static, e.g. axis limits). The static background is rendered again only when that
    key changes; a frame restores it and draws the animated artists.
    """

    def __init__(self, figsize: tuple[float, float]) -> None:
        self.fig = Figure(figsize=figsize, dpi=DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        self._bg = None
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


def network_layout(model: InspireModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions of every actor: countries on a circle, their SMEs in a disc (sunflower
    order by slot, so a slot keeps its place), their partners on arcs outside it.

    Returns (positions (M, 2), country centres (C, 2), disc radii (C,)).
    """
    nc, n, m = model.n_countries, model.n, model.m
    country = model.actors.country.astype(np.int64)
    ang = np.pi / 2 - 2 * np.pi * np.arange(nc) / max(nc, 1)
    centre = np.column_stack([np.cos(ang), np.sin(ang)]) * (1.0 if nc > 1 else 0.0)
    counts = np.bincount(country[:n], minlength=nc)
    radius = 0.08 + 0.27 * np.sqrt(counts / max(counts.max(), 1))
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
    """The partnership network of one model."""

    def __init__(self, model: ClassroomModel) -> None:
        super().__init__((6.4, 6.3))
        self.model = model
        n, a = model.n, model.actors
        self.pos, centre, radius = network_layout(model)
        # a fixed display sample (its own generator: the model's random streams are untouched)
        self.sample = (
            np.arange(n)
            if n <= NETWORK_MAX_SMES
            else np.sort(np.random.default_rng(0).choice(n, NETWORK_MAX_SMES, replace=False))
        )
        fig = self.fig
        ax = self.ax = fig.add_axes([0.0, 0.12, 1.0, 0.87])
        ax.set_axis_off()
        lim = 1.0 + float(radius.max()) + 0.5
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        for c, name in enumerate(model.country_names):
            where = centre[c] * (1.0 + radius[c] + 0.42) if model.n_countries > 1 else (0.0, radius[c] + 0.3)
            ax.text(
                *where,
                name,
                ha="center",
                va="center",
                fontsize=8,
                weight="bold",
                color=COUNTRY_COLORS[c % len(COUNTRY_COLORS)],
            )
        self.partner_rows = {t: n + np.flatnonzero(a.ptype[n:] == t) for t in PartnerType}
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
        grey = "#555555"
        handles = [
            Line2D(
                [],
                [],
                ls="",
                marker=STAGE_MARKER[st],
                color=grey,
                markersize=math.sqrt(STAGE_SIZE[st]) + 1,
                label=f"SME: {STAGE_TEXT[st]}",
            )
            for st in Stage
        ]
        handles += [
            Line2D(
                [],
                [],
                ls="",
                marker=PTYPE_MARKER[t],
                color=PTYPE_COLOR[t],
                markersize=6,
                label=PTYPE_TEXT[t].split(" ", 1)[1],
            )
            for t in PartnerType
        ]
        handles += [
            Line2D([], [], color=DOM_COLOR, lw=1.2, label="domestic project"),
            Line2D([], [], color=XB_COLOR, lw=1.7, label="cross-border project"),
            Line2D([], [], color=TIE_COLOR, lw=0.8, label="trusted past partner"),
        ]
        fig.legend(
            handles=handles, loc="lower center", ncol=4, fontsize=7, frameon=False, handletextpad=0.3, columnspacing=0.9
        )
        self._country_rgba = np.array(
            [to_rgba(COUNTRY_COLORS[c % len(COUNTRY_COLORS)]) for c in range(model.n_countries)]
        )

    def animated(self) -> list[Any]:
        return [self.ties, self.dom, self.xb, *self.busy.values(), *self.smes.values(), self.ring]

    def update(self) -> Any:
        m = self.model
        s, a, r, pos = m.sme, m.actors, m.projects.running, self.pos
        lead, partner = r["lead"].astype(np.int64), r["partner"].astype(np.int64)
        shown = np.union1d(np.union1d(self.sample, lead), partner[partner < m.n])
        xb = r["cross_border"].astype(bool)
        self.xb.set_segments(np.stack([pos[lead[xb]], pos[partner[xb]]], axis=1))
        self.dom.set_segments(np.stack([pos[lead[~xb]], pos[partner[~xb]]], axis=1))
        mem = s.mem_partner[self.sample]
        src, col = np.nonzero(mem >= 0)
        src, col = src[:NETWORK_MAX_TIES], col[:NETWORK_MAX_TIES]
        self.ties.set_segments(np.stack([pos[self.sample[src]], pos[mem[src, col]]], axis=1))
        busy = a.load > 0
        for t, rows in self.partner_rows.items():
            self.busy[t].set_offsets(pos[rows[busy[rows]]])
        for st, sc in self.smes.items():
            rows = shown[s.stage[shown] == st]
            sc.set_offsets(pos[rows])
            sc.set_facecolor(self._country_rgba[a.country[rows]])
        self.ring.set_offsets(pos[[m.followed]])
        self.caption = (
            f"Month {m.month_number}: {len(lead)} running projects, {int(xb.sum())} of them cross-border"
            f" ({len(shown)} of {m.n} SMEs shown)"
        )
        return None


def _series(model: InspireModel, name: str) -> np.ndarray:
    return np.asarray(model.datacollector.model_vars.get(name, []), dtype=float)


def _nice_top(value: float, floor: float) -> float:
    """The smallest 1-2-5 number at or above ``value`` (and ``floor``): axis tops that rarely change."""
    value = max(float(value), floor)
    mag = 10 ** math.floor(math.log10(value))
    return next(k * mag for k in (1, 2, 2.5, 5, 10) if k * mag >= value)


def _stack_polygons(x: np.ndarray, layers: np.ndarray) -> list[np.ndarray]:
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
    """Six small live charts from the model's Mesa DataCollector (time axis = the scenario's horizon)."""

    TITLES = {
        "stages": "SMEs by stage (share)",
        "partnerships": "New partnerships / month",
        "outcomes": "Project outcomes / month",
        "confidence": "Confidence and cooperation",
        "spend": "Policy spend (kEUR / month)",
        "shares": "Cross-border and success (12 months)",
    }

    def __init__(self, model: InspireModel) -> None:
        super().__init__((10.5, 5.6))
        self.model = model
        fig = self.fig
        axs = fig.subplots(2, 3)
        fig.subplots_adjust(left=0.05, right=0.985, bottom=0.06, top=0.86, wspace=0.25, hspace=0.75)
        self.ax = dict(zip(self.TITLES, axs.flat, strict=True))
        horizon = max(12, int(model.p.steps))
        for k, ax in self.ax.items():
            ax.set_title(self.TITLES[k], fontsize=9, pad=16)
            ax.tick_params(labelsize=7)
            ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(4))
            ax.grid(alpha=0.25, lw=0.5)
            ax.set_xlim(1, horizon)
        for k in ("stages", "confidence", "shares"):
            self.ax[k].set_ylim(0, 1)

        def line(k: str, label: str, color: str) -> Line2D:
            return self.ax[k].plot([], [], label=label, color=color, lw=1.3, animated=True)[0]

        self.lines = {
            "domestic": line("partnerships", "domestic", DOM_COLOR),
            "cross_border": line("partnerships", "cross-border", XB_COLOR),
            "successes": line("outcomes", "successes", "#2ca02c"),
            "failures": line("outcomes", "failures", "#d62728"),
            "mean_confidence": line("confidence", "mean confidence", "#1f77b4"),
            "cooperating_share": line("confidence", "cooperating SMEs (12 m)", "#ff7f0e"),
            "cross_border_share": line("shares", "cross-border share", XB_COLOR),
            "project_success_rate": line("shares", "project success rate", "#2ca02c"),
        }
        above = {
            "loc": "lower left",
            "bbox_to_anchor": (0.0, 1.0),
            "frameon": False,
            "fontsize": 6.5,
            "handlelength": 1.0,
            "borderaxespad": 0.1,
            "columnspacing": 0.8,
            "handletextpad": 0.3,
        }
        for k in ("partnerships", "outcomes", "confidence", "shares"):
            self.ax[k].legend(ncol=2, **above)
        self.ax["stages"].legend(
            handles=[Patch(color=STAGE_COLORS[s], label=STAGE_TEXT[s]) for s in Stage], ncol=4, **above
        )
        self.levers = list(LEVERS)
        self.ax["spend"].legend(
            handles=[
                Patch(color=LEVER_COLORS[i], label=k.replace("_", " ").replace("cross border", "x-border"))
                for i, k in enumerate(self.levers)
            ],
            ncol=3,
            **{**above, "fontsize": 6},
        )
        self.ax["spend"].set_title(self.TITLES["spend"], fontsize=9, pad=24)
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
        t = len(m.datacollector.model_vars.get("n_smes", []))
        x = np.arange(1, t + 1)
        new, new_xb = _series(m, "new_partnerships"), _series(m, "new_cross_border")
        data = {
            "domestic": new - new_xb,
            "cross_border": new_xb,
            "successes": _series(m, "successes"),
            "failures": _series(m, "failures"),
            "mean_confidence": _series(m, "mean_confidence"),
            "cooperating_share": _series(m, "cooperating_share"),
            "cross_border_share": _series(m, "cross_border_share"),
            "project_success_rate": _series(m, "project_success_rate"),
        }
        for k, ln in self.lines.items():
            ln.set_data(x, data[k])
        stages = np.vstack([_series(m, f"share_{s.label}") for s in Stage]) if t else np.zeros((len(Stage), 0))
        spend = np.vstack([_series(m, f"spend_{k}") / 1000.0 for k in self.levers]) if t else np.zeros((5, 0))
        self.stacks["stages"].set_verts(_stack_polygons(x, stages))
        self.stacks["spend"].set_verts(_stack_polygons(x, spend))
        tops = (
            _nice_top(spend.sum(axis=0).max() if t else 0.0, 10.0),
            _nice_top(max(data["domestic"].max(), data["cross_border"].max()) if t else 0.0, 4.0),
            _nice_top(max(data["successes"].max(), data["failures"].max()) if t else 0.0, 4.0),
        )
        for k, top in zip(("spend", "partnerships", "outcomes"), tops, strict=True):
            self.ax[k].set_ylim(0, top * 1.05)
        return tops


# ----------------------------------------------------------------------------------------
# ----------------------------------------------------------------------------------------
# Solara components
# ----------------------------------------------------------------------------------------


def _pct(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.0f}%"


def _html(tag: str, body: str, classes: list[str] | None = None) -> None:
    """Formatted text as plain HTML (``body`` is built here, every model string escaped).

    Solara's Markdown component loads mermaid and KaTeX from a CDN and rebuilds its
    widget on every change; a classroom app updated five times a second wants neither.
    """
    solara.HTML(tag=tag, unsafe_innerHTML=body, classes=classes or [])


e = html.escape


@solara.component
def StatusBar(model: ClassroomModel):
    """Month, scenario and the headline indicators."""
    update_counter.get()
    latest = model.recorder.latest
    with solara.Card(classes=["inspire-status"]):
        _html(
            "div",
            f"<h2 class='inspire-month'>Month {model.month_number} of {model.p.steps}</h2>"
            f"Scenario <b>{e(model.inspire_scenario.name)}</b>: {e(model.inspire_scenario.description)}<br>"
            f"{model.n} SMEs in {model.n_countries} countries, seed {model.seed}."
            + ("" if model.running else "<br><b>The scenario's horizon is reached: press Reset to start again.</b>"),
        )
        with solara.Row(classes=["inspire-kpis"], style={"flex-wrap": "wrap"}):
            kpis = [
                ("Cooperating SMEs (12 m)", _pct(latest.get("cooperating_share")), "cooperating_share"),
                ("Cross-border among them", _pct(latest.get("cross_border_share")), "cross_border_share"),
                ("Project success rate", _pct(latest.get("project_success_rate")), "project_success_rate"),
                ("Mean confidence", f"{latest['mean_confidence']:.2f}" if latest else "-", "mean_confidence"),
                (
                    "Policy spend this month",
                    f"{latest.get('spend_total', 0) / 1000:,.0f} kEUR" if latest else "-",
                    "spend_total",
                ),
            ]
            for label, value, key in kpis:
                with solara.Tooltip(INDICATORS[key].meaning):
                    solara.Button(f"{label}: {value}", text=True, outlined=True, small=True)


@solara.component
def NetworkPanel(model: ClassroomModel):
    """The partnership network."""
    update_counter.get()
    view = solara.use_memo(lambda: NetworkView(model), [model])
    image = solara.use_memo(view.frame, [model, model.month_number, model.followed])
    with solara.Card("Partnership network", classes=["inspire-network"]):
        solara.Text(view.caption, classes=["inspire-network-caption"])
        solara.Image(image, format="jpeg", width="100%", classes=["inspire-network-image"])
        solara.Text(
            "Colour: country. Marker and size: stage. Outer arcs: "
            "research organisations, large firms, crowd and SME peers of each country (faded when idle). "
            "The ringed SME is the one followed on the right.",
            style={"font-size": "0.8em"},
        )


@solara.component
def ChartsPanel(model: ClassroomModel):
    """Live charts of the indicators."""
    update_counter.get()
    view = solara.use_memo(lambda: ChartsView(model), [model])
    image = solara.use_memo(view.frame, [model, model.month_number])
    with solara.Card("Live indicators", classes=["inspire-charts"]):
        solara.Image(image, format="jpeg", width="100%", classes=["inspire-charts-image"])


def _sparkline(values: list[float], color: str, lo: float, hi: float, width: int = 320, height: int = 34) -> str:
    """A tiny inline SVG line chart (drawn by the browser; no JavaScript library needed)."""
    n = len(values)
    span = (hi - lo) or 1.0
    pts = " ".join(
        f"{width * k / max(n - 1, 1):.1f},{height - 2 - (height - 4) * (v - lo) / span:.1f}"
        for k, v in enumerate(values)
    )
    return (
        f"<svg width='{width}' height='{height}' style='background:#f6f8fa'>"
        f"<polyline points='{pts}' fill='none' stroke='{color}' stroke-width='2'/></svg>"
    )


def _stage_dots(stage: int) -> str:
    return " ".join("●" if k <= stage else "○" for k in range(len(Stage)))


@solara.component
def JourneyPanel(model: ClassroomModel):
    """Follow one SME: stage, partners, failures, learning."""
    update_counter.get()
    _, rerender = solara.use_state(0)
    slot = model.followed
    s, a, book = model.sme, model.actors, model.journeys
    labels = {
        f"SME #{a.uid[i]} ({model.country_names[a.country[i]]}, {book.n_events[i]} events)": i
        for i in model.follow_candidates()
    }
    current = next(k for k, v in labels.items() if v == slot)

    def choose(label: str) -> None:
        model.follow(labels[label])
        rerender(lambda x: x + 1)

    info = model.sme_agents[slot].journey()
    born = int(s.born[slot])
    with solara.Card("Follow one SME", classes=["inspire-journey"]):
        solara.Select(
            "SME to follow" + (" (automatic until you choose)" if model.auto_follow else ""),
            values=list(labels),
            value=current,
            on_value=choose,
        )
        stage = Stage(int(s.stage[slot]))
        _html(
            "div",
            f"<b>SME #{info['unique_id']}</b>, {e(info['country'])} ({e(info['region'])}), sector "
            f"{e(info['sector'])}, focus on {info['focus']}; "
            f"{'in the starting population' if born < 0 else f'entered in month {born + 1}'}.<br>"
            f"<b>Stage:</b> {STAGE_TEXT[stage]} {_stage_dots(stage)}<br>"
            f"<b>Confidence:</b> {info['confidence']:.2f} &middot; <b>Cash:</b> {s.cash[slot] / 1000:,.0f} kEUR"
            f" &middot; <b>Resources:</b> {info['resources']:.2f} &middot; <b>Business results:</b> "
            f"{info['business_results']:.2f}<br>"
            f"<b>Learning:</b> technical {info['learning']['technical']:.2f}, soft (OI management) "
            f"{info['learning']['soft']:.2f}<br>"
            f"<b>Projects:</b> {info['attempts']} started, {info['successes']} succeeded, {info['failures']} "
            f"failed ({info['false_failures']} false failures)",
            classes=["inspire-journey-facts"],
        )
        projects = model.current_projects(slot)
        _html(
            "div",
            "<b>Now:</b> "
            + (
                "; ".join(
                    f"{'leads a project with' if p['role'] == 'lead' else 'is a partner in the project of'} {e(p['with'])} "
                    f"in {e(p['country'])}{' (cross-border)' if p['cross_border'] else ''}, until month {p['ends']}"
                    for p in projects
                )
                if projects
                else "not in a project."
            ),
        )
        trusted = [(int(j), float(t)) for j, t in zip(s.mem_partner[slot], s.mem_trust[slot], strict=True) if j >= 0]
        if trusted:
            _html(
                "div",
                "<b>Trusted past partners:</b> "
                + ", ".join(
                    (f"SME #{a.uid[j]}" if j < model.n else PTYPE_TEXT[PartnerType(int(a.ptype[j]))].split(" ", 1)[1])
                    + f" in {e(model.country_names[a.country[j]])} (trust {t:+.2f})"
                    for j, t in trusted
                ),
            )
        confidence = book.trajectory(slot, "confidence")
        if len(confidence) > 1:
            learning = book.trajectory(slot, "learning")
            _html(
                "div",
                f"Confidence (0-1), month by month<br>{_sparkline(confidence, '#1f77b4', 0.0, 1.0)}<br>"
                f"Learning stock, month by month (now {learning[-1]:.2f})<br>"
                f"{_sparkline(learning, '#2ca02c', 0.0, max(learning) or 1.0)}",
                classes=["inspire-journey-trajectory"],
            )
        events = book.events.get(slot, [])[-8:][::-1]
        _html(
            "div",
            "<b>Journey</b> (latest first):<ul>"
            + (
                "".join(f"<li>month {mo}: {e(text)}</li>" for mo, text in events)
                if events
                else "<li>nothing yet: press Step</li>"
            )
            + "</ul>",
            classes=["inspire-journey-events"],
        )


def _fmt(value: float | int) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


@solara.component
def RunParameters(model: ClassroomModel):
    """The slider parameters as this run uses them (Mesa's sliders show their value only while dragged)."""
    base = load_scenario(model.scenario_name)
    rows = []
    for name in SLIDERS:
        spec = _spec(name)
        now, default = scenario_value(model.inspire_scenario, name), scenario_value(base, name)
        if spec.group != "model" and spec.group not in {p.kind for p in model.inspire_scenario.policies}:
            shown = "off"
        else:
            shown = f"{_fmt(now)} {e(spec.unit)}"
        moved = "" if _same(now, default) else f" <i>(scenario: {_fmt(default)})</i>"
        rows.append(f"<tr><td>{e(slider_label(name))}</td><td><b>{shown}</b>{moved}</td></tr>")
    with solara.Details("Parameters of this run (the sliders' values)"):
        _html("div", "<table class='inspire-run-params'>" + "".join(rows) + "</table>")


@solara.component
def Dashboard(model: ClassroomModel):
    """The main area: status, network, journey, charts."""
    StatusBar(model)
    with solara.Columns([7, 5]):
        NetworkPanel(model)
        JourneyPanel(model)
    ChartsPanel(model)
    RunParameters(model)


CSS = """
.v-slider .v-label { white-space: normal; font-size: 0.78rem; line-height: 1.15; max-width: 10.5rem; }
.inspire-month { margin: 0 0 4px 0; }
.inspire-run-params td { padding: 1px 12px 1px 0; font-size: 0.9em; }
.inspire-journey-events ul, .inspire-slider-help ul { margin: 2px 0 0 0; }
"""


@solara.component
def SliderHelp():
    """What each slider means, from the parameter definitions."""
    with solara.Details("What the sliders mean"):
        items = "".join(
            f"<li><b>{e(slider_label(n, unit=True))}</b>: {e(_spec(n).doc)} <i>Source: {e(_spec(n).source)}.</i></li>"
            for n in SLIDERS
        )
        _html(
            "div",
            "Sliders start at the scenario's values; a lever the scenario does not use starts at 0 (off). "
            "Move them, then press <b>Reset</b> to start a run with them.<ul>" + items + "</ul>",
            classes=["inspire-slider-help"],
        )


@solara.component
def Page():
    """The app: choose a scenario, then play it with Mesa's SolaraViz controls."""
    scenario_name = solara.use_reactive(DEFAULT_SCENARIO)
    n_smes = solara.use_reactive(DEFAULT_N_SMES)
    seed = solara.use_reactive(0)
    key = (scenario_name.value, n_smes.value, max(0, int(seed.value or 0)))  # seeds are non-negative
    first = solara.use_memo(lambda: ClassroomModel(scenario_name=key[0], n_smes=key[1], seed=key[2]), list(key))
    model = solara.use_reactive(first)
    params = solara.use_memo(lambda: model_params(*key), list(key))
    solara.Style(CSS)
    with solara.Sidebar(), solara.Card("Scenario"):
        solara.Select("Scenario", values=SCENARIO_NAMES, value=scenario_name)
        solara.Select("Number of SMEs", values=N_SMES_CHOICES, value=n_smes)
        solara.InputInt("Seed", value=seed)
        solara.Text("Changing these starts a new run.", style={"font-size": "0.8em"})
        SliderHelp()
    SolaraViz(
        model,
        components=[],  # the views are laid out below (SolaraViz's grid needs a CDN)
        model_params=params,
        name=TITLE,
        play_interval=PLAY_INTERVAL_MS,
        render_interval=RENDER_INTERVAL,
        use_threads=USE_THREADS,
    ).key(f"viz-{key}")
    Dashboard(model.value)


__all__ = [
    "SLIDERS",
    "ChartsView",
    "ClassroomModel",
    "Dashboard",
    "NetworkView",
    "Page",
    "classroom_scenario",
    "make_slider",
    "model_params",
    "network_layout",
    "scenario_value",
]
