"""Command-line options shared by every command (one definition, one parser).

``--set NAME=VALUE`` (repeatable) overrides a parameter by its dotted name, as
``load_scenario(..., **overrides)`` takes them: ``--set n_smes=500``,
``--set support_funding.grant_size=20000``, ``--set 'sectors=["ict", "services"]'``.
Values are read as TOML literals (numbers, booleans, strings, arrays); a bare word that is not
valid TOML is taken as a string.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from typing import Annotated, Any

import typer

from ...errors import InputError

SET_HELP = "Override a parameter: NAME=VALUE, dotted names as in scenarios (repeatable), e.g. --set n_smes=500."
SetOption = Annotated[list[str] | None, typer.Option("--set", help=SET_HELP, metavar="NAME=VALUE")]
ProgressOption = Annotated[bool, typer.Option("--progress/--quiet", " /-q", help="Show a progress bar (on stderr).")]
"""``--progress`` (default) / ``--quiet``: the same flag names on every command."""
FiguresOption = Annotated[bool, typer.Option("--figures/--no-figures", help="Write the PNG figures.")]
"""``--figures`` (default) / ``--no-figures``: the same flag names on every command."""
BATCH_HELP = (
    "Runs per batch (one vectorised population, results identical to the runs alone): "
    "auto = about 50,000 simulated SMEs per batch; N; 1 = no batching. Default: auto (sweep and sensitivity: "
    "the spec's batch if it sets one)."
)
BatchOption = Annotated[str | None, typer.Option("--batch", help=BATCH_HELP, metavar="auto|N", show_default=False)]
"""``--batch auto|N``: the execution setting of every command that runs many simulations
(checked by :func:`inspire_sim.run.check_batch`; None = the default, "auto")."""


def parse_value(text: str) -> Any:
    """A ``--set`` value: a TOML literal, or the text itself when it is not one."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_sets(items: Iterable[str] | None, option: str = "--set") -> dict[str, Any]:
    """``["a.b=1", "c=x"]`` -> ``{"a.b": 1, "c": "x"}``; one-line InputError on a malformed item."""
    out: dict[str, Any] = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name or not value.strip():
            raise InputError(
                f"expects NAME=VALUE, got {item!r}",
                source="command line",
                field=option,
                fix=f"write e.g. {option} n_smes=500",
            )
        out[name] = parse_value(value.strip())
    return out
