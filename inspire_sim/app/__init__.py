"""The classroom app: the INSPIRE model running live in the browser (Solara).

Start it with ``inspire-sim app`` (or ``solara run inspire_sim.app``). One concept per module:

* :mod:`.labels`: words on the screen (plain labels, glossary, units in words, slider bounds);
* :mod:`.adapter`: the only reads of the model's internals;
* :mod:`.classroom`: the model as the app runs it (slider values, journeys, milestones);
* :mod:`.figure`, :mod:`.network`, :mod:`.charts`: the live figures;
* :mod:`.panels`, :mod:`.controls`, :mod:`.layout`: the Solara components and the page layout;
* :mod:`.game` (pure logic) and :mod:`.game_page`: the policy game;
* :mod:`.server`: serving it (front-end assets, port check, ``solara run`` arguments).

May import: every layer below (reports, analyses, experiments, the runner, levers, core, base);
never the CLI (which starts the app: ``inspire-sim app`` imports :mod:`.server`).
"""

import importlib
from typing import Any

_LAZY = {
    "Page": "layout",
    "Layout": "layout",
    "routes": "layout",
    "ClassroomModel": "classroom",
    "JourneyBook": "classroom",
    "classroom_scenario": "classroom",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    """Import the Solara pages (and the model) on first use: ``inspire-sim app`` checks its port first."""
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
