"""Policies in a batch of runs: each run's budgets, capacities, draws, spend and take-up are the
ones it has alone (issue 14).

The first part tests the per-run helpers of :class:`~inspire_sim.core.policies.Policy` on small
hand-made worlds (known answers, and a batch of R runs against the same R runs one by one);
the second runs every shipped lever in the batched engine (:class:`~inspire_sim.core.simulation.Simulation`)
and checks, month by month, that each run of a batch of three is the run alone.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from inspire_sim.core.agents import NO_STEP
from inspire_sim.core.policies import LEVER_POLICIES, Lottery, Policy, _pick_positions, pick_per_country
from inspire_sim.core.streams import BatchStreams
from inspire_sim.core.world import World
from inspire_sim.levers import SHIPPED
from inspire_sim.levers.toolbox import OIToolbox

COUNTRIES = ["A", "B", "C"]


class FakeWorld:
    """The parts of a batched :class:`~inspire_sim.core.world.World` a policy's accounts use."""

    segment_sums = World.segment_sums

    def __init__(self, seeds, country, weight=(1.0, 2.0, 0.5), total_budget=None) -> None:
        """``country``: the country of every SME row, all runs stacked (run r: rows r*n_run...)."""
        country = np.asarray(country, dtype=np.int64)
        self.runs = len(seeds)
        self.n = len(country)
        self.n_run = self.n // self.runs
        self.sme_run = np.repeat(np.arange(self.runs), self.n_run)
        self.actors = SimpleNamespace(country=country.astype(np.int16), uid=np.tile(np.arange(self.n_run), self.runs))
        self.country_names = COUNTRIES
        self.n_countries = len(COUNTRIES)
        self.region_names: list[str] = []
        self.run_scenarios: list[Any] = []  # one scenario for every run: the policy's own spec
        self.weight = np.asarray(weight, dtype=float)
        self.simulated = np.full(len(COUNTRIES), 1.0)  # one layout for every run of a batch, as in a World
        self.represented = self.simulated * self.weight
        self.policies: list[Any] = []
        self.total_budget = total_budget
        self.plan_spent = np.zeros(self.runs)
        self.spend_month = np.zeros((1, self.runs, len(COUNTRIES)))
        self.spend_events: list[Any] = []
        self.seeds = [int(s) for s in seeds]
        self.streams = BatchStreams(self.seeds, self.n_run)

    def run_alone(self, r: int) -> Any:
        """Run ``r`` of this batch as a world of its own (R = 1)."""
        rows = slice(r * self.n_run, (r + 1) * self.n_run)
        return fake_world(
            [self.seeds[r]],
            self.actors.country[rows],
            self.weight,
            self.total_budget,
        )


def fake_world(seeds, country, weight=(1.0, 2.0, 0.5), total_budget=None) -> Any:
    """A :class:`FakeWorld` (typed as the World it stands in for)."""
    return FakeWorld(seeds, country, weight, total_budget)


def policy(world, **spec) -> Policy:
    return Policy(OIToolbox(**spec), world, 0)


SEEDS = [11, 12, 13]


def random_world(seeds=SEEDS, n_run=40, total_budget=None) -> Any:
    rng = np.random.default_rng(5)
    return fake_world(seeds, rng.integers(0, len(COUNTRIES), n_run * len(seeds)), total_budget=total_budget)


# ---------------------------------------------------------------- known answers
def test_within_budget_per_run_known_answer():
    w = fake_world([1, 2], [0] * 8, weight=(1.0, 1.0, 1.0))
    pol = policy(w, budget_per_step=10.0)
    pol.spent_month = np.array([0.0, 4.0])  # run 1 already spent 4 of its 10 this month
    ordered = np.array([2, 0, 1, 3, 5, 4, 7, 6])  # by (run, priority)
    eur = np.array([4.0, 4.0, 4.0, 4.0, 3.0, 3.0, 3.0, 3.0])
    # run 0: 4 + 4 fits 10, +4 does not; run 1: 6 left, 3 + 3 fits exactly
    assert pol.within_budget(w, ordered, eur, 0).tolist() == [2, 0, 5, 4]
    assert pol.budget_bound.tolist() == [True, True]
    pol.budget_bound[:] = False
    assert pol.within_budget(w, ordered[4:], eur[4:] / 3, 0).tolist() == [5, 4, 7, 6]  # run 1 pays all 4
    assert pol.budget_bound.tolist() == [False, False]  # run 0 had nobody: not bound
    with pytest.raises(ValueError, match="by run"):
        pol.within_budget(w, ordered[::-1], eur, 0)


def test_budget_left_per_run_takes_every_cap():
    w = fake_world([1, 2, 3], [0] * 6, total_budget=100.0)
    w.plan_spent = np.array([0.0, 95.0, 120.0])
    pol = policy(w, budget_per_step=30.0, total_budget=50.0)
    pol.budget_carry = np.array([5.0, 0.0, 0.0])
    pol.spent_month = np.array([1.0, 0.0, 0.0])
    pol.spent_total = np.array([0.0, 0.0, 40.0])
    assert pol.budget_left(w).tolist() == [34.0, 5.0, 0.0]
    free = fake_world([1, 2], [0] * 4)
    assert np.isinf(policy(free).budget_left(free)).all()


def test_pick_positions_caps_hold_per_run_and_country():
    country = np.array([0, 0, 1, 0, 0, 1, 1])
    run = np.array([0, 0, 0, 1, 1, 1, 1])
    prio = np.array([0.5, 0.1, 0.3, 0.2, 0.9, 0.4, 0.6])
    caps = np.array([[1, 0, 0], [2, 1, 0]])  # run 0: one of country 0; run 1: two of 0, one of 1
    got = _pick_positions(country, caps, prio, run)
    assert sorted(got.tolist()) == [1, 3, 4, 5]
    assert got.tolist() == [1, 3, 4, 5]  # (run, country, priority) order
    cand = np.arange(10, 17)
    assert pick_per_country(cand, country, caps, prio, run=run).tolist() == [11, 13, 14, 15]
    assert pick_per_country(cand, country, caps, prio, limit=np.array([5, 2]), run=run).tolist() == [11, 13, 15]
    assert pick_per_country(cand, country, caps, prio, limit=0, run=run).tolist() == []


def test_charge_books_per_run_and_country():
    w = fake_world([1, 2, 3], [0, 1, 2, 0, 1, 2, 0, 1, 2], weight=(1.0, 1.0, 1.0))
    pol = policy(w)
    pol.charge(w, np.array([0, 1, 1, 6, 8]), np.array([1.0, 2.0, 3.0, 4.0, 0.5]))
    assert pol.spent_month.tolist() == [6.0, 0.0, 4.5]
    assert pol.spent_total.tolist() == [6.0, 0.0, 4.5] and w.plan_spent.tolist() == [6.0, 0.0, 4.5]
    assert w.spend_month[0].tolist() == [[1.0, 5.0, 0.0], [0.0, 0.0, 0.0], [4.0, 0.0, 0.5]]
    pol.charge(w, np.array([3, 4]), 0.0)  # nothing to book
    assert pol.spent_total.tolist() == [6.0, 0.0, 4.5]


def test_take_up_counts_per_run():
    w = fake_world([1, 2, 3], [0] * 9)
    pol = policy(w)
    pol.award(w, np.array([0, 1, 7]), 3)
    assert pol.awarded_month.tolist() == [2, 0, 1]
    pol.mark_used(np.array([7, 7, 1, 5]))  # SME 5 had no award: still counts (as alone); 7 counts once
    assert pol.used_month.tolist() == [1, 1, 1]
    pol.mark_used(np.array([7]))
    assert pol.used_month.tolist() == [1, 1, 1]
    assert (pol.served_at[[0, 1, 7]] == 3).all() and (pol.served_at[[2, 3]] == NO_STEP).all()


# ---------------------------------------------------------------- a batch equals its runs alone
def test_random_and_capacity_draws_are_each_runs_own():
    w = random_world()
    pol = policy(w, capacity=3_000)
    u, cap = pol.random(w, "", 4), pol.scaled_capacity(w, 4)
    assert cap.shape == (3, len(COUNTRIES))
    for r in range(w.runs):
        alone = w.run_alone(r)
        pa = policy(alone, capacity=3_000)
        assert np.array_equal(u[w.sme_run == r], pa.random(alone, "", 4))
        assert np.array_equal(u[w.sme_run == r], alone.streams.get("policy::0", 4).random(alone.n))
        assert np.array_equal(cap[r], pa.scaled_capacity(alone, 4)[0])
        assert np.array_equal(pa.rng(alone, "x", 4).random(3), alone.streams.get("policy::0:x", 4).random(3))
    with pytest.raises(RuntimeError, match="in a batch"):
        pol.rng(w, "x", 4)  # one generator would give every run run 0's numbers


@pytest.mark.parametrize("total_budget", [None, 150.0])
def test_serve_in_a_batch_is_each_run_alone(total_budget):
    """Capacity, monthly budget with carry-over, run-wide caps, charge and take-up over several months."""
    w = random_world(total_budget=total_budget)
    spec = dict(capacity=12, cost_per_service=7.0, budget_per_step=40.0)  # ~3.4 per country (shared by SMEs)
    batch = policy(w, **spec)
    alone = [w.run_alone(r) for r in range(w.runs)]
    singles = [policy(a, **spec) for a in alone]
    for month in range(4):
        batch.open_month(w, month)
        eligible = np.flatnonzero(batch.random(w, "elig", month) < 0.6)
        got = batch.serve(w, eligible, batch.random(w, "", month)[eligible], month)
        for r, (a, pol) in enumerate(zip(alone, singles, strict=True)):
            pol.open_month(a, month)
            el = np.flatnonzero(pol.random(a, "elig", month) < 0.6)
            want = pol.serve(a, el, pol.random(a, "", month)[el], month)
            assert np.array_equal(got[w.sme_run[got] == r] - r * w.n_run, want)
            for name in ("spent_month", "spent_total", "budget_bound", "awarded_month", "used_month"):
                assert getattr(batch, name)[r] == getattr(pol, name)[0], name
            assert np.array_equal(batch.served_month[r], pol.served_month[0])
            assert np.array_equal(batch.capacity_month[r], pol.capacity_month[0])
            assert np.array_equal(w.spend_month[0, r], a.spend_month[0, 0])
            assert w.plan_spent[r] == a.plan_spent[0]
    assert batch.budget_bound.any() and (batch.spent_total > 0).all()  # the budget did bind somewhere


def test_lottery_draws_each_runs_own_numbers():
    w = random_world()
    pol = policy(w)
    pol.lottery = Lottery.for_smes(w.n, 0.5, withhold=False)
    applicants = np.arange(0, w.n, 2)
    treated = pol.draw_lottery(w, applicants, 2)
    for r in range(w.runs):
        a = w.run_alone(r)
        pa = policy(a)
        pa.lottery = Lottery.for_smes(a.n, 0.5, withhold=False)
        mine = applicants[w.sme_run[applicants] == r]
        assert np.array_equal(treated[w.sme_run[treated] == r] - r * w.n_run, pa.draw_lottery(a, mine - r * w.n_run, 2))
        assert np.array_equal(pol.lottery.group[w.sme_run == r], pa.lottery.group)


def test_every_shipped_lever_is_batchable_and_user_levers_are_not_by_default():
    assert all(LEVER_POLICIES[k].batchable for k in SHIPPED)
    assert Policy.batchable is False


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_pick_per_country_in_a_batch_is_each_run_alone(data):
    runs = data.draw(st.integers(1, 4))
    nc = data.draw(st.integers(1, 4))
    n = data.draw(st.integers(0, 50))
    run = np.sort(np.array(data.draw(st.lists(st.integers(0, runs - 1), min_size=n, max_size=n)), dtype=np.int64))
    country = np.array(data.draw(st.lists(st.integers(0, nc - 1), min_size=n, max_size=n)), dtype=np.int64)
    priority = np.array(data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))  # ties too
    caps = np.array(data.draw(st.lists(st.integers(0, 6), min_size=runs * nc, max_size=runs * nc))).reshape(runs, nc)
    limit = data.draw(st.one_of(st.none(), st.lists(st.integers(0, 20), min_size=runs, max_size=runs)))
    cand = np.arange(100, 100 + n)
    got = pick_per_country(cand, country, caps, priority, None if limit is None else np.array(limit), run=run)
    for r in range(runs):
        mine = run == r
        alone = pick_per_country(
            cand[mine], country[mine], caps[r], priority[mine], None if limit is None else limit[r]
        )
        assert got[run[got - 100] == r].tolist() == alone.tolist()


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_within_budget_in_a_batch_is_each_run_alone(data):
    runs, n_run = data.draw(st.integers(1, 4)), 12
    w = fake_world(list(range(runs)), [0] * (runs * n_run))
    budget = data.draw(st.floats(0.0, 50.0))
    eur = np.array(data.draw(st.lists(st.floats(0.0, 10.0), min_size=runs * n_run, max_size=runs * n_run)))
    spent = np.array(data.draw(st.lists(st.floats(0.0, 20.0), min_size=runs, max_size=runs)))
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=runs * n_run, max_size=runs * n_run)))
    rows = np.flatnonzero(keep)
    ordered = policy(w).order(w, rows, eur[rows] % 1.0)  # some order within each run
    batch = policy(w, budget_per_step=budget)
    batch.spent_month = spent.copy()
    got = batch.within_budget(w, ordered, eur[ordered], 0)
    for r in range(runs):
        a = w.run_alone(r)
        pol = policy(a, budget_per_step=budget)
        pol.spent_month = spent[r : r + 1].copy()
        mine = ordered[w.sme_run[ordered] == r]
        alone = pol.within_budget(a, mine - r * n_run, eur[mine], 0)
        assert (got[w.sme_run[got] == r] - r * n_run).tolist() == alone.tolist()
        assert batch.budget_bound[r] == pol.budget_bound[0]


# ---------------------------------------------------------------- the engine: every shipped lever
ENGINE_SEEDS = [21, 8, 1000003]
MONTHS = 14
ACCOUNTS = ("spent_total", "spent_month", "budget_carry", "budget_bound", "awarded_month", "used_month")
PER_SME = ("served_at", "used", "voucher", "voucher_until", "recovery_until", "gain_pm", "gain_vision")


def _lever_scenario(kind: str):
    """No support but this lever, on from the start, with a monthly budget of a few simulated services
    (so that budgets bind and carry over) and a capacity that binds in the larger countries."""
    from inspire_sim.core.scenario import load_scenario
    from inspire_sim.core.simulation import Simulation

    base = load_scenario("no_support", n_smes=300, steps=MONTHS, burn_in=6).with_overrides({f"{kind}.start": 0})
    weight = float(Simulation(base, [1]).world.weight.mean())
    spec = base.policies[0]
    unit = float(getattr(spec, "cost_per_service", getattr(spec, "grant_size", 0.0))) * weight
    over: dict[str, object] = {f"{kind}.budget_per_step": 1.2 * unit}
    if hasattr(spec, "capacity"):  # about two simulated SMEs per country (capacities are shared by all)
        over[f"{kind}.capacity"] = int(2 * weight * len(base.countries))
    return base.with_overrides(over)


def _plan_scenario():
    """Every lever of the EU deployment plan on from the start, under a plan-wide budget that binds."""
    from inspire_sim.core.scenario import load_scenario

    scen = load_scenario("eu_deployment_plan", n_smes=300, steps=60, burn_in=6)
    on = {f"{p.kind}.start": 0 for p in scen.policies} | {"total_budget": 6e9}
    on |= {"matchmaking.capacity": 60_000}  # enough introductions in 300 SMEs (each stands for ~5,900) to book
    return scen.with_overrides(on).with_overrides({"steps": MONTHS})


def _assert_run_equals_alone(batch, r: int, alone) -> None:
    w, a = batch.world, alone.world
    for pb, pa in zip(w.policies, a.policies, strict=True):
        for name in ACCOUNTS:
            np.testing.assert_array_equal(getattr(pb, name)[r], getattr(pa, name)[0], err_msg=f"{pb.kind}.{name}")
        np.testing.assert_array_equal(pb.served_month[r], pa.served_month[0])
        np.testing.assert_array_equal(pb.capacity_month[r], pa.capacity_month[0])
        for name in PER_SME:
            if hasattr(pb, name):
                np.testing.assert_array_equal(getattr(pb, name)[w.sme_rows(r)], getattr(pa, name), err_msg=name)
    np.testing.assert_array_equal(w.spend_month[:, r], a.spend_month[:, 0])
    assert w.plan_spent[r] == a.plan_spent[0]


@pytest.mark.parametrize("scenario", [*SHIPPED, "plan"])
def test_each_run_of_a_batch_with_levers_is_the_run_alone(scenario):
    """Per month: each run's spend, budgets, awards, take-up and served counts; at the end its SMEs,
    projects and counters, are those of the run alone (bit for bit)."""
    from inspire_sim.core.simulation import Simulation

    scen = _plan_scenario() if scenario == "plan" else _lever_scenario(scenario)
    batch = Simulation(scen, ENGINE_SEEDS)
    alone = [Simulation(scen, [s]) for s in ENGINE_SEEDS]
    for sim in (batch, *alone):
        sim.burn_in()
    for r, sim in enumerate(alone):
        _assert_run_equals_alone(batch, r, sim)
    awarded = used = bound = 0
    spent = np.zeros(len(ENGINE_SEEDS))
    for _ in range(MONTHS):
        batch.advance()
        for r, sim in enumerate(alone):
            sim.advance()
            _assert_run_equals_alone(batch, r, sim)
        for pol in batch.world.policies:
            awarded += int(pol.awarded_month.sum())
            used += int(pol.used_month.sum())
            bound += int(pol.budget_bound.sum())
        spent += batch.world.plan_spent * 0 + sum(p.spent_month for p in batch.world.policies)
    w = batch.world
    for r, sim in enumerate(alone):
        assert_frame_equal(batch.smes_table(r), sim.smes_table(), check_exact=True)
        assert_frame_equal(
            w.projects.table(w.country_names, r), sim.world.projects.table(w.country_names), check_exact=True
        )
        for name in set(w.counters.names()) | set(sim.world.counters.names()):
            assert w.counters[name][r] == sim.world.counters[name][0], name
    # the levers did act, their budgets bound, and the runs differ (a batch of copies would pass too)
    assert awarded > 0 and bound > 0 and (spent > 0).all()
    assert len(set(spent.tolist())) == len(ENGINE_SEEDS)
    if scenario in ("support_funding", "plan"):
        assert used > 0


def test_design_points_with_levers_share_a_batch_each_as_alone():
    """Runs of one plan that differ in behavioural parameters (levers read some of them: chemistry
    in matchmaking) share a batch; each run's policy accounts and SMEs are its run alone."""
    from inspire_sim.core.simulation import Simulation

    base = _plan_scenario().with_overrides({"matchmaking.start": 0})
    points = [{}, {"chemistry_pair_sd": 0.9, "search_rate": 0.5}, {"chemistry_pair_sd": 0.1, "trust_drift": 0.05}]
    scens = [base.with_overrides(pt) for pt in points]
    seeds = [3, 3, 4]
    batch = Simulation(scens, seeds)
    assert batch.world.run_params is not None and "chemistry_pair_sd" in batch.world.run_params.varying
    alone = [Simulation(sc, [sd]) for sc, sd in zip(scens, seeds, strict=True)]
    for sim in (batch, *alone):
        sim.burn_in()
    for _ in range(MONTHS):
        batch.advance()
        for r, sim in enumerate(alone):
            sim.advance()
            _assert_run_equals_alone(batch, r, sim)
    for r, sim in enumerate(alone):
        assert_frame_equal(batch.smes_table(r), sim.smes_table(), check_exact=True, obj=f"point {r}")
    mm = next(p for p in batch.world.policies if p.kind == "matchmaking")
    assert (mm.spent_total > 0).all()


def test_a_user_lever_is_not_batchable_and_the_engine_says_so(tmp_path):
    import sys
    import textwrap
    from pathlib import Path

    from inspire_sim.core import policies as pol_module
    from inspire_sim.core.scenario import load_scenario
    from inspire_sim.core.simulation import Simulation
    from inspire_sim.errors import InputError

    tests = str(Path(__file__).resolve().parent)
    path = tmp_path / "user.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            name = "user"
            extends = "{(Path(tests).parent / "scenarios" / "no_support.toml").as_posix()}"
            [model]
            n_smes = 300
            steps = 6
            burn_in = 2
            [[policies]]
            kind = "user_levers:ConfidenceCoaching"
            """
        )
    )
    sys.path.insert(0, tests)
    try:
        scen = load_scenario(path)
        assert not type(Simulation(scen, [1]).world.policies[0]).batchable
        with pytest.raises(InputError, match="confidence_coaching"):
            Simulation(scen, [1, 2])
    finally:
        if "confidence_coaching" in pol_module.LEVER_POLICIES:
            pol_module.unregister_lever("confidence_coaching")
        sys.modules.pop("user_levers", None)
        sys.path.remove(tests)
