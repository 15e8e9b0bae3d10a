"""The "Policy game" page: split a budget across the five levers, run, read the scorecard,
share the plan as a code or a file, and try the challenges (logic in :mod:`.game`)."""

from __future__ import annotations

import math
from collections.abc import Callable

import solara

from ..core.scenario import Scenario
from ..errors import InputError
from . import game
from .labels import LEVER_KINDS, LEVER_PLAIN, LEVER_WHAT, big_number, euros
from .panels import e, gloss, html_block

FREE_PLAY = "Free play"
SHARE_STEP = 5


def _signed_pct(x: float) -> str:
    return "new" if math.isinf(x) else f"{100 * x:+.0f}%"


def _fmt(key: str, x: float) -> str:
    if key == "cooperating":
        return f"{100 * x:.0f}%"
    return big_number(round(x, -1) if x >= 1000 else round(x))


def bought_html(plan: game.Plan, base: Scenario) -> str:
    """What the plan's money buys, lever by lever."""
    scen = game.plan_scenario(plan, base)
    items = []
    for pol in scen.policies:
        where = "every country" if pol.countries == "all" else ", ".join(pol.countries)
        money = f"up to {euros(pol.budget_per_step)} a month" if pol.budget_per_step else ""
        if game.intensity_field(pol.kind) == "capacity":
            what = f"{big_number(getattr(pol, 'capacity', 0))} firms a month in each country ({where}), {money}"
        else:
            what = f"grants of up to {euros(getattr(pol, 'grant_size', 0))} per project ({where}), {money}"
        items.append(f"<li><b>{e(LEVER_PLAIN[pol.kind])}</b>: {e(what)}</li>")
    return "<ul>" + ("".join(items) or "<li>nothing: no money was given to any lever</li>") + "</ul>"


def scorecard_html(card: game.Scorecard) -> str:
    """The scorecard as an HTML table: each measure for the plan, today's policy and the change."""
    rows = "".join(
        f"<tr><td>{gloss(words)}</td><td class='num'>{_fmt(key, mine)}</td><td class='num'>{_fmt(key, today)}</td>"
        f"<td class='num {'up' if change > 0 else 'down' if change < 0 else ''}'>{_signed_pct(change)}</td></tr>"
        for key, (words, mine, today, change) in zip(game.MEASURES, card.rows(), strict=True)
    )
    extra = card.cost_per_extra("cross_border")
    note = (
        f"Each extra partnership abroad cost about <b>{euros(round(extra, -1))}</b> more than today."
        if extra is not None and extra > 0
        else "Your plan did not cost more than today's per extra partnership abroad."
        if extra is not None
        else "Your plan added no partnerships abroad."
    )
    return (
        "<table class='inspire-scorecard'><tr><th>Over the whole run</th><th>Your plan</th><th>Today's policy</th>"
        f"<th>Change</th></tr>{rows}</table><p>{note} Numbers are the average of {len(card.seeds)} runs. Your plan "
        "and today's policy use the same random numbers, so the difference comes from the plan, not from luck.</p>"
    )


@solara.component
def ScorecardBox(card: game.Scorecard | None, challenge: game.Challenge | None, base: Scenario):
    """The scorecard (and the challenge's verdict) of the last plan run."""
    html_block("<h3>Scorecard</h3>")
    if card is None:
        html_block("Run a plan to see what it buys and how it compares with today's policy.")
        return
    title = f" of {e(card.plan.name)}" if card.plan.name else ""
    html_block(f"<b>What the plan{title} bought</b> (every month):" + bought_html(card.plan, base))
    html_block(scorecard_html(card), classes=["inspire-scorecard-box"])
    if challenge:
        won, results = challenge.check(card, base)
        items = "".join(f"<li>{'✔' if ok else '✘'} {e(words)}</li>" for words, ok in results)
        verdict = "Challenge met!" if won else "Not yet: change your plan and try again."
        html_block(f"<b>{verdict}</b><ul>{items}</ul>", classes=["inspire-challenge-result", "won" if won else "lost"])


@solara.component
def ShareBox(plan: game.Plan | None, on_code: Callable[[str], str | None]):
    """The plan as a code and a file; a box to load a classmate's code."""
    code_in = solara.use_reactive("")
    error = solara.use_reactive("")

    def load() -> None:
        error.value = on_code(code_in.value) or ""

    html_block("<h3>Share your plan</h3>Copy this code to share the plan, or save it as a file:")
    if plan is None:
        html_block("(the plan adds up to more than 100%)")
    else:
        html_block(f"<code class='inspire-plan-code'>{e(plan.to_code())}</code>")
        solara.FileDownload(
            plan.to_json(), filename="my_policy_plan.json", label="Save plan as a file", mime_type="application/json"
        )
    solara.InputText("Paste a plan code (or a saved plan file's text)", value=code_in)
    solara.Button("Load code", on_click=load, outlined=True)
    if error.value:
        html_block(e(error.value), classes=["inspire-message"])


@solara.component
def ClassBoard(base: Scenario, challenge: game.Challenge | None):
    """Compare the class's plans: paste codes (one a line, ``team: code``), run them all, rank them."""
    text = solara.use_reactive("")
    error = solara.use_reactive("")
    cards: solara.Reactive[list[game.Scorecard]] = solara.use_reactive([])

    def compare() -> None:
        try:
            cards.value = game.compare_plans(game.read_codes(text.value), seed=0, base=base)
            error.value = ""
        except InputError as exc:
            error.value = str(exc)

    with solara.Details("Compare the class's plans"):
        solara.InputTextArea("Plan codes, one a line (e.g. team A: P1-100000000-SF80-CBB0-M0-OT20-FR0)", value=text)
        solara.Button("Compare these plans", on_click=compare, outlined=True)
        if error.value:
            html_block(e(error.value), classes=["inspire-message"])
        if cards.value:
            html_block(board_html(cards.value, challenge, base))


def board_html(cards: list[game.Scorecard], challenge: game.Challenge | None, base: Scenario) -> str:
    """The class's plans ranked by the change in partnerships abroad."""
    rows = ""
    for c in sorted(cards, key=lambda c: c.change("cross_border"), reverse=True):
        cells = "".join(
            f"<td class='num'>{_signed_pct(c.change(k))}</td>" for k in ("cross_border", "successes", "spent")
        )
        verdict = f"<td>{'✔' if challenge.check(c, base)[0] else '✘'}</td>" if challenge else ""
        rows += f"<tr><td>{e(c.plan.name)}</td><td><code>{e(c.plan.to_code())}</code></td>{cells}{verdict}</tr>"
    head = "<th>Plan</th><th>Code</th><th>Abroad</th><th>Successes</th><th>Money spent</th>"
    head += "<th>Challenge</th>" if challenge else ""
    return (
        f"<table class='inspire-scorecard inspire-board'><tr>{head}</tr>{rows}</table>"
        "Changes vs today's policy; every plan uses the same random numbers."
    )


@solara.component
def LeverSliders(budget: float, shares: solara.Reactive[dict[str, int]]):
    """One percentage slider per lever, with its money in words."""
    for kind in LEVER_KINDS:
        pct = shares.value[kind]
        html_block(
            f"<span class='inspire-term' title='{e(LEVER_WHAT[kind], quote=True)}'>{e(LEVER_PLAIN[kind])}</span>: "
            f"<b class='inspire-slider-value'>{pct}% = {euros(budget * pct / 100)} a month</b>",
            classes=["inspire-slider-label"],
        )

        def set_share(value: int, kind: str = kind) -> None:
            shares.value = {**shares.value, kind: int(value)}

        solara.SliderInt("", value=pct, min=0, max=100, step=SHARE_STEP, thumb_label=False, on_value=set_share)


@solara.component
def CountryPickers(countries: solara.Reactive[dict[str, list[str]]], names: list[str]):
    """Optional: limit a lever to some countries."""
    with solara.Details("Only in some countries (optional)"):
        for kind in LEVER_KINDS:

            def set_countries(value: list[str], kind: str = kind) -> None:
                countries.value = {**countries.value, kind: list(value)}

            solara.SelectMultiple(
                LEVER_PLAIN[kind], values=countries.value[kind], all_values=names, on_value=set_countries
            )


@solara.component
def GamePage():
    """The policy game: the plan on the left, its scorecard and sharing on the right."""
    base = solara.use_memo(game.game_base, [])
    today = game.today_budget(base)
    real_smes = sum(c.smes for c in base.countries)
    challenge_key = solara.use_reactive(FREE_PLAY)
    budget = solara.use_reactive(today)
    shares: solara.Reactive[dict[str, int]] = solara.use_reactive(game.today_shares(base))
    countries: solara.Reactive[dict[str, list[str]]] = solara.use_reactive({k: [] for k in LEVER_KINDS})
    name = solara.use_reactive("")
    error = solara.use_reactive("")
    card: solara.Reactive[game.Scorecard | None] = solara.use_reactive(None)

    challenge = game.CHALLENGES.get(challenge_key.value)
    money = challenge.budget(base) if challenge else float(budget.value)
    total = sum(shares.value.values())
    plan = (
        game.Plan(money, dict(shares.value), {k: v for k, v in countries.value.items() if v}, name=name.value)
        if total <= 100
        else None
    )

    def run_plan() -> None:
        if plan is not None:
            try:
                card.value = game.play(plan, seed=0, base=base)
                error.value = ""
            except InputError as exc:
                error.value = str(exc)

    def load_code(code: str) -> str | None:
        try:  # a code, or the text of a saved plan file
            p = (
                game.Plan.from_json(code)
                if code.strip().startswith("{")
                else game.Plan.from_code(code, name=name.value)
            )
        except InputError as exc:
            return str(exc)
        if challenge is None:
            budget.value = p.budget
        shares.value = {k: p.shares.get(k, 0) for k in LEVER_KINDS}
        countries.value = {k: p.countries.get(k, []) for k in LEVER_KINDS}
        return None

    with solara.Div(classes=["inspire-game"]):
        with solara.Div(classes=["inspire-game-plan"]):
            html_block(
                "<h3>Your policy plan</h3>"
                + gloss(
                    "You run the innovation policy of eight EU countries. Split a monthly budget across five "
                    "policy levers, then run the economy for ten years and compare with today's policy "
                    f"(grants and matchmaking, {euros(today)} a month for all eight countries). Every number is "
                    f"for the real economy of {big_number(real_smes)} small and medium-sized firms."
                )
            )
            solara.Select("Challenge", values=[FREE_PLAY, *game.CHALLENGES], value=challenge_key)
            if challenge:
                html_block(
                    f"<b>{e(challenge.title)}</b>: {gloss(challenge.story)} Budget: <b>{euros(money)} a month</b>.",
                    classes=["inspire-challenge"],
                )
            else:
                html_block(f"Budget: <b>{euros(money)} a month</b>", classes=["inspire-slider-label"])
                solara.SliderFloat("", value=budget, min=0.0, max=3 * today, step=today / 20, thumb_label=False)
            LeverSliders(money, shares)
            CountryPickers(countries, [c.name for c in base.countries])
            html_block(
                f"Planned: <b>{total}%</b> of the budget"
                + (" &mdash; more than 100%: lower some levers." if plan is None else ""),
                classes=["inspire-total"] + (["inspire-over"] if plan is None else []),
            )
            solara.InputText("Your name or team (optional)", value=name)
            solara.Button(
                "Run my plan", color="primary", on_click=run_plan, disabled=plan is None, classes=["inspire-run"]
            )
            if error.value:
                html_block(e(error.value), classes=["inspire-message"])
        with solara.Div(classes=["inspire-game-result"]):
            ScorecardBox(card.value, challenge, base)
            ShareBox(plan, load_code)
            ClassBoard(base, challenge)
