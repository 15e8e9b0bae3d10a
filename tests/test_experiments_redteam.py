"""Red-team pass on the experiment runner (issue 12): bad inputs and faults.

Every bad input must give ONE line naming the field and the fix (``InputError``; exit
status 2 from the CLI, no traceback), before anything runs and without creating the
``--out`` directory. Every fault must end as a recorded run status (the sweep goes on),
never as a traceback, a hang, a silently wrong number or lost data. The faults that
need processes killed or interrupted are in ``test_experiments_faults.py``.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_experiments_toy import TOY

from inspire_sim.cli import main
from inspire_sim.errors import InputError
from inspire_sim.experiments import run_sweep, spec_from_dict

MB: dict[str, Any] = {
    "name": "rt",
    "model": "toy.py:toy",
    "seed": 1,
    "design": {"kind": "grid"},
    "factors": [{"name": "x", "levels": [0.1, 0.5]}, {"name": "y", "range": [0, 1], "points": 3}],
    "outputs": [{"indicator": "z"}],
}
IB: dict[str, Any] = {
    "name": "rti",
    "scenario": "baseline",
    "seed": 1,
    "steps": 24,
    "design": {"kind": "grid"},
    "fixed": {"n_smes": 100},
    "factors": [{"name": "support_funding.co_funding_rate", "levels": [0.3, 0.5]}],
    "outputs": [{"indicator": "cooperating_share", "statistic": "mean", "window": [13, 24]}],
}

HELPERS = {
    "syntaxerr.py": "def f(params):\n    return {\n",
    "raises.py": "raise RuntimeError('no database')\ndef f(params):\n    return {}\n",
    "exits.py": "import sys\nsys.exit(3)\n",
    "shapes.py": textwrap.dedent(
        """
        class Model:
            pass
        def two(params, other):
            return {}
        def typed(params: int) -> dict:
            return {}
        def returns_list(params: dict) -> list:
            return []
        def none():
            return {}
        value = 3
        def flags(params: dict) -> dict:
            flag = params["flag"]
            return {"z": 1.0 if flag is True else 0.0 if flag is False else -1.0}
        """
    ),
}


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation: set a (dotted, [index]) key of the spec dict; value None deletes it."""

    def apply(d: dict[str, Any]) -> None:
        node: Any = d
        parts = path.split(".")
        for p in parts[:-1]:
            node = node[int(p)] if p.isdigit() else node.setdefault(p, {})
        last = parts[-1]
        if value is _DEL:
            del node[last]
        elif last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return apply


_DEL = object()
MOD, INS = "model", "inspire"

# (id, base, mutations, text expected in the one-line message)
BAD_INPUTS: list[tuple[str, str, list[Callable[[dict[str, Any]], None]], str]] = [
    ("empty name", MOD, [_set("name", "")], "field 'name'"),
    ("name not text", MOD, [_set("name", 5)], "field 'name'"),
    ("no name", MOD, [_set("name", _DEL)], "field 'name': missing"),
    ("stdlib subprocess", MOD, [_set("model", "subprocess:run")], "standard library"),
    ("stdlib os.system", MOD, [_set("model", "os:system")], "standard library"),
    ("builtins eval", MOD, [_set("model", "builtins:eval")], "standard library"),
    ("sys exit", MOD, [_set("model", "sys:exit")], "standard library"),
    ("__main__", MOD, [_set("model", "__main__:f")], "standard library"),
    ("no colon", MOD, [_set("model", "toy.py")], "not 'module:name'"),
    ("empty function", MOD, [_set("model", "toy.py:")], "not 'module:name'"),
    ("missing file", MOD, [_set("model", "missing.py:f")], "not found"),
    ("syntax error on import", MOD, [_set("model", "syntaxerr.py:f")], "SyntaxError"),
    ("exception on import", MOD, [_set("model", "raises.py:f")], "RuntimeError: no database"),
    ("sys.exit on import", MOD, [_set("model", "exits.py:f")], "SystemExit: 3"),
    ("missing module", MOD, [_set("model", "no_such_pkg_zz:f")], "cannot import"),
    ("bad module name", MOD, [_set("model", "a b:f")], "not a module name"),
    ("attribute not callable", MOD, [_set("model", "shapes.py:value")], "has no function"),
    ("class, not function", MOD, [_set("model", "shapes.py:Model")], "not a Python function"),
    ("needs two args", MOD, [_set("model", "shapes.py:two")], "needs argument 'other'"),
    ("takes int", MOD, [_set("model", "shapes.py:typed")], "not a dict"),
    ("returns list", MOD, [_set("model", "shapes.py:returns_list")], "not a dict"),
    ("takes nothing", MOD, [_set("model", "shapes.py:none")], "takes no argument"),
    ("model not text", MOD, [_set("model", 5)], "field 'model'"),
    ("scenario and model", MOD, [_set("scenario", "baseline")], "not both"),
    ("neither", MOD, [_set("model", _DEL)], "neither"),
    ("model_class on model route", MOD, [_set("model_class", "x:Y")], "model_class"),
    ("no factors", MOD, [_set("factors", [])], "field 'factors'"),
    ("factor without name", MOD, [_set("factors.0.name", _DEL)], "name': missing"),
    ("empty levels", MOD, [_set("factors.0.levels", [])], "levels"),
    ("mixed number/text levels", MOD, [_set("factors.0.levels", [0.1, "a"])], "levels mix"),
    ("mixed bool/number levels", MOD, [_set("factors.0.levels", [True, 1])], "levels mix"),
    ("nan level", MOD, [_set("factors.0.levels", [0.1, float("nan")])], "not a finite number"),
    ("inf level", MOD, [_set("factors.0.levels", [0.1, float("inf")])], "not a finite number"),
    ("duplicate levels", MOD, [_set("factors.0.levels", [0.1, 0.1])], "appears twice"),
    ("list level", MOD, [_set("factors.0.levels", [[1], [2]])], "levels"),
    ("reversed range", MOD, [_set("factors.1.range", [1, 0])], "low < high"),
    ("infinite range", MOD, [_set("factors.1.range", [0, float("inf")])], "low < high"),
    ("bool range", MOD, [_set("factors.1.range", [True, False])], "not true/false"),
    ("three-number range", MOD, [_set("factors.1.range", [0, 1, 2])], "range"),
    ("text range", MOD, [_set("factors.1.range", "0-1")], "range"),
    (
        "integer factor, fractional range",
        MOD,
        [_set("factors.1.integer", True), _set("factors.1.range", [0.2, 0.7])],
        "fractional bounds",
    ),
    ("integer factor, fractional level", MOD, [_set("factors.0.integer", True)], "not an integer"),
    ("integer not bool", MOD, [_set("factors.1.integer", "yes")], "integer"),
    ("one grid point", MOD, [_set("factors.1.points", 1)], "points"),
    ("fractional points", MOD, [_set("factors.1.points", 2.5)], "points"),
    ("points with levels", MOD, [_set("factors.0.points", 3)], "points"),
    ("unknown distribution", MOD, [_set("factors.1.distribution", "normal")], "distribution"),
    ("loguniform from 0", MOD, [_set("factors.1.distribution", "loguniform")], "loguniform"),
    ("peak outside range", MOD, [_set("factors.1.distribution", "triangular"), _set("factors.1.peak", 2.0)], "peak"),
    ("peak without triangular", MOD, [_set("factors.1.peak", 0.5)], "peak"),
    ("unknown design", MOD, [_set("design.kind", "foo")], "design.kind"),
    ("design not a table", MOD, [_set("design", 5)], "field 'design'"),
    ("lhs without samples", MOD, [_set("design.kind", "lhs")], "design.samples"),
    ("sobol not power of 2", MOD, [_set("design", {"kind": "sobol", "samples": 1000})], "use 1024"),
    ("morris odd levels", MOD, [_set("design", {"kind": "morris", "samples": 4, "num_levels": 3})], "odd"),
    (
        "sobol one factor",
        MOD,
        [_set("design", {"kind": "sobol", "samples": 8}), _set("factors", [{"name": "x", "range": [0, 1]}])],
        "two factors",
    ),
    ("second_order on lhs", MOD, [_set("design", {"kind": "lhs", "samples": 4, "second_order": True})], "second_order"),
    ("zero replications", MOD, [_set("replications", 0)], "replications"),
    ("float replications", MOD, [_set("replications", 1e9)], "replications"),
    ("bool replications", MOD, [_set("replications", True)], "replications"),
    ("negative seed", MOD, [_set("seed", -1)], "field 'seed'"),
    ("huge seed", MOD, [_set("seed", 2**40)], "field 'seed'"),
    ("fractional seed", MOD, [_set("seed", 1.5)], "field 'seed'"),
    ("steps on model route", MOD, [_set("steps", 10)], "field 'steps'"),
    ("zero timeout", MOD, [_set("timeout", 0)], "timeout"),
    ("negative timeout", MOD, [_set("timeout", -5)], "timeout"),
    ("unreadable max_memory", MOD, [_set("max_memory", "lots")], "max_memory"),
    ("tiny max_memory", MOD, [_set("max_memory", 100)], "256 MiB"),
    ("no outputs", MOD, [_set("outputs", [])], "no outputs"),
    ("statistic on model route", MOD, [_set("outputs.0.statistic", "mean")], "scalars"),
    ("reserved output name", MOD, [_set("outputs.0.name", "status")], "reserved"),
    ("duplicate outputs", MOD, [_set("outputs", [{"indicator": "z"}, {"indicator": "z"}])], "two outputs"),
    ("output named like a factor", MOD, [_set("outputs.0.name", "x")], "both a factor and an output"),
    ("typo top-level key", MOD, [_set("replicatons", 3)], "did you mean 'replications'"),
    ("internal key", MOD, [_set("source", "x")], "unknown top-level key"),
    ("fixed not a table", MOD, [_set("fixed", 5)], "field 'fixed'"),
    ("factor also fixed", MOD, [_set("fixed", {"x": 1})], "both a factor and fixed"),
    ("duplicate factor", MOD, [_set("factors.1", {"name": "x", "levels": [1]})], "appears twice"),
    ("grid factor without levels", MOD, [_set("factors.1.points", _DEL)], "needs levels or points"),
    ("unknown factor key", MOD, [_set("factors.0.levles", [1])], "unknown key"),
    ("INSPIRE steps as float 1e8", INS, [_set("steps", 1e8)], "field 'steps'"),
    ("INSPIRE steps 10^8", INS, [_set("steps", 100_000_000)], "above the limit"),
    ("INSPIRE fixed.steps and steps", INS, [_set("fixed.steps", 30)], "ambiguous"),
    ("INSPIRE factor steps and steps", INS, [_set("factors.0", {"name": "steps", "levels": [12, 24]})], "ambiguous"),
    ("INSPIRE unknown parameter", INS, [_set("factors.0.name", "support_funding.co_funding")], "did you mean"),
    (
        "INSPIRE bad middle level",
        INS,
        [_set("factors.0", {"name": "development_threshold", "levels": [1.0, 3.0, 1.2]})],
        "value 3.0 is invalid",
    ),
    ("INSPIRE bool levels for a number", INS, [_set("factors.0.levels", [True, False])], "not a number"),
    ("INSPIRE text level for a number", INS, [_set("factors.0.levels", ["high", "low"])], "not a number"),
    (
        "INSPIRE fractional level of an integer",
        INS,
        [_set("factors.0", {"name": "cross_border_brokering.capacity", "levels": [0, 2.5]})],
        "not a whole number",
    ),
    (
        "INSPIRE integer, fractional range",
        INS,
        [
            _set("design", {"kind": "lhs", "samples": 4}),
            _set("factors.0", {"name": "cross_border_brokering.capacity", "range": [0.2, 0.7]}),
        ],
        "fractional bounds",
    ),
    (
        "INSPIRE range outside bounds",
        INS,
        [_set("factors.0", {"name": "support_funding.co_funding_rate", "range": [0.1, 2.0], "points": 3})],
        "valid bounds",
    ),
    ("INSPIRE window beyond steps", INS, [_set("outputs.0.window", [13, 30])], "within months 1..24"),
    ("INSPIRE window reversed", INS, [_set("outputs.0.window", [5, 2])], "window"),
    ("INSPIRE window from 0", INS, [_set("outputs.0.window", [0, 3])], "window"),
    ("INSPIRE window mixed signs", INS, [_set("outputs.0.window", [-3, 2])], "window"),
    ("INSPIRE window on final", INS, [_set("outputs.0.statistic", "final")], "does not apply"),
    ("INSPIRE unknown indicator", INS, [_set("outputs.0.indicator", "cooperation")], "did you mean"),
    ("INSPIRE scenario path escape", INS, [_set("scenario", "../../../etc/passwd")], "field 'scenario'"),
    ("INSPIRE missing scenario", INS, [_set("scenario", "nonexistent")], "field 'scenario'"),
    ("INSPIRE model_class stdlib", INS, [_set("model_class", "subprocess:Popen")], "standard library"),
    ("INSPIRE model_class not a model", INS, [_set("model_class", "shapes.py:Model")], "not a subclass"),
    ("INSPIRE model_class missing", INS, [_set("model_class", "no_such_pkg_zz:Cls")], "cannot import"),
    ("INSPIRE fixed out of bounds", INS, [_set("fixed.n_smes", -5)], "n_smes': value -5 is out of bounds"),
    ("INSPIRE fixed typo", INS, [_set("fixed.n_smez", 5)], "did you mean 'n_smes'"),
    ("INSPIRE unknown role", INS, [_set("factors", "nonsense")], "not a parameter role"),
    (
        "INSPIRE corner invalid",
        INS,
        [
            _set(
                "factors",
                [
                    {"name": "development_threshold", "levels": [1.0, 2.0]},
                    {"name": "scaling_threshold", "levels": [1.5, 3.0]},
                ],
            )
        ],
        "design corner",
    ),
]


@pytest.fixture(scope="module")
def helpers(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("redteam")
    (d / "toy.py").write_text(TOY)
    for name, text in HELPERS.items():
        (d / name).write_text(text)
    return d


@pytest.mark.parametrize("label, base, changes, expected", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_one_line_before_anything_runs(helpers, tmp_path, label, base, changes, expected):
    spec = copy.deepcopy(MB if base == MOD else IB)
    for change in changes:
        change(spec)
    out = tmp_path / "out"
    with pytest.raises(InputError) as info:
        run_sweep(spec_from_dict(spec, base_dir=helpers, source="rt.toml"), out, workers=1, progress=False)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("rt.toml") and "(fix: " in msg, msg
    assert expected in msg, msg
    assert not out.exists()  # nothing written: the --out is not poisoned


SIZE_CASES = [
    ("grid of 10^10 points", {"factors": [{"name": f"f{i}", "levels": list(range(10))} for i in range(10)]}),
    (
        "2^30 Sobol samples",
        {
            "design": {"kind": "sobol", "samples": 2**30},
            "factors": [{"name": "x", "range": [0, 1]}, {"name": "y", "range": [0, 1]}],
        },
    ),
    ("10^9 replications", {"replications": 10**9}),
]


@pytest.mark.parametrize("label, change", SIZE_CASES, ids=[c[0] for c in SIZE_CASES])
def test_oversized_designs_are_refused_with_the_override(helpers, tmp_path, monkeypatch, label, change):
    """Refused before anything is drawn: the design and its run table are never built."""
    spec = spec_from_dict({**MB, **change}, base_dir=helpers, source="rt.toml")

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the oversized design was drawn before it was refused")

    monkeypatch.setattr("inspire_sim.experiments.sweep.build_design", never)
    monkeypatch.setattr("inspire_sim.experiments.sweep.run_table", never)
    with pytest.raises(InputError, match=r"more than the limit of 1,000,000 \(fix: .*--max-runs"):
        run_sweep(spec, tmp_path / "o", workers=1, progress=False)
    assert not (tmp_path / "o").exists()


CLI_CASES = [
    (["--set", "replications=0"], "replications"),
    (["--set", "replications"], "--set"),
    (["--set", "factors=1"], "--set"),
    (["--workers", "0"], "--workers"),
    (["--timeout", "-1"], "--timeout"),
    (["--max-memory", "1K"], "--max-memory"),
    (["--max-runs", "0"], "--max-runs"),
    (["--max-runs", "5"], "--max-runs 6"),
    (["--cluster", "slurm"], "unknown cluster"),
    (["--set", "steps=24"], "field 'steps'"),
]


@pytest.mark.parametrize("args, expected", CLI_CASES, ids=[" ".join(c[0]) for c in CLI_CASES])
def test_bad_command_lines_exit_2_with_one_line(helpers, tmp_path, capsys, args, expected):
    (helpers / "rt.toml").write_text(_toml(MB))
    code = main(["sweep", str(helpers / "rt.toml"), "-o", str(tmp_path / "o"), "-q", *args])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and expected in err, err
    assert not (tmp_path / "o").exists()


def test_unknown_spec_names_and_paths(helpers, tmp_path, capsys):
    assert main(["sweep", "polcy_grid", "-q"]) == 2
    assert "did you mean 'policy_grid'" in capsys.readouterr().err
    assert main(["sweep", str(helpers), "-q"]) == 2
    assert "cannot read" in capsys.readouterr().err
    (helpers / "rt.toml").write_text(_toml(MB))
    (tmp_path / "file").write_text("x")
    assert main(["sweep", str(helpers / "rt.toml"), "-o", str(tmp_path / "file"), "-q"]) == 2
    assert "is a file" in capsys.readouterr().err


@pytest.mark.slow  # over ~2 s: kept out of make check's fast tier
def test_names_never_become_paths_outside_runs(helpers, tmp_path):
    (helpers / "evil.toml").write_text(_toml({**MB, "name": "../../../evil/../x"}))
    proc = subprocess.run(
        [sys.executable, "-m", "inspire_sim.cli", "sweep", str(helpers / "evil.toml"), "-q", "--no-figures", "-w", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    made = [p.relative_to(tmp_path) for p in tmp_path.iterdir()]
    assert made == [Path("runs")] and [p.name for p in (tmp_path / "runs").iterdir()] == ["evil_.._x"]


def _toml(d: dict[str, Any]) -> str:
    lines = []
    for k, v in d.items():
        if not isinstance(v, (dict, list)) or (isinstance(v, list) and v and not isinstance(v[0], dict)):
            lines.append(f"{k} = {json.dumps(v)}")
    for k, v in d.items():
        if isinstance(v, dict):
            lines.append(f"[{k}]")
            lines += [f"{kk} = {json.dumps(vv)}" for kk, vv in v.items()]
    for k, v in d.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            for item in v:
                lines.append(f"[[{k}]]")
                lines += [f"{kk} = {json.dumps(vv)}" for kk, vv in item.items()]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------
# faults: each ends as a recorded status, the rest of the sweep is right
# ----------------------------------------------------------------------------------------

FAULTS = [
    ("text output", "text", "failed", "output 'z' is not a scalar number"),
    ("list instead of dict", "notdict", "failed", "returned list, not a dict"),
    ("NaN/inf outputs", "nan", "invalid", "not a finite number"),
    ("exception", "fail", "failed", "ValueError: boom"),
    ("SystemExit", "sysexit", "failed", "SystemExit"),
    ("KeyboardInterrupt", "kbint", "failed", "KeyboardInterrupt"),
    ("MemoryError", "memerr", "failed", "MemoryError"),
    ("os._exit", "crash", "failed", "exit code 3"),
]


@pytest.mark.slow  # over ~2.5 s: kept out of make check's fast tier
@pytest.mark.parametrize("label, mode, status, cause", FAULTS, ids=[f[0] for f in FAULTS])
def test_faults_are_recorded_and_the_rest_is_right(helpers, tmp_path, label, mode, status, cause):
    spec = spec_from_dict(
        {**MB, "fixed": {"mode": mode}, "factors": [{"name": "x", "levels": [0.1, 0.9]}, MB["factors"][1]]},
        base_dir=helpers,
    )
    res = run_sweep(spec, tmp_path / "f", workers=1, progress=False, figures=False)
    bad, good = res.runs[res.runs["x"] > 0.75], res.runs[res.runs["x"] < 0.75]
    assert (bad["status"] == status).all() and bad["error"].str.contains(cause, regex=False).all(), bad["error"]
    assert (good["status"] == "ok").all()
    assert (good["z"] == good["x"] + 2 * good["y"] + 0.1 * _noise(good["seed"])).all()  # right numbers
    summary = res.summary[res.summary["output"] == "z"]
    assert (summary[summary["x"] > 0.75]["n_ok"] == 0).all() and summary[summary["x"] > 0.75]["mean"].isna().all()


def _noise(seeds: pd.Series) -> pd.Series:
    import numpy as np

    return seeds.map(lambda s: np.random.default_rng(s).normal())


def test_boolean_levels_stay_booleans(helpers, tmp_path):
    spec = spec_from_dict(
        {**MB, "model": "shapes.py:flags", "factors": [{"name": "flag", "levels": [True, False]}]}, base_dir=helpers
    )
    res = run_sweep(spec, tmp_path / "o", workers=1, progress=False, figures=False)
    assert res.runs["flag"].dtype == bool and res.runs["flag"].tolist() == [True, False]
    assert res.runs["z"].tolist() == [1.0, 0.0]  # the function saw True / False, not 1.0 / 0.0


def test_unreadable_manifest_and_foreign_directories_are_refused(helpers, tmp_path):
    spec = spec_from_dict(MB, base_dir=helpers)
    out = tmp_path / "o"
    run_sweep(spec, out, workers=1, progress=False, figures=False)
    manifest = (out / "manifest.json").read_text()
    (out / "manifest.json").write_text(manifest[:50])
    with pytest.raises(InputError, match=r"manifest\.json is unreadable"):
        run_sweep(spec, out, workers=1, progress=False, figures=False)
    old = json.loads(manifest)
    (out / "manifest.json").write_text(json.dumps({**old, "format": "inspire-sim-experiment/1"}))
    with pytest.raises(InputError, match="another store format"):
        run_sweep(spec, out, workers=1, progress=False, figures=False)
    (out / "manifest.json").write_text(manifest)
    (out / ".parts.tmp.x.tmp").write_text("cut short")
    assert run_sweep(spec, out, workers=1, progress=False, figures=False).executed == 0
    assert not list(out.rglob("*.tmp"))


@pytest.mark.slow
@pytest.mark.parametrize("where", ["processes", "dask"])
def test_ctrl_c_stops_cleanly_with_one_line(helpers, tmp_path, where):
    if where == "dask":
        pytest.importorskip("distributed")
    (helpers / "wait.toml").write_text(
        _toml({**MB, "fixed": {"mode": "wait"}, "factors": [{"name": "x", "levels": [0.1, 0.9]}, MB["factors"][1]]})
    )
    out = tmp_path / "o"
    extra = ["--cluster", "local", "-w", "2"] if where == "dask" else ["-w", "2"]
    cmd = [sys.executable, "-m", "inspire_sim.cli", "sweep", str(helpers / "wait.toml"), "-o", str(out), "-q"]
    proc = subprocess.Popen(
        [*cmd, "--no-figures", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        parts = list((out / "parts").glob("part-*.parquet"))
        if parts and sum(len(pd.read_parquet(p)) for p in parts) == 3:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "resume" in err
