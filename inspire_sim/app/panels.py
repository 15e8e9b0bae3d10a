"""The panels of the "Watch the economy" page: status, network, charts, the followed SME's
journey, "What am I looking at?" and the glossary.

Text is plain HTML built here (every model string escaped): Solara's Markdown loads
mermaid and KaTeX from a CDN and rebuilds its widget on every change. Glossary terms
carry their explanation as a hover title (:func:`gloss`).
"""

from __future__ import annotations

import html
import math
import re

import solara

from ..core.agents import PartnerType, Stage
from ..core.metrics import INDICATORS
from . import adapter
from .charts import ChartsView
from .classroom import ClassroomModel
from .figure import DOM_COLOR, LEVER_COLORS, PTYPE_COLOR, STAGE_COLORS, TIE_COLOR, XB_COLOR
from .labels import GLOSSARY, LEVER_KINDS, LEVER_PLAIN, big_number
from .network import COLOUR_BY, NetworkView, colour_classes

e = html.escape

TICK = solara.reactive(0)
"""Bumped after every simulated month: components that read it redraw (one per browser session)."""


def html_block(body: str, classes: list[str] | None = None, tag: str = "div") -> None:
    """Formatted text as plain HTML (``body`` is built by the app, model strings escaped)."""
    solara.HTML(tag=tag, unsafe_innerHTML=body, classes=classes or [])


_TERMS = sorted(GLOSSARY, key=len, reverse=True)
_TERM_RE = re.compile(r"\b(" + "|".join(re.escape(t) for t in _TERMS) + r")(s?)\b", re.IGNORECASE)


def gloss(text: str) -> str:
    """Escape ``text`` and mark the first use of each glossary term with its explanation on hover."""
    seen: set[str] = set()

    def mark(m: re.Match[str]) -> str:
        term = next(t for t in _TERMS if t.lower() == m.group(1).lower())
        if term in seen:
            return m.group(0)
        seen.add(term)
        return f"<span class='inspire-term' title='{e(GLOSSARY[term], quote=True)}'>{m.group(0)}</span>"

    return _TERM_RE.sub(mark, e(text))


def pct(x: float | None) -> str:
    """A share as a whole percentage (``-`` when missing)."""
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.0f}%"


WHAT_AM_I_LOOKING_AT = (
    "This is a pretend economy of small firms (SMEs) in the 27 EU countries, each in one of their regions and "
    "in one sector (manufacturing, ICT, services...). Every month each firm "
    "decides whether to look for a partner to innovate with: another firm, a research organisation, a large "
    "firm or the crowd. Together they run a project for some months; it ends in success or failure. A "
    "failure knocks the firm's confidence, but it often learns and tries again. Firms move through four "
    "stages: exploration, development, scaling-up, commercialisation. Partners abroad are harder to find "
    "(the border barrier), which is why governments pay for brokers, matchmaking, grants and coaching. "
    "The network shows who works with whom right now; the charts show the whole economy month by month; "
    "the panel on the right follows one firm."
)


@solara.component
def WhatAmILookingAt(student: bool):
    """A short explanation of the screen (one click away, so the network keeps its room)."""
    with solara.Details("What am I looking at?", expand=False):
        html_block(gloss(WHAT_AM_I_LOOKING_AT), classes=["inspire-explain"])


@solara.component
def Glossary():
    """Every glossary term with its explanation."""
    rows = "".join(f"<dt>{e(term)}</dt><dd>{e(text)}</dd>" for term, text in GLOSSARY.items())
    html_block(f"<dl class='inspire-glossary'>{rows}</dl>")


@solara.component
def StatusBar(model: ClassroomModel, student: bool):
    """Month, scenario and the headline indicators."""
    TICK.get()
    latest = adapter.latest(model)
    scen = model.inspire_scenario
    kpis = [
        (
            "Firms cooperating" if student else "Cooperating SMEs (12 m)",
            pct(latest.get("cooperating_share")),
            "cooperating_share",
        ),
        (
            "... with a partner abroad" if student else "Cross-border among them",
            pct(latest.get("cross_border_share")),
            "cross_border_share",
        ),
        (
            "Projects that succeed" if student else "Project success rate",
            pct(latest.get("project_success_rate")),
            "project_success_rate",
        ),
        (
            "Confidence" if student else "Mean confidence",
            f"{latest['mean_confidence']:.2f}" if latest else "-",
            "mean_confidence",
        ),
        (
            "Spending this month" if student else "Policy spend this month",
            f"{latest.get('spend_total', 0) / 1000:,.0f} thousand euros" if latest else "-",
            "spend_total",
        ),
    ]
    cells = "".join(
        f"<span class='inspire-kpi' title='{e(INDICATORS[key].meaning, quote=True)}'>"
        f"{e(label)}: <b>{e(value)}</b></span>"
        for label, value, key in kpis
    )
    end = "" if model.running else "<br><b>The end of the scenario is reached: press Reset to start again.</b>"
    html_block(
        f"<span class='inspire-month'>Month {model.month_number} of {adapter.horizon(model)}</span> "
        f"<span class='inspire-scenario'>Scenario <b>{e(scen.name)}</b>: {gloss(scen.description)} "
        f"({adapter.n_smes(model)} SMEs in {len(adapter.country_names(model))} countries, each standing for "
        f"about {big_number(round(adapter.real_per_sme(model), -1))} real ones; seed {model.seed})</span>"
        f"{end}<div class='inspire-kpis'>{cells}</div>",
        classes=["inspire-status"],
    )


def _symbol(shape: str, color: str) -> str:
    return f"<span class='inspire-sym' style='color:{color}'>{shape}</span>"


COLOUR_TITLES = {
    "country": "country",
    "region group": "region's innovation group (Regional Innovation Scoreboard)",
    "sector": "sector",
}


def network_legend(model: ClassroomModel, colour_by: str = "country") -> str:
    """The network's legend as HTML (readable at any screen size, unlike text in the image)."""
    _, names, colours = colour_classes(model, colour_by)
    countries = " ".join(
        f"{_symbol('●', colour)}{e(name.replace('_', ' '))}" for name, colour in zip(names, colours, strict=True)
    )
    stages = " ".join(
        f"{_symbol(sym, '#555')}{e(adapter.STAGE_TEXT[st])}"
        for st, sym in zip(Stage, ("●", "■", "▲", "★"), strict=True)
    )
    partners = " ".join(
        f"{_symbol(sym, PTYPE_COLOR[t])}{e(adapter.PTYPE_TEXT[t].split(' ', 1)[1])}"
        for t, sym in zip(PartnerType, ("◆", "✚", "⬢", "▼"), strict=True)
    )
    links = (
        f"{_symbol('━', DOM_COLOR)}project at home {_symbol('━', XB_COLOR)}project abroad "
        f"{_symbol('━', TIE_COLOR)}trusted past partner {_symbol('◯', '#000')}the firm you follow"
    )
    return (
        f"<div><b>Colour</b> = {e(COLOUR_TITLES[colour_by])}: {countries}</div>"
        f"<div><b>Firms (shape = stage)</b>: {stages}</div>"
        f"<div><b>Partners</b> (outer arcs): {partners}</div><div>{links}</div>"
    )


@solara.component
def NetworkPanel(model: ClassroomModel):
    """The partnership network with its caption and legend."""
    TICK.get()
    colour_by = solara.use_reactive(COLOUR_BY[0])
    view = solara.use_memo(lambda: NetworkView(model, colour_by.value), [model, colour_by.value])
    image = solara.use_memo(view.frame, [model, model.month_number, model.followed, colour_by.value])
    with solara.Div(classes=["inspire-network"]):
        solara.Text(view.caption, classes=["inspire-network-caption"])
        solara.Image(image, format="jpeg", classes=["inspire-network-image"])
        with solara.Row(classes=["inspire-colour-by"]):
            solara.Text("Colour firms by:")
            solara.ToggleButtonsSingle(value=colour_by, values=list(COLOUR_BY))
        html_block(network_legend(model, colour_by.value), classes=["inspire-legend"])


@solara.component
def ChartsPanel(model: ClassroomModel):
    """Live charts of the indicators."""
    TICK.get()
    view = solara.use_memo(lambda: ChartsView(model), [model])
    image = solara.use_memo(view.frame, [model, model.month_number])
    with solara.Div(classes=["inspire-charts"]):
        solara.Image(image, format="jpeg", width="100%", classes=["inspire-charts-image"])
        stage_key = " ".join(f"{_symbol('■', STAGE_COLORS[s])}{gloss(adapter.STAGE_TEXT[s])}" for s in Stage)
        lever_key = " ".join(
            f"{_symbol('■', LEVER_COLORS[i % len(LEVER_COLORS)])}{e(LEVER_PLAIN[k])}" for i, k in enumerate(LEVER_KINDS)
        )
        html_block(
            f"<div><b>Firms by stage</b>: {stage_key}</div><div><b>Policy spending</b>: {lever_key}</div>",
            classes=["inspire-legend"],
        )


def sparkline(values: list[float], color: str, lo: float, hi: float, width: int = 300, height: int = 34) -> str:
    """A tiny inline SVG line chart (drawn by the browser; no JavaScript library needed)."""
    n = len(values)
    span = (hi - lo) or 1.0
    pts = " ".join(
        f"{width * k / max(n - 1, 1):.1f},{height - 2 - (height - 4) * (v - lo) / span:.1f}"
        for k, v in enumerate(values)
    )
    return (
        f"<svg width='{width}' height='{height}' style='background:#f6f8fa;max-width:100%'>"
        f"<polyline points='{pts}' fill='none' stroke='{color}' stroke-width='2'/></svg>"
    )


def _stage_dots(stage: int) -> str:
    return " ".join("●" if k <= stage else "○" for k in range(len(Stage)))


def journey_html(model: ClassroomModel, slot: int) -> str:
    """Everything the journey panel says about SME ``slot``."""
    info = adapter.sme_facts(model, slot)
    book = model.journeys
    stage = Stage(info["stage_index"])
    born = info["born"]
    parts = [
        f"<b>SME #{info['unique_id']}</b>, {e(info['country'])} ({e(info['region'])}), sector "
        f"{e(info['sector'])}, focus on {e(info['focus'])}; "
        f"{'in the economy from the start' if born < 0 else f'entered in month {born + 1}'}.",
        f"<b>Stage:</b> {gloss(adapter.STAGE_TEXT[stage])} {_stage_dots(stage)}",
        f"<b>{gloss('Confidence')}:</b> {info['confidence']:.2f} &middot; <b>Cash:</b> "
        f"{info['cash'] / 1000:,.0f} thousand euros",
        f"<b>Projects:</b> {info['attempts']} started, {info['successes']} succeeded, {info['failures']} failed"
        f" ({info['false_failures']} {gloss('false failure')}s)",
    ]
    projects = adapter.current_projects(model, slot)
    now = "; ".join(
        f"{'leads a project with' if p['role'] == 'lead' else 'is a partner in the project of'} {e(p['with'])} "
        f"in {e(p['country'])}{' (cross-border)' if p['cross_border'] else ''}, until month {p['ends']}"
        for p in projects
    )
    parts.append(f"<b>Now:</b> {now or 'not in a project.'}")
    confidence = book.trajectory(slot, "confidence")
    if len(confidence) > 1:
        parts.append(f"Confidence month by month<br>{sparkline(confidence, '#1f77b4', 0.0, 1.0)}")
    events = book.events.get(slot, [])[::-1]
    items = "".join(
        f"<li class='{'inspire-failure' if 'failed' in text else ''}'>month {mo}: {gloss(text)}</li>"
        for mo, text in events
    )
    parts.append(
        f"<b>Journey</b> (latest first):<ul class='inspire-events'>{items or '<li>nothing yet: press Step</li>'}</ul>"
    )
    return "".join(f"<div>{p}</div>" for p in parts)


@solara.component
def JourneyPanel(model: ClassroomModel):
    """Follow one SME: its facts and journey, in a fixed-height side panel that scrolls inside."""
    TICK.get()
    _, rerender = solara.use_state(0)
    slot = model.followed
    book = model.journeys
    labels = {}
    for i in model.follow_candidates():
        story = "had a failure, " if book.failed[i] else ""
        labels[f"SME #{adapter.actor_uid(model, i)} ({story}{book.n_events[i]} events)"] = i
    current = next(k for k, v in labels.items() if v == slot)

    def choose(label: str) -> None:
        model.follow(labels[label])
        rerender(lambda x: x + 1)

    with solara.Div(classes=["inspire-journey"]):
        html_block("<h3>Follow one firm</h3>")
        solara.Select(
            "Firm to follow" + (" (chosen for you until you pick one)" if model.auto_follow else ""),
            values=list(labels),
            value=current,
            on_value=choose,
        )
        html_block(journey_html(model, slot), classes=["inspire-journey-facts"])
