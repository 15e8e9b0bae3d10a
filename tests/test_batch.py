"""The batched engine: R runs of one scenario in one vectorised world, each run as it is alone."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pandas.testing import assert_frame_equal

from inspire_sim.core import policies
from inspire_sim.core.model import InspireModel
from inspire_sim.core.rules import hash_uniform, month_salt, salted_uniform
from inspire_sim.core.runparams import RunParams
from inspire_sim.core.scenario import Scenario, load_scenario
from inspire_sim.core.simulation import Simulation
from inspire_sim.core.streams import BatchStreams, RandomStreams
from inspire_sim.core.world import RunCounters
from inspire_sim.errors import InputError
from inspire_sim.run import batch_size_for, run, run_batch

TESTS = Path(__file__).resolve().parent
TABLES = ("timeseries", "smes", "partnerships", "panel", "spend", "countries")


def _small(name: str = "baseline", **kw: Any) -> Scenario:
    return load_scenario(name, **{"n_smes": 300, "steps": 12, **kw})


def _advanced(scen, seeds, months: int) -> Simulation:
    sim = Simulation(scen, seeds)
    sim.burn_in()
    for _ in range(months):
        sim.advance()
    return sim


def _assert_one_batch_equals_runs_alone(scens: list[Scenario], seeds: list[int]) -> None:
    """``run_batch`` of these runs is one batch, and each of its results is the run alone, every table exactly."""
    batch = run_batch(scens, seeds)
    assert {r.manifest["batch"]["size"] for r in batch} == {len(seeds)}  # one batch
    for res, scen, seed in zip(batch, scens, seeds, strict=True):
        assert res.manifest["seed"] == seed
        alone = run(scen, seed=seed)
        for table in TABLES:
            assert_frame_equal(getattr(res, table), getattr(alone, table), check_exact=True, obj=f"{scen.name}:{table}")


# ---------------------------------------------------------------------------- building blocks
def test_batch_streams_draw_what_each_run_draws_alone():
    seeds = [3, 99, 12345]
    bs = BatchStreams(seeds, n_run=50)
    alone = [RandomStreams(s) for s in seeds]
    np.testing.assert_array_equal(
        bs.random("search", 4), np.concatenate([a.get("search", 4).random(50) for a in alone])
    )
    np.testing.assert_array_equal(bs.random_runs("cap", -3, 8), np.stack([a.get("cap", -3).random(8) for a in alone]))
    ids = np.array([5, 7, 7, 1, 60], dtype=np.uint64)
    run = np.array([0, 0, 2, 1, 2])
    got = bs.uniform("candidates", 7, run, ids, 3)
    want = np.vstack([alone[r].uniform("candidates", 7, ids[i : i + 1], 3) for i, r in enumerate(run)])
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(bs.key("chemistry"), [a.key("chemistry") for a in alone])


def test_salted_uniform_per_id_equals_one_salt_each():
    keys = np.array([11, 2**63 + 5, 42], dtype=np.uint64)
    ids = np.arange(30, dtype=np.uint64)
    salts = np.array([month_salt(k, 17) for k in keys.tolist()], dtype=np.uint64)
    which = np.arange(30) % 3
    got = salted_uniform(salts[which], ids, 4)
    for k in range(3):
        np.testing.assert_array_equal(got[which == k], hash_uniform(keys[k], 17, ids[which == k], 4))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int16, bool])
def test_segment_sums_are_each_runs_np_sum(dtype):
    """World.segment_sums: per run exactly ``np.sum`` of its segment (type and bits), empty runs too."""
    rng = np.random.default_rng(5)
    world = _advanced(_small(n_smes=200), [1, 2, 3, 4, 5, 6], 0)
    for _ in range(50):
        run = np.sort(rng.choice(np.array([0, 2, 3, 5]), size=int(rng.integers(0, 400))))
        values = (rng.standard_normal(len(run)) * 10.0 ** rng.integers(-3, 7)).astype(dtype)
        for vals in (values, np.broadcast_to(values[:1], values.shape) if len(values) else values):
            got = world.world.segment_sums(run, vals)
            want = np.array([np.sum(vals[run == r]) for r in range(6)])
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_run_counters_count_and_add_per_run():
    c = RunCounters(3)
    c.count("x", np.array([0, 2, 2, 2]))
    c.add("y", np.array([0.5, 0.0, 1.5]))
    c.add("y", 1.0)
    np.testing.assert_array_equal(c["x"], [1, 0, 3])
    np.testing.assert_array_equal(c["y"], [1.5, 1.0, 2.5])
    np.testing.assert_array_equal(c["never"], [0, 0, 0])
    c.clear()
    assert c.names() == []


def test_batch_size_for_defaults_and_refuses_nonsense():
    assert batch_size_for(1000) == 50
    assert batch_size_for(100_000) == 1
    assert batch_size_for(10) == 64
    assert batch_size_for(1000, 7) == 7
    with pytest.raises(InputError, match="batch"):
        batch_size_for(1000, 0)


# ---------------------------------------------------------------------------- the engine
def test_each_run_of_a_batch_is_the_run_alone_without_policies():
    scen = _small(n_smes=600)
    scen.policies = []
    seeds = [11, 5, 7]
    batch = _advanced(scen, seeds, 18)
    w = batch.world
    assert w.runs == 3 and w.n == 3 * w.n_run and w.m == w.n + 3 * w.p_run
    for r, seed in enumerate(seeds):
        alone = _advanced(scen, [seed], 18)
        assert_frame_equal(batch.smes_table(r), alone.smes_table(), check_exact=True)
        assert_frame_equal(
            w.projects.table(w.country_names, r),
            alone.world.projects.table(w.country_names),
            check_exact=True,
        )
        for name in alone.world.counters.names():
            assert w.counters[name][r] == alone.world.counters[name][0], name
        np.testing.assert_array_equal(w.pt_by_stage[r], alone.world.pt_by_stage[0])
        np.testing.assert_array_equal(w.scaling_by_country[r], alone.world.scaling_by_country[0])
    assert len(w.projects.table(w.country_names, 0)) > 50  # the runs did form partnerships


def test_candidates_never_cross_runs():
    scen = _small()
    scen.policies = []
    sim = _advanced(scen, [1, 2], 12)
    book = sim.world.projects
    logged = np.concatenate([p["partner"] for p in [*book._log, book.running]])
    runs = np.concatenate([p["run"] for p in [*book._log, book.running]])
    leads = np.concatenate([p["lead"] for p in [*book._log, book.running]])
    np.testing.assert_array_equal(sim.world.run_of(logged), runs)
    np.testing.assert_array_equal(sim.world.sme_run[leads], runs)
    assert set(runs.tolist()) == {0, 1}


def test_world_numbers_agents_as_mesa_does():
    """The batch engine has no Mesa agents, but its ids (which key random draws) are Mesa's."""
    scen = _small()
    model = InspireModel(scen, seed=4)
    for _ in range(12):
        model.step()
    ids = np.array([a.unique_id for a in model.sme_agents])
    np.testing.assert_array_equal(model.world.actors.uid[: model.n], ids)
    assert model.agent_id_counter == model.world.next_uid[0]
    batch = _advanced(scen, [9, 4], 12)
    np.testing.assert_array_equal(batch.world.actors.uid[batch.world.sme_rows(1)], ids)


@pytest.mark.parametrize(
    "name",
    [
        "baseline",
        "cross_border_brokering",
        "toolbox_and_recovery",
        "national_funding",
        "eu_deployment_plan",
        "regional_smart_specialisation",
        "no_support",
    ],
)
def test_run_batch_results_equal_runs_alone(name):
    scen = _small(name, steps=50, n_smes=250)  # every measure of the shipped plans starts within 50 months
    _assert_one_batch_equals_runs_alone([scen] * 3, [21, 8, 1000003])


def test_run_batch_keeps_the_order_of_mixed_scenarios():
    a, b = _small(), _small(n_smes=350)
    scens, seeds = [a, b, a, b], [1, 2, 3, 4]
    out = run_batch(scens, seeds)
    assert [r.manifest["seed"] for r in out] == seeds
    assert [len(r.smes) for r in out] == [300, 350, 300, 350]
    assert_frame_equal(out[2].timeseries, run(a, seed=3).timeseries, check_exact=True)


def test_unbatchable_lever_runs_one_by_one(tmp_path, monkeypatch):
    """A user lever not marked ``batchable`` makes run_batch run its seeds alone (same results)."""
    monkeypatch.syspath_prepend(str(TESTS))
    path = tmp_path / "with_user_lever.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            name = "with_user_lever"
            extends = "{(TESTS.parent / "scenarios" / "no_support.toml").as_posix()}"
            [model]
            n_smes = 300
            steps = 6
            burn_in = 6
            [[policies]]
            kind = "user_levers:ConfidenceCoaching"
            budget_per_step = 2000000.0
            """
        )
    )
    try:
        scen = load_scenario(path)
        out = run_batch(scen, [1, 2])
        assert_frame_equal(out[1].timeseries, run(scen, seed=2).timeseries, check_exact=True)
        assert "batch" not in out[0].manifest
        with pytest.raises(InputError, match="cannot run in a batch"):
            Simulation(scen, [1, 2])
    finally:
        if "confidence_coaching" in policies.LEVER_POLICIES:
            policies.unregister_lever("confidence_coaching")
        sys.modules.pop("user_levers", None)


def test_run_batch_builds_only_the_tables_asked_for():
    """``tables=("timeseries",)`` (what sweeps use): that table as with every table and as the run
    alone, the others empty; the same from ``run`` and from a batch that falls back to runs alone."""
    scen = _small(n_smes=250)
    seeds = [3, 17, 5]
    full = run_batch([scen] * 3, seeds, record_partnerships=False)
    lean = run_batch([scen] * 3, seeds, record_partnerships=False, tables=("timeseries",))
    for f, lr, seed in zip(full, lean, seeds, strict=True):
        alone = run(scen, seed=seed, record_partnerships=False, tables=["timeseries"])
        assert_frame_equal(lr.timeseries, f.timeseries, check_exact=True)
        assert_frame_equal(alone.timeseries, f.timeseries, check_exact=True)
        for table in ("smes", "partnerships", "panel", "spend", "countries", "regions"):
            assert getattr(lr, table).empty and getattr(alone, table).empty, table
        assert lr.manifest["seed"] == seed and lr.manifest["batch"] == f.manifest["batch"]
    two = run_batch([scen] * 2, seeds[:2], tables=("timeseries", "countries", "regions"))
    for table in ("timeseries", "countries", "regions"):  # regions without spend: the spend by region still counts
        assert_frame_equal(getattr(two[1], table), getattr(full[1], table), check_exact=True)
    assert two[1].smes.empty and two[1].spend.empty
    sim = _advanced(scen, seeds, 0)
    sim.recorder.detail = frozenset()  # the recorder keeps the time series only
    for _ in range(scen.params.steps):
        sim.step()
    for r in range(3):
        assert_frame_equal(sim.recorder.timeseries(r), full[r].timeseries, check_exact=True)
    with pytest.raises(RuntimeError, match="panel table was not recorded"):
        sim.recorder.panel(0)
    with pytest.raises(InputError, match="unknown result table"):
        run_batch([scen], [1], tables=("timeseries", "nope"))
    with pytest.raises(InputError, match="unknown result table"):
        run(scen, seed=1, tables="nope")


def test_run_batch_refuses_mismatched_inputs():
    with pytest.raises(InputError, match="one scenario per seed"):
        run_batch([_small()], [1, 2])
    with pytest.raises(InputError, match="seeds"):
        Simulation(_small(), [])


def test_design_points_with_different_behavioural_parameters_share_a_batch():
    """Runs that differ in behavioural model parameters run in one batch, each as it runs alone."""
    base = _small(n_smes=400)
    base.policies = []
    points = [
        {},
        {"search_rate": 0.5, "gain_mean": 0.09, "gain_sigma": 1.1, "duration_mean": 1.5, "home_bias": 0.5},
        {"trust_drift": 0.05, "breakthrough_pareto_alpha": 1.3, "breakthrough_prob": 0.2, "false_failure_jump": 0.3},
        {"results_share_development": 0.5, "accept_threshold": -0.2, "margin_mean": 1000.0, "abandon_prob": 0.9},
    ]
    scens = [base.with_overrides(pt) for pt in points]
    seeds = [3, 3, 4, 5]
    batch = Simulation(scens, seeds)
    assert batch.world.run_params is not None
    assert set(batch.world.run_params.varying) >= {"search_rate", "gain_mean", "trust_drift", "margin_mean"}
    batch.burn_in()
    for _ in range(12):
        batch.advance()
    w = batch.world
    for r, (scen, seed) in enumerate(zip(scens, seeds, strict=True)):
        alone = _advanced(scen, [seed], 12)
        assert_frame_equal(batch.smes_table(r), alone.smes_table(), check_exact=True, obj=f"point {r}")
        assert_frame_equal(
            w.projects.table(w.country_names, r), alone.world.projects.table(w.country_names), check_exact=True
        )
    with pytest.raises(AttributeError, match="differs between the runs"):
        _ = w.params.search_rate  # a phase reading a varying parameter as one number would be a bug


def test_structural_differences_refused_in_one_batch():
    with pytest.raises(InputError, match="cannot share a batch"):
        Simulation([_small(), _small(n_smes=350)], [1, 2])
    other = _small()
    other.policies = []
    with pytest.raises(InputError, match="cannot share a batch"):
        Simulation([_small(), other], [1, 2])


@pytest.mark.parametrize("seeds", [[0, 1], [5, 2**40 + 3, 2**63 - 1, 123456789]])
def test_fast_batch_seeding_is_numpys(seeds):
    """Batched streams compute every run's PCG64 state at once: exactly numpy's, for any seed and key."""
    bs = BatchStreams(seeds, 40)
    for name, month in [("search", 3), ("entry", -36), ("policy:support_funding:0:apply", 119), ("x", -(2**20))]:
        want = np.concatenate([RandomStreams(s).get(name, month).random(40) for s in seeds])
        np.testing.assert_array_equal(bs.random(name, month), want)
        np.testing.assert_array_equal(
            bs.random_runs(name, month, 3), np.stack([RandomStreams(s).get(name, month).random(3) for s in seeds])
        )


def test_design_points_differing_in_costs_and_thresholds_batch_with_the_levers():
    """Project cost, the confidence to search and concurrent projects are read per run by the levers too."""
    base = _small("eu_deployment_plan", steps=50, n_smes=250)
    points = [
        {"project_cost": 40_000.0, "min_confidence_to_search": 0.2},
        {"project_cost": 5_000.0, "max_concurrent_projects": 1, "search_rate": 0.3},
        {"project_cost": 0.0, "min_confidence_to_search": 0.5, "duration_mean": 6.0},
    ]
    scens = [base.with_overrides(pt) for pt in points]
    seeds = [2, 2, 9]
    _assert_one_batch_equals_runs_alone(scens, seeds)


def test_run_without_mesa_equals_the_mesa_model():
    """``run()`` uses the engine directly; the Mesa model stepped as often gives the same tables."""
    scen = _small("cross_border_brokering")
    res = run(scen, seed=6)
    model = InspireModel(scen, seed=6)
    model.run_months(scen.params.steps)
    via_mesa = run(scen, seed=6, model_cls=InspireModel)
    for table in TABLES:
        assert_frame_equal(getattr(res, table), getattr(via_mesa, table), check_exact=True, obj=table)
    assert_frame_equal(res.timeseries, model.recorder.timeseries(), check_exact=True)
    frame = model.datacollector.get_model_vars_dataframe()
    assert frame["cooperating_share"].tolist() == res.timeseries["cooperating_share"].tolist()


def test_random_design_points_over_every_uncertain_parameter_batch_exactly():
    """Design points drawn over every uncertain parameter (as a Morris or Sobol' design would) share
    one batch, and each run equals its run alone bit for bit, float32 state included."""
    from inspire_sim.levers import parameter_specs

    specs = [s for s in parameter_specs() if s.role == "uncertainty" and s.sa_range is not None]
    assert len(specs) > 40
    rng = np.random.default_rng(14)
    base = _small("eu_deployment_plan", steps=50, n_smes=250)
    scens = []
    for _ in range(4):
        values = {}
        for s in specs:
            assert s.sa_range is not None
            lo, hi = s.sa_range
            v = rng.uniform(lo, hi)
            values[s.name] = round(v) if s.integer else float(v)
        scens.append(base.with_overrides(values))
    seeds = [5, 6, 5, 7]
    varying = RunParams([s.params for s in scens]).varying
    assert {s.field for s in specs} <= set(varying)  # every uncertain parameter differs between the points
    _assert_one_batch_equals_runs_alone(scens, seeds)


def test_design_points_over_lever_parameters_batch_exactly():
    """A policy grid or a Sobol' design over levers: runs differing in numeric lever parameters
    share one batch, each run as it runs alone."""
    from inspire_sim.core.runparams import LEVER_STRUCTURAL
    from inspire_sim.levers import parameter_specs

    base = _small("eu_deployment_plan", steps=50, n_smes=250)
    kinds = {p.kind for p in base.policies}
    specs = [
        s
        for s in parameter_specs()
        if s.role == "lever" and s.group in kinds and s.sa_range is not None and s.field not in LEVER_STRUCTURAL
    ]
    assert {s.group for s in specs} == kinds and len(specs) >= 15
    rng = np.random.default_rng(41)
    scens = []
    for _ in range(3):
        values = {}
        for s in specs:
            assert s.sa_range is not None
            v = rng.uniform(*s.sa_range)
            values[s.name] = round(v) if s.integer else float(v)
        scens.append(base.with_overrides(values))
    assert scens[0].policies[0] != scens[1].policies[0]
    seeds = [3, 3, 8]
    _assert_one_batch_equals_runs_alone(scens, seeds)


def test_a_lever_read_as_one_number_in_a_batch_of_design_points_is_refused():
    base = _small()
    scens = [base.with_overrides({"support_funding.grant_size": g}) for g in (5_000.0, 20_000.0)]
    sim = Simulation(scens, [1, 2])
    pol = sim.world.policies[0]
    np.testing.assert_array_equal(pol.value("grant_size"), [5_000.0, 20_000.0])
    with pytest.raises(AttributeError, match="differs between the runs"):
        _ = pol.spec.grant_size  # type: ignore[attr-defined]
