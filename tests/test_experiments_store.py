"""The store: manifest, atomic Parquet chunks, resume after SIGKILL, refusal of a
directory made by another spec, --retry-failed."""

from __future__ import annotations

import json
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
from inspire_sim.experiments import load_spec, run_sweep

NO_TIME = ["run_id", "point_id", "replicate", "seed", "status", "error", "x", "y", "z", "w"]


def test_manifest_and_tables(tmp_path):
    res = run_sweep(toy_spec(tmp_path, design="lhs"), tmp_path / "o", workers=1, progress=False)
    out = tmp_path / "o"
    m = json.loads((out / "manifest.json").read_text())
    assert m["spec_hash"] == res.spec.hash and m["root_seed"] == 42
    assert m["design"]["n_runs"] == 32 and m["design"]["kind"] == "lhs"
    assert m["versions"]["numpy"] and "git_revision" in m and m["spec"]["model"] == "toy.py:toy"
    assert m["sessions"][0]["backend"] == "sequential" and m["sessions"][0]["runs_done"] == 32
    for name in ("results.parquet", "results.csv", "summary.parquet", "summary.csv", "design.parquet", "runs.parquet"):
        assert (out / name).exists(), name
    assert not list((out / "parts").glob("*.parquet"))  # compacted
    assert not list(out.rglob("*.tmp"))
    disk = pd.read_parquet(out / "results.parquet")
    pd.testing.assert_frame_equal(disk, res.runs, check_exact=True)
    assert list((out / "figures").glob("response_*.png"))
    design = pd.read_parquet(out / "design.parquet")
    assert {"unit_x", "unit_y"} <= set(design.columns)


def test_second_call_resumes_without_rerunning(tmp_path):
    spec = toy_spec(tmp_path)
    first = run_sweep(spec, tmp_path / "o", workers=1, progress=False, figures=False)
    again = run_sweep(spec, tmp_path / "o", workers=1, progress=False, figures=False)
    assert first.executed == 24 and again.executed == 0
    pd.testing.assert_frame_equal(first.runs, again.runs, check_exact=True)


def test_directory_of_another_spec_is_refused(tmp_path):
    run_sweep(toy_spec(tmp_path), tmp_path / "o", workers=1, progress=False, figures=False)
    other = load_spec(toy_spec(tmp_path, name="other"), seed=43)
    with pytest.raises(InputError, match=r"holds runs of a different spec \('toy'.*fix: use another --out"):
        run_sweep(other, tmp_path / "o", workers=1, progress=False)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="not empty and holds no experiment"):
        run_sweep(other, tmp_path / "junk", workers=1, progress=False)


def test_description_change_keeps_the_spec_identity(tmp_path):
    a = load_spec(toy_spec(tmp_path))
    b = load_spec(toy_spec(tmp_path), description="new words")
    c = load_spec(toy_spec(tmp_path), replications=3)
    assert a.hash == b.hash != c.hash


@pytest.mark.slow  # over ~2 s: kept out of make check's fast tier
def test_retry_failed_reruns_only_failures(tmp_path):
    path = toy_spec(tmp_path, mode="fail")
    first = run_sweep(path, tmp_path / "o", workers=1, progress=False, figures=False)
    assert first.n_failed == 8
    again = run_sweep(path, tmp_path / "o", workers=1, progress=False, figures=False, retry_failed=True)
    assert again.executed == 8 and again.n_failed == 8  # deterministic failures fail again
    pd.testing.assert_frame_equal(first.runs[NO_TIME], again.runs[NO_TIME])


SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from inspire_sim.experiments import run_sweep
if __name__ == "__main__":
    run_sweep({spec!r}, {out!r}, workers=int(sys.argv[1]), progress=False, figures=False, flush_seconds=0.1)
"""


@pytest.mark.slow
@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_then_resume_equals_uninterrupted(tmp_path, workers):
    spec = toy_spec(tmp_path, mode="slow", replications=5)  # 60 runs of 50 ms
    out = tmp_path / "killed"
    script = tmp_path / "sweep.py"
    script.write_text(SCRIPT.format(tests=str(Path(__file__).parent), spec=str(spec), out=str(out)))
    proc = subprocess.Popen([sys.executable, str(script), str(workers)], start_new_session=True)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and len(list((out / "parts").glob("part-*.parquet"))) < 3:
            time.sleep(0.05)
            assert proc.poll() is None, "sweep ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # the runner and its worker processes
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    recorded = pd.concat([pd.read_parquet(p) for p in (out / "parts").glob("part-*.parquet")])
    assert 0 < len(recorded) < 60
    resumed = run_sweep(spec, out, workers=workers, progress=False, figures=False)
    assert resumed.executed == 60 - recorded["run_id"].nunique()
    whole = run_sweep(spec, tmp_path / "whole", workers=2, progress=False, figures=False)
    pd.testing.assert_frame_equal(resumed.runs[NO_TIME], whole.runs[NO_TIME], check_exact=True)
    m = json.loads((out / "manifest.json").read_text())
    assert len(m["sessions"]) == 2 and "finished" not in m["sessions"][0]
