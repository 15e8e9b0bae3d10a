"""Sweeps that never lose work or lie (issue 12): contained model faults, durable and
checked store, lock, interrupts, no orphan workers, timeouts outside the spec's
identity, NaN/inf as `invalid`, the model_class extension point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from test_experiments_toy import toy_spec

from inspire_sim.errors import InputError
from inspire_sim.experiments import LocalProcesses, RunStore, Sequential, load_spec, run_sweep

TESTS = Path(__file__).parent
NO_TIME = ["run_id", "point_id", "replicate", "seed", "status", "error", "x", "y", "z", "w"]
SMALL = [{"name": "x", "levels": [0.1, 0.9]}, {"name": "y", "levels": [0.2, 0.4]}]


def small(tmp_path: Path, mode: str, **kw):
    return load_spec(toy_spec(tmp_path, mode=mode, replications=1), factors=SMALL, **kw)


@pytest.mark.parametrize(
    "mode, cause",
    [
        ("sysexit", "SystemExit: 4 (at toy.py:24) (raised by the model)"),
        ("kbint", "KeyboardInterrupt:  (at toy.py:26) (raised by the model)"),
        ("segv", "worker process died during this run (killed by SIGSEGV"),
        ("memerr", "MemoryError: no room"),
        ("swallow", "did not stop within the time limit of 0.5 s (+ 1 s grace); its worker process was killed"),
    ],
)
@pytest.mark.slow  # over ~2.5 s: kept out of make check's fast tier
def test_a_faulty_model_fails_only_its_runs(tmp_path, mode, cause):
    res = run_sweep(
        small(tmp_path, mode), tmp_path / "o", backend=Sequential(grace=1.0), timeout=0.5, progress=False, figures=False
    )
    bad = res.runs[res.runs["x"] > 0.75]
    assert len(bad) == 2 and (bad["status"] != "ok").all()
    assert bad["error"].str.contains(cause, regex=False).all(), bad["error"].tolist()
    good = res.runs[res.runs["x"] < 0.75]
    assert (good["status"] == "ok").all() and good["z"].notna().all()


def test_os_exit_in_a_worker_is_recorded_with_its_exit_code(tmp_path):
    res = run_sweep(small(tmp_path, "crash"), tmp_path / "o", workers=2, progress=False, figures=False)
    bad = res.runs[res.runs["x"] > 0.75]
    assert (bad["status"] == "failed").all() and bad["error"].str.contains("exit code 3").all()
    assert (res.runs[res.runs["x"] < 0.75]["status"] == "ok").all()


def test_max_memory_fails_the_run_that_exceeds_it(tmp_path):
    res = run_sweep(small(tmp_path, "hog"), tmp_path / "o", workers=1, max_memory="1.5G", progress=False, figures=False)
    bad = res.runs[res.runs["x"] > 0.75]
    assert (bad["status"] == "failed").all()
    assert bad["error"].str.contains("MemoryError").all() and bad["error"].str.contains("max_memory").all()
    assert (res.runs[res.runs["x"] < 0.75]["status"] == "ok").all()


@pytest.mark.slow  # over ~2.5 s: kept out of make check's fast tier
def test_nan_and_inf_outputs_are_invalid_and_counted(tmp_path):
    res = run_sweep(small(tmp_path, "nan"), tmp_path / "o", workers=1, progress=False, figures=False)
    bad = res.runs[res.runs["x"] > 0.75]
    assert (bad["status"] == "invalid").all() and res.n_invalid == 2 and res.n_failed == 2
    assert bad["error"].str.contains("z = nan, w = inf").all()
    s = res.summary[res.summary["output"] == "z"].groupby("x")[["n_invalid", "n_ok"]].sum()
    assert s.loc[0.9, "n_invalid"] == 2 and s.loc[0.9, "n_ok"] == 0 and s.loc[0.1, "n_ok"] == 2
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "inspire_sim.cli",
            "sweep",
            str(tmp_path / "toy.toml"),
            "-o",
            str(tmp_path / "cli"),
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and "4 of 12 runs did not succeed (0 timed out, 4 invalid)" in proc.stderr


@pytest.mark.slow  # over ~2.5 s: kept out of make check's fast tier
def test_timeout_is_not_part_of_the_identity_and_retry_failed_reruns(tmp_path):
    spec = small(tmp_path, "hang")
    first = run_sweep(spec, tmp_path / "o", workers=2, timeout=0.3, progress=False, figures=False)
    assert first.n_timed_out == 2
    again = run_sweep(spec, tmp_path / "o", workers=2, timeout=0.6, progress=False, figures=False)
    assert again.executed == 0  # same store, nothing re-run
    retried = run_sweep(spec, tmp_path / "o", workers=2, timeout=0.6, retry_failed=True, progress=False, figures=False)
    assert retried.executed == 2 and retried.n_timed_out == 2
    assert retried.failures["error"].str.contains("0.6 s").all()


def test_second_sweep_on_the_same_out_is_refused_by_the_lock(tmp_path):
    spec = small(tmp_path, "ok")
    holder = RunStore(tmp_path / "o", spec.output_names)
    holder.lock()
    try:
        with pytest.raises(InputError, match=r"another sweep \(pid \d+\) is writing to this directory.*another --out"):
            run_sweep(spec, tmp_path / "o", workers=1, progress=False, figures=False)
    finally:
        holder.close()
    assert run_sweep(spec, tmp_path / "o", workers=1, progress=False, figures=False).n_runs == 4


@pytest.mark.slow  # over ~2 s: kept out of make check's fast tier
def test_damaged_chunks_are_reported_and_their_runs_recomputed(tmp_path):
    spec = load_spec(toy_spec(tmp_path, replications=2))
    out = tmp_path / "o"
    whole = run_sweep(spec, out, workers=1, progress=False, figures=False)  # -> runs.parquet
    store = RunStore(out, spec.output_names)
    for part in (whole.runs.iloc[:8], whole.runs.iloc[8:16]):  # two more chunks, as a sweep writes them
        for r in part.to_dict("records"):
            store.add({**r, "error": None, "values": {"z": r["z"], "w": r["w"]}})
        store.flush()
    parts = sorted((out / "parts").glob("part-*.parquet"))
    data = bytearray((out / "runs.parquet").read_bytes())
    data[len(data) // 2] ^= 0xFF  # an altered byte
    (out / "runs.parquet").write_bytes(bytes(data))
    parts[0].write_bytes(parts[0].read_bytes()[:100])  # truncated
    parts[1].write_bytes(b"")  # empty
    lines: list[str] = []
    res = run_sweep(spec, out, workers=1, progress=False, figures=False, log=lines.append)
    assert len(lines) == 3 and all("\n" not in x and "its runs will be computed again" in x for x in lines), lines
    assert sum("checksum mismatch" in x for x in lines) == 2 and sum("empty file" in x for x in lines) == 1
    assert res.executed == 24 and len([p for p in (out / "damaged").iterdir() if p.suffix != ".sha256"]) == 3
    assert res.notes[:3] == lines
    pd.testing.assert_frame_equal(res.runs[NO_TIME], whole.runs[NO_TIME], check_exact=True)


def test_model_class_runs_a_subclass(tmp_path):
    kw: dict = dict(
        replications=1,
        steps=12,
        fixed={"n_smes": 100},
        factors=[{"name": "support_funding.budget_per_step", "levels": [200_000_000.0]}],
        outputs=[{"indicator": "spend_total", "statistic": "cumulative"}],
    )
    base = run_sweep(load_spec("policy_grid", **kw), tmp_path / "a", workers=1, progress=False, figures=False)
    sub = load_spec("policy_grid", model_class=f"{TESTS / 'model_subclass.py'}:NoPolicyModel", **kw)
    res = run_sweep(sub, tmp_path / "b", workers=1, progress=False, figures=False)
    assert base.n_failed == 0 and res.n_failed == 0, res.failures["error"].tolist()
    assert base.runs["spend_total_cumulative"].iloc[0] > 0 and res.runs["spend_total_cumulative"].iloc[0] == 0
    assert sub.hash != load_spec("policy_grid", **kw).hash
    with pytest.raises(InputError, match=r"field 'model_class'.*not a subclass of InspireModel"):
        load_spec("policy_grid", model_class=f"{TESTS / 'model_subclass.py'}:NotAModel", **kw)


SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from inspire_sim.experiments import run_sweep
if __name__ == "__main__":
    run_sweep({spec!r}, {out!r}, workers=2, cluster={cluster!r}, progress=False, figures=False)
"""


def _children(pid: int) -> set[int]:
    """Descendants of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parents[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow  # over ~2 s: kept out of make check's fast tier
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG and /proc are Linux features")
@pytest.mark.parametrize("cluster", [None, pytest.param("local", marks=pytest.mark.slow)], ids=["processes", "dask"])
def test_finished_runs_on_disk_within_2s_and_no_worker_survives_sigkill(tmp_path, cluster):
    if cluster:
        pytest.importorskip("distributed")
    spec = toy_spec(tmp_path, mode="wait", replications=2)  # 16 runs finish, 8 wait for 600 s
    out = tmp_path / "o"
    script = tmp_path / "sweep.py"
    script.write_text(SCRIPT.format(tests=str(TESTS), spec=str(spec), out=str(out), cluster=cluster))
    proc = subprocess.Popen([sys.executable, str(script)], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        n = 0
        while time.monotonic() < deadline:
            files = list((out / "parts").glob("part-*.parquet"))
            n = sum(len(pd.read_parquet(f)) for f in files) if files else 0
            if n == 16 or (cluster and n > 0):  # Dask chunks cheap runs: some wait with a sleeping one
                break
            time.sleep(0.2)
        assert n == 16 or (cluster and n > 0), f"only {n} of 16 finished runs on disk"
        workers = _children(proc.pid)
        assert len(workers) >= 2
        os.kill(proc.pid, signal.SIGKILL)  # the main process only
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.1)
        assert not [p for p in workers if _alive(p)], "worker processes outlived the sweep"
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.slow  # over ~2.5 s: kept out of make check's fast tier
def test_sigterm_stops_cleanly_with_one_line_and_resumes(tmp_path):
    spec = toy_spec(tmp_path, mode="wait", replications=2)
    out = tmp_path / "o"
    cmd = [sys.executable, "-m", "inspire_sim.cli", "sweep", str(spec), "-o", str(out), "-w", "2", "-q", "--no-figures"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(list((out / "parts").glob("part-*.parquet"))) < 1:
        time.sleep(0.2)
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "stopped by SIGTERM" in err and "run the same command again to resume" in err
    done = sum(len(pd.read_parquet(f)) for f in (out / "parts").glob("part-*.parquet"))
    assert done == 16


@pytest.mark.slow  # over ~2 s: kept out of make check's fast tier
def test_local_processes_give_bit_identical_results_to_sequential(tmp_path):
    spec = load_spec(toy_spec(tmp_path, design="lhs", replications=2))
    seq = run_sweep(spec, tmp_path / "s", backend=Sequential(), progress=False, figures=False)
    par = run_sweep(spec, tmp_path / "p", backend=LocalProcesses(2), progress=False, figures=False)
    pd.testing.assert_frame_equal(seq.runs[NO_TIME], par.runs[NO_TIME], check_exact=True)
