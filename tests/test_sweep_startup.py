"""Guards of the sweep's start-up work (issue 23 §2) that need no timing: a command line imports only
its own command's module and the command table matches what the modules register. Speed targets
live in benchmarks/."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.main import get_command

from inspire_sim import cli


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
