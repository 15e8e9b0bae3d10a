"""Regional and sectoral innovation systems (issue 21): the NUTS-2 and sector tables, their refusal
of bad data, the region and sector columns and the by-region table, and each mechanism against
its knockout (own-region encounters, border neighbours, sector propensity, where research
organisations and large firms are)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

import inspire_sim as I
from inspire_sim.core.countries import EU27
from inspire_sim.core.regions import GROUPS, load_regions, load_sectors, region_table, sector_table
from inspire_sim.core.state import PartnerType
from inspire_sim.core.tables import shipped
from inspire_sim.errors import InputError

# ---------------------------------------------------------------------------------- the tables


def test_region_table_covers_the_eu27_with_consistent_shares_groups_and_neighbours():
    t = region_table()
    assert 240 <= len(t) <= 245
    by_country: dict[str, float] = {}
    for r in t.values():
        by_country[r.country] = by_country.get(r.country, 0.0) + r.number("sme_share")
    assert set(by_country) == set(EU27)
    assert all(abs(v - 1.0) < 0.02 for v in by_country.values())
    assert {r.group for r in t.values()} == set(GROUPS)
    assert all(0.0 <= r.strength <= 1.0 for r in t.values())
    # land borders are symmetric between EU regions
    for code, r in t.items():
        for nb in r.neighbours:
            if nb in t:
                assert code in t[nb].neighbours, (code, nb)
    assert sum(1 for r in t.values() if r.neighbours) >= 80
    assert t["DK01"].group == "leader" and t["RO22"].group == "emerging"


def test_sector_table_has_at_least_eight_sectors_with_their_partner_mix():
    t = sector_table()
    assert len(t) >= 8
    assert sum(r.number("sme_share") for r in t.values()) == pytest.approx(1.0, abs=0.02)
    mixes = np.array([r.partner_mix() for r in t.values()])
    assert (mixes >= 0).all() and (mixes.sum(axis=1) > 0).all()
    assert len({tuple(np.round(m / m.sum(), 3)) for m in mixes}) >= 5  # sectors differ in whom they work with


def _rewrite(tmp_path: Path, name: str, edit) -> Path:
    with shipped(name).open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows = edit(rows)
    out = tmp_path / name
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return out


def _set(code: str, column: str, value: str):
    def edit(rows):
        for r in rows:
            if r["nuts2"] == code:
                r[column] = value
        return rows

    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_set("AT11", "sme_share", "1.5"), "AT11"),
        (_set("AT11", "sme_share", "1.5"), "sme_share"),
        (_set("AT11", "ris_group", "Superb Innovator"), "ris_group"),
        (_set("AT11", "neighbours_abroad", "HU22;XX99"), "unknown region 'XX99'"),
        (_set("AT11", "country", "UK"), "not an EU-27 code"),
        (lambda rows: [r for r in rows if r["country"] != "MT"], "MT"),
        (_set("AT12", "sme_share", "0.5"), "adding up to"),
    ],
)
def test_a_bad_region_table_is_refused_in_one_line(tmp_path, edit, expected):
    path = _rewrite(tmp_path, "regions.csv", edit)
    with pytest.raises(InputError) as e:
        load_regions(path)
    msg = str(e.value)
    assert expected in msg and "\n" not in msg and "regions.csv" in msg and "fix" in msg


def test_a_bad_sector_table_is_refused_in_one_line(tmp_path):
    def edit(rows):
        rows[0]["cooperation_share"] = "1.7"
        return rows

    with pytest.raises(InputError, match="cooperation_share") as e:
        load_sectors(_rewrite(tmp_path, "sectors.csv", edit))
    assert "\n" not in str(e.value)


# ---------------------------------------------------------------------------------- outputs


@pytest.fixture(scope="module")
def baseline_20k():
    return I.run(I.load_scenario("baseline", n_smes=20_000, steps=12), seed=5)


def test_baseline_at_20000_smes_writes_regions_sectors_and_a_by_region_table(baseline_20k):
    r = baseline_20k
    assert r.smes["region"].nunique() >= 200 and r.smes["sector"].nunique() >= 8
    p = r.partnerships
    assert {"lead_region", "partner_region", "lead_sector"} <= set(p.columns)
    assert p["lead_region"].nunique() >= 150
    reg = r.regions
    assert {"step", "region", "country", "group", "cooperating_share", "new_partnerships"} <= set(reg.columns)
    assert reg["region"].nunique() >= 240 and reg["step"].nunique() == 12
    by_month = reg.groupby("step")[["new_partnerships", "successes", "failures"]].sum()
    ts = r.timeseries.set_index("step")
    for col in ("new_partnerships", "successes", "failures"):
        np.testing.assert_array_equal(by_month[col].to_numpy(), ts[col].to_numpy())
    # spending is booked by region and sector and adds up to the run's
    assert r.spend["eur"].sum() == pytest.approx(ts["spend_total"].sum())
    assert r.spend["region"].nunique() > 50


def test_sme_regions_follow_the_regions_shares(baseline_20k):
    sm = baseline_20k.smes
    de = sm[sm["country"] == "Germany"]["region"].astype(str).value_counts(normalize=True)
    t = region_table()
    for code in ("DE21", "DEA1", "DE30"):
        assert de[code] == pytest.approx(t[code].number("sme_share"), abs=0.01)


# ---------------------------------------------------------------------------------- mechanisms

N, STEPS, REPS = 5000, 36, 2


def _runs(**model: float):
    scen = I.load_scenario("no_support", n_smes=N, steps=STEPS).with_overrides(
        {f"model.{k}": v for k, v in model.items()}
    )
    return I.run_replications(scen, REPS, seed=3)


def _new(r):
    p = r.partnerships
    return p[p["start"] >= 1]


def test_own_region_encounters_follow_local_bias():
    def same_region(runs):
        out = []
        for r in runs:
            p = _new(r)
            p = p[~p["cross_border"]]
            out.append((p["lead_region"].astype(str) == p["partner_region"].astype(str)).mean())
        return np.array(out)

    off, on = same_region(_runs(local_bias=0.0)), same_region(_runs(local_bias=0.9))
    assert off.max() < 0.2 and on.min() > 0.7, (off, on)


def test_border_regions_meet_their_neighbours_across_the_border():
    t = region_table()

    def adjacent(runs):
        out = []
        for r in runs:
            p = _new(r)
            p = p[p["cross_border"]]
            pairs = zip(p["lead_region"].astype(str), p["partner_region"].astype(str), strict=True)
            out.append(np.mean([b in t[a].neighbours for a, b in pairs]))
        return np.array(out)

    off, on = adjacent(_runs(border_bias=0.0)), adjacent(_runs(border_bias=0.9))
    assert off.max() < 0.05 and on.min() > 0.25, (off, on)


def test_sectors_that_cooperate_more_in_the_cis_start_more_projects():
    def ratio(runs):
        out = []
        for r in runs:
            starts = _new(r).groupby("lead_sector", observed=True).size()
            smes = r.smes.groupby("sector", observed=True).size()
            rate = starts / smes
            out.append(rate["mfg_high_tech"] / rate["other"])
        return np.array(out)

    t = sector_table()
    assert t["mfg_high_tech"].number("cooperation_share") > t["other"].number("cooperation_share")
    off, on = ratio(_runs(sector_search_effect=0.0)), ratio(_runs(sector_search_effect=1.5))
    # knocked out, only the sectors' innovation-active shares differ; on, their cooperation too
    assert on.min() > 1.5 * off.max(), (off, on)


def test_research_organisations_and_large_firms_concentrate_in_strong_regions():
    def strong_share(conc: float) -> float:
        scen = I.load_scenario("no_support", n_smes=20_000, burn_in=0).with_overrides(
            {"model.regional_partner_concentration": conc}
        )
        w = I.InspireModel(scen, seed=1).world
        a = w.actors
        psr = np.flatnonzero(a.ptype[: len(a.ptype)] == PartnerType.PSR)
        sme = np.arange(w.n)
        strength = w.geo.region_strength
        return float(strength[a.region[psr]].mean() - strength[a.region[sme]].mean())

    off, on = strong_share(0.0), strong_share(4.0)
    assert abs(off) < 0.01 and on > off + 0.02, (off, on)  # strength is in [0, 1]; regions differ by ~0.1


def test_a_sectors_partner_mix_shapes_its_encounters():
    w = I.InspireModel(I.load_scenario("no_support", n_smes=2000, burn_in=0), seed=1).world
    cum = w.geo.sector_type_cum
    names = list(w.geo.sector_names)
    share = np.diff(np.concatenate([np.zeros((len(names), 1)), cum], axis=1), axis=1)
    mix = {n: sector_table()[n].partner_mix() for n in names}
    research = {n: m[1] / m.sum() for n, m in mix.items()}
    hi, lo = max(research, key=lambda k: research[k]), min(research, key=lambda k: research[k])
    assert share[names.index(hi), PartnerType.PSR] > share[names.index(lo), PartnerType.PSR]
    np.testing.assert_allclose(share.sum(axis=1), 1.0)
