"""``inspire-sim app``: serve the classroom app (:mod:`inspire_sim.app`) with Solara.

Solara's browser front-end (its Vue/Vuetify bundle, require.js, Font Awesome) is not in
the Python packages: the server fetches it from a CDN on first use and keeps it in its
asset cache. For a classroom (or CI) without internet, ``inspire-sim app
--prepare-offline`` fills that cache once from the npm registry (``npm pack``).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import socket
import subprocess
import tarfile
import tempfile
import warnings
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError

CLI = "command line"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP_MODULE = "inspire_sim.app"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def register(app: typer.Typer) -> None:
    """Add the ``app`` command to the ``inspire-sim`` app."""
    app.command("app")(app_command)


def _check_port(host: str, port: int) -> None:
    """Raise InputError if ``port`` is out of range or already taken on ``host``."""
    if not 0 <= port <= 65535:
        raise InputError(
            f"must be a TCP port, got {port}",
            source=CLI,
            field="--port",
            fix="give --port 1..65535 (or 0 for any free port)",
        )
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InputError(
                    f"port {port} is already in use on {host}",
                    source=CLI,
                    field="--port",
                    fix="stop the other server or choose another --port (0 = any free port)",
                ) from None
            raise InputError(
                f"cannot listen on {host}:{port} ({exc.strerror})",
                source=CLI,
                field="--host",
                fix=f"use --host {DEFAULT_HOST}",
            ) from None


def frontend_packages() -> list[str]:
    """The npm packages (``name@version``) solara's page loads from its CDN.

    Read from solara's own page template, so a solara upgrade is followed.
    """
    import solara.server.settings as settings

    template = Path(settings.__file__).parent / "templates" / "solara.html.j2"
    text = template.read_text(encoding="utf-8") + "\n{{cdn}}" + settings.assets.fontawesome_path
    found = re.findall(r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+)/", text)
    return sorted(set(found))


def asset_cache() -> Path:
    """Solara's asset cache (``SOLARA_ASSETS_PROXY_CACHE_DIR``, default ``<prefix>/share/solara/cdn``)."""
    import solara.server.settings as settings

    return Path(settings.assets.proxy_cache_dir)


def missing_frontend(cache: Path | None = None) -> list[str]:
    """The front-end packages not yet in the asset cache."""
    cache = cache or asset_cache()
    return [p for p in frontend_packages() if not (cache / p).is_dir() or not any((cache / p).iterdir())]


def prepare_offline(cache: Path | None = None, npm: str = "npm") -> list[str]:
    """Put solara's front-end packages into its asset cache from the npm registry.

    Returns the packages fetched (already cached ones are skipped). Raises InputError
    when npm is missing or a package cannot be fetched.
    """
    cache = cache or asset_cache()
    todo = missing_frontend(cache)
    if todo and shutil.which(npm) is None:
        raise InputError(
            "npm is needed to fetch the app's front-end",
            source=CLI,
            field="--prepare-offline",
            fix="install Node.js/npm, or run the app once on a machine with internet access",
        )
    for spec in todo:
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(
                [npm, "pack", spec, "--silent", "--pack-destination", tmp], capture_output=True, text=True, timeout=600
            )
            tarballs = list(Path(tmp).glob("*.tgz"))
            if out.returncode != 0 or not tarballs:
                raise InputError(
                    f"npm pack {spec} failed: {out.stderr.strip()[-300:]}",
                    source=CLI,
                    field="--prepare-offline",
                    fix="check access to the npm registry",
                )
            target = cache / spec
            staging = Path(tmp) / "package"
            with tarfile.open(tarballs[0]) as tar:
                tar.extractall(tmp, filter="data")
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                shutil.rmtree(target)
            shutil.move(str(staging), str(target))
    return todo


def solara_args(host: str, port: int, open_browser: bool = False) -> list[str]:
    """The ``solara run`` arguments serving the app (production mode, no version check)."""
    return [
        "run",
        APP_MODULE,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-check-version",
        "--open" if open_browser else "--no-open",
    ]


def app_command(
    port: Annotated[int, typer.Option("--port", "-p", help="TCP port (0 = any free port).")] = DEFAULT_PORT,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Interface to listen on; 127.0.0.1 keeps the app on this machine, 0.0.0.0 opens it to the network.",
        ),
    ] = DEFAULT_HOST,
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open a web browser on the app.")] = False,
    prepare_offline_: Annotated[
        bool,
        typer.Option(
            "--prepare-offline",
            help="Fetch the app's browser front-end into solara's asset cache (needs npm), "
            "so the app works without internet; then exit.",
        ),
    ] = False,
) -> None:
    """Serve the classroom app: play a scenario live in the browser (Ctrl+C stops it)."""
    if prepare_offline_:
        fetched = prepare_offline()
        typer.echo(
            f"inspire-sim: front-end cached in {asset_cache()}: "
            + (", ".join(fetched) if fetched else "everything was already there")
        )
        return
    _check_port(host, port)
    if host not in LOOPBACK:
        typer.echo(f"inspire-sim: note: listening on {host}: anyone on the network can open the app", err=True)
    # before solara reads its settings: no telemetry, no version check against PyPI
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    # plain-http classroom use: solara warns on every page load that it falls back to samesite=lax cookies
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    try:
        from solara.__main__ import cli as solara_cli
    except ModuleNotFoundError as exc:
        raise InputError(
            f"the app needs {exc.name}, which is not installed", source=CLI, fix="pip install 'inspire-sim[app]'"
        ) from None
    missing = missing_frontend()
    if missing:
        typer.echo(
            "inspire-sim: note: the browser front-end is not cached yet; it is fetched from the internet "
            "on first use (without internet, run 'inspire-sim app --prepare-offline' once)",
            err=True,
        )
    typer.echo(f"inspire-sim: serving the classroom app at http://{host}:{port} (Ctrl+C stops it)", err=True)
    solara_cli.main(args=solara_args(host, port, open_browser), prog_name="inspire-sim app", standalone_mode=False)
