"""Batching through every entry point (issue 14): the execution setting ``batch`` never changes a
result. Each entry point's results with batching on (``"auto"`` or an uneven N) equal those with it
off (``batch=1``, each run alone through ``run``), exactly; failures and timeouts stay per run;
resuming skips finished runs; bad values are refused in one line naming the field.

These compare batched with unbatched results through the public entry points only, so they
stay meaningful whatever :func:`inspire_sim.run.run_batch` does inside."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import inspire_sim as I
from inspire_sim.errors import InputError
from inspire_sim.experiments import DaskBackend, Output, Sequential, load_spec, run_sweep
from inspire_sim.experiments.execute import RunContext
from inspire_sim.experiments.sweep import SweepInterrupted

SMALL = {"n_smes": 200, "steps": 6}
NO_TIME = ["run_id", "point_id", "replicate", "seed", "status", "error", "budget", "coop_mean", "effect_final"]
SPEC = """name = "batched"
scenario = "baseline"
replications = 7
seed = 11
steps = 6
{extra}
[fixed]
n_smes = 200
[[factors]]
name = "support_funding.budget_per_step"
levels = [0.0, 200000000.0]
[[outputs]]
indicator = "cooperating_share"
statistic = "mean"
name = "coop_mean"
[[outputs]]
indicator = "cooperating_share"
statistic = "final"
effect_of = "national_funding"
name = "effect_final"
"""


def _spec(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "batched.toml"
    path.write_text(SPEC.format(extra=extra))
    return path


def _runs(res) -> pd.DataFrame:
    return res.runs.rename(columns={"support_funding.budget_per_step": "budget"})[NO_TIME]


@pytest.fixture(scope="module")
def unbatched(tmp_path_factory):
    """The sweep with batching off: every run alone (14 runs x base and plan)."""
    tmp = tmp_path_factory.mktemp("unbatched")
    return run_sweep(load_spec(_spec(tmp)), tmp / "o", workers=1, batch=1, progress=False, figures=False)


# -- run_replications / run --------------------------------------------------------------


def test_run_replications_batched_equals_one_by_one():
    scen = I.load_scenario("baseline", **SMALL)
    alone = I.run_replications(scen, 5, seed=4, batch=1)
    ticks: list[int] = []
    for batch in ("auto", 2):
        ticks.clear()
        batched = I.run_replications(scen, 5, seed=4, batch=batch, progress=ticks.append)
        assert sum(ticks) == 5  # the progress bar counts runs
        for a, b in zip(alone, batched, strict=True):
            assert a.manifest["seed"] == b.manifest["seed"] and a.manifest["replication"] == b.manifest["replication"]
            for table in ("timeseries", "smes", "partnerships", "panel", "spend", "countries"):
                pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), check_exact=True)
    # and the first replication is what `run` gives with the first replication seed
    pd.testing.assert_frame_equal(
        alone[0].timeseries, I.run(scen, seed=alone[0].manifest["seed"]).timeseries, check_exact=True
    )


# -- sweep -------------------------------------------------------------------------------


def test_sweep_batched_equals_unbatched_and_records_the_batch(tmp_path, unbatched):
    res = run_sweep(load_spec(_spec(tmp_path)), tmp_path / "o", workers=1, batch=3, progress=False, figures=False)
    assert res.n_runs == 14 and res.n_failed == 0  # 7 replications in batches of 3: 3 + 3 + 3 + 3 + 2
    pd.testing.assert_frame_equal(_runs(res), _runs(unbatched), check_exact=True)
    pd.testing.assert_frame_equal(res.summary, unbatched.summary, check_exact=True)
    session = json.loads((tmp_path / "o" / "manifest.json").read_text())["sessions"][-1]
    assert session["batch"] == 3
    first = json.loads((unbatched.out / "manifest.json").read_text())["sessions"][-1]
    assert first["batch"] == 1


def test_sweep_cli_batch_3_with_7_replications(tmp_path, unbatched):
    out = tmp_path / "cli"
    cmd = [sys.executable, "-m", "inspire_sim.cli", "sweep", str(_spec(tmp_path)), "-o", str(out)]
    proc = subprocess.run([*cmd, "-w", "1", "--batch", "3", "-q", "--no-figures"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    got = pd.read_parquet(out / "results.parquet").rename(columns={"support_funding.budget_per_step": "budget"})
    pd.testing.assert_frame_equal(got[NO_TIME], _runs(unbatched), check_exact=True)


def test_spec_batch_field_is_used_and_not_part_of_the_identity(tmp_path, unbatched):
    spec = load_spec(_spec(tmp_path, "batch = 4"))
    assert spec.batch == 4 and spec.hash == load_spec(_spec(tmp_path)).hash == unbatched.spec.hash
    res = run_sweep(spec, tmp_path / "o", workers=1, progress=False, figures=False)
    assert json.loads((tmp_path / "o" / "manifest.json").read_text())["sessions"][-1]["batch"] == 4
    pd.testing.assert_frame_equal(_runs(res), _runs(unbatched), check_exact=True)
    assert load_spec(_spec(tmp_path, 'batch = "auto"')).batch == "auto"


class _StopAfter(Sequential):
    """Sequential, but Ctrl-C after ``k`` finished runs."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.k = k

    def execute(self, ctx, tasks, tick=None):
        for i, rec in enumerate(super().execute(ctx, tasks, tick)):
            if i == self.k:
                raise KeyboardInterrupt
            yield rec


def test_resume_with_batching_skips_finished_runs(tmp_path, unbatched):
    spec, out = load_spec(_spec(tmp_path)), tmp_path / "o"
    with pytest.raises(SweepInterrupted):
        run_sweep(spec, out, backend=_StopAfter(5), batch=3, progress=False, figures=False)
    resumed = run_sweep(spec, out, workers=1, batch=3, progress=False, figures=False)
    assert resumed.executed == 14 - 5
    pd.testing.assert_frame_equal(_runs(resumed), _runs(unbatched), check_exact=True)
    again = run_sweep(spec, out, workers=1, batch=3, progress=False, figures=False)
    assert again.executed == 0


@pytest.mark.slow  # a Dask LocalCluster of two processes (~5 s)
def test_dask_backend_with_batches(tmp_path, unbatched):
    backend = DaskBackend(workers=2, processes=True)
    try:
        res = run_sweep(
            load_spec(_spec(tmp_path)), tmp_path / "d", backend=backend, batch=3, progress=False, figures=False
        )
    finally:
        backend.close()
    pd.testing.assert_frame_equal(_runs(res), _runs(unbatched), check_exact=True)
    assert json.loads((tmp_path / "d" / "manifest.json").read_text())["sessions"][-1]["batch"] == 3


@pytest.fixture
def run_batch_calls(monkeypatch):
    """The sizes of the calls of the public ``run_batch`` made in this process."""
    import importlib

    module = importlib.import_module("inspire_sim.run")  # the package binds `run` over the submodule's name
    calls: list[int] = []
    original = module.run_batch

    def spy(scenarios, seeds, **kw):
        calls.append(len(seeds))
        return original(scenarios, seeds, **kw)

    monkeypatch.setattr(module, "run_batch", spy)
    return calls


def test_entry_points_hand_their_runs_to_run_batch_in_batches(run_batch_calls, tmp_path):
    """Knock-out check of the wiring: batch=N means calls of run_batch with N runs (the last one fewer)."""
    from inspire_sim.analyses.robust import robust
    from inspire_sim.experiments.sweep import _context

    I.run_replications(I.load_scenario("baseline", **SMALL), 7, batch=3)
    assert run_batch_calls == [3, 3, 1]
    run_batch_calls.clear()
    ctx = _context(load_spec(_spec(tmp_path)), 0, None, batch=3)  # no time limit: evaluated in this process
    recs = list(Sequential().execute(ctx, [(i, 50 + i, {"support_funding.budget_per_step": 0.0}) for i in range(7)]))
    assert [r["status"] for r in recs] == ["ok"] * 7
    assert run_batch_calls == [6, 6, 2]  # each run with its effect_of plan: 2 scenarios per run
    run_batch_calls.clear()
    base = I.load_scenario("baseline", **SMALL)
    robust(base, [I.load_scenario("national_funding", **SMALL)], worlds=4, replications=2, workers=1, batch=5)
    assert run_batch_calls == [5, 5, 5, 1]  # 4 worlds x 2 scenarios x 2 replications


def test_batch_1_turns_batching_off(run_batch_calls, tmp_path):
    """batch=1: every run alone through `run`, run_batch never called."""
    from inspire_sim.analyses.robust import robust
    from inspire_sim.experiments.sweep import _context

    I.run_replications(I.load_scenario("baseline", **SMALL), 3, batch=1)
    ctx = _context(load_spec(_spec(tmp_path)), 0, None, batch=1)
    list(Sequential().execute(ctx, [(i, 50 + i, {"support_funding.budget_per_step": 0.0}) for i in range(3)]))
    base = I.load_scenario("baseline", **SMALL)
    robust(base, [I.load_scenario("national_funding", **SMALL)], worlds=4, workers=1, batch=1)
    assert run_batch_calls == []


# -- failures and timeouts stay per run ----------------------------------------------------

CALLS: list[int] = []


def one(params: dict, seed: int) -> dict:
    """A model function: run x = 0.5 fails, x = 0.7 hangs; the rest return x + seed mod 7."""
    if params["x"] == 0.5:
        raise ValueError("x = 0.5 is bad")
    if params["x"] == 0.7:
        time.sleep(30)
    return {"z": params["x"] + seed % 7}


def many(args: list[dict], seeds: list[int]) -> list[dict]:
    """The same model, batched: a batch fails (or hangs) as a whole when one of its runs does."""
    CALLS.append(len(args))
    return [one(a, s) for a, s in zip(args, seeds, strict=True)]


def _ctx(**kw) -> RunContext:
    return RunContext(
        route="model",
        outputs=[Output(indicator="z", name="z")],
        model_ref="test_batching_integration:one",
        batch_model_ref="test_batching_integration:many",
        **kw,
    )


def test_a_failing_batch_is_run_again_run_by_run():
    tasks = [(i, 100 + i, {"x": x}) for i, x in enumerate([0.1, 0.2, 0.5, 0.3, 0.4])]
    CALLS.clear()
    recs = {r["run_id"]: r for r in Sequential().execute(_ctx(batch=3), tasks)}
    assert CALLS == [3, 2]  # two batches, each one call; the first failed and ran again alone
    assert recs[2]["status"] == "failed" and "x = 0.5 is bad" in recs[2]["error"]
    ok = {i: recs[i]["values"]["z"] for i in (0, 1, 3, 4)}
    assert ok == {i: x + (100 + i) % 7 for i, x in zip((0, 1, 3, 4), (0.1, 0.2, 0.3, 0.4), strict=True)}
    assert all(recs[i]["status"] == "ok" for i in ok)


@pytest.mark.slow  # a worker process and a 1.5 s batch limit (~4 s)
def test_a_batch_over_its_time_limit_times_out_only_the_slow_run():
    tasks = [(0, 1, {"x": 0.1}), (1, 2, {"x": 0.7}), (2, 3, {"x": 0.2})]
    recs = {r["run_id"]: r for r in Sequential().execute(_ctx(batch=3, timeout=0.5), tasks)}
    assert recs[1]["status"] == "timed_out"
    assert recs[0]["status"] == recs[2]["status"] == "ok"
    assert recs[0]["values"]["z"] == 0.1 + 1 and recs[2]["values"]["z"] == 0.2 + 3


# -- compare, robust, calibrate ------------------------------------------------------------


def test_compare_batched_equals_unbatched():
    from inspire_sim.reports.compare import compare

    kw: dict[str, Any] = {"replications": 3, "seed": 2, "workers": 1, "n_boot": 200, **SMALL}
    alone = compare("baseline", ["national_funding"], batch=1, **kw)
    batched = compare("baseline", ["national_funding"], batch="auto", **kw)
    assert alone.meta["runs"]["batch"] == 1 and batched.meta["runs"]["batch"] == 6
    tables = [k for k, v in vars(alone).items() if isinstance(v, pd.DataFrame)]
    assert {"indicators", "decision", "costs"} <= set(tables)
    for name in tables:
        pd.testing.assert_frame_equal(getattr(alone, name), getattr(batched, name), check_exact=True)


def test_robust_batched_equals_unbatched():
    from inspire_sim.analyses.robust import robust

    pytest.importorskip("ema_workbench")
    base = I.load_scenario("baseline", **SMALL)
    plan = I.load_scenario("national_funding", **SMALL)
    kw: dict[str, Any] = {"worlds": 4, "seed": 5, "replications": 2, "workers": 1}
    alone, batched = robust(base, [plan], batch=1, **kw), robust(base, [plan], batch=3, **kw)
    pd.testing.assert_frame_equal(alone.runs, batched.runs, check_exact=True)
    pd.testing.assert_frame_equal(alone.effects, batched.effects, check_exact=True)


def test_calibration_simulator_batched_equals_unbatched():
    from inspire_sim.analyses.calibrate import CalibrationSettings, Simulator
    from inspire_sim.analyses.targets import load_targets

    settings = CalibrationSettings("h", "baseline", ("model.search_rate",), 5, 200, 13, 3, 0)
    targets = load_targets("eu_cis").fitted()
    base = I.load_scenario("baseline")
    particles = [({"model.search_rate": v}, 10 + k) for k, v in enumerate((0.03, 0.05))]
    alone = Simulator(base, targets, ["model.search_rate"], settings, batch=1).simulate_many(particles)
    batched = Simulator(base, targets, ["model.search_rate"], settings, batch="auto").simulate_many(particles)
    np.testing.assert_array_equal(pd.DataFrame(alone).to_numpy(), pd.DataFrame(batched).to_numpy())


# -- bad values --------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, -2, "x", 2.5, True, "0"])
def test_bad_batch_values_are_refused_in_one_line(tmp_path, bad):
    literal = json.dumps(bad) if not isinstance(bad, bool) else "true"
    with pytest.raises(InputError) as err:
        load_spec(_spec(tmp_path, f"batch = {literal}"))
    assert err.value.field == "batch" and "\n" not in str(err.value) and '"auto"' in str(err.value)
    with pytest.raises(InputError, match="field 'batch'"):
        I.run_replications(I.load_scenario("baseline", **SMALL), 2, batch=bad)


def test_cli_refuses_a_bad_batch_before_running(tmp_path):
    out = tmp_path / "o"
    cmd = [sys.executable, "-m", "inspire_sim.cli", "sweep", str(_spec(tmp_path)), "-o", str(out), "--batch", "0"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "field '--batch'" in lines[0] and "Traceback" not in proc.stderr
    assert not out.exists()
    run = subprocess.run(
        [sys.executable, "-m", "inspire_sim.cli", "run", "baseline", "-o", str(out), "--batch", "many"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "field '--batch'" in run.stderr and not out.exists()


def test_trial_is_batched_and_identical_to_running_replicates_alone():
    """A virtual lottery trial: the replicates' trial worlds (and their twins) batched give the same tables."""
    from inspire_sim.analyses.trial import run_trial

    scen = I.load_scenario("baseline", n_smes=300, steps=30)
    alone = run_trial(scen, "support_funding", replications=4, seed=2, batch=1)
    for batch in ("auto", 3):
        batched = run_trial(scen, "support_funding", replications=4, seed=2, batch=batch)
        for table in ("uptake", "effects", "per_replicate"):
            pd.testing.assert_frame_equal(getattr(batched, table), getattr(alone, table), check_exact=True, obj=table)
    assert alone.uptake["take_up"].notna().all()


def test_trial_command_refuses_a_bad_batch(tmp_path):
    from inspire_sim.cli import main

    assert main(["trial", "baseline", "--lever", "support_funding", "--batch", "0", "--out", str(tmp_path / "t")]) == 2
