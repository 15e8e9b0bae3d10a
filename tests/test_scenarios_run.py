"""Every shipped scenario file runs."""

from __future__ import annotations

import pytest

import inspire_sim as I
from inspire_sim.core.scenario import list_scenarios


@pytest.mark.parametrize("path", list_scenarios(), ids=lambda p: p.stem)
def test_scenario_runs(path):
    scen = I.load_scenario(path, n_smes=400)
    r = I.run(scen, seed=0, steps=60)
    assert len(r.timeseries) == 60
    assert r.timeseries["new_partnerships"].sum() > 0
    planned = {p.kind for p in scen.policies if p.start < 60}
    spent = {
        c.removeprefix("spend_")
        for c in r.timeseries
        if c.startswith("spend_") and c != "spend_total" and r.timeseries[c].sum() > 0
    }
    assert spent <= planned
    assert r.manifest["scenario"]["name"] == scen.name
