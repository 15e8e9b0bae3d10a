"""Parameters are defined once; scenarios validate with one-line errors naming file, field and fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import inspire_sim as I
from inspire_sim.core.params import ModelParams
from inspire_sim.core.scenario import SCENARIO_DIR, list_scenarios
from inspire_sim.errors import InputError
from inspire_sim.levers import LEVERS, parameter_specs, parameter_table, salib_problem, spec_by_name


def test_every_parameter_has_unit_role_source_and_doc():
    specs = parameter_specs()
    assert len(specs) > 60
    for s in specs:
        assert s.unit and s.doc, s.name
        assert s.role in {"lever", "uncertainty", "structural"}, s.name
        assert s.source, s.name
        if s.role == "uncertainty":
            assert s.sa_range is not None, f"{s.name} needs an sa_range"
        if s.sa_range is not None and s.lo is not None and s.hi is not None:
            assert (
                s.lo <= s.sa_range[0] <= s.default <= s.sa_range[1] <= s.hi
                or s.lo <= s.sa_range[0] <= s.sa_range[1] <= s.hi
            ), s.name


def test_defaults_come_from_the_single_definition():
    table = parameter_table()
    row = table.set_index("name").loc["model.home_bias"]
    assert row["default"] == ModelParams().home_bias
    assert spec_by_name()["home_bias"].default == ModelParams.model_fields["home_bias"].default
    assert {"lever", "uncertainty", "structural"} == set(table["role"])
    assert all(f"{k}.budget_per_step" in set(table["name"]) for k in LEVERS)


def test_salib_problem_uses_sa_ranges():
    prob = salib_problem(["home_bias", "support_funding.grant_size"])
    assert prob["names"] == ["model.home_bias", "support_funding.grant_size"]
    sa = spec_by_name()["home_bias"].sa_range
    assert sa is not None and prob["bounds"][0] == list(sa)
    assert salib_problem()["num_vars"] == sum(1 for s in parameter_specs() if s.role == "uncertainty")


def test_every_shipped_scenario_loads():
    names = {p.stem for p in list_scenarios()}
    assert {
        "baseline",
        "no_support",
        "national_funding",
        "cross_border_brokering",
        "toolbox_and_recovery",
        "eu_deployment_plan",
    } <= names
    for p in list_scenarios():
        s = I.load_scenario(p)
        assert s.file_hash and len(s.countries) >= 6


def test_baseline_has_unequal_countries():
    s = I.load_scenario("baseline")
    assert len({c.smes for c in s.countries}) > 3 and len({c.strength for c in s.countries}) > 3


def test_extends_merges_model_and_inherits_policies():
    s = I.load_scenario("cross_border_brokering")
    base = I.load_scenario("baseline")
    assert [p.kind for p in s.policies][: len(base.policies)] == [p.kind for p in base.policies]
    assert s.policies[-1].kind == "cross_border_brokering"
    assert I.load_scenario("no_support").policies == []


def test_overrides_by_dotted_name():
    s = I.load_scenario(
        "baseline", n_smes=300, **{"support_funding.grant_size": 5000.0, "countries.Denmark.strength": 0.5}
    )
    assert s.params.n_smes == 300
    assert s.policies[0].model_dump()["grant_size"] == 5000.0
    assert next(c for c in s.countries if c.name == "Denmark").strength == 0.5
    added = I.load_scenario("no_support").with_overrides({"oi_toolbox.capacity": 7})
    assert added.policies[0].kind == "oi_toolbox" and added.policies[0].model_dump()["capacity"] == 7


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


BAD = [
    ("name = 'x'\nextends = 'BASE'\n[model]\nn_smez = 10\n", "model.n_smez", "did you mean 'n_smes'"),
    ("name = 'x'\nextends = 'BASE'\n[model]\nn_smes = 'many'\n", "model.n_smes", "params"),
    ("name = 'x'\nextends = 'BASE'\n[model]\nhome_bias = 1.5\n", "model.home_bias", "bounds"),
    ("name = 'x'\nextends = 'BASE'\n[model]\nsteps = 0\n", "model.steps", "bounds"),
    ("name = 'x'\nextends = 'BASE'\nwidgets = 1\n", "widgets", "use one of"),
    (
        "name = 'x'\nextends = 'BASE'\n[[policies]]\nkind = 'support_fundin'\n",
        "policies[0].kind",
        "did you mean 'support_funding'",
    ),
    (
        "name = 'x'\nextends = 'BASE'\n[[policies]]\nkind = 'matchmaking'\ncountries = ['Atlantis']\n",
        "policies[0].countries",
        "unknown country 'Atlantis'",
    ),
    (
        "name = 'x'\nextends = 'BASE'\n[[policies]]\nkind = 'matchmaking'\nstart = 10\nend = 5\n",
        "policies[0]",
        "end > start",
    ),
    (
        "name = 'x'\nextends = 'BASE'\n[[policies]]\nkind = 'matchmaking'\ncapacty = 5\n",
        "policies[0]",
        "did you mean 'capacity'",
    ),
    (
        "name = 'x'\nextends = 'BASE'\n[[policies]]\nkind = 'matchmaking'\nsectors = ['itc']\n",
        "sectors",
        "did you mean 'ict'",
    ),
    (
        "name = 'x'\nextends = 'BASE'\n[[policies]]\nkind = 'matchmaking'\nsectors = ['mining']\n",
        "sectors",
        "use one of: finance, ict, kibs_technical",
    ),
    (
        "name = 'x'\nextends = 'BASE'\n[[policies]]\nkind = 'matchmaking'\nregions = ['ITC5']\n",
        "regions",
        "closest: ITH5, ITF5, ITC4",
    ),
    ("name = 'x'\nextends = 'BASE'\n[model]\nshare_psr = 0.9\n", "model", "add up to 1"),
    ("name = 'x'\n[model]\nn_smes = 10\n", "countries", "extends"),
    ("name = 'x\n", None, "TOML syntax"),
]


@pytest.mark.parametrize("text, field, fix", BAD)
def test_bad_scenarios_raise_one_line_errors(tmp_path, text, field, fix):
    base = Path(SCENARIO_DIR / "baseline.toml")
    p = write(tmp_path, text.replace("BASE", str(base)))
    with pytest.raises(InputError) as e:
        I.load_scenario(p)
    msg = str(e.value)
    assert "\n" not in msg
    assert str(p) in msg
    if field:
        assert field in msg
    assert fix in msg


def test_missing_file_suggests_a_shipped_scenario():
    with pytest.raises(InputError, match="did you mean 'baseline'"):
        I.load_scenario("baselin")


def test_bad_override_names_the_field():
    with pytest.raises(InputError, match=r"grant_sise.*did you mean 'grant_size'"):
        I.load_scenario("baseline", **{"support_funding.grant_sise": 1})


def test_an_invalid_override_value_is_reported_as_the_override_not_the_file():
    scen = I.load_scenario("baseline")
    with pytest.raises(InputError) as err:
        scen.with_overrides({"n_smes": -5, "failure_recovery.capacity": 10})
    line = str(err.value)
    assert line.startswith(f"{scen.path} with n_smes=-5, failure_recovery.capacity=10: field 'model.n_smes'"), line
    assert "greater than or equal to 10" in line and "\n" not in line
    with pytest.raises(InputError, match=r" and 1 more: "):
        scen.with_overrides({"n_smes": 5, "steps": 12, "burn_in": 12, "search_rate": 0.03})
    with pytest.raises(InputError, match=r"with support_funding.target_stages=\['x', 'x', [^:]*\.\.\.: field"):
        scen.with_overrides({"support_funding.target_stages": ["x"] * 30})
