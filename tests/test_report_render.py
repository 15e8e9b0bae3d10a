"""The comparison report's rendering: shipped Jinja2 templates, escaping in HTML and Markdown."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

from inspire_sim.core.scenario import SCENARIO_DIR, load_scenario
from inspire_sim.reports.compare import compare
from inspire_sim.reports.report import write_report
from inspire_sim.reports.report.render import md_escape


def test_templates_ship_in_the_package():
    names = {p.name for p in files("inspire_sim.reports.report").joinpath("templates").iterdir()}
    assert {"report.html.j2", "report.md.j2", "report.css"} <= names


def test_md_escape():
    assert md_escape("<b>a|b</b>\nc & d") == "&lt;b&gt;a\\|b&lt;/b&gt; c &amp; d"


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    plan = tmp / "plan.toml"
    base = (
        (SCENARIO_DIR / "national_funding.toml")
        .read_text()
        .replace('extends = "baseline.toml"', f'extends = "{(SCENARIO_DIR / "baseline.toml").as_posix()}"')
    )
    plan.write_text(base.replace('name = "national_funding"', 'name = "<img src=x onerror=alert(1)> plan"'))
    scen = load_scenario(plan)
    assert scen.name.startswith("<img")
    comp = compare("baseline", [str(plan)], replications=2, steps=6, n_smes=200, workers=1, n_boot=200)
    write_report(comp, tmp / "out")
    return tmp / "out"


@pytest.mark.slow
def test_scenario_names_are_escaped_in_markdown_and_html(hostile_report: Path):
    md = (hostile_report / "report.md").read_text()
    html = (hostile_report / "report.html").read_text()
    assert "<img src=x" not in md and "&lt;img src=x onerror=alert(1)&gt; plan" in md
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt; plan" in html


def test_measure_months_read_like_the_plan_text():
    from inspire_sim.reports.report import plan_measures

    scen = load_scenario("eu_deployment_plan")
    assert "from month 12" in scen.description and "from month 48" in scen.description
    whens = {m["when"] for m in plan_measures(scen, scen.params.steps)}
    assert "from month 12 to month 48" in whens
    assert f"from month 48 to the end (month {scen.params.steps})" in whens
    assert not any("13" in w or "49" in w for w in whens)


def test_compare_no_figures_writes_a_report_without_images(tmp_path):
    from inspire_sim.cli import main

    out = tmp_path / "nofig"
    args = ["compare", "baseline", "national_funding", "-r", "2", "-t", "4", "-n", "150", "-w", "1"]
    assert main([*args, "--bootstrap", "100", "-q", "--no-figures", "--no-pdf", "-o", str(out)]) == 0
    assert not list((out / "figures").glob("*.png")) and not (out / "report.pdf").exists()
    html, md = (out / "report.html").read_text(), (out / "report.md").read_text()
    assert "<img" not in html and "](figures/" not in md
    assert "national_funding" in md and (out / "costs.csv").is_file()


@pytest.fixture(scope="module")
def small_report(tmp_path_factory):
    """A real comparison of two shipped plans, reported (about 5 s)."""
    out = tmp_path_factory.mktemp("small") / "out"
    comp = compare(
        "baseline", ["national_funding", "cross_border_brokering"], replications=3, steps=24, n_smes=300, n_boot=200
    )
    write_report(comp, out)
    return comp, out


@pytest.mark.slow
def test_report_opens_with_the_decision_in_plain_language(small_report):
    import re

    import pandas as pd

    from inspire_sim.analyses.goals import GOALS

    comp, out = small_report
    html, md = (out / "report.html").read_text(), (out / "report.md").read_text()
    heads = ['<h2 id="summary">', '<h2 id="decision">', '<h2 id="glance">']
    assert html.index(heads[0]) < html.index(heads[1]) < html.index(heads[2])
    assert md.index("## Executive summary") < md.index("## Which plan for which goal") < md.index("## At a glance")
    for text in (html, md):
        assert "lower is better" in text and "verdict" not in text.lower()
        assert not re.search(r"\d\.?\d*e[-+]\d\d", re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)), (
            "scientific notation"
        )
        for goal in GOALS.values():
            assert goal.label[1:] in text
    # every sentence of the summary is in both reports, before the tables
    from inspire_sim.analyses.decision import sentences

    for s in sentences(comp.decision):
        assert s in md and md.index(s) < md.index("## At a glance")
    dec = pd.read_csv(out / "decision.csv")
    cols = ["goal", "plan", "rank", "effect", "effect_low", "effect_high", "cost_per_additional", "p_beats_baseline"]
    assert list(dec.columns[: len(cols)]) == cols
    assert len(dec) == len(GOALS) * 2 and set(dec["rank"]) == {1, 2}
    # real counts as whole numbers in the headline tables: no "+12.34 real projects"
    ind = comp.indicators
    assert (ind.loc[ind["indicator"] == "successes_real", "unit"] == "real projects/month").all()
    from inspire_sim.reports.report import report_context

    rows = [r for t in report_context(comp, [])["tables"] for r in t["rows"] if r["indicator"].endswith("_real")]
    assert rows and not any("." in r[k] for r in rows for k in ("baseline", "scenario", "effect", "ci"))


@pytest.mark.slow
def test_report_maps_each_plans_country_effects_offline(small_report):
    comp, out = small_report
    html, md = (out / "report.html").read_text(), (out / "report.md").read_text()
    for k, label in enumerate(comp.labels, start=1):
        assert (out / "figures" / f"effects_map_{k}.png").stat().st_size > 10_000
        assert f"](figures/effects_map_{k}.png)" in md and f'alt="Map: {label}"' in html
    assert "http" not in html.split('<h2 id="countries">')[1].split("</figure>")[0]  # embedded, nothing fetched
