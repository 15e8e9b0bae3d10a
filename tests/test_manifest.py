"""One manifest schema for run, sweep and compare; ``inspire-sim rerun`` reproduces a folder."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from inspire_sim import manifest as M
from inspire_sim.cli import main
from inspire_sim.core.streams import replicate_seed
from inspire_sim.results import write_table

COMMON = {"schema", "kind", "argv", "package", "version", "git_revision", "versions", "seed"}
LIBS = {"python", "numpy", "mesa", "pandas", "scipy", "SALib"}


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("m") / "run"
    argv = ["run", "baseline", "-r", "2", "--steps", "8", "--set", "n_smes=300", "--quiet", "--no-figures"]
    assert main([*argv, "--out", str(out)]) == 0
    return out, argv


def test_run_manifest_schema(run_dir):
    out, argv = run_dir
    m = _manifest(out)
    assert set(m) >= COMMON
    assert m["schema"] == M.SCHEMA and m["kind"] == "run"
    assert m["argv"] == ["inspire-sim", *argv, "--out", str(out)]
    assert set(m["versions"]) >= LIBS and all(m["versions"][k] for k in LIBS)
    assert m["seed"] == 0 and [r["seed"] for r in m["replications"]] == [replicate_seed(0, r) for r in range(2)]
    assert m["scenario"]["model"]["n_smes"] == 300
    (path, text), *_ = m["scenario_text"].items()
    assert Path(path).name == "baseline.toml" and 'name = "baseline"' in text


def test_rerun_reproduces_a_run_bit_for_bit(run_dir, tmp_path, capsys):
    out, _ = run_dir
    again = tmp_path / "again"
    assert main(["rerun", str(out), "--out", str(again)]) == 0
    for table in ("timeseries", "smes", "partnerships", "panel", "spend", "countries", "regions"):
        assert (out / f"{table}.parquet").read_bytes() == (again / f"{table}.parquet").read_bytes()
    assert "8/8 tables match" in capsys.readouterr().out


def test_rerun_notices_a_different_table(run_dir, tmp_path, capsys):
    out, _ = run_dir
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    for f in out.iterdir():
        if f.is_file():
            (tampered / f.name).write_bytes(f.read_bytes())
    ts = pd.read_parquet(tampered / "timeseries.parquet")
    ts.loc[3, "cooperating_share"] += 0.01
    write_table(ts, tampered / "timeseries.parquet")
    assert main(["rerun", str(tampered), "--out", str(tmp_path / "re")]) == 1
    assert "differ: timeseries.parquet" in capsys.readouterr().out


def test_rerun_of_a_folder_without_manifest_is_one_line_exit_2(tmp_path, capsys):
    assert main(["rerun", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no manifest.json" in err


@pytest.mark.slow
def test_compare_and_sweep_share_the_schema_and_rerun(tmp_path):
    comp = tmp_path / "comp"
    argv = ["compare", "baseline", "national_funding", "-r", "2", "--steps", "6", "--set", "n_smes=200", "-w", "1"]
    assert main([*argv, "--quiet", "--out", str(comp)]) == 0
    m = _manifest(comp)
    assert set(m) >= COMMON and m["kind"] == "compare"
    assert [s["name"] for s in m["scenario"]] == ["baseline", "national_funding"]
    assert main(["rerun", str(comp), "--out", str(tmp_path / "comp2")]) == 0

    spec = tmp_path / "small.toml"
    text = (Path(M.__file__).parent.parent / "experiments" / "ishigami.toml").read_text()
    spec.write_text(text.replace("samples = 1024", "samples = 16"))
    assert main(["sweep", str(spec), "--out", str(tmp_path / "sw"), "--no-progress", "--no-figures"]) == 0
    m = _manifest(tmp_path / "sw")
    assert set(m) >= COMMON and m["kind"] == "sweep" and m["spec_text"] == spec.read_text()
    assert main(["rerun", str(tmp_path / "sw"), "--out", str(tmp_path / "sw2")]) == 0
    spec.write_text(text)  # the spec changed since: refuse rather than silently run another experiment
    assert main(["rerun", str(tmp_path / "sw"), "--out", str(tmp_path / "sw3")]) == 2


def test_one_git_revision():
    top = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=Path(M.__file__).parent)
    M._own_revision.cache_clear()  # computed once per process: a commit made since would not show
    rev = M.git_revision()
    assert rev is not None and rev.removesuffix("+dirty") == top.stdout.strip()
    import inspire_sim.results as results

    assert not hasattr(results, "git_revision")


def test_rerun_of_a_run_saved_from_python(tmp_path):
    import inspire_sim as I
    from inspire_sim.results import save_run

    res = I.run(I.load_scenario("baseline", n_smes=200), seed=11, steps=5)
    save_run(res, tmp_path / "py")
    assert _manifest(tmp_path / "py")["argv"] is None  # not from the command line
    assert main(["rerun", str(tmp_path / "py"), "--out", str(tmp_path / "py2")]) == 0
    assert (tmp_path / "py" / "timeseries.parquet").read_bytes() == (
        tmp_path / "py2" / "timeseries.parquet"
    ).read_bytes()
