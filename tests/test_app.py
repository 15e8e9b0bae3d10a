"""The classroom app (inspire_sim.app): words and sliders from params.py, the classroom
model, the play loop, the figures, the Solara components rendered in-process with
``solara.render`` (no browser), and the ``app`` command."""

from __future__ import annotations

import ast
import html
import re
import socket
import time
from pathlib import Path

import ipyvuetify as v
import ipywidgets as widgets
import numpy as np
import pytest
import solara
import solara.widgets

from inspire_sim.app import adapter, labels, server
from inspire_sim.app.charts import ChartsView
from inspire_sim.app.classroom import ClassroomModel, classroom_scenario
from inspire_sim.app.controls import play_loop
from inspire_sim.app.layout import Page
from inspire_sim.app.network import NetworkView, network_layout
from inspire_sim.core.scenario import list_scenarios, load_scenario
from inspire_sim.errors import InputError
from inspire_sim.levers import spec_by_name

APP_DIR = Path(__file__).resolve().parent.parent / "inspire_sim" / "app"

# ------------------------------------------------------------------ words and sliders


@pytest.mark.parametrize("scenario", [p.stem for p in list_scenarios()])
def test_sliders_start_exactly_at_the_scenario_values(scenario):
    scen = load_scenario(scenario)
    specs = spec_by_name()
    for name in labels.SLIDERS:
        value = labels.scenario_value(scen, name)
        sl = labels.slider_spec(name, value)
        sa = specs[name].sa_range
        assert sa is not None
        lo, hi = sa
        assert sl.lo <= min(lo, value) and sl.hi >= max(hi, value), name
        assert sl.value == value
        k = (sl.value - sl.lo) / sl.step  # a slider snaps to lo + k * step
        assert abs(k - round(k)) < 1e-6, f"{scenario}: {name}={value} is not on the slider's grid (step {sl.step})"
        assert (sl.hi - sl.lo) / sl.step <= 250, name  # still a usable slider


def test_the_grant_budget_slider_shows_what_the_run_uses():
    # issue 13: the slider showed 160,000 while the run used 150,000 (a 20,000 step from 0);
    # budgets are real euros a month for the whole represented economy (baseline: 7 million of vouchers)
    base = load_scenario("baseline")
    value = labels.scenario_value(base, "support_funding.budget_per_step")
    assert value == 7_000_000.0
    sl = labels.slider_spec("support_funding.budget_per_step", value)
    assert sl.value == 7_000_000.0 and (7_000_000.0 - sl.lo) % sl.step == 0
    assert labels.value_in_words("support_funding.budget_per_step", value) == "7 million euros a month"
    assert (
        labels.value_in_words("support_funding.budget_per_step", value, countries=len(base.countries))
        == "7 million euros a month across the 27 countries"
    )
    assert labels.value_in_words("support_funding.budget_per_step", value, student=False) == "7,000,000 real EUR/month"
    assert labels.value_in_words("support_funding.budget_per_step", 2.5e9) == "2.5 billion euros a month"
    assert labels.value_in_words("support_funding.co_funding_rate", 0.5) == "50%"
    # capacities are real firms a month in the measure's countries together (issue 19)
    assert labels.value_in_words("matchmaking.capacity", 1) == "1 firm a month in all its countries together"
    assert labels.value_in_words("matchmaking.capacity", 12_500) == "12,500 firms a month in all its countries together"
    assert labels.value_in_words("matchmaking.capacity", 0) == "0 (off)"
    assert labels.value_in_words("matchmaking.cost_per_service", 1_000) == "1,000 euros per firm"


def test_student_labels_are_plain_and_researcher_labels_technical():
    for name in labels.SLIDERS:
        plain = labels.label(name, student=True)
        assert "_" not in plain and "[" not in plain and "logit" not in plain, plain
        assert labels.label(name, student=False) == labels.technical_label(name, unit=True)
    assert labels.label("b_partnership_model", student=False) == "b partnership model [logit/unit]"
    with pytest.raises(InputError, match="home_biass"):
        labels.spec("home_biass")


def test_unmoved_sliders_keep_the_scenario():
    base = load_scenario("baseline", n_smes=300)
    values = {name: labels.scenario_value(base, name) for name in labels.SLIDERS}
    scen = classroom_scenario("baseline", 300, values)
    assert [p.model_dump() for p in scen.policies] == [p.model_dump() for p in base.policies]
    assert scen.params == base.params


def test_moved_sliders_change_the_run():
    scen = classroom_scenario("baseline", 300, {"home_bias": 0.65, "matchmaking.capacity": 7_000})
    assert scen.params.home_bias == 0.65
    assert [getattr(p, "capacity", None) for p in scen.policies if p.kind == "matchmaking"] == [7_000]
    # a lever the scenario lacks: its secondary parameters alone do not switch it on ...
    scen = classroom_scenario("baseline", 300, {"cross_border_brokering.friction_reduction": 0.3})
    assert "cross_border_brokering" not in {p.kind for p in scen.policies}
    # ... its on/off parameter above zero does, with the other slider values
    scen = classroom_scenario(
        "baseline", 300, {"cross_border_brokering.capacity": 10_000, "cross_border_brokering.friction_reduction": 0.3}
    )
    [broker] = [p for p in scen.policies if p.kind == "cross_border_brokering"]
    assert (getattr(broker, "capacity", None), getattr(broker, "friction_reduction", None)) == (10_000, 0.3)
    with pytest.raises(InputError, match="home_biass"):
        classroom_scenario("baseline", 300, {"home_biass": 0.5})


# ------------------------------------------------------------------ the classroom model


def test_classroom_model_records_journeys_and_stops_at_the_horizon():
    model = ClassroomModel(n_smes=150, seed=1)
    horizon = model.p.steps
    while model.running:
        model.step()
    assert model.month_number == horizon
    book = model.journeys
    assert len(book.stage) == horizon
    slot = model.followed
    # auto-follow settled on an SME with a story: a failure and more than one event
    assert book.failed[slot] and book.n_events[slot] >= 2
    events = book.events[slot]
    assert any("failed" in text for _, text in events)
    assert all(1 <= month <= horizon for month, _ in events)
    assert len(book.trajectory(slot, "confidence")) == horizon - int(book.since[slot])
    with pytest.raises(InputError):
        model.follow(150)


def test_follow_stays_on_the_chosen_sme():
    model = ClassroomModel(n_smes=200, seed=2)
    for _ in range(3):
        model.step()
    quiet = int(np.argmin(model.journeys.n_events))  # an SME auto-follow would leave
    model.follow(quiet)
    for _ in range(30):
        model.step()
        assert model.followed == quiet
    assert not model.auto_follow


def test_milestones_are_the_first_months_they_happen():
    model = ClassroomModel(n_smes=200, seed=3)
    failures = []
    while model.running and "first_failure" not in model.milestones:
        model.step()
        failures.append(adapter.latest(model)["failures"])
    assert model.milestones["first_failure"] == model.month_number
    assert failures[-1] > 0 and sum(failures[:-1]) == 0
    assert model.new_milestones.count("first_failure") == 1
    model.step()
    assert "first_failure" not in model.new_milestones  # reported once


class FakeClock:
    """Stands in for the ``time`` module of the play loop: a month's step takes ``step_s`` of
    simulated time and ``sleep`` advances the clock, so the loop's pacing is checked without
    reading (or racing) the machine's clock."""

    def __init__(self, step_s: float) -> None:
        self.now, self.step_s = 0.0, step_s
        self.slept: list[float] = []

    def perf_counter(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def month(self) -> None:
        self.now += self.step_s


def test_play_loop_pauses_at_milestones_and_keeps_its_speed(monkeypatch):
    model = ClassroomModel(n_smes=100, seed=4)
    months: list[int] = []
    reasons: list[str] = []
    play_loop(
        model, lambda: True, lambda: 1000.0, lambda: True, lambda: months.append(model.month_number), reasons.append
    )
    assert reasons and reasons[0].startswith(f"Paused in month {model.month_number}:")
    assert months[-1] == model.month_number == min(model.milestones.values())
    # without pauses it plays to the end; at 25 months/s, 10 months take at least 0.36 s: each month
    # (here 0.01 s of simulated work) is followed by a sleep for the rest of its 0.04 s slot
    model = ClassroomModel(n_smes=100, seed=4)
    state = {"n": 0}
    clock = FakeClock(step_s=0.01)
    monkeypatch.setattr("inspire_sim.app.controls.time", clock)

    def ten() -> bool:
        return state["n"] < 10

    def on_month() -> None:
        clock.month()
        state.update(n=state["n"] + 1)

    play_loop(model, ten, lambda: 25.0, lambda: False, on_month, reasons.append)
    assert model.month_number == 10 and clock.now >= 9 / 25
    assert clock.slept == pytest.approx([0.03] * 10)


def test_same_seed_same_app_run():
    a, b = ClassroomModel(n_smes=120, seed=5), ClassroomModel(n_smes=120, seed=5)
    for _ in range(24):
        a.step()
        b.step()
    assert adapter.latest(a) == adapter.latest(b)
    assert a.journeys.events == b.journeys.events


def test_model_internals_are_read_only_in_the_adapter():
    """Every read of the model's arrays (sme, actors, projects) lives in adapter.py."""
    offenders = []
    for path in APP_DIR.glob("*.py"):
        if path.name == "adapter.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in {"sme", "actors", "projects", "sme_agents"}:
                offenders.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert offenders == []


@pytest.mark.parametrize("by", ["country", "region group", "sector"])
def test_the_network_colours_firms_by_country_region_group_or_sector(by):
    """Issue 21: each SME's colour is its class's (country, its region's scoreboard group, or its sector)."""
    from matplotlib.colors import to_rgba

    from inspire_sim.app.network import colour_classes
    from inspire_sim.app.panels import network_legend

    model = ClassroomModel(n_smes=500, seed=0)
    classes, names, colours = colour_classes(model, by)
    n = adapter.n_smes(model)
    assert classes.shape == (n,) and len(names) == len(colours) and classes.max() < len(names)
    if by == "region group":
        assert names == ["leader", "strong", "moderate", "emerging"]
        region = model.sme.region[:n]
        assert (classes == np.asarray(model.world.geo.region_group)[region]).all()
    if by == "sector":
        assert "mfg_high_tech" in names and (classes == model.sme.sector[:n]).all()
    assert len(set(classes.tolist())) >= (4 if by != "country" else 20)
    view = NetworkView(model, colour_by=by)
    model.step()
    view.frame()
    for sc in view.smes.values():  # every drawn firm has its class's colour
        shown = np.asarray(sc.get_offsets())
        if len(shown) == 0:
            continue
        rgba = np.asarray(sc.get_facecolor(), dtype=float)
        allowed = {tuple(np.round(to_rgba(c), 6)) for c in colours}
        assert {tuple(np.round(c, 6)) for c in rgba} <= allowed
    legend = network_legend(model, by)
    assert all(name.replace("_", " ") in legend for name in names)
    with pytest.raises(ValueError, match="colour_by"):
        colour_classes(model, "language")


def test_figures_render_and_change():
    model = ClassroomModel(n_smes=500, seed=0)
    net, charts = NetworkView(model), ChartsView(model)
    first = (net.frame(), charts.frame())
    for _ in range(6):
        model.step()
    later = (net.frame(), charts.frame())
    for before, after in zip(first, later, strict=True):
        assert before[:3] == b"\xff\xd8\xff" and after[:3] == b"\xff\xd8\xff"  # JPEG
        assert before != after
    assert "Month 6" in net.caption
    pos, centre, radius = network_layout(model)
    country = adapter.actor_country(model)[: adapter.n_smes(model)]
    dist = np.linalg.norm(pos[: adapter.n_smes(model)] - centre[country], axis=1)
    assert np.all(dist <= radius[country] + 1e-9)  # every SME sits in its country's disc


# ------------------------------------------------------------------ components


def _render_page():
    return solara.render(Page(), handle_error=False)


def _html_text(rc) -> str:
    return " ".join(h.widget.unsafe_innerHTML for h in rc.find(solara.widgets.HTML))


def _month(rc) -> int:
    found = re.search(r"Month (\d+) of", _html_text(rc))
    assert found, "no month on the page"
    return int(found.group(1))


def _button(rc, label):
    return rc.find(v.Btn, children=[label]).widget


def _image(rc, cls):
    return next(i.widget for i in rc.find(widgets.Image) if cls in i.widget._dom_classes)


def _watch_sliders(rc) -> list:
    return rc.find(v.Html, class_="inspire-sliders").find(v.Slider).widgets


def _all_text(rc) -> str:
    parts = [_html_text(rc)]
    parts += [str(w.widget.label) for w in rc.find(v.Slider)]
    parts += [str(w.widget.label) for w in rc.find(v.Checkbox)]
    parts += [str(w.widget.label) for w in rc.find(v.Select)]
    parts += [" ".join(map(str, b.widget.children)) for b in rc.find(v.Btn)]
    parts += [" ".join(map(str, b.widget.children)) for b in rc.find(v.ExpansionPanelHeader)]
    return " ".join(parts)


def _plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def test_student_mode_is_the_default_and_speaks_plainly():
    _, rc = _render_page()
    assert _month(rc) == 0
    text = _all_text(rc)
    assert "Scenario <b>baseline</b>" in text and "500 SMEs in 27 countries" in text
    for hidden in ("Render Interval", "Use Threads", "b partnership model", "[logit/unit]", "friction scale"):
        assert hidden not in text
    for name in labels.LEVER_SLIDERS:
        assert labels.PLAIN[name] in _plain(text)
    assert "7 million euros a month across the 27 countries" in text  # slider values and units in words
    assert "What am I looking at?" in text
    assert "class='inspire-term' title='A small or medium-sized firm" in text  # glossary on hover
    assert "2 months per second" in text
    rc.close()


def test_researcher_mode_shows_parameter_names_and_uncertain_parameters():
    _, rc = _render_page()
    rc.find(v.Switch, label="Researcher mode").widget.v_model = True
    text = _plain(_all_text(rc))
    assert "b partnership model [logit/unit]" in text
    assert "7,000,000 real EUR/month" in text
    assert "Parameters of this run" in text
    rc.close()


def test_step_redraws_and_reset_applies_the_sliders():
    _, rc = _render_page()
    chart0 = _image(rc, "inspire-charts-image").value
    net0 = _image(rc, "inspire-network-image").value
    for _ in range(5):
        _button(rc, "Step").click()
    assert _month(rc) == 5
    assert _image(rc, "inspire-charts-image").value != chart0
    assert _image(rc, "inspire-network-image").value != net0
    sliders = _watch_sliders(rc)
    order = list(labels.LEVER_SLIDERS)
    broker = sliders[order.index("cross_border_brokering.capacity")]
    broker.v_model = 10_000
    assert _month(rc) == 5  # a slider alone does not restart the run
    assert "10,000 firms a month in all its countries together" in _html_text(rc)
    _button(rc, "Reset").click()
    assert _month(rc) == 0
    rc.find(v.Switch, label="Researcher mode").widget.v_model = True
    assert re.search(
        r"cross border brokering: capacity</td><td><b>10,000 real SMEs/month \(targeted countries together\)</b> "
        r"<i>\(scenario: 0 real SMEs/month \(targeted countries together\)",
        _html_text(rc),
    ), _html_text(rc)
    rc.close()


def test_scenario_select_starts_a_new_run_with_its_values():
    _, rc = _render_page()
    _button(rc, "Step").click()
    rc.find(v.Select, label="Scenario").widget.v_model = "no_support"
    assert _month(rc) == 0
    assert "Scenario <b>no_support</b>" in _html_text(rc)
    assert _watch_sliders(rc)[0].v_model == 0  # no support: the grant budget starts "off"
    rc.close()


def test_journey_panel_stays_on_the_chosen_sme():
    _, rc = _render_page()
    for _ in range(12):
        _button(rc, "Step").click()
    [select] = [s.widget for s in rc.find(v.Select) if s.widget.label.startswith("Firm to follow")]
    choice = select.items[2]
    select.v_model = choice
    found = re.search(r"SME #(\d+)", choice)
    assert found
    uid = found.group(1)
    for _ in range(5):
        _button(rc, "Step").click()
    assert f"<b>SME #{uid}</b>" in _html_text(rc)
    rc.close()


# ------------------------------------------------------------------ serving


def test_app_command_binds_loopback_and_checks_the_port(capsys):
    import inspect

    from inspire_sim.cli import main
    from inspire_sim.cli.commands import app_cmd

    assert inspect.signature(app_cmd.app_command).parameters["host"].default == "127.0.0.1"
    args = server.solara_args("127.0.0.1", 8765)
    assert args[:2] == ["run", "inspire_sim.app"]
    assert args[args.index("--host") + 1] == "127.0.0.1" and "--no-open" in args and "--no-check-version" in args
    assert main(["app", "--port", "70000"]) == 2
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert main(["app", "--port", str(taken.getsockname()[1])]) == 2
    err = capsys.readouterr().err
    assert "must be a TCP port" in err and "already in use" in err


def test_port_check_accepts_a_port_left_in_time_wait():
    """A restarted app may reuse its port at once (issue 13: it failed for ~60 s)."""
    with socket.socket() as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        port = srv.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        conn, _ = srv.accept()
        conn.close()  # the server side closes first: its port goes to TIME_WAIT
        time.sleep(0.05)
        client.close()
    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))  # what the old check did: refused
    server.check_port("127.0.0.1", port)  # SO_REUSEADDR, as the server itself: accepted


def test_frontend_packages_follow_solara_and_missing_ones_are_named(tmp_path, monkeypatch):
    packages = server.frontend_packages()
    assert any(p.startswith("requirejs@") for p in packages)
    assert sum("solara-vuetify" in p for p in packages) == 1  # only the Vue version in use
    monkeypatch.setattr(server, "asset_cache", lambda: tmp_path)
    assert server.missing_frontend() == packages
    banner = server.offline_banner()
    assert banner is not None and "inspire-sim app --prepare-offline" in banner and "inspire-sim[app]" in banner
    for p in packages:
        (tmp_path / p).mkdir(parents=True)
        (tmp_path / p / "package.json").write_text("{}")
    assert server.missing_frontend() == [] and server.offline_banner() is None


def test_the_page_says_what_to_run_when_browser_files_are_missing(monkeypatch):
    monkeypatch.setattr(server, "missing_frontend", lambda cache=None: ["requirejs@2.3.6"])
    _, rc = _render_page()
    text = _html_text(rc)
    assert "missing browser files (requirejs@2.3.6)" in text and "inspire-sim app --prepare-offline" in text
    rc.close()
    monkeypatch.setattr(server, "missing_frontend", lambda cache=None: [])
    _, rc = _render_page()
    assert "missing browser files" not in _html_text(rc)
    rc.close()


def test_a_run_survives_a_visit_to_the_other_tabs():
    _, rc = _render_page()
    for _ in range(4):
        _button(rc, "Step").click()
    tabs = rc.find(v.Tabs).widget
    tabs.v_model = 2  # glossary
    tabs.v_model = 1  # policy game
    tabs.v_model = 0
    assert _month(rc) == 4
    rc.close()
