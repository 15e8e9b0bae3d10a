"""``inspire-sim run`` and ``inspire-sim params``: outputs, and one-line errors with exit code 2."""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import inspire_sim
from inspire_sim.cli import main
from inspire_sim.levers import parameter_specs
from inspire_sim.reports.plots import FIGURES
from inspire_sim.results import RunResult

EXE = Path(sys.executable).parent / "inspire-sim"
SMALL = ["--n-smes", "200", "--steps", "12", "--quiet"]


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_error(code: int, out: str, err: str, *words: str) -> None:
    assert code == 2
    assert "Traceback" not in err + out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("inspire-sim: error:"), err
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.fixture()
def bad_key_scenario(tmp_path) -> Path:
    path = tmp_path / "bad.toml"
    base = (Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml").as_posix()
    path.write_text(f'name = "bad"\nextends = "{base}"\n[model]\nn_sme = 300\n')
    return path


# ----------------------------------------------------------------------------------------
# run: outputs
# ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_run_writes_tables_manifest_summary_and_figures(capsys, tmp_path):
    out_dir = tmp_path / "out"
    code, out, err = _run(capsys, "run", "--replications", "2", "--seed", "5", "--out", str(out_dir), *SMALL)
    assert code == 0, err
    header = out.splitlines()[1]
    assert header.split()[:4] == ["indicator", "statistic", "unit", "mean"] and "95% CI" in header
    assert "cooperating_share" in out and "cross_border_share" in out and "pt_psr__" not in out
    for table in RunResult.TABLES:
        assert (out_dir / f"{table}.parquet").is_file()
    for stem in FIGURES:
        assert (out_dir / "figures" / f"{stem}.png").stat().st_size > 10_000  # the layout of compare
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["n_replications"] == 2
    assert manifest["scenario"]["model"]["n_smes"] == 200
    assert manifest["command"]["seed"] == 5 and manifest["command"]["steps"] == 12
    assert {"simulate_s", "figures_s"} <= set(manifest["command"]["timings"])
    api = inspire_sim.run_replications(inspire_sim.load_scenario("baseline", n_smes=200), 2, seed=5, steps=1)
    assert [r["seed"] for r in manifest["replications"]] == [r.manifest["seed"] for r in api]
    summary = pd.read_csv(out_dir / "summary.csv")
    assert {"indicator", "mean", "ci_low", "ci_high"} <= set(summary.columns)
    assert pd.read_parquet(out_dir / "timeseries.parquet")["step"].max() == 12


def test_run_defaults_to_baseline_in_runs_dir(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "run", "--replications", "1", "--no-figures", *SMALL)
    assert code == 0, err
    assert (tmp_path / "runs" / "baseline" / "manifest.json").is_file()
    assert "n/a (1 run)" in out


def test_run_can_print_partner_types(capsys, tmp_path):
    code, out, err = _run(capsys, "run", "-r", "1", "--no-figures", "--partner-types", "-o", str(tmp_path), *SMALL)
    assert code == 0, err
    assert "pt_large_firm__scaling_up" in out


def test_run_is_reproducible_through_the_cli(capsys, tmp_path):
    for name in ("a", "b"):
        code, _, err = _run(capsys, "run", "-r", "2", "-s", "9", "--no-figures", "-o", str(tmp_path / name), *SMALL)
        assert code == 0, err
    names = sorted(p.name for p in (tmp_path / "a").glob("*.parquet"))
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", names, shallow=False)
    assert match == names and not mismatch and not errors


# ----------------------------------------------------------------------------------------
# run: bad input -> one line, exit 2
# ----------------------------------------------------------------------------------------

BAD_OPTIONS = {
    "missing file": (["no_such_scenario.toml"], ["no_such_scenario.toml", "no such scenario", "use one of: baseline"]),
    "missing path": (["nowhere/plan.toml"], ["nowhere/plan.toml", "file not found", "check the path"]),
    "steps 0": (["--steps", "0"], ["--steps"]),
    "steps negative": (["--steps", "-3"], ["--steps"]),
    "steps too many": (["--steps", "100000"], ["--steps"]),
    "replications 0": (["--replications", "0"], ["--replications"]),
    "seed negative": (["--seed", "-1"], ["--seed"]),
    "n-smes out of bounds": (["--n-smes", "0"], ["n_smes"]),
}


@pytest.mark.parametrize("case", list(BAD_OPTIONS))
def test_bad_run_input_is_one_line_and_exit_2(capsys, tmp_path, case):
    args, words = BAD_OPTIONS[case]
    _assert_one_line_error(*_run(capsys, "run", "-q", "-o", str(tmp_path / "o"), *args), *words)
    assert not (tmp_path / "o").exists()


def test_unparsable_option_is_one_line(capsys):
    _assert_one_line_error(*_run(capsys, "run", "--steps", "abc"), "--steps")


def test_unknown_key_names_file_field_and_fix(capsys, tmp_path, bad_key_scenario):
    _assert_one_line_error(
        *_run(capsys, "run", str(bad_key_scenario), "-o", str(tmp_path / "o")), "bad.toml", "n_sme", "n_smes"
    )


def test_out_must_be_a_directory(capsys, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    _assert_one_line_error(*_run(capsys, "run", "-o", str(target), *SMALL), "--out")


@pytest.mark.slow
@pytest.mark.parametrize("args", [["no_such_scenario"], ["--steps", "0"], ["--replications", "0"], ["BAD"]])
def test_installed_command_reports_bad_input_in_one_line(tmp_path, bad_key_scenario, args):
    args = [str(bad_key_scenario) if a == "BAD" else a for a in args]
    proc = subprocess.run(
        [str(EXE), "run", "-q", "-o", str(tmp_path / "o"), *args], capture_output=True, text=True, timeout=60
    )
    _assert_one_line_error(proc.returncode, proc.stdout, proc.stderr)


# ----------------------------------------------------------------------------------------
# params
# ----------------------------------------------------------------------------------------


def _param_names(text: str) -> list[str]:
    """Full dotted names from the sectioned terminal table ([section] then indented short names)."""
    names, section = [], None
    for line in text.splitlines()[1:]:
        if line.startswith("["):
            section = line.strip("[]")
        elif line.startswith("  ") and not line.startswith("      "):
            names.append(f"{section}.{line.split()[0]}")
    return names


@pytest.mark.parametrize("width", [80, 100, 160])
def test_params_lists_every_parameter_within_the_terminal_width(capsys, monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, _ = _run(capsys, "params")
    assert code == 0
    assert out.split()[:5] == ["name", "default", "unit", "bounds", "role"]
    assert max(len(line) for line in out.splitlines()) <= width
    assert sorted(_param_names(out)) == sorted(s.name for s in parameter_specs())
    assert "[10, 3e+07]" in next(line for line in out.splitlines() if line.startswith("  n_smes "))
    assert ("source" in out.splitlines()[0]) == (width >= 160)


def test_params_filters_by_role(capsys):
    code, out, _ = _run(capsys, "params", "--role", "lever")
    assert code == 0
    assert set(_param_names(out)) == {s.name for s in parameter_specs() if s.role == "lever"}


def test_params_csv_gives_ranges_as_two_columns(capsys):
    code, out, _ = _run(capsys, "params", "--csv", "--role", "uncertainty")
    assert code == 0
    table = pd.read_csv(__import__("io").StringIO(out))
    assert set(table["role"]) == {"uncertainty"} and table["description"].str.len().min() > 0
    assert {"lo", "hi", "sa_lo", "sa_hi"} <= set(table.columns) and "sa_range" not in table.columns
    by_name = table.set_index("name")
    spec = next(s for s in parameter_specs() if s.sa_range is not None and s.role == "uncertainty")
    assert (by_name.loc[spec.name, "sa_lo"], by_name.loc[spec.name, "sa_hi"]) == tuple(spec.sa_range or ())


def test_params_json_is_every_parameter(capsys):
    code, out, _ = _run(capsys, "params", "--json")
    assert code == 0
    records = json.loads(out)
    assert [r["name"] for r in records] == [s.name for s in parameter_specs()]
    assert {"default", "unit", "lo", "hi", "sa_lo", "sa_hi", "role", "source", "description"} <= set(records[0])


def test_params_unknown_role_is_one_line(capsys):
    _assert_one_line_error(*_run(capsys, "params", "--role", "levers"), "--role", "lever")


# ----------------------------------------------------------------------------------------
# consistency across commands
# ----------------------------------------------------------------------------------------


def test_version(capsys):
    code, out, _ = _run(capsys, "--version")
    assert code == 0 and out.strip() == f"inspire-sim {inspire_sim.__version__}"


@pytest.mark.parametrize("command", ["run", "params", "compare", "rerun"])
def test_help_shows_an_example(capsys, command):
    code, out, _ = _run(capsys, command, "--help")
    assert code == 0
    assert f"Example: inspire-sim {command}" in " ".join(out.split())


@pytest.mark.parametrize("command", ["run", "compare"])
def test_shared_flags(capsys, command):
    code, out, _ = _run(capsys, command, "--help")
    text = " ".join(out.split())
    assert code == 0 and "--progress" in text and "--quiet" in text and "--set" in text and "--no-figures" in text


def test_run_set_overrides_and_rejects_bad_items(capsys, tmp_path):
    out = tmp_path / "o"
    args = ["run", "-r", "1", "-t", "3", "--set", "n_smes=123", "-q", "--no-figures", "-o", str(out)]
    code, _, err = _run(capsys, *args)
    assert code == 0, err
    assert json.loads((out / "manifest.json").read_text())["scenario"]["model"]["n_smes"] == 123
    _assert_one_line_error(*_run(capsys, "run", "--set", "n_smes"), "--set", "NAME=VALUE")
    _assert_one_line_error(*_run(capsys, "run", "--set", "n_smez=5"), "n_smez", "n_smes")
