"""Guards of the sweep's start-up work (issue 23 §2) that need no timing: a command line imports only
its own command's module, the command table matches what the modules register, the store writes a
batch as one chunk and does not read its records back twice. Speed targets live in benchmarks/."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
from typer.main import get_command

from inspire_sim import cli
from inspire_sim.experiments import Sequential, load_spec, run_sweep
from inspire_sim.experiments import store as store_module
from inspire_sim.experiments.store import RunStore

SPEC = """name = "startup"
scenario = "baseline"
replications = 3
seed = 5
steps = 4
[fixed]
n_smes = 100
[[factors]]
name = "support_funding.budget_per_step"
levels = [75000000]
[[outputs]]
indicator = "cooperating_share"
statistic = "mean"
"""


def test_command_table_names_every_command_of_every_module():
    registered: dict[str, str] = {}
    for module in cli.COMMAND_MODULES:
        app = cli.build_app((module,))
        for name in get_command(app).commands:  # type: ignore[attr-defined]
            registered[name] = module
    assert registered == cli.COMMANDS
    assert set(get_command(cli.app).commands) == set(cli.COMMANDS)  # type: ignore[attr-defined]


def test_a_command_line_imports_only_its_command_module():
    code = (
        "import json, sys\n"
        "from inspire_sim.cli import main\n"
        "try:\n"
        "    main(['sweep', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('inspire_sim.cli.commands.', "
        "'inspire_sim.app')))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == ["inspire_sim.cli.commands.options", "inspire_sim.cli.commands.sweep_cmd"]


def test_help_and_unknown_commands_still_see_every_command(capsys):
    assert cli.main(["swep"]) == 2
    assert "Did you mean 'sweep'?" in capsys.readouterr().err


def test_a_batch_goes_to_disk_as_one_chunk(tmp_path: Path, monkeypatch):
    now = [100.0]
    monkeypatch.setattr(store_module, "time", SimpleNamespace(monotonic=lambda: now[0]))
    store = RunStore(tmp_path / "o", ["y"], flush_seconds=1.0)
    store.lock()
    store.parts.mkdir(parents=True)

    def record(i: int) -> dict:
        return {"run_id": i, "point_id": 0, "replicate": i, "seed": 1, "status": "ok", "values": {"y": 0.5}}

    def chunks() -> list[int]:
        return sorted(len(pd.read_parquet(p)) for p in store.parts.glob("part-*.parquet"))

    now[0] += 5.0  # a batch ran for 5 s; its records arrive together
    for i in range(3):
        store.add(record(i))
    assert chunks() == []
    store.tick()  # what a backend does after yielding them
    assert chunks() == [3]
    store.add(record(3))  # a backend that never ticks: the next record flushes one older than 1 s
    now[0] += 2.0
    store.add(record(4))
    assert chunks() == [1, 3]
    store.flush()
    assert chunks() == [1, 1, 3]
    store.close()


def test_finalize_returns_what_is_on_disk(tmp_path: Path):
    path = tmp_path / "startup.toml"
    path.write_text(SPEC)
    res = run_sweep(load_spec(path), tmp_path / "o", backend=Sequential(), progress=False, figures=False)
    assert res.n_failed == 0 and len(res.runs) == 3
    assert not list((tmp_path / "o" / "parts").glob("*.parquet"))
    on_disk = pd.read_parquet(tmp_path / "o" / "results.parquet")
    pd.testing.assert_frame_equal(res.runs, on_disk, check_exact=True)
    store = RunStore(tmp_path / "o", res.spec.output_names)
    pd.testing.assert_frame_equal(store.read_records(), res.runs[list(store.schema.names)], check_exact=True)
