"""The policy game's logic (inspire_sim.app.game), without a browser: plans, codes and
files, the plan's measures, the scorecard under common random numbers, the challenges."""

from __future__ import annotations

import re

import pytest

from inspire_sim.app import game
from inspire_sim.core.streams import replicate_seed
from inspire_sim.errors import InputError
from inspire_sim.levers import LEVERS, SHIPPED


@pytest.fixture(scope="module")
def base():
    return game.game_base(n_smes=300)


def test_plan_code_and_file_round_trip():
    plan = game.Plan(
        250_000.0,
        {"support_funding": 40, "cross_border_brokering": 30, "oi_toolbox": 20},
        {"cross_border_brokering": ["Poland", "Greece"]},
        name="team A",
    )
    code = plan.to_code()
    assert code == "P1-250000-SF40-CBB30@Poland+Greece-M0-OT20-FR0"
    again = game.Plan.from_code(code, name="team A")
    assert again.budget == plan.budget and again.countries == plan.countries
    assert {k: v for k, v in again.shares.items() if v} == plan.shares
    assert game.Plan.from_code(code.lower().replace("p1", "P1")).shares["oi_toolbox"] == 20  # case-insensitive levers
    from_file = game.Plan.from_json(plan.to_json())
    assert from_file == plan
    assert len(plan.to_json()) < 600  # a small file


@pytest.mark.parametrize(
    "code, message",
    [("hello", "not a plan code"), ("P1-100-XX10", "cannot read 'XX10'"), ("P1-100-SF80-CBB30", "add up to 110%")],
)
def test_mistyped_codes_say_what_is_wrong(code, message):
    with pytest.raises(InputError, match=re.escape(message)):
        game.Plan.from_code(code)


def test_invalid_plans_are_refused():
    with pytest.raises(InputError, match="budget"):
        game.Plan(-1.0, {})
    with pytest.raises(InputError, match=r"shares\.subsidies"):
        game.Plan(1000.0, {"subsidies": 10})
    with pytest.raises(InputError, match="whole percentage"):
        game.Plan(1000.0, {"matchmaking": 12.5})  # type: ignore[dict-item]
    with pytest.raises(InputError, match="not a plan file"):
        game.Plan.from_json("{}")


def test_the_plan_buys_measures_from_the_lever_definitions(base):
    # baseline.toml, real euros a month for the EU-27: 7 million vouchers + 3 million matchmaking
    assert game.today_budget(base) == 10_000_000.0
    assert game.today_shares(base) == {**dict.fromkeys(game.GAME_LEVERS, 0), "support_funding": 70, "matchmaking": 30}
    plan = game.Plan(10_000_000.0, {"support_funding": 50, "cross_border_brokering": 40, "failure_recovery": 1})
    scen = game.plan_scenario(plan, base)
    by_kind = {p.kind: p for p in scen.policies}
    assert set(by_kind) == {"support_funding", "cross_border_brokering", "failure_recovery"}
    grants = by_kind["support_funding"]
    assert (
        grants.budget_per_step == 5_000_000.0 and getattr(grants, "grant_size", None) == 5_000.0
    )  # the scenario's own grant size
    brokers = by_kind["cross_border_brokering"]
    cost = LEVERS["cross_border_brokering"].model_fields["cost_per_service"].default
    assert brokers.budget_per_step == 4_000_000.0
    # capacities are real firms a month in the targeted countries together
    assert getattr(brokers, "capacity", None) == int(4_000_000.0 / cost) == 5_714
    # 1% (100,000 euros a month) still helps dozens of real firms a month ...
    recovery_cost = LEVERS["failure_recovery"].model_fields["cost_per_service"].default
    assert getattr(by_kind["failure_recovery"], "capacity", None) == int(100_000.0 / recovery_cost) == 50
    # ... but 1,000 euros a month cannot pay for one real firm a month
    assert 1_000.0 / recovery_cost < 1
    assert game.plan_scenario(game.Plan(1_000.0, {"failure_recovery": 100}), base).policies == []
    # money aimed at one country serves that country's firms
    one = game.plan_scenario(game.Plan(10_000.0, {"failure_recovery": 100}, {"failure_recovery": ["Greece"]}), base)
    [fr] = one.policies
    assert fr.countries == ["Greece"] and getattr(fr, "capacity", None) == int(10_000.0 / recovery_cost) > 0
    with pytest.raises(InputError, match="Atlantis"):
        game.plan_scenario(game.Plan(1000.0, {"matchmaking": 10}, {"matchmaking": ["Atlantis"]}), base)


def test_the_scorecard_counts_the_real_economy():
    """Counts are real firms and partnerships (metrics.real_name), money real euros, cooperation a share."""
    cols = {key: col for key, (_, _, col) in game.MEASURES.items()}
    assert cols["partnerships"] == "new_partnerships_real" and cols["cross_border"] == "new_cross_border_real"
    assert cols["successes"] == "successes_real" and cols["exits"] == "exits_real"
    assert cols["cooperating"] == "cooperating_share" and cols["spent"] == "spend_total"


def test_the_game_plays_the_shipped_levers_in_registry_order():
    """Plan codes keep their order, and a plug-in lever (no words in the app) stays out of the game."""
    assert game.GAME_LEVERS == SHIPPED


def test_an_empty_plan_spends_nothing_and_matches_no_support(base):
    card = game.play(game.Plan(10_000_000.0, {}), seed=7, replicates=1, base=base)
    assert card.seeds == [replicate_seed(7, 0)]
    assert card.mine["spent"] == 0.0 and card.today["spent"] > 0
    assert card.change("spent") == -1.0


@pytest.mark.slow  # over ~2 s: kept out of make check's fast tier
def test_scorecard_uses_common_random_numbers(base):
    """The same plan as today's policy scores exactly today's numbers (same seeds for both)."""
    plan = game.Plan(10_000_000.0, {"support_funding": 70, "matchmaking": 30})
    card = game.play(plan, seed=3, replicates=2, base=base)
    assert card.seeds == [replicate_seed(3, 0), replicate_seed(3, 1)]
    again = game.play(plan, seed=3, replicates=2, base=base)
    assert again.mine == card.mine and again.today == card.today  # reproducible
    # with today's measures themselves the plan *is* today's policy: identical numbers
    same = game.Scorecard(plan, card.seeds, game._mean_measures(base, card.seeds), card.today)
    assert all(same.change(k) == 0.0 for k in game.MEASURES)


@pytest.mark.slow
def test_brokers_raise_cross_border_partnerships():
    """Policy direction under CRN: moving half of today's 10 million euros a month from vouchers to brokers
    (about 7,000 real firms a month) raises partnerships abroad (measured: +14% at 2,000 SMEs)."""
    base = game.game_base(n_smes=2000)  # real-sized brokering moves a 300-firm class economy too little to test
    grants = game.play(game.Plan(10_000_000.0, {"support_funding": 100}), seed=1, replicates=3, base=base)
    brokers = game.play(
        game.Plan(10_000_000.0, {"support_funding": 50, "cross_border_brokering": 50}),
        seed=1,
        replicates=3,
        base=base,
    )
    assert grants.today == brokers.today
    assert brokers.mine["cross_border"] > 1.05 * grants.mine["cross_border"]


def test_challenges_check_goals_and_budget(base):
    challenge = game.CHALLENGES["borders"]
    assert challenge.budget(base) == game.today_budget(base)
    mine = dict.fromkeys(game.MEASURES, 100.0)
    today = dict.fromkeys(game.MEASURES, 100.0)
    mine["cross_border"] = 131.0
    card = game.Scorecard(game.Plan(10_000_000.0, {"cross_border_brokering": 100}), [1], mine, today)
    won, results = challenge.check(card, base)
    assert won and all(ok for _, ok in results)
    mine["successes"] = 99.0  # fewer projects succeeded: the second goal fails
    won, results = challenge.check(game.Scorecard(card.plan, [1], mine, today), base)
    assert not won and [ok for _, ok in results] == [True, False, True]
    over = game.Scorecard(
        game.Plan(15_000_000.0, {"cross_border_brokering": 100}), [1], mine | {"successes": 100.0}, today
    )
    won, results = challenge.check(over, base)
    assert not won and results[-1] == ("monthly budget at most 10 million euros", False)


def test_a_class_compares_its_plans_on_the_same_seeds(base):
    text = "team A: P1-10000000-SF80-CBB0-M0-OT20-FR0\n\nP1-10000000-SF50-CBB50-M0-OT0-FR0\n"
    plans = game.read_codes(text)
    assert [p.name for p in plans] == ["team A", "plan 2"]
    cards = game.compare_plans(plans, seed=2, replicates=1, base=base)
    assert cards[0].today == cards[1].today and cards[0].seeds == cards[1].seeds == [replicate_seed(2, 0)]
    alone = game.play(plans[1], seed=2, replicates=1, base=base)
    assert alone.mine == cards[1].mine  # a plan's result depends only on its code and the seed
    with pytest.raises(InputError, match="line 2: cannot read 'XB30'"):
        game.read_codes("P1-1000-SF10\nP1-1000-XB30")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("borders", "P1-10000000-SF85-CBB15-M0-OT0-FR0"),
        ("try_again", "P1-15000000-SF80-CBB20-M0-OT0-FR0"),
        ("grow", "P1-15000000-SF60-CBB25-M15-OT0-FR0"),
    ],
)
def test_every_challenge_can_be_met_with_real_sized_levers(key, code):
    """A challenge a class cannot meet teaches nothing: each has a plan that meets it at the classroom size."""
    base = game.game_base()
    card = game.play(game.Plan.from_code(code), seed=0, replicates=game.GAME_REPLICATES, base=base)
    won, results = game.CHALLENGES[key].check(card, base)
    assert won, results
    # and today's policy itself does not meet it (the challenge asks for a change)
    today = game.Plan(game.today_budget(base), game.today_shares(base))
    assert not game.CHALLENGES[key].check(game.Scorecard(today, card.seeds, card.today, card.today), base)[0]
