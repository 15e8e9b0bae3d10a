"""Words on the screen: plain-language labels, the glossary, values with units in words.

Student mode (the default) speaks to a 16-year-old; researcher mode shows the parameter
names and units of :mod:`inspire_sim.core.params`. Every bound, default and unit still comes
from the parameter's single definition (``spec_by_name()``); this module only chooses
words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..core.params import ParamSpec
from ..core.scenario import Scenario
from ..errors import InputError, unknown_key_fix
from ..levers import spec_by_name

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
"""Sliders for the key uncertain parameters (researcher mode)."""

SLIDERS = LEVER_SLIDERS + UNCERTAINTY_SLIDERS

LEVER_KINDS = ("support_funding", "cross_border_brokering", "matchmaking", "oi_toolbox", "failure_recovery")
"""The levers the app shows: the shipped ones in registration order (a plug-in lever has no words here)."""

INTENSITY = {kind: ("budget_per_step" if kind == "support_funding" else "capacity") for kind in LEVER_KINDS}
"""The parameter whose zero means "this lever is off"."""

PLAIN = {
    "support_funding.budget_per_step": "Money for innovation grants",
    "support_funding.co_funding_rate": "Part of a project's cost a grant pays",
    "matchmaking.capacity": "Firms introduced to a partner at home",
    "cross_border_brokering.capacity": "Firms helped to find a partner abroad (brokers)",
    "cross_border_brokering.friction_reduction": "How much a broker lowers the border barrier",
    "oi_toolbox.capacity": "Firms coached in working with partners",
    "failure_recovery.capacity": "Firms helped back on their feet after a failure",
    "home_bias": "Preference for partners at home",
    "search_rate": "How often a firm looks for partners",
    "friction_scale": "How much borders and distance get in the way",
    "b_partnership_model": "How much a good partnership plan helps a project",
    "failure_confidence_hit": "How much a failure knocks a firm's confidence",
}
"""Student-mode label of each slider."""

LEVER_PLAIN = {
    "support_funding": "Innovation grants",
    "matchmaking": "Matchmaking at home",
    "cross_border_brokering": "Brokers for partners abroad",
    "oi_toolbox": "Coaching (INSPIRE toolbox)",
    "failure_recovery": "Help after a failure",
}
"""Plain name of each policy lever (the policy game's words)."""

LEVER_WHAT = {
    "support_funding": "pays part of the cost of innovation projects (a voucher or grant)",
    "matchmaking": "introduces firms to well-suited partners in their own country",
    "cross_border_brokering": "introduces firms to partners in other countries and lowers the border barrier",
    "oi_toolbox": "coaches firms to plan partnerships and agree on a shared vision",
    "failure_recovery": "helps firms whose project failed to regain confidence and try again",
}

UNIT_WORDS = {
    "real EUR/month": "euros a month",
    "EUR/month": "euros a month",
    "EUR": "euros",
    "EUR/real SME": "euros per firm",
    "real SMEs/month/country": "firms a month in each country",
    "real SMEs/month (targeted countries together)": "firms a month in all its countries together",
    "projects": "projects",
    "candidates": "candidates",
    "months": "months",
    "x": "times",
}
"""Units as words (shares are shown as percentages)."""

GLOSSARY = {
    "SME": "A small or medium-sized firm: fewer than 250 people. Most firms in Europe are SMEs.",
    "open innovation": "Innovating together with others (other firms, universities, customers) "
    "instead of alone. Short: OI.",
    "partnership": "Two organisations running an innovation project together for some months.",
    "cross-border": "The two partners are in different countries.",
    "border barrier": "Everything that makes working abroad harder: language, law, distance, culture. "
    "Researchers call it friction.",
    "broker": "An adviser (e.g. the Enterprise Europe Network) who introduces firms to partners abroad.",
    "matchmaking": "An agency or cluster that introduces firms to suitable partners in their own country.",
    "grant": "Public money that pays part of a project's cost (also called a voucher).",
    "exploration": "Stage 1: the firm looks around for ideas and partners.",
    "development": "Stage 2: the firm builds a new product or service with partners.",
    "scaling-up": "Stage 3: the firm grows the new business; it may need new partners.",
    "commercialisation": "Stage 4: the firm sells the innovation on the market.",
    "confidence": "How much a firm trusts that working with partners pays off (0 = not at all, 1 = fully). "
    "Failures lower it, successes raise it.",
    "failure": "A project that did not reach its goal. Firms often learn from it and try again.",
    "false failure": "A failed project that still taught the firm a lot.",
    "unicorn": "A firm with an exceptionally big success (the real word is for start-ups worth over a billion).",
    "cooperating": "A firm that worked on an innovation project with a partner in the last 12 months. "
    "The EU's Community Innovation Survey (CIS) counts firms the same way.",
    "research organisation": "A university or research institute.",
    "crowd": "Many individuals, e.g. users or customers who give ideas online.",
}
"""Words a student may not know (shown on hover and in the glossary panel)."""


@dataclass(frozen=True)
class SliderSpec:
    """Where a slider starts, its bounds and step (every value on the step grid)."""

    name: str
    value: float | int
    lo: float | int
    hi: float | int
    step: float | int
    integer: bool


def spec(name: str) -> ParamSpec:
    """The parameter definition of slider ``name`` (InputError naming the nearest valid name)."""
    specs = spec_by_name()
    if name not in specs:
        raise InputError("unknown parameter", field=name, fix=unknown_key_fix(name, specs))
    return specs[name]


def technical_label(name: str, unit: bool = False) -> str:
    """``"cross_border_brokering.capacity"`` -> ``"cross border brokering: capacity"`` (+ ``" [unit]"``)."""
    sp = spec(name)
    what = sp.field.replace("_", " ")
    head = "" if sp.group == "model" else sp.group.replace("_", " ") + ": "
    return f"{head}{what}" + (f" [{sp.unit}]" if unit else "")


def label(name: str, student: bool = True) -> str:
    """The slider's label in student (plain words) or researcher (parameter name and unit) mode."""
    return PLAIN.get(name, technical_label(name)) if student else technical_label(name, unit=True)


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


SMALL_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven")


def big_number(value: float) -> str:
    """A real amount as a 16-year-old reads it: ``75000000`` -> ``"75 million"``, ``12500`` -> ``"12,500"``."""
    x = float(value)
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if abs(x) >= size:
            return f"{x / size:,.3g} {word}" if abs(x) < 1000 * size else f"{x / size:,.0f} {word}"
    return _number(x)


def euros(value: float) -> str:
    """``75000000`` -> ``"75 million euros"``."""
    return f"{big_number(value)} euro{'' if float(value) == 1 else 's'}"


def countries_in_words(n: int) -> str:
    """``8`` -> ``"the eight countries"``."""
    return f"the {SMALL_NUMBERS[n] if 0 <= n < len(SMALL_NUMBERS) else n} countries" if n != 1 else "the country"


def value_in_words(
    name: str, value: float | int, student: bool = True, off: bool = False, countries: int | None = None
) -> str:
    """``75000000`` for the grant budget -> ``"75 million euros a month"`` (``"off"`` when the lever is off).

    With ``countries`` (the scenario's number of countries), a lever's monthly budget reads
    ``"7 million euros a month across the 27 countries"``: budgets are real euros for
    the whole represented population, capacities real firms a month in all targeted countries together.
    """
    sp = spec(name)
    if off:
        return "off (not used)"
    if sp.unit == "share":
        return f"{100 * float(value):.0f}%"
    if not student:
        return f"{_number(value)} {sp.unit}"
    if sp.field == INTENSITY.get(sp.group) and float(value) == 0:
        return "0 (off)"
    words = UNIT_WORDS.get(sp.unit)
    if words and float(value) == 1:
        words = words.replace("firms", "firm", 1).replace("euros", "euro", 1).replace("months", "month", 1)
    if words and sp.field == "budget_per_step" and countries:
        words += " across " + countries_in_words(countries)
    return f"{big_number(value)} {words}" if words else _number(value)


def scenario_value(scen: Scenario, name: str) -> float | int:
    """The value ``scen`` uses for slider ``name`` (its first policy of that kind, for a lever).

    A lever the scenario does not use shows 0 on its on/off parameter (:data:`INTENSITY`)
    and its parameter default elsewhere.
    """
    sp = spec(name)
    if sp.group == "model":
        value = getattr(scen.params, sp.field)
    else:
        pols = [p for p in scen.policies if p.kind == sp.group]
        if pols:
            value = getattr(pols[0], sp.field)
        elif sp.field == INTENSITY[sp.group]:
            value = 0
        else:
            value = sp.default
        if value is None:  # e.g. no monthly budget cap
            value = sp.default
    return int(value) if sp.integer else float(value)


NICE = (1.0, 2.0, 2.5, 5.0)


def _on_grid(x: float, lo: float, step: float) -> bool:
    k = (x - lo) / step
    return math.isclose(k, round(k), rel_tol=0, abs_tol=1e-6)


def nice_step(lo: float, hi: float, value: float, integer: bool) -> float | int:
    """A 1-2-2.5-5 step of about 1/100 of the range on which ``value`` lies exactly.

    (A slider snaps to ``lo + k * step``: a 20,000 step would show a 150,000 budget as
    160,000.)
    """
    raw = (hi - lo) / 100 if hi > lo else 1.0
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    candidates = sorted({m * mag * f for m in NICE for f in (0.001, 0.01, 0.1, 1, 10)}, reverse=True)
    for step in (c for c in candidates if c <= raw * 2.5):
        if integer and (step < 1 or not float(step).is_integer()):
            continue
        if _on_grid(value, lo, step):
            return int(step) if integer else float(step)
    return 1 if integer else float((hi - lo) / 1000 or 1.0)


MAX_POSITIONS = 250
"""A slider with more positions than this is hard to set: its bottom moves down instead (below)."""


def slider_spec(name: str, value: float | int) -> SliderSpec:
    """Bounds (the plausible ``sa_range``, else validation bounds, widened to ``value``) and a step.

    When no nice step of at most :data:`MAX_POSITIONS` positions puts ``value`` on the grid from
    the bottom (a calibrated 0.0217 on a 0.02-0.06 range), the bottom moves down, within the
    parameter's validation bounds, to the grid of a nice step through ``value``.
    """
    sp = spec(name)
    lo, hi = sp.sa_range if sp.sa_range is not None else (sp.lo, sp.hi)
    if lo is None or hi is None:
        raise ValueError(f"parameter {name} has no sa_range or bounds for a slider")
    lo, hi = min(lo, value), max(hi, value)
    step = nice_step(float(lo), float(hi), float(value), sp.integer)
    if hi > lo and (hi - lo) / step > MAX_POSITIONS:
        coarse = nice_step(float(lo), float(hi), float(lo), sp.integer)  # about 1/100 of the range
        below = value - math.ceil(round((value - lo) / coarse, 6)) * coarse
        if sp.lo is None or below >= sp.lo:
            lo, step = below, coarse
    hi = lo + math.ceil(round((hi - lo) / step, 6)) * step  # the top is on the grid too
    if sp.integer:
        return SliderSpec(name, int(value), int(lo), int(hi), int(step), True)
    return SliderSpec(name, float(value), float(lo), float(hi), float(step), False)


def help_text(name: str) -> str:
    """The parameter's own documentation and source."""
    sp = spec(name)
    return f"{sp.doc} Source: {sp.source}."


def lever_off(scen: Scenario, name: str) -> bool:
    """Whether ``name`` belongs to a lever the scenario does not use."""
    sp = spec(name)
    return sp.group != "model" and sp.group not in {p.kind for p in scen.policies}


def glossary_terms(text: str) -> list[str]:
    """Glossary terms that occur in ``text`` (case-insensitive)."""
    low = text.lower()
    return [t for t in GLOSSARY if t.lower() in low]


def as_number(value: Any, integer: bool) -> float | int:
    """A slider value as the parameter's type."""
    return round(float(value)) if integer else float(value)
