"""``inspire-sim sweep`` and ``inspire-sim sensitivity`` end to end (exit codes, files)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from test_experiments_toy import toy_spec


def cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "inspire_sim.cli", *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


@pytest.mark.slow  # over ~2.5 s: kept out of make check's fast tier
def test_sweep_with_failures_exits_1_and_counts_them(tmp_path):
    spec = toy_spec(tmp_path, mode="fail")
    out = tmp_path / "o"
    proc = cli("sweep", str(spec), "--out", str(out), "--workers", "1", "--no-figures")
    assert proc.returncode == 1, proc.stderr
    assert "8 of 24 runs did not succeed (0 timed out, 0 invalid)" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "toy: 24 runs (12 points x 2 replications, design grid), 16 ok, 8 failed" in proc.stdout
    assert (out / "results.csv").exists() and (out / "summary.csv").exists()
    again = cli("sweep", str(spec), "--out", str(out), "--workers", "1", "--no-figures")
    assert again.returncode == 1 and "0 executed now" in again.stdout


@pytest.mark.slow
def test_sensitivity_on_two_processes(tmp_path):
    out = tmp_path / "ish"
    proc = cli("sensitivity", "ishigami", "--out", str(out), "--workers", "2", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "y (Sobol, sorted by ST):" in proc.stdout and "x1" in proc.stdout
    for name in ("indices.parquet", "indices.csv", "results.parquet", "manifest.json", "figures/sobol_y.png"):
        assert (out / name).exists(), name


def test_flags_are_the_shared_ones_of_run_and_compare():
    """--progress/--quiet (-q) and --figures/--no-figures come from commands/options.py, as for run/compare."""
    from typer.main import get_command

    from inspire_sim.cli import app

    def flags(name: str) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
        cmd = get_command(app).commands[name]  # type: ignore[attr-defined]
        return {
            p.name: (tuple(p.opts), tuple(p.secondary_opts)) for p in cmd.params if p.name in ("progress", "figures")
        }

    expected = flags("run")
    assert expected == {
        "progress": (("--progress",), ("--quiet", "-q")),
        "figures": (("--figures",), ("--no-figures",)),
    }
    for name in ("sweep", "sensitivity", "compare"):
        assert flags(name) == expected, name


@pytest.mark.slow  # over ~2.5 s: kept out of make check's fast tier
def test_bad_options_exit_2(tmp_path):
    proc = cli("sweep", "ishigami", "--out", str(tmp_path / "o"), "--workers", "0")
    assert proc.returncode == 2 and "--workers" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    proc = cli("sweep", "ishigami", "--out", str(tmp_path / "o"), "--cluster", "slurm")
    assert proc.returncode == 2 and "unknown cluster 'slurm'" in proc.stderr
    proc = cli("sensitivity", "policy_grid", "--out", str(tmp_path / "p"))
    assert proc.returncode == 2 and "has no sensitivity indices" in proc.stderr
