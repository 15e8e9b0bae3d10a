"""Targets as data: loading, one-line errors, and the mapping from model output (known answers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import inspire_sim as I
from inspire_sim.analyses.targets import Target, check_against, load_targets, shipped_targets, summarise, target_value


class FakeRun:
    """A RunResult stand-in with tables whose target values are known by construction."""

    def __init__(self) -> None:
        steps = np.arange(1, 25)
        self.timeseries = pd.DataFrame({"step": steps, "cooperating_share": np.where(steps > 12, 0.2, 0.0)})
        self.countries = pd.DataFrame(
            {
                "step": np.repeat(steps, 2),
                "country": np.tile(["Denmark", "Spain"], 24),
                "cooperating_share": np.tile([0.3, 0.1], 24),
            }
        )
        self.partnerships = pd.DataFrame(
            {
                "start": [1, 2, 13, 14, 15, 20],
                "lead_id": [1, 1, 2, 2, 2, 3],
                "partner_type": ["psr", "crowd", "psr", "sme_peer", "psr", "psr"],
                "success": [True, False, False, True, True, False],
                "resolved": [True, True, True, True, False, True],
            }
        )
        self.smes = pd.DataFrame({"sme_id": [1, 2, 3]})


def _target(**map_: object) -> Target:
    return Target(name="t", value=1.0, sd=0.1, source="test", year=2020, map=map_)


def test_mapping_known_answers() -> None:
    r = FakeRun()
    assert target_value(_target(table="timeseries", column="cooperating_share", statistic="mean"), r) == pytest.approx(
        0.2
    )
    assert target_value(
        _target(table="timeseries", column="cooperating_share", statistic="mean", window="all"), r
    ) == pytest.approx(0.1)
    dk = _target(table="countries", column="cooperating_share", statistic="mean", where={"country": "Denmark"})
    assert target_value(dk, r) == pytest.approx(0.3)
    # second half (start >= 13): 4 partnerships, 3 with a PSR
    assert target_value(_target(table="partnerships", statistic="share", where={"partner_type": "psr"}), r) == 0.75
    # a list matches any of its values: PSR or crowd, 5 of 6 rows
    either = _target(table="partnerships", statistic="share", where={"partner_type": ["psr", "crowd"]}, window="all")
    assert target_value(either, r) == pytest.approx(5 / 6)
    # failure rate among resolved projects, whole run: 3 failures of 5 resolved
    fail = _target(table="partnerships", statistic="share", where={"success": False}, among={"resolved": True})
    assert target_value(fail.model_copy(update={"map": fail.map.model_copy(update={"window": "all"})}), r) == 0.6
    # moves per lead SME over the whole run: 6 rows, 3 leads
    assert target_value(_target(table="partnerships", statistic="per_lead", window="all"), r) == 2.0
    # like for like with selected case SMEs: leads with >= 2 moves only (leads 1 and 2: 5 rows)
    two = _target(table="partnerships", statistic="per_lead", window="all", min_per_lead=2)
    assert target_value(two, r) == 2.5
    assert np.isnan(target_value(_target(table="partnerships", statistic="per_lead", window="all", min_per_lead=4), r))


def test_shipped_targets_load_and_map_onto_a_real_run() -> None:
    assert "eu_cis" in shipped_targets()
    t = load_targets("eu_cis")
    assert t.fitted() and t.held_out()
    assert all(x.sd > 0 and x.source for x in t.targets)
    r = I.run(I.load_scenario("baseline", n_smes=400, steps=36), seed=3)
    check_against(t, r)
    values = summarise(t, r)
    assert set(values) == {x.name for x in t.targets}
    assert 0.0 < values["cooperating_share"] < 1.0
    assert values["oi_moves_per_sme_2plus"] >= 2.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name = 'x'\ntargets = []", "targets"),
        (
            "name = 'x'\n[[targets]]\nname='a'\nvalue=1\nsd=0\nsource='s'\nyear=1\n"
            "map={table='timeseries',column='c',statistic='mean'}",
            "sd",
        ),
        (
            "name = 'x'\n[[targets]]\nname='a'\nvalue=1\nsd=1\nsource='s'\nyear=1\nvalu=2\n"
            "map={table='timeseries',column='c',statistic='mean'}",
            "did you mean 'value'",
        ),
        (
            "name = 'x'\n[[targets]]\nname='a'\nvalue=1\nsd=1\nsource='s'\nyear=1\n"
            "map={table='timeseries',statistic='mean'}",
            "needs a column",
        ),
        (
            "name = 'x'\n[[targets]]\nname='a'\nvalue=1\nsd=1\nsource='s'\nyear=1\n"
            "map={table='nope',column='c',statistic='mean'}",
            "map.table",
        ),
        ("name = [", "not valid TOML"),
    ],
)
def test_bad_targets_files_give_one_line(tmp_path, text: str, expected: str) -> None:
    f = tmp_path / "t.toml"
    f.write_text(text)
    with pytest.raises(I.InputError) as err:
        load_targets(f)
    msg = str(err.value)
    assert expected in msg and "\n" not in msg and str(f) in msg


def test_unknown_targets_name_lists_shipped() -> None:
    with pytest.raises(I.InputError, match="eu_cis"):
        load_targets("no_such_targets")


def test_target_naming_a_missing_column_or_country_is_refused(tmp_path) -> None:
    r = FakeRun()
    f = tmp_path / "t.toml"
    f.write_text(
        "name='x'\n[[targets]]\nname='a'\nvalue=1\nsd=1\nsource='s'\nyear=1\n"
        "map={table='countries',column='cooperating_share',statistic='mean',where={country='Denmrk'}}\n"
    )
    with pytest.raises(I.InputError, match="did you mean 'Denmark'"):
        check_against(load_targets(f), r)
    f.write_text(
        "name='x'\n[[targets]]\nname='a'\nvalue=1\nsd=1\nsource='s'\nyear=1\n"
        "map={table='timeseries',column='cooperating_shar',statistic='mean'}\n"
    )
    with pytest.raises(I.InputError, match="cooperating_share"):
        check_against(load_targets(f), r)
