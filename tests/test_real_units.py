"""Real units (issue 19): the EU-27 country table, real-sized programmes, outcomes in EUR.

Known answers for the table and its mappings, refusals of bad data with one line naming the
file, row, column and fix, grants committed at award / charged when used / released at
expiry, ``grant_size`` binding as documented, valuation-based unicorns, and the summary's
"lever off" label.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

import inspire_sim as I
from inspire_sim.core import countries as C
from inspire_sim.core.population import allocate_smes
from inspire_sim.errors import InputError


# ---------------------------------------------------------------- the country table
def test_the_shipped_table_covers_the_eu27_with_a_source_for_every_figure():
    table = C.country_table()
    assert sorted(table) == sorted(C.EU27) and len(table) == 27
    for rec in table.values():
        for col, value in rec.values.items():
            if value is not None:
                assert rec.sources[col], (rec.code, col)
    total = sum(float(r["smes_10_249"] or 0) for r in table.values())
    assert 1.5e6 < total < 2.0e6  # Eurostat SBS 2021: 1,766,598 enterprises with 10-249 persons employed


def test_table_rows_become_countries_with_documented_mappings():
    de = C.country_table()["DE"]
    f = de.country_fields()
    assert f["name"] == "Germany" and f["code"] == "DE" and f["smes"] == de["smes_10_249"]
    assert f["culture"] == [de["culture_pdi"] / 100, de["culture_uai"] / 100]  # type: ignore[operator]
    assert f["strength"] == pytest.approx(round((de["eis_sii"] - 25.0) / 125.0, 4))  # type: ignore[operator]
    assert f["innovation_active_share"] == de["innovation_active_share"]


def test_baseline_is_the_eu27_at_its_real_population():
    base = I.load_scenario("baseline")
    assert len(base.countries) == 27 and {c.code for c in base.countries} == set(C.EU27)
    table_total = sum(float(r["smes_10_249"] or 0) for r in C.country_table().values())
    assert sum(c.smes for c in base.countries) == pytest.approx(table_total)
    shares = {c.code: c.innovation_active_share for c in base.countries}
    assert shares["DE"] > 0.6 and shares["PL"] < 0.4  # no longer a flat 0.5


def test_countries_by_code_list_and_table_with_overrides(tmp_path):
    eight = I.load_scenario("eight_countries")
    assert [c.code for c in eight.countries] == ["DE", "FR", "IT", "ES", "PL", "EL", "DK", "FI"]
    path = tmp_path / "two.toml"
    path.write_text(
        'name = "two"\n[[countries]]\ncode = "DK"\nstrength = 0.5\n[[countries]]\ncode = "Finland"\n'
        '[[policies]]\nkind = "matchmaking"\ncountries = ["DK"]\n'
    )
    two = I.load_scenario(str(path))
    dk, fi = two.countries
    assert dk.name == "Denmark" and dk.strength == 0.5 and dk.smes == C.country_table()["DK"]["smes_10_249"]
    assert fi.code == "FI"
    assert two.policies[0].countries == ["Denmark"]  # a code names its country in policies too


@pytest.mark.parametrize(
    ("countries", "needle"),
    [('"EU28"', "unknown country table 'EU28'"), ('["DE", "XX"]', "unknown country 'XX'"), ("3", "must be")],
)
def test_bad_country_references_are_refused_in_one_line(tmp_path, countries, needle):
    path = tmp_path / "bad.toml"
    path.write_text(f'name = "bad"\ncountries = {countries}\n')
    with pytest.raises(InputError) as err:
        I.load_scenario(str(path))
    assert needle in str(err.value) and "\n" not in str(err.value) and "fix:" in str(err.value)


def _broken_table(tmp_path: Path, edit) -> Path:
    src = C.table_path()
    rows = list(csv.DictReader(src.open(newline="", encoding="utf-8")))
    rows = edit(rows)
    out = tmp_path / "countries.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return out


def _set(code: str, col: str, value: str):
    def edit(rows):
        for r in rows:
            if r["code"] == code:
                r[col] = value
        return rows

    return edit


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda rows: [r for r in rows if r["code"] != "MT"], "country MT is missing"),
        (_set("DE", "smes_10_249", "-5"), "row 7 (DE), column smes_10_249: -5 is not a positive count"),
        (_set("FR", "innovation_active_share", "59"), "column innovation_active_share: 59 is outside [0, 1]"),
        (_set("IT", "innovation_active_share_source", ""), "column innovation_active_share_source"),
        (_set("ES", "eis_sii", "high"), "column eis_sii: 'high' is not a number"),
        (_set("PL", "name", ""), "column name: empty"),
    ],
)
def test_a_bad_table_is_refused_at_load_naming_file_row_column_and_fix(tmp_path, edit, needle):
    path = _broken_table(tmp_path, edit)
    with pytest.raises(InputError) as err:
        C.load_table(path)
    msg = str(err.value)
    assert msg.startswith("countries.csv") and needle in msg and "fix:" in msg and "\n" not in msg


def test_the_shipped_table_loads_from_a_copy(tmp_path):
    copy = tmp_path / "countries.csv"
    shutil.copyfile(C.table_path(), copy)
    assert C.load_table(copy).keys() == C.country_table().keys()


def test_every_country_keeps_at_least_one_simulated_sme():
    counts = allocate_smes(30, np.array([1000.0, 1.0, 1.0, 500.0]))
    assert counts.sum() == 30 and (counts >= 1).all() and counts[0] > counts[3]
    base = I.load_scenario("baseline", n_smes=100)
    m = I.InspireModel(base, seed=1)
    assert (m.world.simulated >= 1).all() and m.world.simulated.sum() == 100
    with pytest.raises(InputError, match=r"n_smes >= 27"):
        I.InspireModel(I.load_scenario("baseline", n_smes=20), seed=1)


# ---------------------------------------------------------------- real programmes
def _voucher_model(**over):
    scen = I.load_scenario("no_support", n_smes=2000, burn_in=0).with_overrides(
        {"support_funding.budget_per_step": 40_000_000.0, **over}
    )
    m = I.InspireModel(scen, seed=3)
    return m, next(p for p in m.policies if p.kind == "support_funding")


def test_grant_size_binds_as_documented():
    m, pol = _voucher_model(**{"support_funding.grant_size": 5_000.0, "support_funding.co_funding_rate": 0.8})
    rows = np.arange(m.n)
    cost = m.sme.next_cost[rows]
    grant = pol.grants(m.world, rows)
    np.testing.assert_allclose(grant, np.minimum(5_000.0, 0.8 * cost))
    assert (grant == 5_000.0).any() and (grant < 5_000.0).any()  # both the cap and the rate bind somewhere
    big = cost > 5_000.0 / 0.8
    assert (grant[big] == 5_000.0).all() and np.allclose(grant[~big], 0.8 * cost[~big])


def test_planned_project_costs_are_lognormal_with_the_documented_mean():
    m = I.InspireModel(I.load_scenario("no_support", n_smes=20_000, burn_in=0), seed=1)
    cost = m.sme.next_cost
    assert cost.mean() == pytest.approx(m.p.project_cost, rel=0.05)
    median = m.p.project_cost * np.exp(-0.5 * m.p.project_cost_sigma**2)
    assert np.median(cost) == pytest.approx(median, rel=0.05)


def test_grants_are_committed_at_award_charged_when_used_and_released_at_expiry():
    m, pol = _voucher_model(**{"support_funding.validity_months": 2})
    w = m.world
    weight = w.weight[w.actors.country[: m.n].astype(np.int64)]
    m.step()
    awarded = pol.voucher > 0
    committed = float((pol.voucher * weight)[awarded].sum())
    assert awarded.any() and pol.outstanding[0] == pytest.approx(committed)
    first = m.recorder.timeseries()["spend_support_funding"].iloc[0]
    # the monthly budget counts commitments: those still outstanding and those already used (charged)
    assert pol.spent_month[0] == pytest.approx(committed + first)
    assert 0 < first < committed  # only the grants used this month were charged
    for _ in range(4):
        before = pol.outstanding[0] + pol.spent_total[0]
        m.step()
        # every committed euro is either still outstanding, paid, or was released (never both)
        assert pol.outstanding[0] + pol.spent_total[0] <= before + pol.spent_month[0] + 1e-6
    assert m.recorder.timeseries()["spend_support_funding"].sum() == pytest.approx(pol.spent_total[0])
    assert w.counters[f"vouchers_expired:{pol.index}"][0] > 0  # some expired unused and were released
    assert (pol.voucher_until[pol.voucher > 0] >= m.world.month - 1).all()


def test_capacity_is_shared_by_the_targeted_countries_real_smes():
    scen = I.load_scenario("no_support", n_smes=2000).with_overrides({"matchmaking.capacity": 30_000})
    m = I.InspireModel(scen, seed=2)
    pol = next(p for p in m.policies if p.kind == "matchmaking")
    want = 30_000 * m.world.simulated / m.world.represented.sum()
    np.testing.assert_allclose(pol.expected_capacity(m.world), want)

    def months(n: int, used: float) -> np.ndarray:
        """Capacity of ``n`` months when a share ``used`` of it is served (the tokens it takes)."""
        pol.capacity_credit[:] = 0.0
        out = []
        for month in range(n):
            cap = pol.scaled_capacity(m.world, month)
            out.append(cap[0])
            pol.capacity_credit -= np.floor(used * cap)
        return np.array(out)

    # all of it served: on average exactly the expected capacity, in every country
    draws = months(400, 1.0)
    assert (np.abs(draws.mean(axis=0) - want) <= 0.01 + want / 400).all()
    assert draws.sum(axis=1).mean() == pytest.approx(30_000 * 2000 / m.world.represented.sum(), rel=0.02)
    # none of it served: unused capacity does not pile up (at most a month's worth and one service)
    idle = months(50, 0.0)
    assert (idle[-1] <= np.floor(want + 1.0 + 1e-9)).all() and (idle[-1] >= np.floor(want)).all()


# ---------------------------------------------------------------- outcomes in EUR
def test_innovation_turnover_valuation_and_unicorns_in_eur():
    r = I.run(I.load_scenario("baseline", n_smes=3000, steps=24), seed=2)
    p = I.load_scenario("baseline").params
    sm = r.smes
    np.testing.assert_allclose(sm["innovation_turnover"], sm["business_results"] * p.turnover_per_result)
    np.testing.assert_allclose(sm["valuation"], sm["innovation_turnover"] * p.valuation_multiple)
    assert (sm.loc[sm["valuation"] >= p.unicorn_valuation, "unicorn"]).all()  # past EUR 1 bn: a unicorn
    ts = r.timeseries
    total = sm["innovation_turnover"].sum()
    assert ts["innovation_turnover"].iloc[-1] == pytest.approx(total)
    assert ts["innovation_turnover_share"].iloc[-1] == pytest.approx(total / (3000 * p.sme_turnover))


def test_unicorns_need_a_valuation_past_one_billion():
    m = I.InspireModel(I.load_scenario("no_support", n_smes=500, burn_in=0), seed=1)
    s, p = m.sme, m.p
    per_unit = p.turnover_per_result * p.valuation_multiple
    s.results[:3] = [0.99 * p.unicorn_valuation / per_unit, 1.01 * p.unicorn_valuation / per_unit, 0.0]
    s.unicorn[:3] = False
    from inspire_sim.core.lifecycle import mark_unicorns

    new = mark_unicorns(m.world, 0)
    assert 1 in new and 0 not in new and 2 not in new
    assert mark_unicorns(m.world, 1).size == 0 or 1 not in mark_unicorns(m.world, 1)  # counted once


def test_the_summary_says_lever_off_for_levers_the_scenario_does_not_run():
    from inspire_sim.cli.commands.run_cmd import format_summary
    from inspire_sim.core.policies import lever_kinds
    from inspire_sim.results import summarize

    runs = I.run_replications(I.load_scenario("baseline", n_smes=300, steps=6), 2, seed=1)
    text = format_summary(summarize(runs), levers_on={"support_funding", "matchmaking"}, kinds=lever_kinds())
    line = next(x for x in text.splitlines() if x.strip().startswith("Take up cross border brokering"))
    assert "lever off" in line and "n/a" not in line
    voucher = next(x for x in text.splitlines() if x.strip().startswith("Take up support funding"))
    assert "lever off" not in voucher and "%" in voucher
