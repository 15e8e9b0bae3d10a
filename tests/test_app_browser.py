"""End to end: ``inspire-sim app`` in a subprocess, driven by headless Chromium (Playwright).

Needs Debian's ``chromium`` (``/usr/bin/chromium``; Playwright never downloads a browser
here) and solara's browser front-end in its asset cache (``inspire-sim app
--prepare-offline`` fetches it from the npm registry; the fixture does that when it is
missing). Without chromium the tests fail (``make test`` installs it). A screenshot and the measured speed are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import playwright.sync_api as playwright_api
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("INSPIRE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
SERVER_START_S = 45

# Records every month the status bar shows, with the browser's clock (what is on screen).
WATCH_MONTHS = """() => {
  window.__months = [];
  const rec = () => {
    const el = document.querySelector('.inspire-month');
    const m = el && el.textContent.match(/Month (\\d+)/);
    if (!m) return;
    const s = window.__months, month = parseInt(m[1]);
    if (!s.length || s[s.length - 1][0] !== month) s.push([month, performance.now()]);
  };
  new MutationObserver(rec).observe(document.body, {subtree: true, childList: true, characterData: true});
  rec();
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command() -> list[str]:
    script = Path(sys.executable).with_name("inspire-sim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "inspire_sim.cli"]


@pytest.fixture(scope="module")
def server():
    """The app served on a free port; always terminated."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (make browser)")
    from inspire_sim.commands.app_cmd import missing_frontend, prepare_offline

    if missing_frontend():
        try:
            prepare_offline()
        except Exception as exc:  # the app may still reach the CDN; the page-load check says so
            print(f"could not cache the front-end: {exc}", file=sys.stderr)
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "app_server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([*_command(), "app", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"inspire-sim app exited with {proc.returncode}: {(ARTIFACTS / 'app_server.log').read_text()}"
                )
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the app did not listen on port {port} within {SERVER_START_S} s")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


@pytest.fixture
def page(server):
    """A fresh browser page on the app, with console errors and failed requests collected."""
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1500, "height": 1900})
            pg.errors = []  # type: ignore[attr-defined]
            pg.on("console", lambda m: pg.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            pg.on("pageerror", lambda e: pg.errors.append(f"page error: {e}"))
            pg.on("requestfailed", lambda r: pg.errors.append(f"request failed: {r.url} {r.failure}"))
            pg.on("response", lambda r: pg.errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
            pg.goto(server)
            try:
                pg.get_by_text("Month 0 of 120").wait_for(timeout=30_000)
            except playwright_api.TimeoutError:
                pg.screenshot(path=str(ARTIFACTS / "app_load_failed.png"))
                pytest.fail(
                    "the app did not show 'Month 0 of 120' (front-end not cached and no internet? "
                    f"run 'inspire-sim app --prepare-offline'); browser errors: {pg.errors}"
                )
            yield pg
        finally:
            browser.close()


def _month(pg) -> int:
    text = pg.evaluate("() => document.querySelector('.inspire-month')?.textContent || ''")
    return int(re.search(r"Month (\d+)", text).group(1))


def test_step_slider_reset_in_the_browser(page):
    charts = page.locator(".inspire-charts-image")
    chart0 = charts.screenshot()
    step = page.get_by_role("button", name="Step")
    for k in range(1, 6):
        step.click()
        page.get_by_text(f"Month {k} of 120").wait_for(timeout=10_000)
    page.get_by_text("Time: 5.0").wait_for(timeout=5_000)  # SolaraViz's own step counter
    page.wait_for_timeout(300)  # let the last image decode
    assert charts.screenshot() != chart0, "the live charts did not change after 5 steps"
    assert page.locator(".inspire-network-caption").inner_text().startswith("Month 5:")

    # move the cross-border brokering slider (keyboard on its thumb), then Reset
    slider = page.locator(".v-slider").filter(has_text="cross border brokering: capacity")
    thumb = slider.get_by_role("slider")
    thumb.focus()
    for _ in range(10):
        thumb.press("ArrowRight")
    assert thumb.get_attribute("aria-valuenow") == "10"
    assert _month(page) == 5  # moving a slider alone does not restart the run
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("Month 0 of 120").wait_for(timeout=15_000)
    page.get_by_text("Parameters of this run").click()
    page.get_by_text("10 SMEs/month/country").wait_for(timeout=10_000)
    step.click()
    page.get_by_text("Month 1 of 120").wait_for(timeout=10_000)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app_browser.png"), full_page=True)
    assert page.errors == [], page.errors


def test_play_draws_every_month_with_500_smes(page):
    assert "500 SMEs" in page.locator(".inspire-status").inner_text()
    page.evaluate(WATCH_MONTHS)
    page.get_by_role("button", name="▶").click()
    page.wait_for_timeout(6_000)
    seen = page.evaluate("() => window.__months")
    pause = page.get_by_role("button", name="❚❚")
    if pause.is_enabled(timeout=5_000):
        pause.click(timeout=10_000)
    start = next(i for i, (_, t) in enumerate(seen) if t - seen[0][1] >= 1000)  # steady state
    (m0, t0), (m1, t1) = seen[start], seen[-1]
    rate = (m1 - m0) / ((t1 - t0) / 1000)
    shown = (len(seen) - start - 1) / max(m1 - m0, 1)  # share of the months that were on screen
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "app_speed.json").write_text(
        json.dumps(
            {
                "n_smes": 500,
                "steps_per_s_on_screen": round(rate, 2),
                "share_of_months_shown": round(shown, 3),
                "months": [m for m, _ in seen],
            },
            indent=1,
        )
    )
    page.screenshot(path=str(ARTIFACTS / "app_playing.png"), full_page=True)
    # the speed target (>= 5 steps/s) is measured by benchmarks/bench_app.py, not asserted here
    assert m1 > m0, "playing did not advance the months"
    assert shown >= 0.9, f"only {shown:.0%} of the months were drawn"
    assert page.errors == [], page.errors
