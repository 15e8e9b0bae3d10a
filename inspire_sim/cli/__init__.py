"""The ``inspire-sim`` command.

Each command lives in its own module and registers itself on :data:`app` through a
``register(app)`` function listed in :data:`COMMAND_MODULES` (and each command name in
:data:`COMMANDS`: a command line imports only its command's module). Every user-input problem
(:class:`~inspire_sim.errors.InputError`) is printed as one line on stderr and the
command exits with status 2; nothing computed before the error is lost. The command modules are in
:mod:`.commands` (one per command, ``*_cmd.py``); ``python -m inspire_sim.cli`` runs the command line.

May import: every layer below it (all but the package's public face, ``inspire_sim/__init__``).
A command module imports the heavy layers (the model, figures, Dask, the app) inside its command,
so that ``inspire-sim --help`` does not load Mesa, matplotlib, Dask or Solara.
"""

from __future__ import annotations

import functools
import importlib
import sys
from typing import Annotated

import typer

from ..errors import InputError

COMMAND_MODULES = (
    "inspire_sim.cli.commands.run_cmd",  # run, params
    "inspire_sim.cli.commands.sweep_cmd",  # sweep, sensitivity
    "inspire_sim.cli.commands.compare_cmd",  # compare
    "inspire_sim.cli.commands.app_cmd",  # app
    "inspire_sim.cli.commands.rerun_cmd",  # rerun
    "inspire_sim.cli.commands.trial_cmd",  # trial
    "inspire_sim.cli.commands.calibrate_cmd",  # calibrate
    "inspire_sim.cli.commands.robust_cmd",  # robust
    "inspire_sim.cli.commands.validate_cmd",  # validate
)

COMMANDS = {
    "run": "inspire_sim.cli.commands.run_cmd",
    "params": "inspire_sim.cli.commands.run_cmd",
    "sweep": "inspire_sim.cli.commands.sweep_cmd",
    "sensitivity": "inspire_sim.cli.commands.sweep_cmd",
    "compare": "inspire_sim.cli.commands.compare_cmd",
    "app": "inspire_sim.cli.commands.app_cmd",
    "rerun": "inspire_sim.cli.commands.rerun_cmd",
    "trial": "inspire_sim.cli.commands.trial_cmd",
    "calibrate": "inspire_sim.cli.commands.calibrate_cmd",
    "robust": "inspire_sim.cli.commands.robust_cmd",
    "validate": "inspire_sim.cli.commands.validate_cmd",
}
"""Which module registers each command: ``inspire-sim sweep ...`` imports (and compiles) only
``sweep_cmd``, not the other command modules and what they import at the top (the app's server
module, ...). ``tests/test_sweep_startup.py`` checks this table against what the modules register."""


def _version(value: bool) -> None:
    if value:
        from ..manifest import PACKAGE_VERSION

        typer.echo(f"inspire-sim {PACKAGE_VERSION}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Agent-based simulation of open innovation in European SMEs (INSPIRE).

    Example: inspire-sim run baseline --replications 10
    """


def build_app(modules: tuple[str, ...] = COMMAND_MODULES) -> typer.Typer:
    """The ``inspire-sim`` app with the commands of ``modules`` (default: every command)."""
    new = typer.Typer(
        name="inspire-sim",
        help="Agent-based simulation of open innovation in European SMEs (INSPIRE).",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    new.callback()(_root)
    for name in modules:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that command is not built (yet): skip it
                continue
            raise
        mod.register(new)
    return new


def _app_for(argv: list[str] | None) -> typer.Typer:
    """The app for one command line: only the named command's module when the first argument
    is a known command; every command otherwise (``--help``, ``--version``, a misspelt name)."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in COMMANDS:
        return build_app((COMMANDS[args[0]],))
    return _full_app()


@functools.cache
def _full_app() -> typer.Typer:
    return build_app()


def __getattr__(name: str) -> typer.Typer:
    """``app``, the app with every command, built on first use (``from inspire_sim.cli import app``)."""
    if name == "app":
        return _full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning InputError into a one-line message and exit 2."""
    from ..manifest import recording_argv

    # the command line goes into every manifest written by this command (for `inspire-sim rerun`)
    with recording_argv(sys.argv[1:] if argv is None else argv):
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    try:
        rv = _app_for(argv)(args=argv, standalone_mode=False)
    except InputError as exc:
        print(f"inspire-sim: error: {exc.one_line()}", file=sys.stderr)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        print("inspire-sim: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # usage errors (typer vendors its own click)
        import click

        if isinstance(exc, (click.exceptions.ClickException, getattr(typer, "TyperException", ()))):
            message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            print(f"inspire-sim: error: {' '.join(message.split())}", file=sys.stderr)
            return 2
        raise
    return rv if isinstance(rv, int) else 0
