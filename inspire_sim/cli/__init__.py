"""The ``inspire-sim`` command.

Each command lives in its own module and registers itself on :data:`app` through a
``register(app)`` function listed in :data:`COMMAND_MODULES`. Every user-input problem
(:class:`~inspire_sim.errors.InputError`) is printed as one line on stderr and the
command exits with status 2; nothing computed before the error is lost. The command modules are in
:mod:`.commands` (one per command, ``*_cmd.py``); ``python -m inspire_sim.cli`` runs the command line.

May import: every layer below it (all but the package's public face, ``inspire_sim/__init__``).
A command module imports the heavy layers (the model, figures, Dask, the app) inside its command,
so that ``inspire-sim --help`` does not load Mesa, matplotlib, Dask or Solara.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated

import typer

from ..errors import InputError

app = typer.Typer(
    name="inspire-sim",
    help="Agent-based simulation of open innovation in European SMEs (INSPIRE).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

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


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that command is not built (yet): skip it
                continue
            raise
        mod.register(app)


def _version(value: bool) -> None:
    if value:
        from ..manifest import PACKAGE_VERSION

        typer.echo(f"inspire-sim {PACKAGE_VERSION}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Agent-based simulation of open innovation in European SMEs (INSPIRE).

    Example: inspire-sim run baseline --replications 10
    """


_register_all()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning InputError into a one-line message and exit 2."""
    from ..manifest import recording_argv

    # the command line goes into every manifest written by this command (for `inspire-sim rerun`)
    with recording_argv(sys.argv[1:] if argv is None else argv):
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    try:
        rv = app(args=argv, standalone_mode=False)
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
