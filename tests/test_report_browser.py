"""The comparison report: written by ``inspire-sim compare``, self-contained, and rendered
by headless Chromium (Debian ``chromium`` driven by Playwright): the page loads, every
figure is displayed, no console errors, no network access."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from inspire_sim.cli import main

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCENARIOS = ("baseline", "cross_border_brokering", "regional_smart_specialisation")


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    """A small comparison run through the command line (sequential backend)."""
    out = tmp_path_factory.mktemp("compare") / "out"
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        fast = ["-r", "3", "-s", "4", "-n", "400", "-t", "36", "-w", "1", "-q", "--no-pdf"]
        code = main(["compare", *SCENARIOS, *fast, "-o", str(out)])
    assert code == 0
    (out / "stdout.txt").write_text(text.getvalue())
    return out


@pytest.mark.slow
def test_compare_writes_report_tables_figures_and_runs(report_dir):
    for name in (
        "report.html",
        "report.md",
        "indicators.csv",
        "countries.csv",
        "costs.csv",
        "ceilings.csv",
        "cost_effectiveness.csv",
        "country_cost_effectiveness.csv",
        "segments.csv",
        "region_effects.csv",
        "targeting.csv",
        "comparison.json",
    ):
        assert (report_dir / name).is_file(), name
    pngs = sorted((report_dir / "figures").glob("*.png"))
    # six figures + one faceted partner-type figure (a panel per scenario) + a country map and a
    # NUTS-2 region map per plan
    assert len(pngs) == 7 + 2 * (len(SCENARIOS) - 1)
    assert len([p for p in pngs if p.name.startswith("region_map_")]) == len(SCENARIOS) - 1
    assert all(p.read_bytes().startswith(b"\x89PNG") and p.stat().st_size > 5000 for p in pngs)
    ce = pd.read_csv(report_dir / "cost_effectiveness.csv")
    assert set(ce["scenario"]) == set(SCENARIOS[1:])
    assert len(list((report_dir / "runs").glob("*/seed-*/manifest.json"))) == 3 * len(SCENARIOS)
    # Markdown links every figure that exists beside it
    md = (report_dir / "report.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)", md)
    assert sorted(set(links)) == sorted(f"figures/{p.name}" for p in pngs)
    assert "EUR per additional successful OI project" in md and "How to read this report" in md
    # the headline on stdout (reuse of stored runs: tests/test_compare.py)
    out = (report_dir / "stdout.txt").read_text()
    assert "EUR per unit" in out and "regional_smart_specialisation" in out and "report.html" in out


@pytest.mark.slow
def test_html_is_self_contained(report_dir):
    html = (report_dir / "report.html").read_text()
    assert "<script" not in html.lower()
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert refs and all(r.startswith(("data:", "#")) for r in refs), [
        r[:40] for r in refs if not r.startswith(("data:", "#"))
    ]
    assert "http://" not in html and "https://" not in html


@pytest.mark.browser
def test_report_renders_in_headless_chromium(report_dir):
    import playwright.sync_api as sync_api

    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("Debian chromium is not installed (make browser installs it)")
    html = report_dir / "report.html"
    n_figures = len(list((report_dir / "figures").glob("*.png")))
    console_errors, page_errors, requests = [], [], []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            response = page.goto(html.as_uri(), wait_until="load")
            assert response is None or response.ok
            assert "Deployment plans compared" in page.title()
            images = page.eval_on_selector_all(
                "img",
                "els => els.map(e => ({complete: e.complete, w: e.naturalWidth, h: e.naturalHeight, "
                "shown: e.getBoundingClientRect().width}))",
            )
            assert len(images) == n_figures
            assert all(i["complete"] and i["w"] > 0 and i["h"] > 0 and i["shown"] > 0 for i in images), images
            assert page.locator("table").count() > 5
            assert "EUR per additional" in page.inner_text("table.glance")
            # issue 21: the regional section, its targeting table and region-group tables are shown
            assert page.locator("h2#regions").is_visible()
            targeting = page.inner_text("table.targeting")
            assert "regional_smart_specialisation" in targeting and "moderate, emerging" in targeting
            assert page.get_by_text("by region group (Regional Innovation Scoreboard)").count() == len(SCENARIOS) - 1
        finally:
            browser.close()
    assert console_errors == [] and page_errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
