"""Print an HTML report to an A4 PDF with a local Chromium through Playwright (no browser download).

The browser is the system's Chromium (``/usr/bin/chromium`` on Debian, or ``$INSPIRE_CHROMIUM``);
Playwright drives it. Nothing is fetched from the network: the page is a local file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import InputError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium_path() -> str:
    """The Chromium executable to print with; one-line error naming the fix when there is none."""
    env = os.environ.get("INSPIRE_CHROMIUM")
    if env:
        if not Path(env).is_file():
            raise InputError("is not a file", field="INSPIRE_CHROMIUM", fix="point it at a Chromium executable")
        return env
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise InputError(
        "no Chromium found to print the PDF",
        field="report.pdf",
        fix="install Chromium (Debian: apt-get install chromium) or set INSPIRE_CHROMIUM; or pass --no-pdf",
    )


def pdf_unavailable() -> str | None:
    """Why a PDF cannot be printed here (no Playwright, no Chromium), or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install 'inspire-sim[pdf]')"
    try:
        chromium_path()
    except InputError:
        return "no Chromium found (Debian: apt-get install chromium, or set INSPIRE_CHROMIUM)"
    return None


def html_to_pdf(html: str | Path, pdf: str | Path, *, landscape: bool = False) -> Path:
    """Render the local HTML file ``html`` to ``pdf`` (A4, backgrounds printed, 12 mm margins)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise InputError(
            "needs Playwright", field="report.pdf", fix="pip install 'inspire-sim[pdf]', or pass --no-pdf"
        ) from None
    src, dst = Path(html).resolve(), Path(pdf)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(src.as_uri(), wait_until="load")
            page.emulate_media(media="print")
            page.pdf(
                path=str(dst), format="A4", landscape=landscape, print_background=True,
                margin={"top": "12mm", "bottom": "12mm", "left": "12mm", "right": "12mm"},
            )  # fmt: skip
        finally:
            browser.close()
    return dst
