"""The plausibility table in real units: known answers, the references file's checks, real runs, reports."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import inspire_sim as I
from inspire_sim.analyses import plausibility as P
from inspire_sim.analyses import validate
from inspire_sim.analyses.targets import load_targets
from inspire_sim.errors import InputError
from inspire_sim.results import RunResult

MONTHS = 120
REAL = 1_000_000.0  # represented SMEs
VOUCHERS = [{"kind": "support_funding", "grant_size": 5000.0, "label": "vouchers"}]


def _fake(
    unicorns: float = 100.0, turnover_share: float = 0.1, policies: list[dict[str, Any]] | None = None
) -> RunResult:
    """A 10-year run of 1,000 simulated SMEs standing for 1 M real ones, in 2 countries."""
    steps = np.arange(1, MONTHS + 1)
    ts = pd.DataFrame(
        {
            "step": steps,
            "n_smes": 1000,
            "n_smes_real": REAL,
            "unicorns_real": np.linspace(0, unicorns, MONTHS),
            "awarded_support_funding_real": 100.0,  # 1,200 a year over 2 countries: 600 per country
            "new_partnerships_real": 1000.0,  # awarded / new = 0.1
            "spend_total": 5e6,  # EUR 60 M a year per 1 M SMEs = EUR 60,000 per 1,000
            "exits_real": 2000.0,  # 24,000 a year = 2.4%
            "innovation_turnover_share": turnover_share,
            "take_up_support_funding": 0.8,
            "awarded_cross_border_brokering_real": 0.0,
        }
    )
    scenario = {"policies": VOUCHERS if policies is None else policies, "countries": [{"code": "A"}, {"code": "B"}]}
    empty = pd.DataFrame()
    return RunResult(ts, empty, empty, empty, empty, empty, manifest={"scenario": scenario})


def _by_figure(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("figure")


def test_known_answers_inside_the_band_pass_outside_fail_lever_off():
    t = _by_figure(P.plausibility_table([_fake(unicorns=100.0, turnover_share=0.2)]))
    assert list(t.index) == [c.label for c in P.CHECKS]
    uni = t.loc["Unicorns per million represented SMEs, per decade"]
    assert uni["model"] == pytest.approx(100.0) and uni["verdict"] == P.PASS and bool(uni["estimate"])
    grants = t.loc["Grants (vouchers) awarded a year, per country"]
    assert grants["model"] == pytest.approx(600.0) and grants["verdict"] == P.PASS
    assert t.loc["Grants awarded / new OI projects (a month)", "model"] == pytest.approx(0.1)
    spend = t.loc["Public spending a year per 1,000 SMEs"]
    assert spend["model"] == pytest.approx(60_000.0) and spend["verdict"] == P.PASS
    # the band comes from the references: AT's EUR 2 M over its SMEs (lowest), DE ZIM's EUR 600 M (highest)
    assert spend["band_low"] == pytest.approx(2e6 / 43_900 * 1000) and spend["band_high"] > 1e6
    assert t.loc["SME exits a year (share of SMEs)", "model"] == pytest.approx(0.024)
    turnover = t.loc["Innovation turnover share"]
    assert turnover["model"] == pytest.approx(0.2) and turnover["verdict"] == P.FAIL  # band 8-15%
    assert t.loc["Voucher take-up (awarded vouchers used)", "verdict"] == P.PASS
    broker = t.loc["Cross-border brokering services a year (EU)"]
    assert broker["verdict"] == P.LEVER_OFF and math.isnan(broker["model"])
    # ten times the unicorns: 1,000 per million SMEs, outside [10, 200]
    many = _by_figure(P.plausibility_table([_fake(unicorns=1000.0)]))
    assert many.loc["Unicorns per million represented SMEs, per decade", "verdict"] == P.FAIL
    # no programme at all: its rows read "lever off", the others are still judged
    off = _by_figure(P.plausibility_table([_fake(policies=[])]))
    for label in ("Grants (vouchers) awarded a year, per country", "Voucher take-up (awarded vouchers used)"):
        assert off.loc[label, "verdict"] == P.LEVER_OFF
    assert off.loc["Innovation turnover share", "verdict"] == P.PASS
    assert (off["verdict"] == P.LEVER_OFF).sum() == 4  # grants, grants per project, take-up, brokering
    assert P.summary_sentence(off.reset_index()).endswith("(4 lever off).")


def test_voucher_cost_within_a_factor_of_two_of_cpb():
    assert P.voucher_cost_row(7000.0, "cost per unit", True)["verdict"] == P.PASS
    assert P.voucher_cost_row(3800.0, "cost per unit", True)["verdict"] == P.PASS
    assert P.voucher_cost_row(16000.0, "cost per unit", True)["verdict"] == P.FAIL
    assert P.voucher_cost_row(3000.0, "cost per unit", True)["verdict"] == P.FAIL
    assert P.voucher_cost_row(math.nan, "no gain", True)["verdict"] == P.FAIL
    assert P.voucher_cost_row(7000.0, "cost per unit", False)["verdict"] == P.NOT_APPLICABLE
    row = P.voucher_cost_row(7000.0, "cost per unit", True)
    assert (row["band_low"], row["band_high"]) == (3750.0, 15000.0)
    assert "nl_voucher_cost_per_additional_assignment" in row["references"]


def test_voucher_plan_is_one_that_changes_the_vouchers():
    base = I.load_scenario("baseline")
    assert P.is_voucher_plan(I.load_scenario("innovation_vouchers"), base)
    assert not P.is_voucher_plan(I.load_scenario("national_funding"), base)  # keeps today's vouchers
    assert not P.is_voucher_plan({"policies": [{"kind": "support_funding", "grant_size": 150000.0}]})


# ------------------------------------------------------------------------- the references file


def test_shipped_references_load_and_cover_every_check():
    refs = P.load_references()
    assert 15 <= len(refs) <= 80
    P.check_references([*P.CHECKS, P.VOUCHER_COST_CHECK], refs)
    cpb = refs["nl_voucher_cost_per_additional_assignment"]
    assert (cpb.value, cpb.low, cpb.high, cpb.estimate) == (7500.0, 6500.0, 8500.0, True)
    assert refs["eu_death_rate_10plus"].value == 0.02 and refs["eu_death_rate_10plus"].estimate
    # every field of the source collection is kept
    for r in refs.values():
        assert r.source and r.url and r.unit and r.year > 1990


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "references.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
[[reference]]
id = "x_share"
topic = "voucher"
country = "NL"
quantity = "redemption_rate"
value = 0.9
unit = "share of awarded vouchers actually used"
year = 2004
source = "CPB"
url = "https://example.org"
estimate = false
note = ""
"""


def _one_line(exc: pytest.ExceptionInfo[InputError]) -> str:
    text = str(exc.value)
    assert "\n" not in text and "references.toml" in text and "fix:" in text
    return text


def test_bad_references_are_refused_in_one_line(tmp_path):
    assert set(P.load_references(_write(tmp_path, GOOD))) == {"x_share"}
    with pytest.raises(InputError) as exc:
        P.load_references(_write(tmp_path, GOOD.replace('source = "CPB"\n', "")))
    assert "field 'source'" in _one_line(exc) and "x_share" in str(exc.value)
    with pytest.raises(InputError) as exc:
        P.load_references(_write(tmp_path, GOOD.replace("value = 0.9", "value = 90")))
    assert "field 'value'" in _one_line(exc) and "outside [0, 1]" in str(exc.value)
    with pytest.raises(InputError) as exc:
        P.load_references(_write(tmp_path, GOOD.replace("estimate = false", 'estimate = "no"')))
    assert "field 'estimate'" in _one_line(exc)
    with pytest.raises(InputError) as exc:
        P.load_references(_write(tmp_path, GOOD + GOOD))
    assert "duplicate id" in _one_line(exc)


def test_a_check_naming_an_unknown_reference_is_refused(tmp_path):
    refs = P.load_references(_write(tmp_path, GOOD))
    check = P.Check("x", "share", P.voucher_take_up, ("x_share", "x_shar"), "s", band=(0.0, 1.0))
    with pytest.raises(InputError) as exc:
        P.plausibility_table([_fake()], references=refs, checks=[check])
    text = _one_line(exc)
    assert "field 'id'" in text and "'x_shar'" in text and "did you mean 'x_share'" in text


# ------------------------------------------------------------------------- real runs and reports

SMALL = {"n_smes": 300, "steps": 24}


@pytest.fixture(scope="module")
def real_runs() -> dict[str, list[RunResult]]:
    base = I.load_scenario("baseline", **SMALL)
    iv = I.load_scenario("innovation_vouchers", **SMALL)
    return {
        "baseline": validate._replicate(base, 2, 3, workers=1),
        "vouchers": validate._replicate(iv, 2, 3, workers=1),
    }


def test_a_real_run_gives_every_row(real_runs):
    t = _by_figure(P.plausibility_table(real_runs["vouchers"]))
    assert list(t.index) == [c.label for c in P.CHECKS]
    judged = t[t["verdict"] != P.LEVER_OFF]
    assert t.loc["Cross-border brokering services a year (EU)", "verdict"] == P.LEVER_OFF
    assert len(judged) == len(P.CHECKS) - 1 and set(judged["verdict"]) <= {P.PASS, P.FAIL}
    assert np.isfinite(judged["model"].to_numpy(dtype=float)).all()
    # real units: a few hundred simulated SMEs stand for the EU-27's 1.77 M
    assert P.represented(real_runs["vouchers"][0]) > 1e6
    assert 0.0 < t.loc["Voucher take-up (awarded vouchers used)", "model"] <= 1.0


def test_validate_report_has_the_section(real_runs, tmp_path):
    runs = real_runs["baseline"]
    patterns = pd.DataFrame(columns=["measure", "pattern", "value", "low", "high", "passes", "mechanism", "knockout",
                                     "knockout_value", "knockout_fails", "meaning"])  # fmt: skip
    v = validate.ValidationResult(
        scenario="baseline",
        replications=len(runs),
        patterns=patterns,
        null_model=pd.DataFrame(),
        secondary=pd.DataFrame(columns=["measure", "value", "meaning"]),
        targets=validate.target_table(load_targets("eu_cis"), runs),
        scale=pd.DataFrame(),
        convergence=validate.convergence_table(runs),
        info={"targets": "eu_cis", "seed": 3, "n_smes": 300, "steps": 24, "scale_sizes": None},
        plausibility=P.plausibility_table(runs),
    )
    paths = validate.write_outputs(v, tmp_path, figures=False)
    md, html = paths["report_md"].read_text(), paths["report_html"].read_text()
    for text in (md, html):
        assert "Plausibility in real units" in text and "eu27_unicorns_per_decade" in text
    assert "headline figures in real units" in md
    csv = pd.read_csv(paths["plausibility"])
    assert list(csv["figure"]) == [c.label for c in P.CHECKS]


def test_compare_report_has_the_section(real_runs, tmp_path):
    from inspire_sim.reports.compare import compare_results
    from inspire_sim.reports.report.render import render

    scenarios = {
        "baseline": I.load_scenario("baseline", **SMALL),
        "vouchers": I.load_scenario("innovation_vouchers", **SMALL),
    }
    comp = compare_results(real_runs["baseline"], {"vouchers": real_runs["vouchers"]}, scenarios=scenarios, n_boot=50)
    t = comp.plausibility
    assert list(pd.unique(t["scenario"])) == ["baseline", "vouchers"]
    cost = t[t["figure"] == P.VOUCHER_COST_CHECK.label]
    assert list(cost["scenario"]) == ["vouchers"] and cost["verdict"].iloc[0] in (P.PASS, P.FAIL)
    html, md = render(comp, [])
    for text in (html, md):
        assert "Plausibility in real units" in text and "CPB voucher lotteries" in text
    comp.save_tables(tmp_path)
    assert len(pd.read_csv(tmp_path / "plausibility.csv")) == len(t)


def test_every_reference_cited_by_a_parameter_or_scenario_is_shipped():
    """A source that says "references.toml <id>" (parameters, scenarios, targets) must name a shipped entry."""
    import re
    from pathlib import Path

    from inspire_sim.analyses.plausibility import load_references

    root = Path(__file__).resolve().parent.parent
    files = [*root.glob("inspire_sim/**/*.py"), *root.glob("scenarios/*.toml"), *root.glob("targets/*.toml")]
    cited = set()
    for f in files:
        for m in re.finditer(r"references\.toml[,:]?\s+((?:[a-z0-9_]+(?:,\s*|\s+and\s+|/)?)+)", f.read_text()):
            cited |= {i for i in re.findall(r"[a-z][a-z0-9_]+", m.group(1)) if "_" in i}
    assert len(cited) >= 5  # the scan finds the citations
    assert cited <= set(load_references()), sorted(cited - set(load_references()))
