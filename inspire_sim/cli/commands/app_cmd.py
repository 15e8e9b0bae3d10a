"""``inspire-sim app``: serve the classroom app (:mod:`inspire_sim.app`) with Solara.

The browser front-end comes with ``pip install 'inspire-sim[app]'`` (the ``solara-assets``
package); ``--prepare-offline`` can still fill solara's asset cache from the npm registry
when solara was installed without it. See :mod:`inspire_sim.app.server`.
"""

from __future__ import annotations

import os
import warnings
from typing import Annotated

import typer

from ...app import server
from ...errors import InputError


def register(app: typer.Typer) -> None:
    """Add the ``app`` command to the ``inspire-sim`` app."""
    app.command("app")(app_command)


def app_command(
    port: Annotated[int, typer.Option("--port", "-p", help="TCP port (0 = any free port).")] = server.DEFAULT_PORT,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Interface to listen on; 127.0.0.1 keeps the app on this machine, 0.0.0.0 opens it to the network.",
        ),
    ] = server.DEFAULT_HOST,
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open a web browser on the app.")] = False,
    prepare_offline_: Annotated[
        bool,
        typer.Option(
            "--prepare-offline",
            help="Fetch missing browser files of the app into solara's asset cache with npm, then exit "
            "(only needed when the terminal or the page says files are missing).",
        ),
    ] = False,
) -> None:
    """Serve the classroom app: play a scenario live in the browser (Ctrl+C stops it).

    Example: inspire-sim app --port 8766 --open
    """
    if prepare_offline_:
        fetched = server.prepare_offline()
        typer.echo(
            f"inspire-sim: front-end cached in {server.asset_cache()}: "
            + (", ".join(fetched) if fetched else "everything was already there")
        )
        return
    server.check_port(host, port)
    if host not in server.LOOPBACK:
        typer.echo(f"inspire-sim: note: listening on {host}: anyone on the network can open the app", err=True)
    # before solara reads its settings: no telemetry, no version check against PyPI
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    # Solara's "This website runs on Solara" banner sits over the app's bottom-right corner
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    # plain-http classroom use: solara warns on every page load that it falls back to samesite=lax cookies
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    try:
        from solara.__main__ import cli as solara_cli
    except ModuleNotFoundError as exc:
        raise InputError(
            f"the app needs {exc.name}, which is not installed", source=server.CLI, fix="pip install 'inspire-sim[app]'"
        ) from None
    missing = server.missing_frontend()
    if missing:
        typer.echo(
            f"inspire-sim: note: browser files are missing ({', '.join(missing)}): the page needs internet "
            f"to load them. Fix: {server.FIX_ASSETS}",
            err=True,
        )
    typer.echo(f"inspire-sim: serving the classroom app at http://{host}:{port} (Ctrl+C stops it)", err=True)
    solara_cli.main(
        args=server.solara_args(host, port, open_browser), prog_name="inspire-sim app", standalone_mode=False
    )
