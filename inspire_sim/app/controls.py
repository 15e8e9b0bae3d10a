"""Playing the model: Play/Pause, Step, Reset, a speed in months per second, optional
pauses at milestones, and the sliders (values and units shown in words).

The app's own controller replaces Mesa SolaraViz's, whose framework controls (Render
Interval, Use Threads) mean nothing to a class. The play loop runs in a thread: step,
redraw (the redraw happens in the loop, so the screen never falls behind), then sleep
what is left of the month's time slot.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import solara

from .classroom import MILESTONES, ClassroomModel
from .labels import (
    LEVER_SLIDERS,
    SLIDERS,
    help_text,
    label,
    lever_off,
    scenario_value,
    slider_spec,
    value_in_words,
)
from .panels import TICK, e, gloss, html_block

SPEEDS = (1, 2, 4, 8)
"""Play speeds offered, in months per second (8 is about what 500 SMEs manage on a laptop)."""
DEFAULT_SPEED = 2


def play_loop(
    model: ClassroomModel,
    playing: Callable[[], bool],
    months_per_second: Callable[[], float],
    pause_at_milestones: Callable[[], bool],
    on_month: Callable[[], None],
    on_pause: Callable[[str], None],
) -> None:
    """Step ``model`` while ``playing()``, at most ``months_per_second()`` months a second.

    ``on_month`` redraws; ``on_pause(reason)`` is called when a milestone (with pauses on)
    or the horizon stops the run.
    """
    while playing() and model.running:
        t0 = time.perf_counter()
        model.step()
        on_month()
        if pause_at_milestones() and model.new_milestones:
            what = "; ".join(MILESTONES[k] for k in model.new_milestones)
            on_pause(f"Paused in month {model.month_number}: {what}. Press Play to go on.")
            return
        if not model.running:
            on_pause("The end of the scenario is reached.")
            return
        time.sleep(max(0.0, 1.0 / max(months_per_second(), 0.1) - (time.perf_counter() - t0)))


@solara.component
def Controls(model: solara.Reactive[ClassroomModel], on_reset: Callable[[], None], student: bool):
    """Play/Pause, Step, Reset, speed and milestone pauses."""
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    pauses = solara.use_reactive(True)
    message = solara.use_reactive("")
    gone = solara.use_memo(threading.Event, [])
    solara.use_effect(lambda: gone.set, [])  # on unmount (a new scenario, size or seed): stop playing

    def bump() -> None:
        TICK.value += 1

    def stop(reason: str) -> None:
        message.value = reason
        playing.value = False

    def loop() -> None:
        play_loop(
            model.value,
            lambda: playing.value and not gone.is_set(),
            lambda: speed.value,
            lambda: pauses.value,
            bump,
            stop,
        )

    solara.lab.use_task(loop, dependencies=[playing.value], prefer_threaded=True)

    def toggle() -> None:
        message.value = ""
        playing.value = not playing.value

    def step() -> None:
        message.value = ""
        model.value.step()
        if pauses.value and model.value.new_milestones:
            message.value = "Month {}: {}.".format(
                model.value.month_number, "; ".join(MILESTONES[k] for k in model.value.new_milestones)
            )
        bump()

    def reset() -> None:
        playing.value = False
        message.value = ""
        on_reset()

    running = model.value.running
    with solara.Div(classes=["inspire-controls"]):
        with solara.Row(gap="6px"):
            solara.Button(
                "Pause" if playing.value else "Play",
                color="primary",
                on_click=toggle,
                disabled=not running,
                classes=["inspire-play"],
            )
            solara.Button("Step", color="primary", on_click=step, disabled=playing.value or not running)
            solara.Button("Reset", color="primary", outlined=True, on_click=reset)
        solara.ToggleButtonsSingle(
            value=speed.value, values=list(SPEEDS), on_value=speed.set, classes=["inspire-speed"]
        )
        html_block(f"Speed: <b>{speed.value} month{'s' if speed.value != 1 else ''} per second</b>")
        solara.Checkbox(label="Pause at key moments (first failure, first unicorn, ...)", value=pauses)
        if message.value:
            html_block(message.value, classes=["inspire-message"])


@solara.component
def SliderRow(
    name: str,
    values: solara.Reactive[dict[str, Any]],
    base_value: float | int,
    student: bool,
    off: bool,
    countries: int,
):
    """One slider with its label, its value and unit in words, and its meaning on hover."""
    sp = slider_spec(name, base_value)
    value = values.value.get(name, sp.value)

    def set_value(v: Any) -> None:
        values.value = {**values.value, name: v}

    shown = gloss(label(name, student)) if student else e(label(name, student))
    words = value_in_words(name, value, student=student, off=off and value == sp.value, countries=countries)
    html_block(
        f"<span class='inspire-term' title='{e(help_text(name), quote=True)}'>{shown}</span>: "
        f"<b class='inspire-slider-value'>{words}</b>",
        classes=["inspire-slider-label"],
    )
    if sp.integer:
        solara.SliderInt("", value=int(value), min=int(sp.lo), max=int(sp.hi), step=int(sp.step), on_value=set_value)
    else:
        solara.SliderFloat("", value=float(value), min=sp.lo, max=sp.hi, step=sp.step, on_value=set_value)


@solara.component
def Sliders(values: solara.Reactive[dict[str, Any]], base: Any, student: bool):
    """The policy sliders (and, in researcher mode, the key uncertain parameters)."""
    names = LEVER_SLIDERS if student else SLIDERS
    with solara.Div(classes=["inspire-sliders"]):
        html_block(
            "<b>Policy settings</b> start at the scenario's values. Move them, then press <b>Reset</b> "
            "to run the economy with them.",
            classes=["inspire-hint"],
        )
        for name in names:
            SliderRow(name, values, scenario_value(base, name), student, lever_off(base, name), len(base.countries))
