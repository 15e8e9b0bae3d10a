"""Packaging: shipped scenarios and experiments travel inside the wheel (issue 11 item 1).

The slow test builds the wheel from a copy of the source tree, installs it (not editable) into
a temporary folder and runs the command line from outside the repository with the project's
interpreter, after checking that ``inspire_sim`` is imported from the installed wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from inspire_sim.core.scenario import EXPERIMENT_DIR, SCENARIO_DIR, load_scenario, resolve_path, shipped_names
from inspire_sim.errors import InputError
from inspire_sim.experiments.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
SOURCE_ITEMS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "inspire_sim", "scenarios", "experiments")


def test_unknown_scenario_lists_shipped_names_not_files():
    with pytest.raises(InputError) as err:
        load_scenario("qqq")
    msg = str(err.value)
    assert msg.startswith("qqq: no such scenario (fix: use one of: baseline, cross_border_brokering")
    assert ".toml," not in msg


def test_typo_suggests_the_scenario_name():
    with pytest.raises(InputError, match=r"basline: no such scenario \(fix: did you mean 'baseline'\?"):
        resolve_path("basline")


def test_unknown_experiment_lists_shipped_experiments():
    with pytest.raises(InputError, match=r"ishigam: no such experiment \(fix: did you mean 'ishigami'\?"):
        load_spec("ishigam")


def test_shipped_names_are_the_top_level_files():
    assert shipped_names(SCENARIO_DIR) == sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))
    assert shipped_names(EXPERIMENT_DIR) == sorted(p.stem for p in (ROOT / "experiments").glob("*.toml"))


def test_a_local_file_wins_over_a_shipped_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline.toml").write_text((ROOT / "scenarios" / "baseline.toml").read_text())
    assert resolve_path("baseline.toml") == Path("baseline.toml")
    assert resolve_path("baseline") == SCENARIO_DIR / "baseline.toml"


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory):
    """Build the wheel from a copy of the tree and install it (no deps) into a target folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for item in SOURCE_ITEMS:
        path = ROOT / item
        if path.is_dir():
            shutil.copytree(path, src / item, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / item)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", str(src), "-w", str(tmp / "w")], check=True)
    (wheel,) = (tmp / "w").glob("inspire_sim-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(tmp / "site"), str(wheel)], check=True)
    cwd = tmp / "elsewhere"
    cwd.mkdir()
    return wheel, tmp / "site", cwd


def _run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_wheel_ships_every_scenario_and_experiment(installed_wheel):
    wheel, _, _ = installed_wheel
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("scenarios", "experiments"):
        for f in (ROOT / folder).glob("*.toml"):
            assert f"inspire_sim/data/{folder}/{f.name}" in names


@pytest.mark.slow
def test_installed_wheel_runs_shipped_scenario_and_experiment_from_outside(installed_wheel):
    _, site, cwd = installed_wheel
    probe = _run(
        site,
        cwd,
        "-c",
        "import inspire_sim, inspire_sim.core.scenario as s; from inspire_sim.experiments.spec import load_spec;"
        "spec = load_spec('policy_grid'); print(inspire_sim.__file__); print(s.SCENARIO_DIR);"
        "print(s.load_scenario(spec.scenario).name)",
    )
    assert probe.returncode == 0, probe.stderr
    file_, scen_dir, scen_name = probe.stdout.split()
    assert Path(file_).is_relative_to(site), "inspire_sim was not imported from the installed wheel"
    assert Path(scen_dir) == site / "inspire_sim" / "data" / "scenarios"
    assert scen_name == "baseline"
    out = cwd / "run"
    run = _run(
        site, cwd, "-m", "inspire_sim.cli", "run", "baseline", "--replications", "1", "--steps", "6", "--out", str(out)
    )
    assert run.returncode == 0, run.stderr
    assert (out / "manifest.json").exists()
    sweep = _run(site, cwd, "-m", "inspire_sim.cli", "sweep", "ishigami", "--out", str(cwd / "ishigami"))
    assert sweep.returncode == 0, sweep.stderr
    assert (cwd / "ishigami" / "results.parquet").exists()
    bad = _run(site, cwd, "-m", "inspire_sim.cli", "run", "basline")
    assert bad.returncode == 2
    assert "did you mean 'baseline'?" in bad.stderr
