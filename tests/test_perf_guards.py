"""Guards of issue 23's speed work that can be checked without timing anything (speed targets live
in benchmarks/, never in tests): what the command line imports, the cost estimate and its refusal,
``--n-smes full``, and that running in-process or batched never changes a result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from inspire_sim import costs
from inspire_sim.experiments import Sequential, load_spec, run_sweep
from inspire_sim.experiments.execute import RunContext

HEAVY = ("matplotlib", "dask", "distributed", "solara", "pyarrow.dataset", "mesa")

SPEC = """name = "guards"
scenario = "baseline"
replications = 4
seed = 3
steps = 6
[fixed]
n_smes = 150
[[factors]]
name = "support_funding.budget_per_step"
levels = [0.0, 100000000.0]
[[outputs]]
indicator = "cooperating_share"
statistic = "mean"
"""


def test_importing_the_cli_loads_no_heavy_optional_library():
    code = f"import json, sys, inspire_sim.cli; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert json.loads(out.stdout) == []


def test_estimate_grows_linearly_and_refuses_what_does_not_fit():
    small, big = costs.estimate(1_000_000, 156), costs.estimate(2_000_000, 156)
    assert big.seconds == pytest.approx(2 * small.seconds)
    assert big.peak_mb - small.peak_mb == pytest.approx(costs.MB_PER_MILLION_SMES)
    assert costs.memory_problem(small, available=64_000) is None
    problem = costs.memory_problem(costs.estimate(25_000_000, 156), available=8_000)
    assert problem is not None
    message, fix = problem
    assert "25,000,000 SMEs" in message and "GB" in message and "7.8 GB is available" in message
    assert "--n-smes" in fix
    problem = costs.memory_problem(costs.estimate(1_000_000, 156, runs=20, batch=20), available=4_000)
    assert problem is not None
    _, fix = problem
    assert "--batch 1" in fix


def test_run_refuses_in_one_line_when_memory_would_not_suffice(monkeypatch, capsys, tmp_path):
    from inspire_sim.cli import main

    monkeypatch.setattr(costs, "available_mb", lambda: 200.0)
    rc = main(["run", "baseline", "--n-smes", "500000", "-r", "1", "-q", "--no-figures", "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1, err
    assert "field '--n-smes'" in err[0] and "GB of memory" in err[0] and "fix: simulate at most" in err[0]
    assert not (tmp_path / "o").exists()  # nothing ran


def test_n_smes_full_is_every_real_sme_of_the_scenario():
    from inspire_sim.cli.commands.run_cmd import _n_smes
    from inspire_sim.core.scenario import load_scenario

    scen = load_scenario("baseline")
    full = _n_smes("full", "baseline", {})
    assert full == costs.full_scale_smes(scen) == round(sum(c.smes for c in scen.countries))
    assert 1_700_000 < full < 1_800_000  # EU-27, 10-249 persons employed
    assert 30_000_000 < costs.full_scale_smes(scen, micro=True) < 31_000_000  # with micro firms
    assert _n_smes("20_000", "baseline", {}) == 20_000


def test_sequential_runs_the_shipped_model_in_process_and_user_code_in_a_worker():
    inspire = RunContext(route="inspire", outputs=[], timeout=10.0)
    assert Sequential().runs_here(inspire)
    assert not Sequential(in_process=False).runs_here(inspire)
    assert not Sequential(max_memory=2**31).runs_here(inspire)
    assert not Sequential().runs_here(RunContext(route="inspire", outputs=[], timeout=10.0, model_class="m:C"))
    assert not Sequential().runs_here(RunContext(route="model", outputs=[], timeout=10.0, model_ref="toy.py:f"))
    assert Sequential().runs_here(RunContext(route="model", outputs=[]))  # no limit: as before


def _table(res) -> pd.DataFrame:
    return res.runs.drop(columns=["duration_s"])


def test_in_process_batched_equals_worker_process_one_by_one(tmp_path: Path):
    path = tmp_path / "guards.toml"
    path.write_text(SPEC)
    spec = load_spec(path)
    here = run_sweep(spec, tmp_path / "a", backend=Sequential(), progress=False, figures=False)
    worker = run_sweep(
        spec, tmp_path / "b", backend=Sequential(in_process=False), batch=1, progress=False, figures=False
    )
    assert here.n_failed == 0 and len(here.runs) == 8
    pd.testing.assert_frame_equal(_table(here), _table(worker), check_exact=True)


def test_sweep_values_are_those_of_plain_run(tmp_path: Path):
    """The sweep builds only each run's time series: its outputs are the statistics of plain ``run``
    (every table built, not batched) for the same scenario, factor values and seed, exactly."""
    from inspire_sim.experiments.execute import statistic
    from inspire_sim.run import run

    path = tmp_path / "guards.toml"
    path.write_text(SPEC)
    spec = load_spec(path)
    res = run_sweep(spec, tmp_path / "a", backend=Sequential(), progress=False, figures=False)
    base = spec.load_base_scenario()  # fixed applied
    out, factor = spec.outputs[0], "support_funding.budget_per_step"
    assert res.runs[factor].nunique() == 2
    for _, row in res.runs.iterrows():
        scen = base.with_overrides({factor: row[factor]})
        alone = run(scen, seed=int(row["seed"]), steps=spec.steps, record_partnerships=False)
        assert not alone.smes.empty
        assert row[out.column] == statistic(alone.timeseries, out)
