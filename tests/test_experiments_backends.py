"""Backends: identical results sequentially, on local processes and on Dask; failures
and time limits recorded without stopping (or hanging) the sweep."""

from __future__ import annotations

import pandas as pd
import pytest
from test_experiments_toy import hang_guard, toy_spec

from inspire_sim.experiments import DaskBackend, LocalProcesses, Sequential, load_spec, run_sweep

COMPARE = ["run_id", "point_id", "replicate", "seed", "status", "error", "x", "y", "z", "w", "noise"]


@pytest.fixture(scope="module")
def dask_backend():
    backend = DaskBackend(workers=2, processes=True)
    yield backend
    backend.close()


def _noise_spec(tmp_path, **kw):
    path = toy_spec(tmp_path, **kw)
    text = path.read_text() + '\n[[outputs]]\nindicator = "noise"\n'
    path.write_text(text)
    return path


@pytest.mark.slow  # over ~2.5 s: kept out of make check's fast tier
def test_identical_results_sequential_processes_dask(tmp_path, dask_backend):
    spec = load_spec(_noise_spec(tmp_path, design="lhs", replications=3))
    seq = run_sweep(spec, tmp_path / "seq", backend=Sequential(), progress=False, figures=False)
    proc = run_sweep(spec, tmp_path / "proc", workers=2, progress=False, figures=False)
    dask = run_sweep(spec, tmp_path / "dask", backend=dask_backend, progress=False, figures=False)
    assert seq.n_runs == 16 * 3 and seq.n_failed == 0
    for other in (proc, dask):
        pd.testing.assert_frame_equal(seq.runs[COMPARE], other.runs[COMPARE], check_exact=True)
    # common random numbers: a replicate has the same seed (and noise) at every point
    by_rep = seq.runs.groupby("replicate")
    assert (by_rep["seed"].nunique() == 1).all() and (by_rep["noise"].nunique() == 1).all()
    assert seq.runs["seed"].nunique() == 3


def test_independent_seeds_when_crn_off(tmp_path):
    spec = load_spec(_noise_spec(tmp_path, design="lhs", replications=2, extra="common_random_numbers = false"))
    res = run_sweep(spec, tmp_path / "o", workers=1, progress=False, figures=False)
    assert res.runs["seed"].nunique() == len(res.runs)


def test_dask_local_cluster_threads_identical(tmp_path):
    spec = load_spec(_noise_spec(tmp_path, replications=2))
    seq = run_sweep(spec, tmp_path / "seq", workers=1, progress=False, figures=False)
    backend = DaskBackend(workers=2, processes=False)
    try:
        dask = run_sweep(spec, tmp_path / "dask", backend=backend, progress=False, figures=False)
    finally:
        backend.close()
    pd.testing.assert_frame_equal(seq.runs[COMPARE], dask.runs[COMPARE], check_exact=True)


@pytest.mark.parametrize("which", ["sequential", "processes", "dask"])
def test_failed_runs_are_recorded_and_the_sweep_goes_on(tmp_path, which, dask_backend):
    backend = {"sequential": Sequential(), "processes": LocalProcesses(2), "dask": dask_backend}[which]
    res = run_sweep(toy_spec(tmp_path, mode="fail"), tmp_path / "o", backend=backend, progress=False, figures=False)
    bad = res.runs[res.runs["x"] > 0.75]
    assert res.n_runs == 24 and res.n_failed == len(bad) == 8
    assert (bad["status"] == "failed").all()
    assert bad["error"].str.contains("ValueError: boom at x=0.900").all()
    assert bad["z"].isna().all()
    good = res.runs[res.runs["x"] < 0.75]
    assert (good["status"] == "ok").all() and good["error"].isna().all()


@pytest.mark.slow  # over ~2 s: kept out of make check's fast tier
@pytest.mark.parametrize("which", ["sequential", "processes", pytest.param("dask", marks=pytest.mark.slow)])
def test_runs_over_the_time_limit_are_timed_out(tmp_path, which, dask_backend):
    """The hang is cut: the hung runs end as timed out, are counted, and the others run.

    No bound on wall time (a loaded machine slows Dask's worker restarts): the outer guard
    only stops a real hang from stalling the suite."""
    backend = {"sequential": Sequential(), "processes": LocalProcesses(2), "dask": dask_backend}[which]
    with hang_guard():
        res = run_sweep(
            toy_spec(tmp_path, mode="hang", replications=1, timeout=0.5),
            tmp_path / "o",
            backend=backend,
            progress=False,
            figures=False,
        )
    hung = res.runs[res.runs["x"] > 0.75]
    assert (hung["status"] == "timed_out").all() and len(hung) == 4
    assert (res.runs[res.runs["x"] < 0.75]["status"] == "ok").all()
    assert res.n_timed_out == 4


@pytest.mark.slow
def test_uninterruptible_run_gets_its_worker_killed(tmp_path):
    """A run stuck where SIGALRM cannot reach it: the parent kills and replaces the worker.

    The hung runs come first, so both workers of the pool are killed while runs remain: those
    finish in new worker processes (the toy leaves one pid file per run and process)."""
    spec = load_spec(
        toy_spec(tmp_path, mode="hardhang", replications=1, timeout=0.3),
        factors=[{"name": "x", "levels": [0.9, 0.1, 0.5]}, {"name": "y", "levels": [0.2, 0.4]}],
    )
    with hang_guard():
        res = run_sweep(spec, tmp_path / "o", backend=LocalProcesses(2, grace=1.0), progress=False, figures=False)
    hung = res.runs[res.runs["x"] > 0.75]
    assert len(hung) == 2 and (hung["status"] == "timed_out").all()
    assert hung["error"].str.contains("worker process was killed").all()
    assert (res.runs[res.runs["x"] < 0.75]["status"] == "ok").all()
    hung_pids = {p.name.split("-")[1] for p in tmp_path.glob("hung-*")}
    ran_pids = {p.name.split("-")[1] for p in tmp_path.glob("ran-*")}
    assert len(hung_pids) == 2  # each hung run held (and lost) its own worker
    assert ran_pids and len(hung_pids | ran_pids) > 2  # more worker processes than the pool's 2: replaced


def test_worker_crash_is_isolated_and_recorded(tmp_path):
    path = toy_spec(tmp_path, mode="crash", replications=1)
    spec = load_spec(path, factors=[{"name": "x", "levels": [0.1, 0.5, 0.9]}, {"name": "y", "levels": [0.2, 0.4]}])
    res = run_sweep(spec, tmp_path / "o", backend=LocalProcesses(2), progress=False, figures=False)
    crashed = res.runs[res.runs["x"] > 0.75]
    assert len(crashed) == 2 and (crashed["status"] == "failed").all()
    assert crashed["error"].str.contains("worker process died").all()
    assert (res.runs[res.runs["x"] < 0.75]["status"] == "ok").all()


def test_run_context_default_timeout_contains_sequential_runs(tmp_path):
    """No time limit: Sequential runs in the caller (a model's sys.exit reaches it). With the
    documented default (what compare gets by passing timeout=RunContext.DEFAULT_TIMEOUT):
    contained in a worker process, the run fails alone."""
    import dataclasses

    from inspire_sim.experiments import DEFAULT_TIMEOUT, Output
    from inspire_sim.experiments.execute import RunContext

    toy_spec(tmp_path)  # writes toy.py
    ctx = RunContext(
        route="model",
        outputs=[Output(indicator="z")],
        model_ref="toy.py:toy",
        base_dir=str(tmp_path),
        fixed={"mode": "sysexit"},
    )
    bad, good = (0, 1, {"x": 0.9, "y": 0.2}), (1, 1, {"x": 0.1, "y": 0.2})
    assert ctx.timeout is None and RunContext.DEFAULT_TIMEOUT == DEFAULT_TIMEOUT == 3600.0
    with pytest.raises(SystemExit):
        list(Sequential().execute(ctx, [bad]))
    contained = dataclasses.replace(ctx, timeout=RunContext.DEFAULT_TIMEOUT)
    res = {r["run_id"]: r for r in Sequential().execute(contained, [bad, good])}
    assert res[0]["status"] == "failed" and "SystemExit" in res[0]["error"]
    assert res[1]["status"] == "ok"
