"""Specs and designs: validation messages (file, field, fix), defaults from the single
parameter definition, design sizes and mappings, seeds."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from inspire_sim.errors import InputError
from inspire_sim.experiments import build_design, load_spec, run_seed, run_table
from inspire_sim.levers import spec_by_name

BASE = """name = "t"
scenario = "baseline"
seed = 1
steps = 24
[design]
kind = "lhs"
samples = 8
[[factors]]
name = "support_funding.co_funding_rate"
[[factors]]
name = "cross_border_brokering.capacity"
[[outputs]]
indicator = "cooperating_share"
statistic = "mean"
window = [13, 24]
"""


def write(tmp_path, text, name="spec.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_defaults_come_from_params(tmp_path):
    spec = load_spec(write(tmp_path, BASE))
    table = spec_by_name()
    f0, f1 = spec.factors
    assert f0.range == table["support_funding.co_funding_rate"].sa_range and f0.integer is False
    sa = table["cross_border_brokering.capacity"].sa_range
    assert sa is not None and f1.range == tuple(float(v) for v in sa) and f1.integer
    d = build_design(spec)
    assert d.n_runs == 8
    caps = d.points["cross_border_brokering.capacity"]
    assert caps.dtype == np.int64 and caps.between(*sa).all() and caps.max() > 80  # real SMEs/month
    rate = table["support_funding.co_funding_rate"].sa_range
    assert rate is not None and d.points["support_funding.co_funding_rate"].between(*rate).all()
    assert spec.output_names == ["cooperating_share_mean"]


@pytest.mark.parametrize(
    "old, new, field, fix",
    [
        ("seed = 1", "seed = 1\nreplicatons = 3", "field 'replicatons'", "did you mean 'replications'"),
        (
            'name = "support_funding.co_funding_rate"',
            'name = "support_funding.co_funding_rat"',
            "factors[0=support_funding.co_funding_rat].name",
            "did you mean 'support_funding.co_funding_rate'",
        ),
        (
            'name = "support_funding.co_funding_rate"',
            'name = "support_funding.co_funding_rate"\nrange = [0.0, 2.0]',
            "factors[0=support_funding.co_funding_rate].range",
            "narrow the range",
        ),
        (
            'name = "support_funding.co_funding_rate"',
            'name = "support_funding.co_funding_rate"\nrnage = [0.1, 0.2]',
            "factors[0=support_funding.co_funding_rate]",
            "did you mean 'range'",
        ),
        (
            'name = "support_funding.co_funding_rate"',
            'name = "support_funding.co_funding_rate"\ndistribution = "gaussian"',
            "factors[0=support_funding.co_funding_rate].distribution",
            "fix:",
        ),
        (
            'name = "support_funding.co_funding_rate"',
            'name = "support_funding.co_funding_rate"\nrange = [0.5, 0.3]',
            "factors[0=support_funding.co_funding_rate]",
            "swap",
        ),
        (
            'name = "support_funding.co_funding_rate"',
            'name = "support_funding.co_funding_rate"\nlevels = [0.3]\nrange = [0.2, 0.4]',
            "factors[0=support_funding.co_funding_rate]",
            "remove one",
        ),
        ('kind = "lhs"\nsamples = 8', 'kind = "sobol"\nsamples = 1000', "design.samples", "use 1024"),
        ('kind = "lhs"\nsamples = 8', 'kind = "lhs"', "design.samples", "add samples = 100"),
        ('kind = "lhs"\nsamples = 8', 'kind = "grid"', "factors[0=support_funding.co_funding_rate]", "levels"),
        ('kind = "lhs"', 'kind = "latin"', "design.kind", "fix:"),
        ("window = [13, 24]", "window = [13, 30]", "outputs[0].window", "1 <= first <= last <= 24"),
        (
            'indicator = "cooperating_share"',
            'indicator = "cooperation_share"',
            "outputs[0].indicator",
            "did you mean 'cooperating_share'",
        ),
        ('statistic = "mean"', 'statistic = "median"', "outputs[0=cooperating_share].statistic", "fix:"),
        ("seed = 1", 'seed = "one"', "field 'seed'", "fix:"),
        ("seed = 1", "seed = 1\n[fixed]\nn_smez = 10", "fixed.n_smez", "did you mean 'n_smes'"),
        (
            'scenario = "baseline"',
            'scenario = "baselin"',
            "field 'scenario': scenario 'baselin': no such scenario",
            "did you mean 'baseline'?",
        ),
        ('scenario = "baseline"', 'scenario = "baseline"\nmodel = "m:f"', "field 'model'", "not both"),
        ("steps = 24", "steps = 24\nsteps = 25", "TOML syntax error", "correct the TOML syntax"),
    ],
)
def test_bad_spec_one_line_with_field_and_fix(tmp_path, old, new, field, fix):
    assert old in BASE
    path = write(tmp_path, BASE.replace(old, new, 1))
    with pytest.raises(InputError) as info:
        load_spec(path)
    msg = str(info.value)
    assert "\n" not in msg and "spec.toml" in msg
    assert field in msg and fix in msg, msg


def test_model_route_errors(tmp_path):
    text = (
        'name = "m"\nmodel = "no_such_module_xyz:f"\n[[factors]]\nname = "a"\nrange = [0, 1]\n'
        '[[outputs]]\nindicator = "y"\n'
    )
    with pytest.raises(InputError, match=r"field 'model': cannot import 'no_such_module_xyz'"):
        load_spec(write(tmp_path, text))
    text2 = text.replace("no_such_module_xyz:f", "inspire_sim.experiments.testfunctions:ishigam")
    with pytest.raises(InputError, match="did you mean 'ishigami'"):
        load_spec(write(tmp_path, text2))
    text3 = (
        'name = "m"\nmodel = "inspire_sim.experiments.testfunctions:ishigami"\n[design]\nkind = "lhs"\n'
        'samples = 4\n[[factors]]\nname = "a"\n[[outputs]]\nindicator = "y"\n'
    )
    with pytest.raises(InputError, match=r"factors\[0=a\]\.range.*needs its bounds"):
        load_spec(write(tmp_path, text3))


def test_factors_by_role_expand_from_params():
    spec = load_spec("morris_screening")
    uncertain = {s.name for s in spec_by_name().values() if s.role == "uncertainty" and s.sa_range}
    assert sorted(spec.factor_names) == sorted(uncertain)
    assert build_design(spec).n_runs == 20 * (len(uncertain) + 1)


@pytest.mark.parametrize(
    "name", ["policy_grid", "morris_screening", "sobol_levers", "ishigami", "morris_policy_effect"]
)
def test_shipped_specs_validate(name):
    spec = load_spec(name)
    d = build_design(spec)
    assert d.n_runs > 0 and len(spec.hash) == 64
    if name == "policy_grid":
        assert spec.replications == 10 and d.n_points == 12
    if name == "sobol_levers":
        assert len(spec.factors) == 5 and {f.name.split(".")[0] for f in spec.factors} == {
            "support_funding",
            "cross_border_brokering",
            "matchmaking",
            "oi_toolbox",
            "failure_recovery",
        }


def test_designs_are_deterministic_and_well_formed(tmp_path):
    spec = load_spec(write(tmp_path, BASE))
    a, b = build_design(spec), build_design(spec)
    assert a.points.equals(b.points)
    # LHS: exactly one point per stratum of each factor
    assert a.unit is not None and b.unit is not None
    strata = np.floor(a.unit * 8).astype(int)
    assert all(sorted(strata[:, j]) == list(range(8)) for j in range(2))
    other = build_design(load_spec(write(tmp_path, BASE.replace("seed = 1", "seed = 2"))))
    assert other.unit is not None
    assert not np.allclose(other.unit, a.unit)


def test_levels_and_distributions_mapping(tmp_path):
    text = (
        BASE.replace(
            'name = "support_funding.co_funding_rate"',
            'name = "support_funding.co_funding_rate"\nlevels = [0.25, 0.5, 0.75]',
        )
        .replace(
            'name = "cross_border_brokering.capacity"',
            'name = "support_funding.grant_size"\nrange = [1000.0, 100000.0]\ndistribution = "loguniform"',
        )
        .replace("samples = 8", "samples = 300")
    )
    d = build_design(load_spec(write(tmp_path, text)))
    assert set(d.points["support_funding.co_funding_rate"]) == {0.25, 0.5, 0.75}
    g = d.points["support_funding.grant_size"]
    assert g.between(1000, 100000).all() and 7000 < np.median(g) < 14000  # geometric mid = 10000


def test_grid_is_the_full_product(tmp_path):
    text = (
        BASE.replace('kind = "lhs"\nsamples = 8', 'kind = "grid"')
        .replace(
            'name = "support_funding.co_funding_rate"', 'name = "support_funding.co_funding_rate"\nlevels = [0.2, 0.5]'
        )
        .replace(
            'name = "cross_border_brokering.capacity"',
            'name = "cross_border_brokering.capacity"\nrange = [0, 80]\npoints = 5',
        )
    )
    spec = load_spec(write(tmp_path, text), replications=3)
    d = build_design(spec)
    assert d.n_points == 10 and d.n_runs == 30
    assert sorted(set(d.points["cross_border_brokering.capacity"])) == [0, 20, 40, 60, 80]
    assert type(d.params(3)["cross_border_brokering.capacity"]) is int
    assert type(d.params(3)["support_funding.co_funding_rate"]) is float
    runs = run_table(spec, d)
    assert (runs["run_id"] == runs["point_id"] * 3 + runs["replicate"]).all()


def test_seeds_follow_seedsequence():
    s = run_seed(5, point_id=3, replicate=2)
    expected = int(np.random.SeedSequence(5, spawn_key=(2,)).generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    assert s == expected == run_seed(5, point_id=9, replicate=2)
    assert run_seed(5, 3, 2, common=False) != run_seed(5, 4, 2, common=False)
    assert 0 <= s < 2**63


def test_cli_bad_spec_exits_2_with_one_line(tmp_path):
    path = write(tmp_path, BASE.replace("seed = 1", "seed = 1\nreplicatons = 3"))
    proc = subprocess.run(
        [sys.executable, "-m", "inspire_sim.cli", "sweep", str(path), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "field 'replicatons'" in lines[0] and "did you mean 'replications'" in lines[0]
