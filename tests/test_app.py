"""The classroom app (inspire_sim.app): sliders from params.py, the model factory, and the
Solara components rendered in-process with ``solara.render`` (no browser)."""

from __future__ import annotations

import re

import ipyvuetify as v
import ipywidgets as widgets
import numpy as np
import pytest
import solara
import solara.widgets
from mesa.visualization.solara_viz import _build_model_init_kwargs, _check_model_params

from inspire_sim import app
from inspire_sim.errors import InputError
from inspire_sim.params import spec_by_name
from inspire_sim.scenario import load_scenario

# ------------------------------------------------------------------ sliders and factory


def test_sliders_are_generated_from_the_parameter_definitions():
    params = app.model_params("baseline")
    specs = spec_by_name()
    assert {k for k in params if k not in ("scenario_name", "n_smes", "seed")} == set(app.SLIDERS)
    for name in app.SLIDERS:
        slider, spec = params[name], specs[name]
        lo, hi = spec.sa_range
        assert slider.min <= lo and slider.max >= hi, name
        assert (slider.min, slider.max) == (min(lo, slider.value), max(hi, slider.value)), name
        assert slider.is_float_slider is (not spec.integer), name
        assert spec.field.replace("_", " ") in slider.label
    # the starting positions are the scenario's own values, not the parameters' defaults
    assert params["support_funding.budget_per_step"].value == 150_000.0  # baseline.toml
    assert specs["support_funding.budget_per_step"].default == 400_000.0
    assert params["cross_border_brokering.capacity"].value == 0  # baseline has no brokering: "off"
    assert app.model_params("cross_border_brokering")["cross_border_brokering.capacity"].value == 4


def test_unmoved_sliders_keep_the_scenario():
    base = load_scenario("baseline", n_smes=300)
    values = {name: app.scenario_value(base, name) for name in app.SLIDERS}
    scen = app.classroom_scenario("baseline", 300, values)
    assert [p.model_dump() for p in scen.policies] == [p.model_dump() for p in base.policies]
    assert scen.params == base.params


def test_moved_sliders_change_the_run():
    scen = app.classroom_scenario("baseline", 300, {"home_bias": 0.65, "matchmaking.capacity": 7})
    assert scen.params.home_bias == 0.65
    assert [p.capacity for p in scen.policies if p.kind == "matchmaking"] == [7]
    # a lever the scenario lacks: its secondary parameters alone do not switch it on ...
    scen = app.classroom_scenario("baseline", 300, {"cross_border_brokering.friction_reduction": 0.3})
    assert "cross_border_brokering" not in {p.kind for p in scen.policies}
    # ... its on/off parameter above zero does, with the other slider values
    scen = app.classroom_scenario(
        "baseline", 300, {"cross_border_brokering.capacity": 10, "cross_border_brokering.friction_reduction": 0.3}
    )
    [broker] = [p for p in scen.policies if p.kind == "cross_border_brokering"]
    assert (broker.capacity, broker.friction_reduction) == (10, 0.3)
    with pytest.raises(InputError, match="home_biass"):
        app.classroom_scenario("baseline", 300, {"home_biass": 0.5})


def test_solaraviz_rebuilds_the_model_from_flat_kwargs():
    model = app.ClassroomModel(n_smes=200, seed=3)
    params = app.model_params("baseline", 200, 3)
    _check_model_params(model, params)  # Mesa's own check: no error
    values = {k: (p.value if hasattr(p, "value") else p) for k, p in params.items()}
    values["cross_border_brokering.capacity"] = 12
    kwargs = _build_model_init_kwargs(model, values, add_scenario_when_empty=True, require_model_accepts_scenario=True)
    mesa_scenario = kwargs.pop("scenario")  # Mesa's own scenario object (rng only) comes back too
    assert type(mesa_scenario) is type(model.scenario)
    assert kwargs == values  # every slider value as a plain keyword
    again = type(model)(scenario=mesa_scenario, **kwargs)
    assert isinstance(again, app.ClassroomModel)
    assert [p.capacity for p in again.inspire_scenario.policies if p.kind == "cross_border_brokering"] == [12]
    assert again.inspire_scenario.name == "baseline" and again.n == 200 and again.seed == 3


def test_classroom_model_records_journeys_and_stops_at_the_horizon():
    model = app.ClassroomModel(n_smes=150, seed=1)
    horizon = model.p.steps
    while model.running:
        model.step()
    assert model.month_number == horizon
    book = model.journeys
    assert len(book.stage) == horizon
    assert book.n_events.sum() > 0
    assert book.n_events[model.followed] >= 2  # auto-follow moved on to an SME with a story
    slot = model.followed
    events = book.events[slot]
    assert all(1 <= month <= horizon for month, _ in events)
    assert any("started an OI project" in text or "joined" in text for _, text in events)
    assert len(book.trajectory(slot, "confidence")) == horizon - int(book.since[slot])
    other = model.follow_candidates()[1]
    model.follow(other)
    assert model.followed == other and not model.auto_follow
    with pytest.raises(InputError):
        model.follow(model.n)


def test_same_seed_same_app_run():
    a, b = app.ClassroomModel(n_smes=120, seed=5), app.ClassroomModel(n_smes=120, seed=5)
    for _ in range(24):
        a.step()
        b.step()
    assert a.recorder.latest == b.recorder.latest
    assert a.journeys.events == b.journeys.events


def test_figures_render_and_change():
    model = app.ClassroomModel(n_smes=500, seed=0)
    net, charts = app.NetworkView(model), app.ChartsView(model)
    first = (net.frame(), charts.frame())
    for _ in range(6):
        model.step()
    later = (net.frame(), charts.frame())
    for before, after in zip(first, later, strict=True):
        assert before[:3] == b"\xff\xd8\xff" and after[:3] == b"\xff\xd8\xff"  # JPEG
        assert before != after
    assert "Month 6" in net.caption
    pos, centre, radius = app.network_layout(model)
    # every SME sits in its country's disc
    country = model.actors.country[: model.n]
    dist = np.linalg.norm(pos[: model.n] - centre[country], axis=1)
    assert np.all(dist <= radius[country] + 1e-9)


# ------------------------------------------------------------------ components


def _render_page():
    return solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)


def _html_text(rc) -> str:
    return " ".join(h.widget.unsafe_innerHTML for h in rc.find(solara.widgets.HTML))


def _month(rc) -> int:
    return int(re.search(r"Month (\d+) of", _html_text(rc)).group(1))


def _button(rc, label):
    return rc.find(v.Btn, children=[label]).widget


def _image(rc, cls):
    return next(i.widget for i in rc.find(widgets.Image) if cls in i.widget._dom_classes)


def test_page_shows_the_model_and_steps():
    box, rc = _render_page()
    assert _month(rc) == 0
    text = _html_text(rc)
    assert "Scenario <b>baseline</b>" in text and "500 SMEs in 8 countries" in text
    controls = [b.widget.children[0] for b in rc.find(v.Btn)]
    assert {"Reset", "▶", "Step"} <= set(controls)  # Mesa SolaraViz's controller
    labels = [s.widget.label for s in rc.find(v.Slider)]
    for name in app.SLIDERS:
        assert app.slider_label(name) in labels
    chart0 = _image(rc, "inspire-charts-image").value
    net0 = _image(rc, "inspire-network-image").value
    for _ in range(5):
        _button(rc, "Step").click()
    assert _month(rc) == 5
    rc.find(v.Html, children=["Time: 5.0"]).assert_single()  # SolaraViz's own step counter
    assert _image(rc, "inspire-charts-image").value != chart0
    assert _image(rc, "inspire-network-image").value != net0
    assert "Journey" in _html_text(rc)
    rc.close()


def test_slider_applies_on_reset():
    box, rc = _render_page()
    for _ in range(3):
        _button(rc, "Step").click()
    assert _month(rc) == 3
    slider = rc.find(v.Slider, label=app.slider_label("cross_border_brokering.capacity")).widget
    slider.v_model = 10
    assert _month(rc) == 3  # a slider alone does not restart the run
    _button(rc, "Reset").click()
    assert _month(rc) == 0
    table = _html_text(rc)
    assert re.search(
        r"cross border brokering: capacity</td><td><b>10 SMEs/month/country</b> <i>\(scenario: 0\)</i>", table
    ), table
    _button(rc, "Step").click()
    assert _month(rc) == 1
    rc.close()


def test_scenario_select_starts_a_new_run():
    box, rc = _render_page()
    _button(rc, "Step").click()
    select = rc.find(v.Select, label="Scenario").widget
    select.v_model = "no_support"
    assert _month(rc) == 0
    assert "Scenario <b>no_support</b>" in _html_text(rc)
    budget = rc.find(v.Slider, label=app.slider_label("support_funding.budget_per_step")).widget
    assert budget.v_model == 0  # no support: the lever starts "off"
    rc.close()


def test_journey_panel_follows_the_chosen_sme():
    box, rc = _render_page()
    for _ in range(12):
        _button(rc, "Step").click()
    [select] = [s.widget for s in rc.find(v.Select) if s.widget.label.startswith("SME to follow")]
    choice = select.items[2]
    select.v_model = choice
    uid = re.search(r"SME #(\d+)", choice).group(1)
    assert f"<b>SME #{uid}</b>" in _html_text(rc)
    rc.close()


# ------------------------------------------------------------------ the command


def test_app_command_binds_loopback_and_checks_the_port(capsys):
    import inspect
    import socket

    from inspire_sim.cli import main
    from inspire_sim.commands import app_cmd

    assert inspect.signature(app_cmd.app_command).parameters["host"].default == "127.0.0.1"
    args = app_cmd.solara_args("127.0.0.1", 8765)
    assert args[:2] == ["run", "inspire_sim.app"]
    assert args[args.index("--host") + 1] == "127.0.0.1" and "--no-open" in args and "--no-check-version" in args
    assert main(["app", "--port", "70000"]) == 2
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert main(["app", "--port", str(taken.getsockname()[1])]) == 2
    err = capsys.readouterr().err
    assert "must be a TCP port" in err and "already in use" in err
    packages = app_cmd.frontend_packages()
    assert any(p.startswith("requirejs@") for p in packages)
    assert any("solara-vuetify" in p for p in packages)
