"""The app's pages and layout: "Watch the economy", "Policy game" and "Glossary", in
student mode (the default: plain words) or researcher mode (parameter names, units and
the uncertain parameters).

The layout is a CSS grid sized to the window, so that on a projector (1280x720) the
network is fully visible, the panels never overlap and no text is under 12 px (tested in
headless Chromium, ``tests/test_app_browser.py``).
"""

from __future__ import annotations

from typing import Any

import solara

from .classroom import DEFAULT_N_SMES, DEFAULT_SCENARIO, N_SMES_CHOICES, SCENARIO_NAMES, ClassroomModel
from .controls import Controls, Sliders
from .game_page import GamePage
from .labels import SLIDERS, lever_off, scenario_value, technical_label, value_in_words
from .panels import (
    ChartsPanel,
    Glossary,
    JourneyPanel,
    NetworkPanel,
    StatusBar,
    WhatAmILookingAt,
    e,
    html_block,
)
from .server import offline_banner

TITLE = "INSPIRE: how small firms innovate together"
TABS = ("Watch the economy", "Policy game", "Glossary")

CSS = """
html, body, .v-application { font-size: 16px; }
.inspire-app { padding: 6px 12px; }
.inspire-header { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; margin-bottom: 6px; }
.inspire-title { font-size: 22px; margin: 0; font-weight: 600; }
.inspire-tabs { flex: 1 1 auto; }
.v-application .v-label, .v-application .v-btn, .v-application .v-select__selection,
.v-application input, .v-application .v-messages { font-size: 14px !important; }
.inspire-watch { display: grid; gap: 10px; align-items: start;
  grid-template-columns: minmax(250px, 300px) minmax(0, 1fr) minmax(280px, 360px); }
.inspire-side { max-height: calc(100vh - 80px); overflow-y: auto; padding-right: 4px; }
.inspire-centre { min-width: 0; }
.inspire-network-image { display: block; margin: 0 auto; width: auto; max-width: 100%; aspect-ratio: 1 / 1;
  height: calc(100vh - 300px); min-height: 240px; max-height: 900px; object-fit: contain; }
.inspire-journey { max-height: calc(100vh - 80px); overflow-y: auto; font-size: 14px; }
.inspire-journey h3, .inspire-game h3 { margin: 0 0 6px 0; font-size: 18px; }
.inspire-charts { grid-column: 1 / -1; }
.inspire-charts-image { display: block; width: 100%; max-width: 1400px; }
.inspire-legend, .inspire-network-caption, .inspire-status, .inspire-hint, .inspire-slider-label,
.inspire-explain, .inspire-journey-facts, .inspire-message, .inspire-total { font-size: 14px; line-height: 1.35; }
.inspire-legend div { margin: 1px 0; }
.inspire-sym { font-size: 15px; margin: 0 3px 0 8px; }
.inspire-month { font-size: 20px; font-weight: bold; margin-right: 10px; }
.inspire-kpis { display: flex; flex-wrap: wrap; gap: 4px 14px; margin-top: 4px; }
.inspire-kpi { cursor: help; }
.inspire-term { border-bottom: 1px dotted #555; cursor: help; }
.inspire-events { margin: 2px 0 0 0; padding-left: 18px; }
.inspire-failure { color: #b71c1c; }
.inspire-slider-label { margin-top: 8px; }
.inspire-slider-value { color: #1a4f8b; }
.inspire-message { background: #fff3cd; border-left: 4px solid #e0a800; padding: 4px 8px; margin-top: 6px; }
.inspire-game { display: grid; gap: 16px; grid-template-columns: minmax(300px, 440px) minmax(0, 1fr); font-size: 15px; }
.inspire-scorecard { border-collapse: collapse; margin: 6px 0; }
.inspire-scorecard td, .inspire-scorecard th { padding: 3px 10px; border-bottom: 1px solid #ddd; font-size: 15px; }
.inspire-scorecard .num { text-align: right; }
.inspire-scorecard .up { color: #1b7e2c; } .inspire-scorecard .down { color: #b71c1c; }
.inspire-over { color: #b71c1c; font-weight: bold; }
.inspire-challenge-result.won { color: #1b7e2c; }
.inspire-plan-code { font-size: 15px; padding: 4px 6px; background: #eef; user-select: all; }
.inspire-glossary dt { font-weight: bold; margin-top: 6px; font-size: 16px; }
.inspire-glossary dd { margin-left: 16px; font-size: 15px; }
.inspire-run-params td { padding: 1px 12px 1px 0; font-size: 14px; }
.v-footer, .solara-footer { display: none !important; }
"""


@solara.component
def RunParameters(model: ClassroomModel, base: Any):
    """Researcher mode: the parameters this run uses, with the scenario's own values."""
    rows = []
    for name in SLIDERS:
        now, default = scenario_value(model.inspire_scenario, name), scenario_value(base, name)
        shown = value_in_words(name, now, student=False, off=lever_off(model.inspire_scenario, name))
        moved = "" if now == default else f" <i>(scenario: {e(value_in_words(name, default, student=False))})</i>"
        rows.append(f"<tr><td>{e(technical_label(name))}</td><td><b>{e(shown)}</b>{moved}</td></tr>")
    with solara.Details("Parameters of this run"):
        html_block("<table class='inspire-run-params'>" + "".join(rows) + "</table>")


@solara.component
def WatchRun(
    scenario_name: solara.Reactive[str], n_smes: solara.Reactive[int], seed: solara.Reactive[int], student: bool
):
    """One run's screen (remounted, with fresh sliders, when the scenario, size or seed changes)."""
    key = (scenario_name.value, n_smes.value, max(0, int(seed.value or 0)))  # seeds are non-negative
    model: solara.Reactive[ClassroomModel] = solara.use_reactive(solara.use_memo(lambda: ClassroomModel(*key), []))
    values: solara.Reactive[dict[str, Any]] = solara.use_reactive({})
    base = solara.use_memo(lambda: model.value.inspire_scenario, [])

    def reset() -> None:
        model.value = ClassroomModel(*key, **values.value)

    with solara.Div(classes=["inspire-watch"]):
        with solara.Div(classes=["inspire-side", "inspire-left"]):
            Controls(model, reset, student)
            solara.Select("Scenario", values=SCENARIO_NAMES, value=scenario_name)
            solara.Select("Number of firms", values=N_SMES_CHOICES, value=n_smes)
            if not student:
                solara.InputInt("Seed", value=seed)
            Sliders(values, base, student)
        with solara.Div(classes=["inspire-centre"]):
            StatusBar(model.value, student)
            WhatAmILookingAt(student)
            NetworkPanel(model.value)
        JourneyPanel(model.value)
        with solara.Div(classes=["inspire-charts"]):
            ChartsPanel(model.value)
            if not student:
                RunParameters(model.value, base)


@solara.component
def WatchPage(student: bool):
    """Watch the economy: controls and sliders, the network, the followed firm, the charts."""
    scenario_name = solara.use_reactive(DEFAULT_SCENARIO)
    n_smes = solara.use_reactive(DEFAULT_N_SMES)
    seed = solara.use_reactive(0)
    key = (scenario_name.value, n_smes.value, max(0, int(seed.value or 0)))
    WatchRun(scenario_name, n_smes, seed, student).key(f"run-{key}")


@solara.component
def Page():
    """The app: a title bar with the mode switch, and three tabs."""
    student = solara.use_reactive(True)
    tab = solara.use_reactive(0)
    solara.Style(CSS)
    solara.Title(TITLE)
    with solara.Div(classes=["inspire-header"]):
        html_block(e(TITLE), tag="h1", classes=["inspire-title"])
        with solara.Div(classes=["inspire-tabs"]), solara.lab.Tabs(value=tab):
            for name in TABS:
                solara.lab.Tab(name)
        solara.Switch(label="Researcher mode", value=not student.value, on_value=lambda v: student.set(not v))
    banner = offline_banner()
    if banner:
        html_block(e(banner), classes=["inspire-message", "inspire-offline"])
    # every tab stays mounted (hidden when not shown): a run survives a look at the glossary
    for k, page in enumerate((lambda: WatchPage(student.value), GamePage, Glossary)):
        with solara.Div(style={} if tab.value == k else {"display": "none"}, classes=[f"inspire-tab-{k}"]):
            page()


@solara.component
def Layout(children: list[Any] | None = None):
    """The page frame: the app's own header instead of Solara's app bar (more room on a projector)."""
    with solara.Div(classes=["inspire-app"]):
        for child in children or []:
            solara.display(child)


routes = [solara.Route(path="/", component=Page, label=TITLE, layout=Layout)]
"""Solara's routes for ``solara run inspire_sim.app``: one page, the app's own frame."""

__all__ = ["CSS", "TITLE", "Layout", "Page", "WatchPage", "routes"]
