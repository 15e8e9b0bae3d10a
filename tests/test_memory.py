"""Memory guards that need no timing: the bytes each simulated SME holds in the model's state.

Issue 21/23 keep the peak at <= 0.6 GB per million SMEs (measured in benchmarks/bench_scale.py);
the SME state is its largest per-SME part, so a wider dtype sneaking back in fails here first.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from inspire_sim.core.scenario import load_scenario
from inspire_sim.core.simulation import Simulation

SME_STATE_BYTES = 210
"""Budget of the SME arrays per SME with the EU-27 (205 bytes: 54 of them the uint16 experience
counts with 27 countries; float32 counts made 259 and a peak of 0.63 GB per million SMEs)."""


def test_sme_state_fits_its_byte_budget_per_sme():
    sim = Simulation(load_scenario("baseline", n_smes=2_000), [0], False)
    s = sim.world.sme
    per_sme = sum(getattr(s, f.name).nbytes for f in fields(s)) / sim.world.n
    assert len(sim.world.country_names) == 27
    assert per_sme <= SME_STATE_BYTES, f"SME state is {per_sme:.0f} bytes per SME"
    assert s.experience.dtype == np.uint16


def test_final_tables_free_the_log_and_share_the_state_yet_equal_the_copied_ones():
    from pandas.testing import assert_frame_equal

    from inspire_sim.run import result_of, run

    scen = load_scenario("baseline", n_smes=1_500, steps=24)
    sim = Simulation(scen, [5], True)
    sim.burn_in()
    for _ in range(24):
        sim.step()
    copied = result_of(sim, 0, scen, 5, 24, {})
    assert len(sim.world.projects._log) > 0  # a copy leaves the simulation as it was
    final = run(scen, seed=5)
    assert_frame_equal(final.smes, copied.smes)
    assert_frame_equal(final.partnerships, copied.partnerships)
    shared = result_of(sim, 0, scen, 5, 24, {}, final=True)
    assert sim.world.projects._log == []  # freed while the partnership table was built
    assert np.shares_memory(shared.smes["cash"].to_numpy(), sim.world.sme.cash)
    assert_frame_equal(shared.partnerships, copied.partnerships)
    for part, name in Simulation.UNREPORTED:  # the state no table reads is gone too
        assert getattr(getattr(sim.world, part), name).size == 0, name
    assert sim.world.sme.cash.size == sim.world.n
    with pytest.raises(RuntimeError, match="released for its final tables"):
        sim.step()


def test_the_population_is_normalised_by_chunks_with_the_same_values(monkeypatch):
    from inspire_sim.core import population

    scen = load_scenario("baseline", n_smes=1_000)
    whole = Simulation(scen, [2], False).world.actors
    monkeypatch.setattr(population, "_CHUNK_ROWS", 7)  # many chunks, the last one short
    chunked = Simulation(scen, [2], False).world.actors
    assert np.array_equal(whole.persona, chunked.persona) and np.array_equal(whole.vision, chunked.vision)
    assert np.allclose(np.linalg.norm(chunked.persona[:1_000], axis=1), 1.0, atol=1e-6)
