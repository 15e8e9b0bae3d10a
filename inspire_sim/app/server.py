"""Serving the app: the browser front-end, the port check and the ``solara run`` arguments.

Solara's browser front-end (its Vue/Vuetify bundle, require.js, Font Awesome) is not in
the ``solara`` package: the server looks for it in its asset cache
(``<prefix>/share/solara/cdn``) and otherwise fetches it from a CDN. The ``app`` extra
installs ``solara-assets``, which puts those files into that very directory, so a
fresh install works without internet and without any extra command (``solara-assets`` has
the Vue 2 front-end only, hence ``ipyvuetify<3`` in the extra). If they are still
missing (e.g. solara was installed on its own), :func:`missing_frontend` says so, the
command prints the fix, and the page itself shows it (:func:`offline_banner`);
:func:`prepare_offline` can fill the cache from the npm registry.
"""

from __future__ import annotations

import errno
import re
import shutil
import socket
import subprocess
import tarfile
import tempfile
from pathlib import Path

from ..errors import InputError

CLI = "command line"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP_MODULE = "inspire_sim.app"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
FIX_ASSETS = "pip install 'inspire-sim[app]' (it brings solara-assets), or run 'inspire-sim app --prepare-offline' once"


def check_port(host: str, port: int) -> None:
    """Raise InputError if ``port`` is out of range or already taken on ``host``.

    The probe socket sets SO_REUSEADDR, as the server does: a port that a stopped app
    left in TIME_WAIT is free to use again at once.
    """
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
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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
    """The npm packages (``name@version``) solara's page loads, for the Vue version in use.

    Read from solara's own page template, so a solara upgrade is followed.
    """
    import ipyvue
    import solara.server.settings as settings

    template = Path(settings.__file__).parent / "templates" / "solara.html.j2"
    text = template.read_text(encoding="utf-8") + "\n{{cdn}}" + settings.assets.fontawesome_path
    found = set(re.findall(r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+)/", text))
    vue3 = ipyvue.__version__.startswith("3")  # as solara.server.server decides
    other = "solara-vuetify-app@" if vue3 else "solara-vuetify3-app@"
    return sorted(p for p in found if other not in p)


def asset_cache() -> Path:
    """Solara's asset cache (``SOLARA_ASSETS_PROXY_CACHE_DIR``, default ``<prefix>/share/solara/cdn``)."""
    import solara.server.settings as settings

    return Path(settings.assets.proxy_cache_dir)


def missing_frontend(cache: Path | None = None) -> list[str]:
    """The front-end packages not in the asset cache (empty: the app works offline)."""
    cache = cache or asset_cache()
    return [p for p in frontend_packages() if not (cache / p).is_dir() or not any((cache / p).iterdir())]


def offline_banner() -> str | None:
    """The sentence the page shows when front-end files are missing (None when all are there).

    The page can only show it when the browser got the front-end from the internet; the
    terminal prints the same fix in every case.
    """
    missing = missing_frontend()
    if not missing:
        return None
    return f"This app is missing browser files ({', '.join(missing)}) and needs internet. To fix: {FIX_ASSETS}."


def prepare_offline(cache: Path | None = None, npm: str = "npm") -> list[str]:
    """Put solara's front-end packages into its asset cache from the npm registry.

    Returns the packages fetched (already cached ones are skipped). Raises InputError when
    npm is missing or a package cannot be fetched.
    """
    cache = cache or asset_cache()
    todo = missing_frontend(cache)
    if todo and shutil.which(npm) is None:
        raise InputError(
            "npm is needed to fetch the app's front-end",
            source=CLI,
            field="--prepare-offline",
            fix="pip install 'inspire-sim[app]' (solara-assets), or install Node.js/npm",
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
